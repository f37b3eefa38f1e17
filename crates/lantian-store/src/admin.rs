//! What the admin console needs beyond the registry's basics: an administrator's password
//! reset (the account must change it at its next login, its sessions end) and the audit
//! log searched by actor, action, object, text and time in SQL (the log outgrows any page).

use crate::Store;
use crate::audit::{AUDIT_COLUMNS, audit_event};
use crate::error::StoreError;
use crate::model::{AuditEvent, Page, Paged};

/// What to look for in the audit log; every field is optional and they all apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this actor (a user name, `operator`, `system`, `public`).
    pub actor: Option<String>,
    /// Actions starting with this (`user.` finds `user.create`, `user.role`…).
    pub action_prefix: Option<String>,
    /// Objects containing this (case-insensitive for ASCII).
    pub object: Option<String>,
    /// The detail or the source containing this (case-insensitive for ASCII).
    pub text: Option<String>,
    /// `from_ms <= at_ms < to_ms`.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// `text` as a LIKE pattern matching itself literally (`\` escapes `%`, `_` and `\`).
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

impl Store {
    /// Gives an account a password set by an administrator: it must change it at its next
    /// login (`must_change_password`), and its sessions of before end (the epoch grows).
    pub fn reset_user_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let n = self.write(|c| {
            c.exec(
                "UPDATE users SET password_hash = $1, must_change_password = 1, session_epoch = session_epoch + 1 WHERE username = $2",
                &[password_hash.into(), username.into()],
            )
        })?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: format!("user {username}"),
            });
        }
        Ok(())
    }

    /// The audit rows that match `f`, newest first, at most `limit`.
    pub fn audit_search(&self, f: &AuditFilter, limit: i64) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self.audit_search_page(f, Page::first(limit))?.items)
    }

    /// One page of the audit rows that match `f`, newest first, and how many match: the
    /// log outgrows any page, so the page is cut in SQL.
    pub fn audit_search_page(
        &self,
        f: &AuditFilter,
        page: Page,
    ) -> Result<Paged<AuditEvent>, StoreError> {
        let mut sql = String::from("audit_log WHERE 1 = 1");
        let mut args: Vec<crate::db::Val> = Vec::new();
        let mut add = |cond: &str, v: crate::db::Val, args: &mut Vec<crate::db::Val>| {
            args.push(v);
            sql.push_str(&cond.replace("$?", &format!("${}", args.len())));
        };
        if let Some(a) = &f.actor {
            add(" AND actor = $?", a.as_str().into(), &mut args);
        }
        if let Some(p) = &f.action_prefix {
            add(
                " AND action LIKE $? ESCAPE '\\'",
                format!("{}%", like_literal(p)).into(),
                &mut args,
            );
        }
        if let Some(o) = &f.object {
            add(
                " AND lower(object) LIKE lower($?) ESCAPE '\\'",
                format!("%{}%", like_literal(o)).into(),
                &mut args,
            );
        }
        if let Some(t) = &f.text {
            let pattern = format!("%{}%", like_literal(t));
            add(
                " AND (lower(detail) LIKE lower($?) ESCAPE '\\'",
                pattern.clone().into(),
                &mut args,
            );
            add(
                " OR lower(source) LIKE lower($?) ESCAPE '\\')",
                pattern.into(),
                &mut args,
            );
        }
        if let Some(from) = f.from_ms {
            add(" AND at_ms >= $?", from.into(), &mut args);
        }
        if let Some(to) = f.to_ms {
            add(" AND at_ms < $?", to.into(), &mut args);
        }
        let (rows, total) =
            self.read(|c| crate::db::page_of(c, AUDIT_COLUMNS, &sql, "id DESC", &args, page))?;
        Ok(Paged {
            items: rows.iter().map(audit_event).collect(),
            total,
        })
    }
}
