//! `lantian aqi`: the hourly AQI of every station-hour of CNEMC daily files, as CSV.

use crate::input::{self, Progress};
use anyhow::{Result, bail};
use clap::ValueEnum;
use lantian_core::aqi::{self, AqiOptions, RealtimeMethod, So2Above800};
use lantian_core::rules::RuleChoice;
use lantian_formats::{Diagnostics, cnemc};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input format: `cnemc` = CNEMC daily station files (china_sites_YYYYMMDD.csv[.gz]).
    #[arg(long, value_enum)]
    format: Format,
    /// Rule set: by the date of the data (auto), or 2012-era / 2026 rules for every hour.
    #[arg(long, default_value = "auto")]
    rules: RuleChoice,
    /// Real-time method: `published` (1-h values, as CNEMC published) or `table4` (HJ
    /// 633-2012 Table 4 read literally: PM from 24-h means, O3 8-h included).
    #[arg(long, value_enum)]
    method: Option<Method>,
    /// 2012-era rule for SO2 1-h above 800 µg/m³: cap200 (CNEMC 2019), omit (CNEMC
    /// 2017-01-01), from-daily (the standard's note read literally). Default: omit before
    /// 2018-09-01, cap200 from then on, which reproduces both published samples.
    #[arg(long, value_enum)]
    so2_above_800: Option<So2Rule>,
    /// Append the published AQI as a column `published_aqi`, print the match rate on
    /// stderr, and exit with status 1 if any station-hour differs.
    #[arg(long)]
    compare_published: bool,
    /// Files, or directories whose files named china_sites_* are read in name order.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Cnemc,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Method {
    Published,
    Table4,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum So2Rule {
    Cap200,
    Omit,
    FromDaily,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Format::Cnemc = args.format;
    let files = input::expand(&args.paths, |n| n.starts_with("china_sites_"))?;
    let mut progress = Progress::new(files.len() as u64, "aqi");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    write!(out, "date,hour,station,aqi,primary_pollutants,level")?;
    writeln!(
        out,
        "{}",
        if args.compare_published {
            ",published_aqi"
        } else {
            ""
        }
    )?;
    let mut diag = Diagnostics::default();
    let (mut rows, mut compared, mut matched) = (0u64, 0u64, 0u64);
    let mut mismatches: Vec<String> = Vec::new();
    for path in &files {
        let name = input::display_name(path);
        let file = match cnemc::read(input::open(path)?, &name, &mut diag) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("lantian: {e}; file skipped");
                diag.skip(&name, 1, None, "unreadable file");
                continue;
            }
        };
        for block in &file.hours {
            let date = block.date.to_string();
            let mut opts = AqiOptions::for_date(block.date, args.rules);
            if let Some(m) = args.method {
                opts.realtime_method = match m {
                    Method::Published => RealtimeMethod::Published,
                    Method::Table4 => RealtimeMethod::Table4,
                };
            }
            if let Some(s) = args.so2_above_800 {
                opts.so2_above_800 = match s {
                    So2Rule::Cap200 => So2Above800::Cap200,
                    So2Rule::Omit => So2Above800::Omit,
                    So2Rule::FromDaily => So2Above800::FromDaily,
                };
            }
            for (s, station) in file.stations.iter().enumerate() {
                let r = aqi::realtime(&opts, &block.realtime_inputs(s));
                let published = block.value(cnemc::Kind::Aqi, s);
                if let Some(p) = published.filter(|_| args.compare_published) {
                    compared += 1;
                    if r.aqi.map(f64::from) == Some(p) {
                        matched += 1;
                    } else if mismatches.len() < 10 {
                        mismatches.push(format!(
                            "{date} {:02}h {station}: computed {:?}, published {p}",
                            block.hour, r.aqi
                        ));
                    }
                }
                let Some(value) = r.aqi else { continue };
                rows += 1;
                let level = r.level().map_or(0, |l| l.number());
                write!(
                    out,
                    "{date},{},{station},{value},{},{level}",
                    block.hour,
                    r.primary.join(";")
                )?;
                match published.filter(|_| args.compare_published) {
                    Some(p) => writeln!(out, ",{p}")?,
                    None if args.compare_published => writeln!(out, ",")?,
                    None => writeln!(out)?,
                }
            }
        }
        progress.inc(1);
    }
    out.flush()?;
    progress.finish();
    if diag.skipped > 0 {
        eprintln!("lantian: skipped {} cells or rows:", diag.skipped);
        for (reason, n) in &diag.by_reason {
            eprintln!("  {n} × {reason}");
        }
        for s in diag.examples.iter().take(5) {
            eprintln!("  e.g. {s}");
        }
    }
    if rows == 0 {
        bail!("no station-hour had an AQI in {} file(s)", files.len());
    }
    if args.compare_published {
        eprintln!(
            "lantian: {matched} of {compared} published station-hours matched ({:.4} %)",
            100.0 * matched as f64 / compared.max(1) as f64
        );
        for m in &mismatches {
            eprintln!("  differs: {m}");
        }
        if matched != compared {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
