//! Accounts: logging in (checked and audited), changing one's password, creating accounts
//! (administrators), and the audit log.

use crate::caller::policy;
use crate::error::{AppError, AppResult};
use crate::{Account, App, Caller};
use lantian_core::cst;
use lantian_core::org::Role;
use lantian_store::{User, password};
use serde::Serialize;

/// Longest user name; longest password accepted (Argon2 takes anything, but a limit keeps
/// requests small); shortest new password.
pub const USERNAME_CHARS_MAX: usize = 64;
pub const PASSWORD_BYTES_MAX: usize = 256;
pub const PASSWORD_CHARS_MIN: usize = 10;

/// A logged-in account and whether it must change its password first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    pub account: Account,
    pub must_change_password: bool,
}

/// The account of a stored user, with the kind of its unit from the county profile.
pub fn account_of(app: &App, u: &User) -> Account {
    Account {
        username: u.username.clone(),
        role: u.role,
        unit_id: u.unit_id.clone(),
        unit_kind: u.unit_id.as_deref().and_then(|id| app.county.unit_kind(id)),
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

/// Checks a user name and password; every attempt is audited.
pub fn login(app: &App, username: &str, pw: &str) -> AppResult<Login> {
    if username.chars().count() > USERNAME_CHARS_MAX || pw.len() > PASSWORD_BYTES_MAX {
        return Err(AppError::BadRequest(
            "user name or password too long".to_owned(),
        ));
    }
    let found = app
        .store
        .user(username)?
        .filter(|u| password::verify(pw, &u.password_hash));
    let Some(u) = found else {
        app.audit(username, "login.failed", "session", "")?;
        return Err(AppError::Forbidden(
            "用户名或密码错误 / wrong user name or password".to_owned(),
        ));
    };
    app.audit(&u.username, "login", "session", "")?;
    Ok(Login {
        account: account_of(app, &u),
        must_change_password: u.must_change_password,
    })
}

pub fn change_password(app: &App, caller: &Caller, old: &str, new: &str) -> AppResult<()> {
    let name = caller.require()?.username.clone();
    if new.chars().count() < PASSWORD_CHARS_MIN || new.len() > PASSWORD_BYTES_MAX {
        return Err(AppError::BadRequest(format!(
            "新密码至少 {PASSWORD_CHARS_MIN} 个字符 / the new password needs at least {PASSWORD_CHARS_MIN} characters"
        )));
    }
    let u = app
        .store
        .user(&name)?
        .ok_or_else(|| AppError::NotFound(format!("user {name}")))?;
    if new == old {
        return Err(AppError::BadRequest(
            "新密码不能与旧密码相同 / the new password must differ from the old one".to_owned(),
        ));
    }
    if !password::verify(old, &u.password_hash) {
        return Err(AppError::Forbidden(
            "旧密码错误 / wrong current password".to_owned(),
        ));
    }
    app.store
        .set_password(&name, &password::hash(new, password::Strength::User))?;
    app.audit(&name, "password.change", &name, "")
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
    let admin = caller
        .require_role(policy::MANAGE_ACCOUNTS)?
        .username
        .clone();
    create(app, n, &admin)
}

/// Creates an account without a caller: the first administrator at first start, or an
/// operator's `lantian user add` on the server itself.
pub fn create(app: &App, n: NewUser, by: &str) -> AppResult<()> {
    if n.username.trim().is_empty()
        || n.username.chars().count() > USERNAME_CHARS_MAX
        || n.password.chars().count() < PASSWORD_CHARS_MIN
        || n.password.len() > PASSWORD_BYTES_MAX
    {
        return Err(AppError::BadRequest(format!(
            "user name 1-{USERNAME_CHARS_MAX} characters, password at least {PASSWORD_CHARS_MIN}"
        )));
    }
    match (&n.unit, n.role) {
        // An enterprise's account belongs to a registered enterprise.
        (None, Role::Enterprise) => {
            return Err(AppError::BadRequest(
                "an enterprise account needs its enterprise (the unit: its id)".to_owned(),
            ));
        }
        (Some(u), Role::Enterprise) if app.store.enterprise(u)?.is_none() => {
            return Err(AppError::BadRequest(format!(
                "enterprise {u:?} is not registered (lantian enterprise add)"
            )));
        }
        (Some(u), role)
            if role != Role::Enterprise && !app.store.admin_units()?.iter().any(|x| x.id == *u) =>
        {
            return Err(AppError::BadRequest(format!(
                "unit {u:?} is not a unit of this county"
            )));
        }
        _ => {}
    }
    if app.store.user(&n.username)?.is_some() {
        return Err(AppError::Conflict(format!(
            "user {} exists already",
            n.username
        )));
    }
    app.store.add_user(&User {
        username: n.username.clone(),
        password_hash: password::hash(&n.password, password::Strength::User),
        role: n.role,
        unit_id: n.unit,
        must_change_password: true,
        created_ms: app.clock.now_ms(),
    })?;
    app.audit(by, "user.create", &n.username, n.role.as_str())
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
}

/// Entries read at most by one request.
pub const AUDIT_ENTRIES_MAX: i64 = 10_000;

/// The audit log, newest first (administrators and the bureau).
pub fn audit_log(app: &App, caller: &Caller) -> AppResult<Vec<AuditEntry>> {
    caller.require_role(policy::SEE_AUDIT)?;
    Ok(app
        .store
        .audit_events(AUDIT_ENTRIES_MAX)?
        .into_iter()
        .map(|e| AuditEntry {
            id: e.id,
            at: cst::format_unix_ms(e.at_ms),
            actor: e.actor,
            action: e.action,
            object: e.object,
            detail: e.detail,
        })
        .collect())
}
