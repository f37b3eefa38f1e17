//! `lantian user add|list|disable|enable|role`: accounts from the server's console (the web
//! UI's administrator does the same under 账号管理). A running server sees each change at the
//! account's next request: a disabled account's sessions end, a new role counts at once.

use crate::context::{AsArgs, StoreArgs};
use anyhow::Result;
use lantian_app::accounts::{self, NewUser};
use lantian_core::org::Role;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Create an account; it must change its password at first login.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        username: String,
        /// admin | bureau | department | township | operations | enterprise
        #[arg(long)]
        role: Role,
        /// The unit: a department by its name (市交通运输局), a town, township or zone by id.
        #[arg(long)]
        unit: Option<String>,
        /// At least 10 characters; without it one is generated and printed once.
        #[arg(long)]
        password: Option<String>,
    },
    /// List the accounts as JSON lines (name, role, unit, disabled, initial password unchanged).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
    },
    /// Disable an account: it cannot log in and its sessions end (not the last administrator).
    Disable {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        username: String,
    },
    /// Give an account another role and unit (the last administrator stays one).
    Role {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        username: String,
        /// admin | bureau | department | township | operations | enterprise | commander
        #[arg(long)]
        role: Role,
        /// The unit: a department by its name, a town, township or zone by id, an enterprise
        /// by its id.
        #[arg(long)]
        unit: Option<String>,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        What::Add {
            store,
            who,
            username,
            role,
            unit,
            password,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let generated = password.is_none();
            let pw = password.unwrap_or_else(|| lantian_store::password::random(16));
            accounts::create_user(
                &app,
                &caller,
                NewUser {
                    username: username.clone(),
                    password: pw.clone(),
                    role,
                    unit,
                },
            )?;
            if generated {
                println!(
                    "user {username} created: one-time password {pw} (shown once; change it at first login)"
                );
            } else {
                eprintln!("lantian: user {username} created");
            }
        }
        What::List { store, who } => {
            let app = store.app()?;
            for u in accounts::list_users(&app, &who.caller(&app)?)? {
                println!("{}", serde_json::to_string(&u)?);
            }
        }
        What::Disable {
            store,
            who,
            username,
        } => {
            let app = store.app()?;
            accounts::set_disabled(&app, &who.caller(&app)?, &username, true)?;
            eprintln!("lantian: user {username} disabled");
        }
        What::Enable {
            store,
            who,
            username,
        } => {
            let app = store.app()?;
            accounts::set_disabled(&app, &who.caller(&app)?, &username, false)?;
            eprintln!("lantian: user {username} enabled");
        }
        What::Role {
            store,
            who,
            username,
            role,
            unit,
        } => {
            let app = store.app()?;
            accounts::set_role(&app, &who.caller(&app)?, &username, role, unit.as_deref())?;
            eprintln!("lantian: user {username} is now {role}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
