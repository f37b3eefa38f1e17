//! Accounts: logging in (checked and audited), a session's account read again on every
//! request (disabled accounts and older epochs end), changing one's password, creating,
//! listing, disabling and re-roling accounts (administrators), and the audit log.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::{Account, App, Caller};
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_store::{AuditRow, Page, Paged, User, UserStanding, password};
use serde::Serialize;

/// Longest user name; longest password accepted (Argon2 takes anything, but a limit keeps
/// requests small); shortest new password.
pub const USERNAME_CHARS_MAX: usize = 64;
pub const PASSWORD_BYTES_MAX: usize = 256;
pub const PASSWORD_CHARS_MIN: usize = 10;

/// A logged-in account, whether it must change its password first, and the session epoch
/// its session carries (a password change or disabling grows the account's epoch and so
/// ends its older sessions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    pub account: Account,
    pub must_change_password: bool,
    pub session_epoch: i64,
}

fn login_of(app: &App, u: &User, s: UserStanding) -> Login {
    Login {
        account: account_of(app, u),
        must_change_password: u.must_change_password,
        session_epoch: s.session_epoch,
    }
}

/// The account of a stored user, with the kind of its unit from the county profile.
pub fn account_of(app: &App, u: &User) -> Account {
    Account {
        username: u.username.clone(),
        role: u.role,
        unit_id: u.unit_id.clone(),
        unit_kind: u.unit_id.as_deref().and_then(|id| app.county.unit_kind(id)),
        source: String::new(),
    }
}

/// The account named `username`, for a command-line caller acting as it (`--as`).
pub fn caller_as(app: &App, username: &str) -> AppResult<Caller> {
    let u = app
        .store
        .user(username)?
        .ok_or_else(|| AppError::NotFound(format!("user {username}")))?;
    Ok(Caller::Account(account_of(app, &u)))
}

/// Checks a user name and password; every attempt is audited with where it came from
/// (`source`: the client's address). A disabled account is refused, and says so only to
/// whoever knows its password.
pub fn login(app: &App, source: &str, username: &str, pw: &str) -> AppResult<Login> {
    if username.chars().count() > USERNAME_CHARS_MAX || pw.len() > PASSWORD_BYTES_MAX {
        return Err(AppError::BadRequest(
            "user name or password too long".to_owned(),
        ));
    }
    let found = app
        .store
        .user_standing(username)?
        .filter(|(u, _)| password::verify(pw, &u.password_hash));
    let Some((u, standing)) = found else {
        app.audit_from(username, source, "login.failed", "session", "")?;
        return Err(AppError::Forbidden(
            "用户名或密码错误 / wrong user name or password".to_owned(),
        ));
    };
    if standing.disabled {
        app.audit_from(
            &u.username,
            source,
            "login.failed",
            "session",
            "account disabled",
        )?;
        return Err(AppError::Forbidden(
            "账号已停用，请联系管理员 / this account is disabled; ask an administrator".to_owned(),
        ));
    }
    app.audit_from(&u.username, source, "login", "session", "")?;
    Ok(login_of(app, &u, standing))
}

/// The account of a session as it is now (its role and unit may have changed), or `None`
/// when the session has ended: the account was removed or disabled, or its password changed
/// since the session began (`session_epoch`).
pub fn session(app: &App, username: &str, session_epoch: i64) -> AppResult<Option<Login>> {
    Ok(app
        .store
        .user_standing(username)?
        .filter(|(_, s)| !s.disabled && s.session_epoch == session_epoch)
        .map(|(u, s)| login_of(app, &u, s)))
}

/// Logging out, audited.
pub fn logout(app: &App, caller: &Caller) -> AppResult<()> {
    caller.require()?;
    app.audit_as(caller, "logout", "session", "")
}

/// A state change refused for a missing or wrong CSRF token, audited with the request.
pub fn csrf_refused(app: &App, caller: &Caller, request: &str) -> AppResult<()> {
    app.audit_as(caller, "csrf.refused", request, "")
}

/// Changes one's own password; every failure is audited with its reason. Returns the
/// account's new session epoch: its other sessions have ended.
pub fn change_password(app: &App, caller: &Caller, old: &str, new: &str) -> AppResult<i64> {
    let name = caller.require()?.username.clone();
    let refuse = |reason: &str, e: AppError| -> AppResult<i64> {
        app.audit_as(caller, "password.change.failed", &name, reason)?;
        Err(e)
    };
    if new.chars().count() < PASSWORD_CHARS_MIN || new.len() > PASSWORD_BYTES_MAX {
        return refuse(
            "new password too short or too long",
            AppError::BadRequest(format!(
                "新密码至少 {PASSWORD_CHARS_MIN} 个字符 / the new password needs at least {PASSWORD_CHARS_MIN} characters"
            )),
        );
    }
    let u = app
        .store
        .user(&name)?
        .ok_or_else(|| AppError::NotFound(format!("user {name}")))?;
    if new == old {
        return refuse(
            "new password equals the old one",
            AppError::BadRequest(
                "新密码不能与旧密码相同 / the new password must differ from the old one".to_owned(),
            ),
        );
    }
    if old.len() > PASSWORD_BYTES_MAX || !password::verify(old, &u.password_hash) {
        return refuse(
            "wrong current password",
            AppError::Forbidden("旧密码错误 / wrong current password".to_owned()),
        );
    }
    let hash = password::hash(new, password::Strength::User);
    app.audited(caller, "password.change", &name, "", || {
        Ok(app.store.set_password(&name, &hash)?)
    })?;
    Ok(app
        .store
        .user_standing(&name)?
        .map_or(0, |(_, s)| s.session_epoch))
}

/// What creating an account takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub unit: Option<String>,
}

/// What the caller may do beyond reading (manage the register, accounts; see devices, the
/// audit log), for the front ends to show the controls.
pub fn acts(caller: &Caller) -> Vec<policy::Act> {
    policy::acts(caller)
}

/// Creates an account (administrators); it must change its password at first login.
pub fn create_user(app: &App, caller: &Caller, n: NewUser) -> AppResult<()> {
    caller.require_role(policy::MANAGE_ACCOUNTS)?;
    let row = app.audit_row(caller, "user.create", &n.username, n.role.as_str());
    add(app, n, row)
}

/// Creates the first administrator at first start (audited as `system`).
pub fn create_first_admin(app: &App, n: NewUser) -> AppResult<()> {
    let row = AuditRow {
        actor: "system".to_owned(),
        ..app.audit_row(&Caller::Public, "user.create", &n.username, n.role.as_str())
    };
    add(app, n, row)
}

/// Checks and adds an account, with its audit row in the same transaction.
fn add(app: &App, n: NewUser, row: AuditRow) -> AppResult<()> {
    if n.username.trim().is_empty()
        || n.username.chars().count() > USERNAME_CHARS_MAX
        || n.password.chars().count() < PASSWORD_CHARS_MIN
        || n.password.len() > PASSWORD_BYTES_MAX
    {
        return Err(AppError::BadRequest(format!(
            "user name 1-{USERNAME_CHARS_MAX} characters, password at least {PASSWORD_CHARS_MIN}"
        )));
    }
    check_unit(app, n.role, n.unit.as_deref())?;
    if app.store.user(&n.username)?.is_some() {
        return Err(AppError::Conflict(format!(
            "user {} exists already",
            n.username
        )));
    }
    let user = User {
        username: n.username,
        password_hash: password::hash(&n.password, password::Strength::User),
        role: n.role,
        unit_id: n.unit,
        must_change_password: true,
        created_ms: app.clock.now_ms(),
    };
    app.store.audited(row, || Ok(app.store.add_user(&user)?))
}

/// Whether `unit` suits an account of `role`: an enterprise account belongs to a registered
/// enterprise, any other account to a unit of the county or none.
fn check_unit(app: &App, role: Role, unit: Option<&str>) -> AppResult<()> {
    match (unit, role) {
        (None, Role::Enterprise) => Err(AppError::BadRequest(
            "企业账号须指定企业 / an enterprise account needs its enterprise (the unit: its id)"
                .to_owned(),
        )),
        (Some(u), Role::Enterprise) if app.store.enterprise(u)?.is_none() => {
            Err(AppError::BadRequest(format!(
                "企业 {u:?} 未登记 / enterprise {u:?} is not registered (lantian enterprise add)"
            )))
        }
        // An operations account belongs to its contractor, which is not a unit of the
        // county: work orders name it as their assignee.
        (Some(_), Role::Operations) => Ok(()),
        (Some(u), role)
            if role != Role::Enterprise && !app.store.admin_units()?.iter().any(|x| x.id == u) =>
        {
            Err(AppError::BadRequest(format!(
                "{u:?} 不是本县的单位 / unit {u:?} is not a unit of this county"
            )))
        }
        _ => Ok(()),
    }
}

/// An account as administrators see it in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub created: String,
}

/// Every account (administrators).
pub fn list_users(app: &App, caller: &Caller) -> AppResult<Vec<UserInfo>> {
    caller.require_role(policy::MANAGE_ACCOUNTS)?;
    Ok(app
        .store
        .users()?
        .into_iter()
        .map(|(u, s)| UserInfo {
            username: u.username,
            role: u.role,
            unit: u.unit_id,
            disabled: s.disabled,
            must_change_password: u.must_change_password,
            created: cst::format_unix_ms(u.created_ms),
        })
        .collect())
}

const LAST_ADMIN: &str = "不能停用最后一个启用的管理员或改变其角色 / the last enabled administrator cannot be disabled or given another role";

/// `Ok` if the store made the change, the refusal if it would leave no enabled
/// administrator (an error, so that `App::audited` writes no row of the change).
fn changed(made: bool) -> AppResult<()> {
    if made {
        Ok(())
    } else {
        Err(AppError::Conflict(LAST_ADMIN.to_owned()))
    }
}

/// Disables (its sessions end at once) or enables an account (administrators); the last
/// enabled administrator stays. Audited.
pub fn set_disabled(app: &App, caller: &Caller, username: &str, disabled: bool) -> AppResult<()> {
    caller.require_role(policy::MANAGE_ACCOUNTS)?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    refused_if_last_admin(
        app,
        caller,
        action,
        username,
        app.audited(caller, action, username, "", || {
            changed(app.store.set_user_disabled(username, disabled)?)
        }),
    )
}

/// A change refused because it would leave no enabled administrator is audited as
/// `ACTION.refused`.
fn refused_if_last_admin(
    app: &App,
    caller: &Caller,
    action: &str,
    username: &str,
    done: AppResult<()>,
) -> AppResult<()> {
    if matches!(&done, Err(AppError::Conflict(m)) if m == LAST_ADMIN) {
        app.audit_as(
            caller,
            &format!("{action}.refused"),
            username,
            "last enabled administrator",
        )?;
    }
    done
}

/// Gives an account another role and unit (administrators); the last enabled administrator
/// stays one. Its sessions see the new role at their next request. Audited.
pub fn set_role(
    app: &App,
    caller: &Caller,
    username: &str,
    role: Role,
    unit: Option<&str>,
) -> AppResult<()> {
    caller.require_role(policy::MANAGE_ACCOUNTS)?;
    check_unit(app, role, unit)?;
    let detail = match unit {
        Some(u) => format!("{} {u}", role.as_str()),
        None => role.as_str().to_owned(),
    };
    refused_if_last_admin(
        app,
        caller,
        "user.role",
        username,
        app.audited(caller, "user.role", username, &detail, || {
            changed(app.store.set_user_role(username, role, unit)?)
        }),
    )
}

/// An entry of the audit log, its time in Beijing time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// `YYYY-MM-DD HH:MM` Beijing time.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
    /// Where the act came from: a peer address, `cli:USER`.
    pub source: String,
}

/// Rows of the audit log one CSV or xlsx export holds at most (a page of JSON holds at most
/// the API's page size).
pub const AUDIT_ENTRIES_MAX: i64 = 10_000;

/// An audit row as people read it.
pub(crate) fn audit_entry(e: lantian_store::AuditEvent) -> AuditEntry {
    AuditEntry {
        id: e.id,
        at: cst::format_unix_ms(e.at_ms),
        actor: e.actor,
        action: e.action,
        object: e.object,
        detail: e.detail,
        source: e.source,
    }
}

/// A page of the audit log, newest first, and how many rows it has (administrators and the
/// bureau).
pub fn audit_log(app: &App, caller: &Caller, page: Page) -> AppResult<Paged<AuditEntry>> {
    caller.require_role(policy::SEE_AUDIT)?;
    Ok(app.store.audit_events_page(page)?.map(audit_entry))
}
