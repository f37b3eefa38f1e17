//! `lantian apikey …`: the open-data API keys (docs/open-data.md, "Keys"): list them, make
//! one for someone, set a key's own rate limit, revoke one; and the `lantian serve` flags of
//! the open-data rate limits. Thin over `lantian_app::opendata_keys`.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::{Result, bail};
use lantian_api::opendata_limit::Config;
use lantian_app::opendata_keys::{self, KEY_LIMIT_DEFAULT, Limit, SignUp};
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

/// A key's own limit on the command line: both numbers, or neither.
#[derive(Debug, Clone, clap::Args)]
struct OwnLimit {
    /// Requests an hour the key may make (with --burst).
    #[arg(long, requires = "burst")]
    per_hour: Option<i64>,
    /// Requests the key may make at once (with --per-hour).
    #[arg(long, requires = "per_hour")]
    burst: Option<i64>,
}

impl OwnLimit {
    fn limit(&self) -> Result<Option<Limit>> {
        Ok(match (self.per_hour, self.burst) {
            (Some(p), Some(b)) => Some(Limit::checked(p, b)?),
            _ => None,
        })
    }
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Every key, newest first: id, prefix, holder, requests, last use, limit, revocation.
    ///
    /// Example: lantian apikey list --as bureau1
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        /// One JSON object a line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Makes a key for someone and prints it: the only time it is shown.
    ///
    /// Example: lantian apikey create --as bureau1 --name "某大学环境学院" --email
    /// lab@example.edu.cn --purpose "PM2.5 来源解析研究" --per-hour 3600 --burst 300
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        purpose: String,
        #[command(flatten)]
        limit: OwnLimit,
    },
    /// Revokes a key: requests with it are refused (401) from now on.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Sets a key's own rate limit (--per-hour and --burst), or back to the default
    /// (--default).
    ///
    /// Example: lantian apikey limit 7 --per-hour 6000 --burst 600
    Limit {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        who: AsArgs,
        id: i64,
        #[command(flatten)]
        limit: OwnLimit,
        /// The server's default limit again.
        #[arg(long, conflicts_with_all = ["per_hour", "burst"])]
        default: bool,
    },
}

/// The open-data rate limits of `lantian serve` (docs/open-data.md, "Rate limits").
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Requests an hour an API key may make unless the bureau set its own limit.
    #[arg(long, default_value_t = KEY_LIMIT_DEFAULT.per_hour)]
    open_key_per_hour: u32,
    /// Requests an API key may make at once.
    #[arg(long, default_value_t = KEY_LIMIT_DEFAULT.burst)]
    open_key_burst: u32,
    /// Requests an hour per client address without a key.
    #[arg(long, default_value_t = opendata_keys::PUBLIC_LIMIT_DEFAULT.per_hour)]
    open_public_per_hour: u32,
    /// Requests at once per client address without a key.
    #[arg(long, default_value_t = opendata_keys::PUBLIC_LIMIT_DEFAULT.burst)]
    open_public_burst: u32,
    /// Key sign-ups an hour (and at once) per client address.
    #[arg(long, default_value_t = opendata_keys::SIGNUP_LIMIT_DEFAULT.per_hour)]
    open_signups_per_hour: u32,
}

impl LimitArgs {
    /// The limiter's configuration; a zero or an out-of-range number is an error naming
    /// its flag.
    pub fn config(&self) -> Result<Config> {
        let check = |flag: &str, per_hour: u32, burst: u32| {
            Limit::checked(i64::from(per_hour), i64::from(burst))
                .map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
        };
        Ok(Config {
            key: check("open-key-*", self.open_key_per_hour, self.open_key_burst)?,
            public: check(
                "open-public-*",
                self.open_public_per_hour,
                self.open_public_burst,
            )?,
            signup: check(
                "open-signups-per-hour",
                self.open_signups_per_hour,
                self.open_signups_per_hour,
            )?,
        })
    }
}

fn limit_text(l: Option<Limit>) -> String {
    l.map_or_else(|| "default".to_owned(), |l| l.text())
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::List { store, who, json } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let keys = opendata_keys::list(&app, &caller)?;
            print(json, &keys, |k| {
                format!(
                    "{}\t{}\t{} <{}>\t{} requests\tlast used {}\t{}\t{}",
                    k.row.id,
                    k.row.prefix,
                    k.row.name,
                    k.row.email,
                    k.row.requests,
                    k.last_used_bj.as_deref().unwrap_or("never"),
                    limit_text(k.limit()),
                    k.revoked_bj
                        .as_ref()
                        .map_or_else(|| "live".to_owned(), |t| format!("revoked {t}")),
                )
            })?;
        }
        Cmd::Create {
            store,
            who,
            name,
            email,
            purpose,
            limit,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let s = SignUp {
                name,
                email,
                purpose,
            };
            let issued = opendata_keys::create(&app, &caller, &s, limit.limit()?)?;
            println!("{}", json!(issued));
        }
        Cmd::Revoke {
            store,
            who,
            id,
            reason,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let k = opendata_keys::revoke(&app, &caller, id, &reason)?;
            println!("{}", json!(k));
        }
        Cmd::Limit {
            store,
            who,
            id,
            limit,
            default,
        } => {
            let app = store.app()?;
            let caller = who.caller(&app)?;
            let l = limit.limit()?;
            if l.is_none() && !default {
                bail!("give --per-hour N --burst N, or --default for the server's default limit");
            }
            let k = opendata_keys::set_limit(&app, &caller, id, l)?;
            println!("{}", json!(k));
        }
    }
    Ok(ExitCode::SUCCESS)
}
