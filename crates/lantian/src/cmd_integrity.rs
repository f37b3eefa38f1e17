//! `lantian integrity`: the data-integrity rules (`lantian_core::integrity`) over files,
//! offline. `scan` prints one line per alarm episode of CNEMC daily files or the UCI Beijing
//! files; `evaluate` injects realistic faults into those real series and measures how many
//! the rules find and how many alarms they raise on the untouched data (docs/integrity-evaluation.md).

use crate::input;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use lantian_core::Date;
use lantian_core::integrity::{Alarm, Config, Rule, Severity, StationInput, scan_stations};
use lantian_core::pollutant::Pollutant;
use lantian_core::series::{HourlySeries, StationRole};
use lantian_formats::{Diagnostics, cnemc, prsa};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

/// The `integrity` subcommands. A new one is a variant here, its `clap::Args` struct and
/// one arm in [`run`].
#[derive(Debug, clap::Subcommand)]
enum What {
    /// Run the station rules over data files and print one alarm episode per line.
    ///
    /// Times are the files' own hour labels (Beijing time, the hour's end: CNEMC and UCI
    /// label an hour by its end, 0–23).
    ///
    /// Example: lantian integrity scan --format cnemc ../shared/data/cnemc-sample --json
    Scan(ScanArgs),
    /// Inject realistic faults into real series and report recall per fault type and the
    /// alarms per station-month on the untouched data.
    ///
    /// Example: lantian integrity evaluate --cnemc ../shared/data/cnemc-sample/china_sites_201901
    /// --sites ../shared/data/cnemc-sample/NewSiteList_UTF8.csv --prsa ../shared/data/beijing-prsa --json
    Evaluate(EvaluateArgs),
    /// Run the rules over the platform's stored hours of some days and store the alarm
    /// episodes (deduplicated and extended), as `lantian serve` does every hour.
    ///
    /// Example: lantian integrity run --data-dir data --from 2026-11-01 --to 2026-11-30
    Run(crate::cmd_integrity_run::RunArgs),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Scan(a) => scan(a),
        What::Evaluate(a) => evaluate(a),
        What::Run(a) => crate::cmd_integrity_run::run(a),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// CNEMC daily station files, china_sites_YYYYMMDD.csv[.gz] (directories are searched
    /// with their subfolders).
    Cnemc,
    /// UCI Beijing PRSA files, PRSA_Data_<Station>_*.csv, with relative humidity from the
    /// dew point and temperature.
    Prsa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Lang {
    Zh,
    En,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Input format.
    #[arg(long, value_enum)]
    format: Format,
    /// One JSON line per alarm episode (keys station, pollutant, rule, start, end, severity,
    /// why) instead of a table.
    #[arg(long)]
    json: bool,
    /// Thresholds: a JSON object of `lantian_core::integrity::Config` fields; keys left out
    /// keep their defaults, unknown keys are an error.
    #[arg(long)]
    config: Option<PathBuf>,
    /// CNEMC station list (`监测点编码,监测点名称,城市,经度,纬度,对照点,…`, UTF-8) giving
    /// coordinates and background sites. Default: a *SiteList*.csv found among the inputs;
    /// stations without coordinates have no neighbours.
    #[arg(long)]
    sites: Option<PathBuf>,
    /// Only alarms of this severity or above (info < warning < critical).
    #[arg(long)]
    min_severity: Option<Severity>,
    /// Language of `why`: zh (default) or en.
    #[arg(long, value_enum, default_value = "zh")]
    lang: Lang,
    /// First day to scan (YYYY-MM-DD); PRSA default 2016-01-01.
    #[arg(long)]
    from: Option<String>,
    /// Last day to scan (YYYY-MM-DD); PRSA default 2016-12-31.
    #[arg(long)]
    to: Option<String>,
    /// Files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// CNEMC daily files or directories (every fault type but spraying is injected here:
    /// the files carry no humidity).
    #[arg(long, num_args = 1..)]
    cnemc: Vec<PathBuf>,
    /// CNEMC station list (default: a *SiteList*.csv found among the CNEMC inputs).
    #[arg(long)]
    sites: Option<PathBuf>,
    /// Directory (or files) of the UCI Beijing PRSA data (every fault type is injected here;
    /// spraying only here, as it needs their humidity).
    #[arg(long, num_args = 1..)]
    prsa: Vec<PathBuf>,
    /// First and last PRSA day used (YYYY-MM-DD).
    #[arg(long, default_value = "2016-01-01")]
    prsa_from: String,
    #[arg(long, default_value = "2016-12-31")]
    prsa_to: String,
    /// Faults of each type injected into each data set that supports the type.
    #[arg(long, default_value_t = 40)]
    per_type: usize,
    /// Seed of the fault placement: the same seed and data give the same report.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Thresholds (as for `scan --config`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// One JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

// ---------------------------------------------------------------------------------------
// Data sets

/// One station's hours as the rules read them.
#[derive(Clone, Debug)]
pub struct Station {
    pub id: String,
    pub role: StationRole,
    /// Degrees; NaN when unknown (the station then has no neighbours).
    pub lat: f64,
    pub lon: f64,
    pub series: HourlySeries,
    pub humidity_pct: Option<Vec<f64>>,
}

/// Stations over the same contiguous days.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub start: Date,
    pub n_days: usize,
    pub stations: Vec<Station>,
}

impl Dataset {
    pub fn scan(&self, cfg: &Config) -> Vec<Alarm> {
        let inputs: Vec<StationInput<'_>> = self
            .stations
            .iter()
            .map(|s| StationInput {
                id: &s.id,
                role: s.role,
                lat: s.lat,
                lon: s.lon,
                series: &s.series,
                flags: None,
                humidity_pct: s.humidity_pct.as_deref(),
                receipt_lag_s: None,
            })
            .collect();
        scan_stations(cfg, &inputs)
    }

    /// The file label of hour `i`: `YYYY-MM-DD HH:00`, the hour's end as CNEMC and UCI label
    /// it (the hour starting 23:00 is labelled 00:00 of the next day).
    pub fn label(&self, i: usize) -> String {
        let date = self.start.add_days((i / 24) as i64);
        match i % 24 {
            23 => format!("{} 00:00", date.add_days(1)),
            slot => format!("{date} {:02}:00", slot + 1),
        }
    }

    /// Station-months with data: per station and calendar month, the days with at least one
    /// value divided by the month's days.
    pub fn station_months(&self) -> f64 {
        let mut total = 0.0;
        for s in &self.stations {
            for day in 0..self.n_days {
                let has = Pollutant::ALL
                    .iter()
                    .any(|p| s.series.day_hours(*p, day).iter().any(|v| !v.is_nan()));
                if has {
                    let d = self.start.add_days(day as i64);
                    total +=
                        1.0 / f64::from(lantian_core::date::days_in_month(d.year(), d.month()));
                }
            }
        }
        total
    }
}

/// A station list's entry.
#[derive(Clone, Debug)]
struct Site {
    lat: f64,
    lon: f64,
    background: bool,
}

/// Reads a CNEMC station list (`监测点编码,监测点名称,城市,经度,纬度,对照点,…`).
fn read_sites(path: &Path) -> Result<HashMap<String, Site>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{}: station list is not UTF-8 (convert it, e.g. iconv -f GBK -t UTF-8)",
            path.display()
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let head: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}: no header", path.display()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let col = |name: &str| head.iter().position(|h| h == name);
    let (Some(ic), Some(ilon), Some(ilat)) = (col("监测点编码"), col("经度"), col("纬度"))
    else {
        bail!(
            "{}: not a CNEMC station list (expected columns 监测点编码, 经度, 纬度)",
            path.display()
        );
    };
    let ibg = col("对照点");
    let mut out = HashMap::new();
    for rec in rdr.records().flatten() {
        let num = |i: usize| {
            rec.get(i)
                .and_then(|t| t.trim().parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let Some(code) = rec.get(ic).map(str::trim).filter(|c| !c.is_empty()) else {
            continue;
        };
        out.insert(
            code.to_owned(),
            Site {
                lat: num(ilat),
                lon: num(ilon),
                background: ibg.and_then(|i| rec.get(i)).map(str::trim) == Some("Y"),
            },
        );
    }
    Ok(out)
}

/// The files under `paths` (directories with their subfolders) whose names `accept` keeps,
/// ordered by file name; files named explicitly are always kept.
fn walk(paths: &[PathBuf], accept: &dyn Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    fn dir(d: &Path, accept: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) -> Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(d)
            .with_context(|| format!("{}: cannot list directory", d.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                dir(&e, accept, out)?;
            } else if e.file_name().and_then(|n| n.to_str()).is_some_and(accept) {
                out.push(e);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}: cannot open", p.display()))?;
        if meta.is_dir() {
            dir(p, accept, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort_by(|a, b| (a.file_name(), a).cmp(&(b.file_name(), b)));
    out.dedup();
    Ok(out)
}

/// The station list to use: the one given, else the first UTF-8 *SiteList*.csv among the
/// inputs (a GBK copy beside it is passed over).
fn find_sites(given: Option<&Path>, paths: &[PathBuf]) -> Result<Option<HashMap<String, Site>>> {
    if let Some(p) = given {
        return read_sites(p).map(Some);
    }
    let dirs: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    let found = walk(&dirs, &|n| {
        n.to_ascii_lowercase().contains("sitelist") && n.ends_with(".csv")
    })?;
    Ok(found.iter().find_map(|p| read_sites(p).ok()))
}

/// Days more than this apart start a new data set (a month and a lone day years before are
/// scanned separately, not as one series with a gap of years).
const SEGMENT_GAP_DAYS_MAX: i64 = 7;

/// One CNEMC file's hourly concentrations: per hour block, one value per station and
/// pollutant (NaN: missing).
struct CnemcDay {
    stations: Vec<String>,
    hours: Vec<(Date, u32, Vec<[f64; 6]>)>,
}

/// Reads CNEMC files into data sets of contiguous days. Unreadable files are reported on
/// stderr by name and returned in the second list; the rest are read.
fn load_cnemc(
    paths: &[PathBuf],
    sites: Option<&HashMap<String, Site>>,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<(Vec<Dataset>, Vec<String>)> {
    let files = walk(paths, &|n| {
        n.starts_with("china_sites_") && (n.ends_with(".csv") || n.ends_with(".csv.gz"))
    })?;
    if files.is_empty() {
        bail!("no china_sites_*.csv[.gz] files under the given paths");
    }
    let mut diag = Diagnostics::default();
    let mut bad = Vec::new();
    let mut days: Vec<CnemcDay> = Vec::new();
    let mut progress = input::Progress::new(files.len() as u64, "reading");
    for path in &files {
        let name = input::display_name(path);
        let read = input::open(path).and_then(|r| Ok(cnemc::read(r, &name, &mut diag)?));
        progress.inc(1);
        let file = match read {
            Ok(f) => f,
            Err(e) => {
                eprintln!("lantian: {name}: {e:#}; file skipped, the rest scanned");
                bad.push(name);
                continue;
            }
        };
        let keep = |d: Date| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);
        let hours: Vec<_> = file
            .hours
            .iter()
            .filter(|b| keep(b.date))
            .map(|b| {
                let vals = (0..file.stations.len())
                    .map(|s| {
                        Pollutant::ALL
                            .map(|p| b.value(cnemc::Kind::hourly(p), s).unwrap_or(f64::NAN))
                    })
                    .collect();
                (b.date, b.hour, vals)
            })
            .collect();
        if hours.is_empty() {
            continue;
        }
        days.push(CnemcDay {
            stations: file.stations,
            hours,
        });
    }
    progress.finish();
    report_diagnostics(&diag);
    let mut dates: Vec<Date> = days
        .iter()
        .flat_map(|d| d.hours.iter().map(|h| h.0))
        .collect();
    dates.sort();
    dates.dedup();
    // Split the sorted days into runs without long gaps.
    let mut runs: Vec<(Date, Date)> = Vec::new();
    for d in dates {
        match runs.last_mut() {
            Some((_, last))
                if d.days_since_epoch() - last.days_since_epoch() <= SEGMENT_GAP_DAYS_MAX =>
            {
                *last = d
            }
            _ => runs.push((d, d)),
        }
    }
    let mut out = Vec::new();
    for (first, last) in runs {
        let n_days = (last.days_since_epoch() - first.days_since_epoch() + 1) as usize;
        let in_run = |d: Date| d >= first && d <= last;
        let mut ids: Vec<&str> = days
            .iter()
            .filter(|d| d.hours.iter().any(|h| in_run(h.0)))
            .flat_map(|d| d.stations.iter().map(String::as_str))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let mut stations: Vec<Station> = ids
            .iter()
            .map(|id| {
                let site = sites.and_then(|m| m.get(*id));
                Station {
                    id: (*id).to_owned(),
                    role: if site.is_some_and(|s| s.background) {
                        StationRole::Background
                    } else {
                        StationRole::Assessment
                    },
                    lat: site.map_or(f64::NAN, |s| s.lat),
                    lon: site.map_or(f64::NAN, |s| s.lon),
                    series: HourlySeries::new(first, n_days),
                    humidity_pct: None,
                }
            })
            .collect();
        for day in &days {
            let cols: Vec<usize> = day
                .stations
                .iter()
                .map(|s| index.get(s.as_str()).copied().unwrap_or(usize::MAX))
                .collect();
            for (date, label, vals) in &day.hours {
                if !in_run(*date) {
                    continue;
                }
                // The hour labelled 00:00 on the first day ends the day before the data
                // set; it lies outside the series and is not scanned.
                let Some(i) = stations
                    .first()
                    .and_then(|s| s.series.index_of_label(*date, *label))
                else {
                    continue;
                };
                for (c, v) in cols.iter().zip(vals) {
                    if let Some(st) = stations.get_mut(*c) {
                        for (p, x) in v.iter().enumerate() {
                            st.series.values[p][i] = *x;
                        }
                    }
                }
            }
        }
        out.push(Dataset {
            name: format!("cnemc {first}..{last}"),
            start: first,
            n_days,
            stations,
        });
    }
    Ok((out, bad))
}

fn report_diagnostics(diag: &Diagnostics) {
    if diag.skipped > 0 {
        eprintln!("lantian: skipped {} cells or rows:", diag.skipped);
        for (reason, n) in &diag.by_reason {
            eprintln!("  {n} × {reason}");
        }
        for s in diag.examples.iter().take(3) {
            eprintln!("  e.g. {s}");
        }
    }
}

/// The UCI Beijing stations: the CNEMC code's coordinates (NewSiteList) and whether the site
/// is a background (对照点) site. The data set has no station list of its own.
const PRSA_SITES: [(&str, f64, f64, bool); 12] = [
    ("Wanshouxigong", 39.8784, 116.3621, false),
    ("Dingling", 40.2915, 116.2202, true),
    ("Dongsi", 39.9289, 116.4174, false),
    ("Tiantan", 39.8863, 116.4072, false),
    ("Nongzhanguan", 39.9365, 116.462, false),
    ("Guanyuan", 39.9295, 116.3392, false),
    ("Wanliu", 39.9611, 116.2878, false),
    ("Shunyi", 40.135, 116.6636, false),
    ("Huairou", 40.3275, 116.6275, false),
    ("Changping", 40.217, 116.2296, false),
    ("Aotizhongxin", 39.9821, 116.3966, false),
    ("Gucheng", 39.9136, 116.184, false),
];

/// Magnus coefficients over water (Alduchov and Eskridge 1996): a, and b in °C.
const MAGNUS_A: f64 = 17.625;
const MAGNUS_B_C: f64 = 243.04;

/// Relative humidity (%) from the air temperature and the dew point (°C) by the Magnus
/// formula: RH = 100 · exp(a·Td/(b+Td)) / exp(a·T/(b+T)), at most 100.
pub fn relative_humidity_pct(temp_c: f64, dew_point_c: f64) -> f64 {
    let e = |t: f64| (MAGNUS_A * t / (MAGNUS_B_C + t)).exp();
    (100.0 * e(dew_point_c) / e(temp_c)).min(100.0)
}

/// Relative humidity per hour label of a PRSA file, from its `TEMP` and `DEWP` columns.
fn prsa_humidity(path: &Path) -> Result<Vec<(Date, u32, f64)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(input::open(path)?);
    let head = rdr
        .headers()
        .with_context(|| format!("{}: no header", path.display()))?
        .clone();
    let col = |n: &str| head.iter().position(|h| h.trim() == n);
    let (Some(iy), Some(im), Some(id), Some(ih), Some(it), Some(idp)) = (
        col("year"),
        col("month"),
        col("day"),
        col("hour"),
        col("TEMP"),
        col("DEWP"),
    ) else {
        bail!("{}: no TEMP and DEWP columns", path.display());
    };
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        let f = |i: usize| rec.get(i).and_then(|t| t.trim().parse::<f64>().ok());
        let (Some(y), Some(m), Some(d), Some(h)) = (f(iy), f(im), f(id), f(ih)) else {
            continue;
        };
        let (Some(t), Some(td)) = (f(it), f(idp)) else {
            continue;
        };
        if let Some(date) = Date::new(y as i32, m as u32, d as u32) {
            out.push((date, h as u32, relative_humidity_pct(t, td)));
        }
    }
    Ok(out)
}

/// Reads PRSA files over `from..=to` into one data set, with humidity.
fn load_prsa(paths: &[PathBuf], from: Date, to: Date) -> Result<(Vec<Dataset>, Vec<String>)> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let files = walk(paths, &|n| {
        n.starts_with("PRSA_Data_") && n.ends_with(".csv")
    })?;
    if files.is_empty() {
        bail!("no PRSA_Data_*.csv files under the given paths");
    }
    let n_days = (to.days_since_epoch() - from.days_since_epoch() + 1) as usize;
    let mut diag = Diagnostics::default();
    let mut bad = Vec::new();
    let mut stations = Vec::new();
    for path in &files {
        let name = input::display_name(path);
        let read = input::open(path).and_then(|r| Ok(prsa::read(r, &name, None, &mut diag)?));
        let rh = prsa_humidity(path);
        let (file, rh) = match (read, rh) {
            (Ok(f), Ok(rh)) => (f, rh),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("lantian: {name}: {e:#}; file skipped, the rest scanned");
                bad.push(name);
                continue;
            }
        };
        let mut series = HourlySeries::new(from, n_days);
        for r in &file.rows {
            if let Some(i) = series.index_of_label(r.date, r.hour) {
                for p in Pollutant::ALL {
                    series.values[p.index()][i] = r.values[p.index()].unwrap_or(f64::NAN);
                }
            }
        }
        let mut humidity = vec![f64::NAN; n_days * 24];
        for (date, label, v) in rh {
            if let Some(i) = series.index_of_label(date, label) {
                humidity[i] = v;
            }
        }
        let site = PRSA_SITES.iter().find(|s| s.0 == file.station);
        stations.push(Station {
            id: file.station.clone(),
            role: if site.is_some_and(|s| s.3) {
                StationRole::Background
            } else {
                StationRole::Assessment
            },
            lat: site.map_or(f64::NAN, |s| s.1),
            lon: site.map_or(f64::NAN, |s| s.2),
            series,
            humidity_pct: Some(humidity),
        });
    }
    report_diagnostics(&diag);
    let out = if stations.is_empty() {
        Vec::new()
    } else {
        vec![Dataset {
            name: format!("prsa {from}..{to}"),
            start: from,
            n_days,
            stations,
        }]
    };
    Ok((out, bad))
}

/// The thresholds: defaults, overridden by the keys of a JSON file. Unknown keys are an
/// error (a misspelt threshold must not be silently ignored).
fn load_config(path: Option<&Path>) -> Result<Config> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let known = serde_json::to_value(Config::default())?;
    if let (Some(given), Some(known)) = (value.as_object(), known.as_object()) {
        let unknown: Vec<&String> = given.keys().filter(|k| !known.contains_key(*k)).collect();
        if !unknown.is_empty() {
            bail!(
                "{}: unknown threshold(s) {unknown:?}; known: {}",
                path.display(),
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    } else {
        bail!("{}: expected a JSON object of thresholds", path.display());
    }
    serde_json::from_value(value)
        .with_context(|| format!("{}: bad threshold value", path.display()))
}

fn parse_date(flag: &str, text: &str) -> Result<Date> {
    Date::parse(text).with_context(|| format!("{flag} {text}: not a date (YYYY-MM-DD)"))
}

// ---------------------------------------------------------------------------------------
// scan

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let cfg = load_config(args.config.as_deref())?;
    let from = args
        .from
        .as_deref()
        .map(|t| parse_date("--from", t))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|t| parse_date("--to", t))
        .transpose()?;
    let (sets, bad) = match args.format {
        Format::Cnemc => {
            let sites = find_sites(args.sites.as_deref(), &args.paths)?;
            if sites.is_none() {
                eprintln!(
                    "lantian: no station list (--sites): stations have no coordinates, so no \
                     neighbours, and the rules that compare with neighbours stay silent"
                );
            }
            load_cnemc(&args.paths, sites.as_ref(), from, to)?
        }
        Format::Prsa => {
            let from = from.map_or_else(|| parse_date("--from", "2016-01-01"), Ok)?;
            let to = to.map_or_else(|| parse_date("--to", "2016-12-31"), Ok)?;
            load_prsa(&args.paths, from, to)?
        }
    };
    if sets.is_empty() {
        bail!("no readable data in the given files");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if !args.json {
        writeln!(
            out,
            "时间为北京时间，文件的小时标签（小时结束） / times: Beijing time, the files' hour labels (hour end)"
        )?;
        writeln!(
            out,
            "{:<14} {:<9} {:<26} {:<16} {:<16} {:<8} why",
            "station", "pollutant", "rule", "start", "end", "severity"
        )?;
    }
    for set in &sets {
        let mut alarms = set.scan(&cfg);
        if let Some(min) = args.min_severity {
            alarms.retain(|a| a.severity >= min);
        }
        for a in &alarms {
            if args.json {
                writeln!(out, "{}", alarm_json(set, a, args.lang))?;
            } else {
                writeln!(
                    out,
                    "{:<14} {:<9} {:<26} {:<16} {:<16} {:<8} {}",
                    a.station,
                    a.pollutant.map_or("-", |p| p.name()),
                    a.rule.as_str(),
                    set.label(a.first_hour),
                    set.label(a.last_hour),
                    a.severity.as_str(),
                    why(a, args.lang)
                )?;
            }
        }
        eprintln!(
            "lantian: {}: {} stations, {} days, {} alarm episodes",
            set.name,
            set.stations.len(),
            set.n_days,
            alarms.len()
        );
    }
    out.flush()?;
    if !bad.is_empty() {
        eprintln!(
            "lantian: {} file(s) could not be read: {}",
            bad.len(),
            bad.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn why(a: &Alarm, lang: Lang) -> &str {
    match lang {
        Lang::Zh => &a.why_zh,
        Lang::En => &a.why_en,
    }
}

/// One alarm episode as the JSON line.
fn alarm_json(set: &Dataset, a: &Alarm, lang: Lang) -> Value {
    json!({
        "station": a.station,
        "pollutant": a.pollutant.map(|p| p.name()),
        "rule": a.rule.as_str(),
        "start": set.label(a.first_hour),
        "end": set.label(a.last_hour),
        "severity": a.severity.as_str(),
        "why": why(a, lang),
    })
}

// ---------------------------------------------------------------------------------------
// evaluate

/// A small deterministic generator (SplitMix64): the evaluation must not change with a
/// library's version, and needs no cryptographic quality.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `lo..=hi`.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.int(0, items.len() - 1)]
    }
}

/// The faults the evaluation injects, with the rules that count as finding them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    FlatLine,
    Spike,
    Spraying,
    Pm25AbovePm10,
    Negative,
    InletBlocked,
    OutageInEpisode,
    ClockShift,
}

impl Fault {
    const ALL: [Fault; 8] = [
        Fault::FlatLine,
        Fault::Spike,
        Fault::Spraying,
        Fault::Pm25AbovePm10,
        Fault::Negative,
        Fault::InletBlocked,
        Fault::OutageInEpisode,
        Fault::ClockShift,
    ];

    fn name(self) -> &'static str {
        match self {
            Fault::FlatLine => "flat_line",
            Fault::Spike => "spike",
            Fault::Spraying => "spraying",
            Fault::Pm25AbovePm10 => "pm25_above_pm10",
            Fault::Negative => "negative",
            Fault::InletBlocked => "inlet_blocked",
            Fault::OutageInEpisode => "outage_in_episode",
            Fault::ClockShift => "clock_shift",
        }
    }

    /// The rules whose alarm finds this fault.
    fn rules(self) -> &'static [Rule] {
        match self {
            Fault::FlatLine => &[Rule::FlatLine],
            Fault::Spike => &[Rule::Spike],
            Fault::Spraying => &[Rule::Spraying],
            Fault::Pm25AbovePm10 => &[Rule::Pm25AbovePm10],
            Fault::Negative => &[Rule::ZeroNegative],
            Fault::InletBlocked => &[Rule::InletBlocked],
            Fault::OutageInEpisode => &[Rule::OutageInEpisode],
            Fault::ClockShift => &[Rule::ClockDrift],
        }
    }

    /// Hours affected: shortest and longest.
    fn hours(self) -> (usize, usize) {
        match self {
            Fault::FlatLine => (8, 24),
            Fault::Spike => (1, 2),
            Fault::Spraying => (2, 4),
            Fault::Pm25AbovePm10 => (6, 24),
            Fault::Negative => (3, 12),
            Fault::InletBlocked => (12, 48),
            Fault::OutageInEpisode => (6, 12),
            Fault::ClockShift => (72, 168),
        }
    }

    fn needs_humidity(self) -> bool {
        self == Fault::Spraying
    }
}

/// One injected fault: where and when.
#[derive(Clone, Debug)]
struct Injected {
    fault: Fault,
    station: usize,
    pollutant: Option<Pollutant>,
    first: usize,
    last: usize,
}

/// Hours kept free around a fault at the same station, so that two faults never touch.
const FAULT_SPACING_HOURS: usize = 48;
/// PM2.5 at or above this is a pollution episode for the outage fault (µg/m³: IAQI 150,
/// 中度污染, HJ 633 Table 1).
const EPISODE_PM25_UG_M3: f64 = 115.0;
/// Placement attempts per fault before giving up on it.
const PLACEMENT_TRIES: usize = 400;

/// Injects `per_type` faults of each type in `faults` into `set`, at random stations and
/// hours that suit the fault (values present, pollution high enough to matter).
fn inject(set: &mut Dataset, faults: &[Fault], per_type: usize, rng: &mut Rng) -> Vec<Injected> {
    let n_hours = set.n_days * 24;
    let mut placed: Vec<Injected> = Vec::new();
    if set.stations.is_empty() || n_hours < 8 {
        return placed;
    }
    for &fault in faults {
        for _ in 0..per_type {
            for _ in 0..PLACEMENT_TRIES {
                let (lo, hi) = fault.hours();
                let hi = hi.min(n_hours / 2).max(1);
                let len = rng.int(lo.min(hi), hi);
                let s = rng.int(0, set.stations.len() - 1);
                let first = rng.int(1, n_hours - len - 1);
                let last = first + len - 1;
                let free = placed.iter().all(|f| {
                    f.station != s
                        || last + FAULT_SPACING_HOURS < f.first
                        || f.last + FAULT_SPACING_HOURS < first
                });
                if !free {
                    continue;
                }
                if let Some(pollutant) = apply(fault, &mut set.stations[s], first, last, rng) {
                    placed.push(Injected {
                        fault,
                        station: s,
                        pollutant,
                        first,
                        last,
                    });
                    break;
                }
            }
        }
    }
    placed
}

fn present(v: &[f64]) -> bool {
    v.iter().all(|x| !x.is_nan())
}

/// `x < min`, or `x` missing.
fn below_or_missing(x: f64, min: f64) -> bool {
    x.is_nan() || x < min
}

fn mean(v: &[f64]) -> f64 {
    let ok: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if ok.is_empty() {
        f64::NAN
    } else {
        ok.iter().sum::<f64>() / ok.len() as f64
    }
}

/// Applies one fault to hours `first..=last` of a station if the hours suit it; returns the
/// pollutant affected (`Some(None)` for station-wide faults), or `None` when they do not.
#[allow(clippy::option_option)]
fn apply(
    fault: Fault,
    st: &mut Station,
    first: usize,
    last: usize,
    rng: &mut Rng,
) -> Option<Option<Pollutant>> {
    let r = first..=last;
    let v = &mut st.series.values;
    let pm25 = Pollutant::Pm25.index();
    let pm10 = Pollutant::Pm10.index();
    // Integers as CNEMC publishes µg/m³, one decimal for CO (mg/m³).
    let round = |p: Pollutant, x: f64| {
        if p == Pollutant::Co {
            (x * 10.0).round() / 10.0
        } else {
            x.round()
        }
    };
    match fault {
        Fault::FlatLine => {
            // A logger repeating its last value.
            let p = rng.pick(&Pollutant::ALL);
            let w = &v[p.index()][r.clone()];
            let spread = w.iter().fold(f64::NEG_INFINITY, |a, b| a.max(*b))
                - w.iter().fold(f64::INFINITY, |a, b| a.min(*b));
            if !present(w) || w[0] <= 0.0 || spread <= 0.0 {
                return None;
            }
            let stuck = w[0];
            v[p.index()][r].fill(stuck);
            Some(Some(p))
        }
        Fault::Spike => {
            let p = rng.pick(&[
                Pollutant::Pm25,
                Pollutant::Pm10,
                Pollutant::So2,
                Pollutant::No2,
                Pollutant::Co,
            ]);
            if !present(&v[p.index()][first - 1..=last + 1]) {
                return None;
            }
            let floor = match p {
                Pollutant::Pm25 => 150.0,
                Pollutant::Pm10 => 200.0,
                Pollutant::Co => 2.0,
                _ => 80.0,
            };
            let k = rng.range(3.0, 6.0);
            for x in &mut v[p.index()][r] {
                *x = round(p, (*x * k).max(*x + floor));
            }
            Some(Some(p))
        }
        Fault::Spraying => {
            // Water sprayed at the inlet: PM falls to a fifth to two fifths within the hour,
            // humidity jumps towards saturation, gases carry on.
            let rh = st.humidity_pct.as_mut()?;
            let ok = present(&rh[r.clone()])
                && rh[r.clone()].iter().all(|h| *h <= 75.0)
                && present(&v[pm10][r.clone()])
                && v[pm25][r.clone()].iter().all(|x| *x >= 75.0);
            if !ok {
                return None;
            }
            let k = rng.range(0.2, 0.4);
            for i in r {
                v[pm25][i] = round(Pollutant::Pm25, v[pm25][i] * k);
                v[pm10][i] = round(Pollutant::Pm10, v[pm10][i] * k);
                rh[i] = rng.range(92.0, 99.0);
            }
            Some(Some(Pollutant::Pm25))
        }
        Fault::Pm25AbovePm10 => {
            // The PM10 channel reads low: PM2.5 ends up above PM10.
            if !present(&v[pm10][r.clone()]) || !v[pm25][r.clone()].iter().all(|x| *x >= 25.0) {
                return None;
            }
            let k = rng.range(0.75, 0.9);
            for i in r {
                v[pm10][i] = round(Pollutant::Pm10, v[pm25][i] * k);
            }
            Some(Some(Pollutant::Pm25))
        }
        Fault::Negative => {
            // Zero drift of a gas analyser.
            let p = rng.pick(&[Pollutant::So2, Pollutant::No2, Pollutant::O3, Pollutant::Co]);
            if !present(&v[p.index()][r.clone()]) {
                return None;
            }
            for x in &mut v[p.index()][r] {
                *x = if p == Pollutant::Co {
                    round(p, -rng.range(0.1, 0.3))
                } else {
                    round(p, -rng.range(1.0, 6.0))
                };
            }
            Some(Some(p))
        }
        Fault::InletBlocked => {
            // The inlet covered: PM low and nearly flat while the gases carry on.
            let gases_present = [Pollutant::No2, Pollutant::Co, Pollutant::O3]
                .iter()
                .all(|p| {
                    v[p.index()][r.clone()]
                        .iter()
                        .filter(|x| !x.is_nan())
                        .count()
                        * 5
                        >= 4 * (last - first + 1)
                });
            if !gases_present || below_or_missing(mean(&v[pm25][r.clone()]), 35.0) {
                return None;
            }
            let c = rng.int(2, 8) as f64;
            for i in r {
                let wobble = if rng.unit() < 0.3 { 1.0 } else { 0.0 };
                v[pm25][i] = c + wobble;
                v[pm10][i] = (c * 1.4).round() + wobble;
            }
            Some(Some(Pollutant::Pm25))
        }
        Fault::OutageInEpisode => {
            // Unplugged while pollution is high: every value missing.
            if below_or_missing(mean(&v[pm25][r.clone()]), EPISODE_PM25_UG_M3)
                || !present(&v[pm25][r.clone()])
            {
                return None;
            }
            for p in v.iter_mut() {
                p[r.clone()].fill(f64::NAN);
            }
            if let Some(rh) = st.humidity_pct.as_mut() {
                rh[r].fill(f64::NAN);
            }
            Some(None)
        }
        Fault::ClockShift => {
            // The logger's clock runs hours off: each value appears under another hour.
            let shift = rng.pick(&[-3i64, -2, 2, 3]);
            let n = v[pm25].len() as i64;
            let enough = v[pm25][r.clone()].iter().filter(|x| !x.is_nan()).count() * 5
                >= 4 * (last - first + 1);
            if !enough {
                return None;
            }
            for p in v.iter_mut() {
                let orig = p.clone();
                for i in r.clone() {
                    let j = i as i64 - shift;
                    p[i] = if (0..n).contains(&j) {
                        orig[j as usize]
                    } else {
                        f64::NAN
                    };
                }
            }
            Some(None)
        }
    }
}

/// Per fault type: injected, found by its rules, found by any alarm, examples of misses.
#[derive(Debug, Default)]
struct Tally {
    injected: usize,
    found: usize,
    found_any_rule: usize,
    missed: Vec<Value>,
}

fn evaluate(args: EvaluateArgs) -> Result<ExitCode> {
    if args.cnemc.is_empty() && args.prsa.is_empty() {
        bail!("give --cnemc and/or --prsa data");
    }
    let cfg = load_config(args.config.as_deref())?;
    let mut sets: Vec<(Dataset, Vec<Fault>)> = Vec::new();
    let mut bad = Vec::new();
    if !args.cnemc.is_empty() {
        let sites = find_sites(args.sites.as_deref(), &args.cnemc)?;
        if sites.is_none() {
            eprintln!("lantian: no station list (--sites): CNEMC stations have no neighbours");
        }
        let (cn, b) = load_cnemc(&args.cnemc, sites.as_ref(), None, None)?;
        bad.extend(b);
        let faults: Vec<Fault> = Fault::ALL
            .into_iter()
            .filter(|f| !f.needs_humidity())
            .collect();
        sets.extend(cn.into_iter().map(|d| (d, faults.clone())));
    }
    if !args.prsa.is_empty() {
        let from = parse_date("--prsa-from", &args.prsa_from)?;
        let to = parse_date("--prsa-to", &args.prsa_to)?;
        let (pr, b) = load_prsa(&args.prsa, from, to)?;
        bad.extend(b);
        sets.extend(pr.into_iter().map(|d| (d, Fault::ALL.to_vec())));
    }
    let mut rng = Rng::new(args.seed);
    let mut tallies: BTreeMap<Fault, Tally> =
        Fault::ALL.iter().map(|f| (*f, Tally::default())).collect();
    let mut clean_report = Vec::new();
    let mut by_data = serde_json::Map::new();
    for (set, faults) in &sets {
        let mut here: BTreeMap<Fault, (usize, usize)> = BTreeMap::new();
        let started = std::time::Instant::now();
        let clean = set.scan(&cfg);
        let clean_s = started.elapsed().as_secs_f64();
        let months = set.station_months();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_severity: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &clean {
            *by_rule.entry(a.rule.as_str()).or_default() += 1;
            *by_severity.entry(a.severity.as_str()).or_default() += 1;
        }
        let per = |n: usize| {
            if months > 0.0 {
                n as f64 / months
            } else {
                f64::NAN
            }
        };
        clean_report.push(json!({
            "data": set.name,
            "stations": set.stations.len(),
            "days": set.n_days,
            "station_months": round3(months),
            "alarms": clean.len(),
            "alarms_per_station_month": round3(per(clean.len())),
            "by_rule": by_rule.iter().map(|(r, n)| (r.to_string(), json!({
                "alarms": n, "per_station_month": round3(per(*n)) }))).collect::<serde_json::Map<_, _>>(),
            "by_severity": by_severity.iter().map(|(k, n)| (k.to_string(), json!({
                "alarms": n, "per_station_month": round3(per(*n)) }))).collect::<serde_json::Map<_, _>>(),
            "scan_seconds": round3(clean_s),
        }));
        let mut faulted = set.clone();
        let injected = inject(&mut faulted, faults, args.per_type, &mut rng);
        let alarms = faulted.scan(&cfg);
        let index: HashMap<&str, usize> = faulted
            .stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut at: HashMap<usize, Vec<&Alarm>> = HashMap::new();
        for a in &alarms {
            if let Some(i) = index.get(a.station.as_str()) {
                at.entry(*i).or_default().push(a);
            }
        }
        for f in &injected {
            let t = tallies.entry(f.fault).or_default();
            t.injected += 1;
            let h = here.entry(f.fault).or_default();
            h.0 += 1;
            let overlapping: Vec<&&Alarm> = at
                .get(&f.station)
                .map(|v| {
                    v.iter()
                        .filter(|a| a.first_hour <= f.last && a.last_hour >= f.first)
                        .collect()
                })
                .unwrap_or_default();
            let hit = overlapping
                .iter()
                .any(|a| f.fault.rules().contains(&a.rule));
            if hit {
                t.found += 1;
                h.1 += 1;
            } else if t.missed.len() < 5 {
                t.missed.push(json!({
                    "data": faulted.name,
                    "station": faulted.stations[f.station].id,
                    "pollutant": f.pollutant.map(|p| p.name()),
                    "start": faulted.label(f.first),
                    "end": faulted.label(f.last),
                    "alarms_there": overlapping.iter().map(|a| a.rule.as_str()).collect::<Vec<_>>(),
                }));
            }
            if !overlapping.is_empty() {
                t.found_any_rule += 1;
            }
        }
        by_data.insert(
            set.name.clone(),
            here.iter()
                .map(|(f, (n, k))| {
                    (
                        f.name().to_owned(),
                        json!({ "injected": n, "found": k,
                            "recall": (*n > 0).then(|| round3(*k as f64 / *n as f64)) }),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
    }
    let (mut all_inj, mut all_found) = (0, 0);
    let mut recall = serde_json::Map::new();
    for (f, t) in &tallies {
        all_inj += t.injected;
        all_found += t.found;
        recall.insert(
            f.name().to_owned(),
            json!({
                "injected": t.injected,
                "found": t.found,
                "recall": (t.injected > 0).then(|| round3(t.found as f64 / t.injected as f64)),
                "found_by_any_alarm": t.found_any_rule,
                "rules": f.rules().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "missed_examples": t.missed,
            }),
        );
    }
    let report = json!({
        "seed": args.seed,
        "per_type": args.per_type,
        "recall": recall,
        "recall_all": (all_inj > 0).then(|| round3(all_found as f64 / all_inj as f64)),
        "injected_all": all_inj,
        "found_all": all_found,
        "recall_by_data": by_data,
        "clean": clean_report,
    });
    if args.json {
        println!("{report}");
    } else {
        print_tables(&report);
    }
    if !bad.is_empty() {
        eprintln!(
            "lantian: {} file(s) could not be read: {}",
            bad.len(),
            bad.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn print_tables(report: &Value) {
    println!("Recall per injected fault (seed {})", report["seed"]);
    println!(
        "{:<20} {:>8} {:>6} {:>7} {:>10}  rules",
        "fault", "injected", "found", "recall", "any alarm"
    );
    if let Some(m) = report["recall"].as_object() {
        for (name, r) in m {
            let recall = r["recall"]
                .as_f64()
                .map_or("-".to_owned(), |x| format!("{:.1} %", 100.0 * x));
            println!(
                "{:<20} {:>8} {:>6} {:>7} {:>10}  {}",
                name,
                r["injected"].to_string(),
                r["found"].to_string(),
                recall,
                r["found_by_any_alarm"].to_string(),
                r["rules"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
        }
    }
    println!(
        "all: {} of {} found ({})",
        report["found_all"],
        report["injected_all"],
        report["recall_all"]
            .as_f64()
            .map_or("-".to_owned(), |x| format!("{:.1} %", 100.0 * x))
    );
    if let Some(m) = report["recall_by_data"].as_object() {
        for (data, faults) in m {
            let cells: Vec<String> = faults
                .as_object()
                .map(|f| {
                    f.iter()
                        .map(|(name, r)| format!("{name} {}/{}", r["found"], r["injected"]))
                        .collect()
                })
                .unwrap_or_default();
            println!("  {data}: {}", cells.join(", "));
        }
    }
    println!();
    println!("Alarms on the untouched data");
    if let Some(sets) = report["clean"].as_array() {
        for s in sets {
            println!(
                "{}: {} stations, {} station-months, {} alarms = {} per station-month",
                s["data"].as_str().unwrap_or(""),
                s["stations"],
                s["station_months"],
                s["alarms"],
                s["alarms_per_station_month"]
            );
            if let Some(m) = s["by_rule"].as_object() {
                for (rule, r) in m {
                    println!(
                        "  {:<26} {:>7} {:>10}",
                        rule,
                        r["alarms"].to_string(),
                        r["per_station_month"].to_string()
                    );
                }
            }
            if let Some(m) = s["by_severity"].as_object() {
                let cells: Vec<String> = m
                    .iter()
                    .map(|(k, r)| {
                        format!(
                            "{k} {} ({}/station-month)",
                            r["alarms"], r["per_station_month"]
                        )
                    })
                    .collect();
                println!("  by severity: {}", cells.join(", "));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humidity_from_the_dew_point_matches_the_vapour_pressure_tables() {
        // Saturation vapour pressure over water (WMO tables): 6.11 hPa at 0 °C, 12.27 at
        // 10 °C, 23.37 at 20 °C, 42.43 at 30 °C.
        let cases = [
            (20.0, 20.0, 100.0),
            (20.0, 10.0, 100.0 * 12.27 / 23.37),
            (30.0, 20.0, 100.0 * 23.37 / 42.43),
            (10.0, 0.0, 100.0 * 6.11 / 12.27),
            (5.0, 8.0, 100.0),
        ];
        for (t, td, rh) in cases {
            let got = relative_humidity_pct(t, td);
            assert!((got - rh).abs() < 0.5, "T {t}, Td {td}: {got} vs {rh}");
        }
    }

    #[test]
    fn hours_print_as_the_files_label_their_end() {
        let start = Date::new(2019, 1, 31).unwrap();
        let set = Dataset {
            name: String::new(),
            start,
            n_days: 2,
            stations: Vec::new(),
        };
        let cases = [
            (0, "2019-01-31 01:00"),
            (22, "2019-01-31 23:00"),
            (23, "2019-02-01 00:00"),
            (24, "2019-02-01 01:00"),
            (47, "2019-02-02 00:00"),
        ];
        for (i, label) in cases {
            assert_eq!(set.label(i), label);
            // And the label maps back to the same hour, as the readers place it.
            let series = HourlySeries::new(start, 2);
            let date = Date::parse(&label[..10]).unwrap();
            let hour: u32 = label[11..13].parse().unwrap();
            assert_eq!(series.index_of_label(date, hour), Some(i));
        }
    }

    #[test]
    fn the_generator_is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        for _ in 0..1000 {
            let x = a.int(3, 7);
            assert_eq!(x, b.int(3, 7));
            assert!((3..=7).contains(&x));
            let u = a.unit();
            assert_eq!(u, b.unit());
            assert!((0.0..1.0).contains(&u));
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
