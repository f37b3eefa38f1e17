//! `lantian tracing`: source-tracing receptor methods (roses, CPF and CBPF, NWR, polar
//! annulus, time variation, and the subcommands of the polar plot and the network maps) over
//! station-years read from files, for analysts; docs/tracing.md states every method.
//!
//! Shared here: the input options of a station-year ([`StationYear`]), [`hours`] (one station's
//! hours of a year) and [`network`] (every station's hours, with positions).

use crate::input;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use lantian_core::Date;
use lantian_core::pollutant::Pollutant;
use lantian_core::tracing::{Hour, annulus, cpf, nwr, roses, timevar};
use lantian_formats::{Diagnostics, prsa};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// The hours of a station-year as read (CST hour starts, concentration, wind): one JSON
    /// line per hour.
    ///
    /// Example: lantian tracing hours --format prsa --station Dongsi --pollutant PM2.5 --year 2015 ../shared/data/beijing-prsa
    Hours(HoursArgs),
    /// The stations of a network's files with their positions and counts of hours with a
    /// value: one JSON line per station.
    ///
    /// Example: lantian tracing network --format prsa --pollutant PM2.5 --year 2015 ../shared/data/beijing-prsa
    Network(NetworkArgs),
    /// The conditional probability function by wind sector: a first line with the threshold,
    /// then one line per sector (sector, from_deg, to_deg, n, n_above, cpf).
    ///
    /// Example: lantian tracing cpf --format prsa --station Dongsi --pollutant PM2.5 --year 2015 --json ../shared/data/beijing-prsa
    Cpf(CpfArgs),
    /// The conditional bivariate probability function: sector × wind-speed bin, the share of
    /// hours with the concentration in [P_lower, P_upper).
    ///
    /// Example: lantian tracing cbpf --format prsa --station Dongsi --pollutant PM2.5 --year 2015 --lower 90 --json ../shared/data/beijing-prsa
    Cbpf(CbpfArgs),
    /// Wind, pollution and percentile roses: one line per sector with its bins.
    ///
    /// Example: lantian tracing rose --kind pollution --format prsa --station Dongsi --pollutant PM2.5 --year 2015 ../shared/data/beijing-prsa
    Rose(RoseArgs),
    /// Non-parametric wind regression (Henry et al. 2009): one line per grid point
    /// (direction × speed) with its estimate, kernel weight sum and standard error.
    ///
    /// Example: lantian tracing nwr --format prsa --station Dongsi --pollutant SO2 --year 2015 --json ../shared/data/beijing-prsa
    Nwr(NwrArgs),
    /// Polar annulus: the mean by wind sector × hour of day (北京时间), with counts.
    ///
    /// Example: lantian tracing annulus --format prsa --station Dongsi --pollutant NO2 --year 2015 ../shared/data/beijing-prsa
    Annulus(AnnulusArgs),
    /// Time variation: the mean by hour of day, weekday and month with 95 % intervals.
    ///
    /// Example: lantian tracing timevar --format prsa --station Dongsi --pollutant NO2 --year 2015 ../shared/data/beijing-prsa
    Timevar(TimevarArgs),
    #[command(flatten)]
    Map(crate::cmd_tracing_map::MapSub),
    #[command(flatten)]
    Polar(crate::cmd_tracing_polar::PolarSub),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Hours(a) => run_hours(a),
        Sub::Network(a) => run_network(a),
        Sub::Cpf(a) => run_cpf(a),
        Sub::Cbpf(a) => run_cbpf(a),
        Sub::Rose(a) => run_rose(a),
        Sub::Nwr(a) => run_nwr(a),
        Sub::Annulus(a) => run_annulus(a),
        Sub::Timevar(a) => run_timevar(a),
        Sub::Map(s) => crate::cmd_tracing_map::run(s),
        Sub::Polar(s) => crate::cmd_tracing_polar::run(s),
    }
}

/// Input file formats of station-years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// UCI Beijing Multi-Site files (`PRSA_Data_<Station>_….csv`, one per station; the hour
    /// label is the end of the hour).
    Prsa,
}

/// The input options of every method on one station-year.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct StationYear {
    /// Input format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The station, as named in the files (e.g. Dongsi; any case).
    #[arg(long)]
    pub station: String,
    /// The pollutant (PM2.5, PM10, SO2, NO2, CO, O3 or an HJ 212 code).
    #[arg(long, value_parser = parse_pollutant)]
    pub pollutant: Pollutant,
    /// The calendar year (hours starting in it, 北京时间).
    #[arg(long)]
    pub year: i32,
    /// Wind speeds below this are calm (m/s) and have no direction.
    #[arg(long, value_name = "M_S", default_value_t = lantian_core::tracing::CALM_M_S_DEFAULT)]
    pub calm: f64,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// A directory of the files (or one file); defaults to $LANTIAN_PRSA_DIR.
    #[arg(env = "LANTIAN_PRSA_DIR", value_name = "PATH")]
    pub path: PathBuf,
}

impl StationYear {
    /// The station-year's hours ([`hours`]), after checking the calm threshold.
    pub fn hours(&self) -> Result<Vec<Hour>> {
        if !(self.calm.is_finite() && self.calm >= 0.0) {
            bail!(
                "--calm {}: the calm threshold must be a wind speed of 0 m/s or more",
                self.calm
            );
        }
        match self.format {
            Format::Prsa => hours(&self.path, &self.station, self.pollutant, self.year),
        }
    }
}

pub(crate) fn parse_pollutant(text: &str) -> Result<Pollutant, String> {
    Pollutant::parse(text).ok_or_else(|| {
        format!(
            "unknown pollutant {text:?}: expected PM2.5, PM10, SO2, NO2, CO, O3 or an HJ 212 code"
        )
    })
}

/// The PRSA files under `dir` (a directory of `.csv` files, or one file) with the station
/// each holds: from the file name `PRSA_Data_<Station>_….csv`, else from its first row.
fn prsa_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let files = input::expand(&[dir.to_path_buf()], |n| {
        n.ends_with(".csv") || n.ends_with(".csv.gz")
    })?;
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let station = match name
            .strip_prefix("PRSA_Data_")
            .and_then(|r| r.split_once('_'))
        {
            Some((s, _)) => s.to_owned(),
            None => {
                let mut diag = Diagnostics::default();
                let head = prsa::read(
                    input::open(&f)?,
                    &input::display_name(&f),
                    Some(i32::MIN),
                    &mut diag,
                )
                .with_context(|| format!("{}: not a PRSA file", f.display()))?;
                head.station
            }
        };
        out.push((station, f));
    }
    Ok(out)
}

/// One station's rows whose hour starts in `year` (CST), read from its PRSA file.
pub(crate) fn station_rows(dir: &Path, station: &str, year: i32) -> Result<prsa::PrsaFile> {
    let files = prsa_files(dir)?;
    let Some((name, path)) = files.iter().find(|(s, _)| s.eq_ignore_ascii_case(station)) else {
        bail!(
            "--station {station}: no PRSA file under {} holds this station (stations: {})",
            dir.display(),
            files
                .iter()
                .map(|(s, _)| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let mut file = read_year(path, year)?;
    // A year outside the file has no rows to take the station's name from.
    file.station = name.clone();
    Ok(file)
}

fn read_year(path: &Path, year: i32) -> Result<prsa::PrsaFile> {
    let (Some(first), Some(next)) = (Date::new(year, 1, 1), Date::new(year + 1, 1, 1)) else {
        bail!("--year {year}: out of range");
    };
    let (from, to) = (
        lantian_core::cst::day_start(first),
        lantian_core::cst::day_start(next),
    );
    let mut diag = Diagnostics::default();
    let mut file = prsa::read(
        input::open(path)?,
        &input::display_name(path),
        Some(year),
        &mut diag,
    )?;
    file.rows.retain(|r| (from..to).contains(&r.start()));
    Ok(file)
}

/// One station's hours of the calendar `year`: one [`Hour`] per hour of the year in order
/// (`ts` the hour's start, CST seconds; the PRSA label is the hour's end, docs/findings.md F5),
/// NaN where the file has no value (calm-and-variable `cv` has no direction). An error names
/// the unknown station, or the year without a value of the pollutant.
pub(crate) fn hours(
    dir: &Path,
    station: &str,
    pollutant: Pollutant,
    year: i32,
) -> Result<Vec<Hour>> {
    let file = station_rows(dir, station, year)?;
    let out = calendar(&file, pollutant, year)?;
    if !out.iter().any(|h| h.conc.is_finite()) {
        bail!(
            "{} {year}: no hour of {year} has a {} value under {} (the Beijing files cover 2013-03-01 to 2017-02-28)",
            file.station,
            pollutant.name(),
            dir.display()
        );
    }
    Ok(out)
}

fn calendar(file: &prsa::PrsaFile, pollutant: Pollutant, year: i32) -> Result<Vec<Hour>> {
    let first = Date::new(year, 1, 1).with_context(|| format!("--year {year}: out of range"))?;
    let start = lantian_core::cst::day_start(first);
    let n = lantian_core::date::days_in_year(year) as usize * 24;
    let mut out: Vec<Hour> = (0..n)
        .map(|i| Hour {
            ts: start + i as i64 * 3600,
            conc: f64::NAN,
            ws_m_s: f64::NAN,
            wd_deg: f64::NAN,
        })
        .collect();
    for r in &file.rows {
        let i = (r.start() - start) / 3600;
        if let Some(h) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            h.conc = r.values[pollutant.index()].unwrap_or(f64::NAN);
            h.ws_m_s = r.met.ws_m_s.unwrap_or(f64::NAN);
            h.wd_deg = r.met.wd_deg.unwrap_or(f64::NAN);
        }
    }
    Ok(out)
}

/// One station of a network: its name (as in the files), position and hours.
#[derive(Clone, Debug)]
pub(crate) struct NetworkStation {
    pub name: String,
    /// Latitude and longitude (degrees, WGS 84 as given) from `--stations`, if given.
    pub lat_lon: Option<(f64, f64)>,
    /// The hours of the year, as [`hours`] gives them (all stations aligned: index i is the
    /// same hour everywhere).
    pub hours: Vec<Hour>,
}

/// Every station's hours of `year` under `dir` (sorted by name), with positions from a
/// stations CSV `id,name,lat,lon` (a header line; a file station matches a row's id or name,
/// any case) when given: then every station of the files must have a row.
pub(crate) fn network(
    dir: &Path,
    stations_csv: Option<&Path>,
    pollutant: Pollutant,
    year: i32,
) -> Result<Vec<NetworkStation>> {
    let positions = match stations_csv {
        Some(p) => read_positions(p)?,
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for (name, path) in prsa_files(dir)? {
        let file = read_year(&path, year)?;
        let lat_lon = match stations_csv {
            None => None,
            Some(p) => Some(
                positions
                    .iter()
                    .find(|(id, n, _)| {
                        id.eq_ignore_ascii_case(&name) || n.eq_ignore_ascii_case(&name)
                    })
                    .map(|(_, _, ll)| *ll)
                    .with_context(|| {
                        format!(
                            "{}: no row for station {name} of {}",
                            p.display(),
                            path.display()
                        )
                    })?,
            ),
        };
        out.push(NetworkStation {
            hours: calendar(&file, pollutant, year)?,
            name,
            lat_lon,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    if !out
        .iter()
        .any(|s| s.hours.iter().any(|h| h.conc.is_finite()))
    {
        bail!(
            "{year}: no station under {} has a {} value in {year}",
            dir.display(),
            pollutant.name()
        );
    }
    Ok(out)
}

/// A stations CSV row: id, name and (latitude, longitude).
type Position = (String, String, (f64, f64));

/// The rows `id,name,lat,lon` of a stations CSV (header first).
fn read_positions(path: &Path) -> Result<Vec<Position>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input::open(path)?);
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}:{line}: unreadable row", path.display()))?;
        let num = |k: usize, what: &str| -> Result<f64> {
            rec.get(k)
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .with_context(|| format!("{}:{line}: field {what}: not a number", path.display()))
        };
        let (lat, lon) = (num(2, "lat")?, num(3, "lon")?);
        if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            bail!(
                "{}:{line}: lat {lat}, lon {lon} is not a position on Earth",
                path.display()
            );
        }
        out.push((
            rec.get(0).unwrap_or_default().to_owned(),
            rec.get(1).unwrap_or_default().to_owned(),
            (lat, lon),
        ));
    }
    Ok(out)
}

/// A number for JSON: NaN and infinities become null.
pub(crate) fn num(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

#[derive(Debug, clap::Args)]
struct HoursArgs {
    #[command(flatten)]
    input: StationYear,
}

fn run_hours(a: HoursArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let mut out = std::io::stdout().lock();
    for h in &hours {
        let line = serde_json::json!({
            "start": lantian_core::cst::format_minute(h.ts),
            "ts": h.ts,
            "conc": num(h.conc),
            "ws_m_s": num(h.ws_m_s),
            "wd_deg": num(h.wd_deg),
        });
        use std::io::Write;
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
struct NetworkArgs {
    /// Input format.
    #[arg(long, value_enum)]
    format: Format,
    /// The pollutant (PM2.5, PM10, SO2, NO2, CO, O3 or an HJ 212 code).
    #[arg(long, value_parser = parse_pollutant)]
    pollutant: Pollutant,
    /// The calendar year (hours starting in it, 北京时间).
    #[arg(long)]
    year: i32,
    /// A stations CSV `id,name,lat,lon` (header first) giving the positions.
    #[arg(long, value_name = "FILE")]
    stations: Option<PathBuf>,
    /// A directory of the files; defaults to $LANTIAN_PRSA_DIR.
    #[arg(env = "LANTIAN_PRSA_DIR", value_name = "PATH")]
    path: PathBuf,
}

fn run_network(a: NetworkArgs) -> Result<ExitCode> {
    let Format::Prsa = a.format;
    let stations = network(&a.path, a.stations.as_deref(), a.pollutant, a.year)?;
    let mut out = std::io::stdout().lock();
    for s in &stations {
        let line = serde_json::json!({
            "station": s.name,
            "lat": s.lat_lon.map(|p| p.0),
            "lon": s.lat_lon.map(|p| p.1),
            "hours": s.hours.len(),
            "hours_with_value": s.hours.iter().filter(|h| h.conc.is_finite()).count(),
            "hours_complete": s.hours.iter().filter(|h| h.complete()).count(),
        });
        use std::io::Write;
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a method's result: with `json`, `head` then each row as one JSON line; else the
/// head's fields, a table of `columns` of the rows, and the method text.
fn emit(json: bool, head: &Value, rows: &[Value], columns: &[&str]) -> Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{head}")?;
        for r in rows {
            writeln!(out, "{r}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Value::Object(m) = head {
        for (k, v) in m.iter().filter(|(k, _)| k.as_str() != "method") {
            writeln!(out, "{k}: {}", cell_text(v))?;
        }
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| cell_text(&r[*c])).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}", w = *w))
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(
        out,
        "{}",
        line(columns.iter().map(|c| (*c).to_owned()).collect())
    )?;
    for r in table {
        writeln!(out, "{}", line(r))?;
    }
    if let Some(m) = head.get("method").and_then(Value::as_str) {
        writeln!(out, "method / 方法: {m}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A JSON value as a table cell: null as "—", numbers to 3 decimals at most.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => {
                let t = format!("{f:.3}");
                t.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(cell_text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// The head fields every method prints: the station-year read.
fn head_of(input: &StationYear, hours: &[Hour]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("station".into(), json!(input.station));
    m.insert("pollutant".into(), json!(input.pollutant.name()));
    m.insert(
        "unit".into(),
        json!(input.pollutant.standard_unit().symbol()),
    );
    m.insert("year".into(), json!(input.year));
    m.insert("hours".into(), json!(hours.len()));
    m
}

fn to_rows<T: serde::Serialize>(items: &[T]) -> Result<Vec<Value>> {
    items.iter().map(|x| Ok(serde_json::to_value(x)?)).collect()
}

#[derive(Debug, clap::Args)]
struct CpfArgs {
    #[command(flatten)]
    input: StationYear,
    /// The threshold's percentile (above 0 and below 100) of the counted hours.
    #[arg(long, default_value_t = cpf::PERCENTILE_DEFAULT)]
    percentile: f64,
    /// Wind sectors, centred on the compass points (sector 0 = north).
    #[arg(long, default_value_t = cpf::SECTORS_DEFAULT)]
    sectors: usize,
}

fn run_cpf(a: CpfArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let c = cpf::cpf(&hours, a.percentile, a.sectors, a.input.calm).map_err(flag_error)?;
    let mut head = serde_json::Map::new();
    head.insert("threshold".into(), json!(c.threshold));
    head.append(&mut head_of(&a.input, &hours));
    head.insert("percentile".into(), json!(c.percentile));
    head.insert("calm_m_s".into(), json!(c.calm_m_s));
    head.insert("n_counted".into(), json!(c.n_counted));
    head.insert("n_calm".into(), json!(c.n_calm));
    head.insert("method".into(), json!(c.method));
    emit(
        a.input.json,
        &Value::Object(head),
        &to_rows(&c.sectors)?,
        &[
            "sector", "from_deg", "to_deg", "n", "n_above", "cpf", "cpf_low", "cpf_high",
        ],
    )
}

/// A parameter error of the core, named as the command-line option it came from.
fn flag_error(e: cpf::ParamError) -> anyhow::Error {
    anyhow::anyhow!(
        "--{}",
        e.to_string()
            .replacen(' ', "-", usize::from(e.name.contains(' ')))
    )
}

#[derive(Debug, clap::Args)]
struct CbpfArgs {
    #[command(flatten)]
    input: StationYear,
    /// The lower percentile of the concentration range (0 to below 100).
    #[arg(long, default_value_t = 75.0)]
    lower: f64,
    /// The upper percentile (above --lower, at most 100; 100 includes the maximum).
    #[arg(long, default_value_t = 100.0)]
    upper: f64,
    /// Wind sectors, centred on the compass points.
    #[arg(long, default_value_t = cpf::SECTORS_DEFAULT)]
    sectors: usize,
    /// The width of the wind-speed bins, m/s.
    #[arg(long, value_name = "M_S", default_value_t = cpf::CBPF_WS_STEP_DEFAULT_M_S)]
    ws_step: f64,
    /// At most this many speed bins (the last one open); default: as many as the data need.
    #[arg(long)]
    ws_bins: Option<usize>,
}

fn run_cbpf(a: CbpfArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let c = cpf::cbpf(
        &hours,
        a.lower,
        a.upper,
        a.sectors,
        a.input.calm,
        a.ws_step,
        a.ws_bins,
    )
    .map_err(|e| match e.name {
        "lower percentile" => anyhow::anyhow!("--lower {}: {}", e.value, e.expected),
        "upper percentile" => anyhow::anyhow!("--upper {}: {}", e.value, e.expected),
        _ => flag_error(e),
    })?;
    let mut head = head_of(&a.input, &hours);
    head.insert("lower_percentile".into(), json!(c.lower_percentile));
    head.insert("upper_percentile".into(), json!(c.upper_percentile));
    head.insert("lower".into(), json!(c.lower));
    head.insert("upper".into(), json!(c.upper));
    head.insert("calm_m_s".into(), json!(c.calm_m_s));
    head.insert("n_counted".into(), json!(c.n_counted));
    head.insert("n_calm".into(), json!(c.n_calm));
    head.insert("method".into(), json!(c.method));
    emit(
        a.input.json,
        &Value::Object(head),
        &to_rows(&c.cells)?,
        &[
            "sector",
            "from_deg",
            "to_deg",
            "ws_from_m_s",
            "ws_to_m_s",
            "n",
            "n_in",
            "cbpf",
        ],
    )
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoseKind {
    Wind,
    Pollution,
    Percentile,
}

#[derive(Debug, clap::Args)]
struct RoseArgs {
    #[command(flatten)]
    input: StationYear,
    /// wind: frequency by sector × speed; pollution: by sector × concentration, with the
    /// sector means; percentile: percentiles per sector.
    #[arg(long, value_enum)]
    kind: RoseKind,
    /// Wind sectors, centred on the compass points.
    #[arg(long, default_value_t = cpf::SECTORS_DEFAULT)]
    sectors: usize,
    /// Bin edges, comma-separated: wind speeds above the calm threshold for --kind wind
    /// (default 2,4,6 m/s), concentrations for --kind pollution (default the HJ 633 IAQI
    /// breakpoints of the pollutant up to IAQI 400, 1-hour tables where they exist).
    #[arg(long, value_delimiter = ',')]
    breaks: Vec<f64>,
    /// The percentiles of --kind percentile, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = roses::PERCENTILES_DEFAULT)]
    percentiles: Vec<f64>,
}

/// The default concentration bins of a pollution rose: the IAQI breakpoints in force in
/// `year` (1-hour tables for SO2, NO2, CO and O3; 24-hour for the PMs), without IAQI 500.
fn iaqi_edges(p: Pollutant, year: i32) -> Vec<f64> {
    use lantian_core::aqi::breakpoints::{Table, breakpoints};
    let edition = Date::new(year, 1, 1).map_or(lantian_core::rules::AqiEdition::Hj633_2012, |d| {
        lantian_core::rules::RuleSet::for_date(d).aqi
    });
    let table = match p {
        Pollutant::So2 => Table::So2Hour,
        Pollutant::No2 => Table::No2Hour,
        Pollutant::Co => Table::CoHour,
        Pollutant::O3 => Table::O3Hour,
        Pollutant::Pm10 => Table::Pm10Day,
        Pollutant::Pm25 => Table::Pm25Day,
    };
    let bp = breakpoints(edition, table);
    bp[..bp.len().min(7)].iter().map(|&v| v as f64).collect()
}

fn run_rose(a: RoseArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let mut head = head_of(&a.input, &hours);
    let calm = a.input.calm;
    let rows: Vec<Value> = match a.kind {
        RoseKind::Wind | RoseKind::Pollution => {
            let r = match a.kind {
                RoseKind::Wind => {
                    let breaks = if a.breaks.is_empty() {
                        roses::WS_BREAKS_DEFAULT_M_S.to_vec()
                    } else {
                        a.breaks.clone()
                    };
                    roses::wind_rose(&hours, a.sectors, calm, &breaks)
                }
                _ => {
                    let edges = if a.breaks.is_empty() {
                        iaqi_edges(a.input.pollutant, a.input.year)
                    } else {
                        a.breaks.clone()
                    };
                    roses::pollution_rose(&hours, a.sectors, calm, &edges)
                }
            }
            .map_err(|e| {
                anyhow::anyhow!(
                    "--breaks {}: {} (calm threshold {calm} m/s)",
                    a.breaks
                        .iter()
                        .map(f64::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    e
                )
            })?;
            head.insert("kind".into(), json!(r.kind));
            head.insert("calm_m_s".into(), json!(r.calm_m_s));
            head.insert("edges".into(), json!(r.edges));
            head.insert("n_counted".into(), json!(r.n_counted));
            head.insert("n_calm".into(), json!(r.n_calm));
            head.insert("n_no_direction".into(), json!(r.n_no_direction));
            head.insert("n_total".into(), json!(r.n_total));
            head.insert(
                "calm_percent".into(),
                num(100.0 * r.n_calm as f64 / r.n_total as f64),
            );
            head.insert("method".into(), json!(r.method));
            let n_bins = r.edges.len();
            r.cells
                .chunks(n_bins)
                .map(|bins| {
                    let k = bins[0].sector;
                    let mut row = json!({
                        "sector": k,
                        "from_deg": bins[0].from_deg,
                        "to_deg": bins[0].to_deg,
                        "n": bins.iter().map(|b| b.n).sum::<usize>(),
                        "counts": bins.iter().map(|b| b.n).collect::<Vec<_>>(),
                        "percents": bins.iter().map(|b| num(b.percent)).collect::<Vec<_>>(),
                    });
                    if let Some(m) = r.sector_means.get(k) {
                        row["n"] = json!(m.n);
                        row["mean"] = num(m.mean);
                    }
                    row
                })
                .collect()
        }
        RoseKind::Percentile => {
            let r = roses::percentile_rose(&hours, a.sectors, calm, &a.percentiles)
                .map_err(flag_error)?;
            head.insert("kind".into(), json!("percentile"));
            head.insert("calm_m_s".into(), json!(r.calm_m_s));
            head.insert("percentiles".into(), json!(r.percentiles));
            head.insert("n_counted".into(), json!(r.n_counted));
            head.insert("method".into(), json!(r.method));
            r.sectors
                .iter()
                .map(|s| {
                    json!({
                        "sector": s.sector,
                        "from_deg": s.from_deg,
                        "to_deg": s.to_deg,
                        "n": s.n,
                        "values": s.values.iter().map(|v| num(*v)).collect::<Vec<_>>(),
                    })
                })
                .collect()
        }
    };
    let columns: &[&str] = match a.kind {
        RoseKind::Wind => &["sector", "from_deg", "to_deg", "n", "percents"],
        RoseKind::Pollution => &["sector", "from_deg", "to_deg", "n", "mean", "percents"],
        RoseKind::Percentile => &["sector", "from_deg", "to_deg", "n", "values"],
    };
    emit(a.input.json, &Value::Object(head), &rows, columns)
}

#[derive(Debug, clap::Args)]
struct NwrArgs {
    #[command(flatten)]
    input: StationYear,
    /// σ of the Gaussian direction kernel, degrees.
    #[arg(long, value_name = "DEG", default_value_t = nwr::SIGMA_DEG_DEFAULT)]
    sigma: f64,
    /// Half-width h of the Epanechnikov speed kernel, m/s.
    #[arg(long, value_name = "M_S", default_value_t = nwr::H_M_S_DEFAULT)]
    h: f64,
    /// The grid's direction step, degrees.
    #[arg(long, value_name = "DEG", default_value_t = nwr::WD_STEP_DEG_DEFAULT)]
    wd_step: f64,
    /// The grid's speed step, m/s.
    #[arg(long, value_name = "M_S", default_value_t = nwr::WS_STEP_M_S_DEFAULT)]
    ws_step: f64,
    /// The grid's top speed, m/s (default: the fastest counted hour, rounded up to a step).
    #[arg(long, value_name = "M_S")]
    ws_max: Option<f64>,
}

fn run_nwr(a: NwrArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let r = nwr::nwr(
        &hours,
        nwr::NwrParams {
            sigma_deg: a.sigma,
            h_m_s: a.h,
            wd_step_deg: a.wd_step,
            ws_step_m_s: a.ws_step,
            ws_max_m_s: a.ws_max,
            calm_m_s: a.input.calm,
        },
    )
    .map_err(flag_error)?;
    let mut head = head_of(&a.input, &hours);
    head.insert("sigma_deg".into(), json!(r.params.sigma_deg));
    head.insert("h_m_s".into(), json!(r.params.h_m_s));
    head.insert("wd_step_deg".into(), json!(r.params.wd_step_deg));
    head.insert("ws_step_m_s".into(), json!(r.params.ws_step_m_s));
    head.insert("ws_max_m_s".into(), json!(r.params.ws_max_m_s));
    head.insert("calm_m_s".into(), json!(r.params.calm_m_s));
    head.insert("n_counted".into(), json!(r.n_counted));
    head.insert("method".into(), json!(r.method));
    emit(
        a.input.json,
        &Value::Object(head),
        &to_rows(&r.cells)?,
        &["wd_deg", "ws_m_s", "nwr", "se", "weight_sum", "n"],
    )
}

#[derive(Debug, clap::Args)]
struct AnnulusArgs {
    #[command(flatten)]
    input: StationYear,
    /// Wind sectors, centred on the compass points.
    #[arg(long, default_value_t = cpf::SECTORS_DEFAULT)]
    sectors: usize,
}

fn run_annulus(a: AnnulusArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let r = annulus::annulus(&hours, a.sectors, a.input.calm).map_err(flag_error)?;
    let mut head = head_of(&a.input, &hours);
    head.insert("calm_m_s".into(), json!(r.calm_m_s));
    head.insert("n_counted".into(), json!(r.n_counted));
    head.insert(
        "time".into(),
        json!("北京时间 (UTC+8), hour = the hour's start"),
    );
    head.insert("method".into(), json!(r.method));
    emit(
        a.input.json,
        &Value::Object(head),
        &to_rows(&r.cells)?,
        &["sector", "from_deg", "to_deg", "hour", "n", "mean", "sd"],
    )
}

#[derive(Debug, clap::Args)]
struct TimevarArgs {
    #[command(flatten)]
    input: StationYear,
}

fn run_timevar(a: TimevarArgs) -> Result<ExitCode> {
    let hours = a.input.hours()?;
    let t = timevar::time_variation(&hours);
    let mut head = head_of(&a.input, &hours);
    head.insert("n_counted".into(), json!(t.n_counted));
    head.insert(
        "time".into(),
        json!("北京时间 (UTC+8), hour = the hour's start"),
    );
    head.insert("method".into(), json!(t.method));
    let mut rows = Vec::new();
    for (group, gs) in [
        ("hour", &t.hour),
        ("weekday", &t.weekday),
        ("month", &t.month),
    ] {
        for g in gs.iter() {
            let mut v = serde_json::to_value(g)?;
            v["group"] = json!(group);
            rows.push(v);
        }
    }
    emit(
        a.input.json,
        &Value::Object(head),
        &rows,
        &["group", "key", "n", "mean", "sd", "ci_low", "ci_high"],
    )
}
