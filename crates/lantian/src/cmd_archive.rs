//! `lantian archive verify|digest`: check the hash chain of the raw archive, or write and
//! print a digest of its head for publication.

use crate::context::StoreArgs;
use anyhow::Result;
use lantian_app::Clock;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Recompute the chain; exit 0 if intact, 1 naming the first bad record otherwise.
    Verify(StoreArgs),
    /// Record a checkpoint of the chain head, append it to DATA_DIR/archive-digests.txt and
    /// print it (publish it where others can see it, e.g. the disclosure portal).
    Digest(StoreArgs),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Verify(s) => {
            let store = s.open()?;
            let r = store.verify_archive()?;
            println!(
                "{}",
                json!({ "ok": r.ok(), "records": r.records, "checkpoints": r.checkpoints, "heads": r.heads, "first_error": r.first_error })
            );
            match &r.first_error {
                None => {
                    eprintln!(
                        "lantian: archive intact: {} records, {} checkpoints ({})",
                        r.records,
                        r.checkpoints,
                        store.describe()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(e) => {
                    eprintln!("lantian: archive NOT intact: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        What::Digest(s) => {
            let store = s.open()?;
            let at = Clock::System.now_ms();
            let heads = store.checkpoint(at)?;
            store.audit_row(&lantian_store::AuditRow {
                at_ms: at,
                actor: crate::context::operator().name().to_owned(),
                action: "archive.digest".to_owned(),
                object: "archive".to_owned(),
                detail: format!("{} chains", heads.len()),
                source: crate::context::cli_source(),
            })?;
            let mut log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(s.data_dir.join("archive-digests.txt"))?;
            for (chain, seq, hash) in &heads {
                writeln!(log, "{at}\t{chain}\t{seq}\t{hash}")?;
                println!(
                    "{}",
                    json!({ "at_ms": at, "chain": chain, "seq": seq, "sha256": hash })
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
