//! `lantian query`: hourly or daily concentrations, AQI and coverage of the city, a unit or
//! a station, one JSON line per period: exactly what the API serves at `/api/v1/query`.
//! Read-only, for scripts and operators.

use crate::context::StoreArgs;
use anyhow::Result;
use lantian_app::data::{self, Period, Scope};
use lantian_core::Date;
use lantian_store::View;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// city | unit:ID | station:ID
    #[arg(long, default_value = "city")]
    scope: String,
    /// hour | day
    #[arg(long, default_value = "day")]
    period: String,
    /// First day, Beijing time (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Date,
    /// Last day, inclusive (YYYY-MM-DD); at most 400 days after --from.
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Date,
    /// raw (as received) | audited (with corrections; the default)
    #[arg(long, default_value = "audited")]
    view: String,
    /// One JSON object per line (the default prints a tab-separated table).
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (from, to) = (a.from, a.to);
    let view = match a.view.as_str() {
        "raw" => View::Raw,
        "audited" => View::Audited,
        o => anyhow::bail!("--view {o}: expected raw or audited"),
    };
    let scope = Scope::parse(&a.scope)?;
    let period = Period::parse(&a.period)?;
    let app = a.store.app()?;
    let rows = data::aggregate(&app, &scope, period, from, to, view)?;
    let mut out = std::io::stdout().lock();
    if !a.json {
        writeln!(
            out,
            "start (北京时间)\tpm25\tpm10\tso2\tno2\tco\to3\to3_8h\taqi\tprimary\tcoverage"
        )?;
    }
    for r in &rows {
        if a.json {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        } else {
            let f = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |x| x.to_string());
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.start,
                f(r.pm25),
                f(r.pm10),
                f(r.so2),
                f(r.no2),
                f(r.co),
                f(r.o3),
                f(r.o3_8h),
                r.aqi.map_or_else(|| "-".to_owned(), |x| x.to_string()),
                r.primary.join(","),
                r.coverage
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
