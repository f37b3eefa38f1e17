//! `lantian user add|list`: accounts from the server's console (the web UI's administrator
//! does the same under 账号).

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
    }
    Ok(ExitCode::SUCCESS)
}
