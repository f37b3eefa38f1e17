//! Accounts beyond the registry's basics: whether an account is disabled, its session epoch
//! (sessions of an older epoch have ended), listing, disabling and changing roles with the
//! rule that the last enabled administrator stays one.

use crate::Store;
use crate::db::{Conn, Row};
use crate::error::StoreError;
use crate::model::{Role, User};

/// An account's standing: disabled or not, and the epoch its sessions must carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserStanding {
    pub disabled: bool,
    /// Grows with every password change and every disabling: a session of an older epoch
    /// has ended.
    pub session_epoch: i64,
}

const USER_COLUMNS: &str = "username, password_hash, role, unit_id, must_change_password, created_ms, disabled, session_epoch";

fn user_row(r: &Row) -> Result<(User, UserStanding), StoreError> {
    let username = r[0].text().unwrap_or_default();
    let role_text = r[2].text().unwrap_or_default();
    let role = Role::parse(&role_text).ok_or_else(|| StoreError::Invalid {
        what: format!("role {role_text:?} of {username:?} is not a known value"),
    })?;
    Ok((
        User {
            username,
            password_hash: r[1].text().unwrap_or_default(),
            role,
            unit_id: r[3].text(),
            must_change_password: r[4].int() == Some(1),
            created_ms: r[5].int().unwrap_or(0),
        },
        UserStanding {
            disabled: r[6].int() == Some(1),
            session_epoch: r[7].int().unwrap_or(0),
        },
    ))
}

/// What a change does to the set of enabled administrators.
#[derive(Clone, Copy)]
enum Change<'a> {
    Disabled(bool),
    Role(Role, Option<&'a str>),
}

impl Store {
    /// A user with its standing.
    pub fn user_standing(
        &self,
        username: &str,
    ) -> Result<Option<(User, UserStanding)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        self.read(|c| c.query(&sql, &[username.into()]))?
            .first()
            .map(user_row)
            .transpose()
    }

    /// Every user with its standing, by name.
    pub fn users(&self) -> Result<Vec<(User, UserStanding)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        self.read(|c| c.query(&sql, &[]))?
            .iter()
            .map(user_row)
            .collect()
    }

    /// Disables (its sessions end: the epoch grows) or enables an account. `Ok(false)`:
    /// refused, it is the last enabled administrator.
    pub fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError> {
        refused_as_false(self.change_user(username, Change::Disabled(disabled)))
    }

    /// Gives an account another role and unit. `Ok(false)`: refused, it is the last enabled
    /// administrator.
    pub fn set_user_role(
        &self,
        username: &str,
        role: Role,
        unit_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        refused_as_false(self.change_user(username, Change::Role(role, unit_id)))
    }

    /// One transaction: the check that an enabled administrator remains and the change. A
    /// refusal rolls back (an audit row pending for the change is not written).
    fn change_user(&self, username: &str, change: Change<'_>) -> Result<(), StoreError> {
        self.write(|c| {
            // PostgreSQL: two transactions demoting two administrators at once would each
            // see the other still enabled; they take turns on one advisory lock. SQLite has
            // one writer.
            c.lock_stations(&[ACCOUNTS_LOCK])?;
            let rows = c.query(
                "SELECT role, disabled FROM users WHERE username = $1",
                &[username.into()],
            )?;
            let Some(r) = rows.first() else {
                return Err(StoreError::NotFound {
                    what: format!("user {username}"),
                });
            };
            let enabled_admin = r[0].text().as_deref() == Some(Role::Admin.as_str())
                && r[1].int() != Some(1);
            let stays_admin = match change {
                Change::Disabled(d) => !d,
                Change::Role(role, _) => role == Role::Admin,
            };
            if enabled_admin && !stays_admin && other_enabled_admins(c, username)? == 0 {
                return Err(StoreError::Refused {
                    what: "the last enabled administrator".to_owned(),
                });
            }
            match change {
                Change::Disabled(d) => c.exec(
                    "UPDATE users SET disabled = $1, session_epoch = session_epoch + $2 WHERE username = $3",
                    &[d.into(), i64::from(d).into(), username.into()],
                )?,
                Change::Role(role, unit) => c.exec(
                    "UPDATE users SET role = $1, unit_id = $2 WHERE username = $3",
                    &[role.as_str().into(), unit.into(), username.into()],
                )?,
            };
            Ok(())
        })
    }
}

fn refused_as_false(r: Result<(), StoreError>) -> Result<bool, StoreError> {
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::Refused { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The advisory lock's key for changes to accounts (a name no station uses).
const ACCOUNTS_LOCK: &str = "lantian: accounts";

fn other_enabled_admins(c: &mut dyn Conn, username: &str) -> Result<i64, StoreError> {
    Ok(c.query(
        "SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = 0 AND username <> $2",
        &[Role::Admin.as_str().into(), username.into()],
    )?
    .first()
    .and_then(|r| r[0].int())
    .unwrap_or(0))
}
