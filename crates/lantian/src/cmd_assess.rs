//! `lantian assess`: a calendar year of a city's assessment stations, per HJ 663, as JSON.

use crate::input::{self, Progress};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use lantian_core::Date;
use lantian_core::allowance::{TargetReading, still_allowed};
use lantian_core::aqi::ConcentrationRounding;
use lantian_core::assess::{AssessOptions, Assessment, CompositeWeights, assess};
use lantian_core::city::{CityDailyMethod, CityO3Method, city_daily_by};
use lantian_core::date::days_in_year;
use lantian_core::pollutant::Pollutant;
use lantian_core::rules::RuleChoice;
use lantian_core::series::HourlySeries;
use lantian_formats::{Diagnostics, long, prsa};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input format: `prsa` = UCI Beijing files (one per station; CO in µg/m³), `long` =
    /// CSV `station,time,pollutant,value[,flag]` (see docs/formats.md).
    #[arg(long, value_enum)]
    format: Format,
    /// The calendar year to assess.
    #[arg(long)]
    year: i32,
    /// Leave a station out of the city statistics (e.g. a background site); repeatable.
    #[arg(long, value_name = "STATION")]
    exclude: Vec<String>,
    /// Rule set: by the date of the data (auto), or the 2012-era / 2026 rules throughout.
    #[arg(long, default_value = "auto")]
    rules: RuleChoice,
    /// Composite index weights: equal (default); weighted = PM2.5×3, NO2×2, O3×2 (unverified
    /// HJ 663-2026 reading); weighted-normalised = the same divided by the weight sum.
    #[arg(long, value_enum, default_value = "equal")]
    weights: Weights,
    /// How the city's O3 daily values are formed.
    #[arg(long, value_enum, default_value = "city-mean-hourly")]
    city_o3: CityO3,
    /// How the city's daily SO2, NO2, PM10, PM2.5 and CO are formed: mean of the station daily
    /// means (default), or the daily mean of the city-mean hourly series.
    #[arg(long, value_enum, default_value = "mean-of-station-days")]
    city_daily: CityDaily,
    /// Rounding of each city day's concentrations before its daily AQI (the day counts):
    /// `edition` = the rule edition's default, GB/T 8170 half-even to integers (CO to 1
    /// decimal), which reproduces Beijing's published counts (docs/findings.md F6);
    /// `as-received` = unrounded (the earlier 2012-era default); `gb-t8170`; `half-up`.
    #[arg(long, value_enum, default_value = "edition")]
    daily_rounding: DailyRounding,
    /// A file of dates (YYYY-MM-DD, one per line) affected by sand/dust or exceptional
    /// events, deducted from PM statistics and the composite index.
    #[arg(long, value_name = "FILE")]
    exceptional_days: Option<PathBuf>,
    /// Annual PM2.5 target (µg/m³): adds what mean the rest of the year may still have.
    #[arg(long, value_name = "UG_M3")]
    target_pm25: Option<f64>,
    /// Files, or directories whose .csv files are read.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Prsa,
    Long,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Weights {
    Equal,
    Weighted,
    WeightedNormalised,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CityO3 {
    CityMeanHourly,
    MeanOfStations,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CityDaily {
    MeanOfStationDays,
    CityHourlyDay,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DailyRounding {
    Edition,
    AsReceived,
    #[value(name = "gb-t8170")]
    GbT8170,
    HalfUp,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let start = Date::new(args.year, 1, 1).context("--year is out of range")?;
    let files = input::expand(&args.paths, |n| {
        n.ends_with(".csv") || n.ends_with(".csv.gz")
    })?;
    let mut diag = Diagnostics::default();
    let mut stations: BTreeMap<String, HourlySeries> = BTreeMap::new();
    let mut progress = Progress::new(files.len() as u64, "reading");
    for path in &files {
        let name = input::display_name(path);
        let reader = input::open(path)?;
        let read = match args.format {
            Format::Prsa => read_prsa(reader, &name, args.year, &mut diag, &mut stations),
            Format::Long => read_long(reader, &name, start, &mut diag, &mut stations),
        };
        if let Err(e) = read {
            eprintln!("lantian: {e}; file skipped");
            diag.skip(&name, 1, None, "unreadable file");
        }
        progress.inc(1);
    }
    progress.finish();

    let known: BTreeSet<String> = stations.keys().cloned().collect();
    for ex in &args.exclude {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(ex)) {
            bail!(
                "--exclude {ex}: no such station in the input (stations: {})",
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let used: Vec<(String, HourlySeries)> = stations
        .into_iter()
        .filter(|(name, _)| !args.exclude.iter().any(|e| e.eq_ignore_ascii_case(name)))
        .filter(|(_, s)| s.count_values() > 0)
        .collect();
    if used.is_empty() {
        bail!(
            "no valid hourly values for {} in {} file(s) ({} rows or cells skipped)",
            args.year,
            files.len(),
            diag.skipped
        );
    }
    let input_values: usize = used.iter().map(|(_, s)| s.count_values()).sum();
    let names: Vec<String> = used.iter().map(|(n, _)| n.clone()).collect();
    let series: Vec<HourlySeries> = used.into_iter().map(|(_, s)| s).collect();
    let o3 = match args.city_o3 {
        CityO3::CityMeanHourly => CityO3Method::CityMeanHourly,
        CityO3::MeanOfStations => CityO3Method::MeanOfStations,
    };
    let city_method = match args.city_daily {
        CityDaily::MeanOfStationDays => CityDailyMethod::MeanOfStationDays,
        CityDaily::CityHourlyDay => CityDailyMethod::CityHourlyDay,
    };
    let daily_rounding = match args.daily_rounding {
        DailyRounding::Edition => None,
        DailyRounding::AsReceived => Some(ConcentrationRounding::AsReceived),
        DailyRounding::GbT8170 => Some(ConcentrationRounding::GbT8170),
        DailyRounding::HalfUp => Some(ConcentrationRounding::HalfUp),
    };
    let mut days = city_daily_by(&series, city_method, o3)?;
    if let Some(path) = &args.exceptional_days {
        let flagged = read_dates(path)?;
        for d in &mut days {
            d.exceptional = flagged.contains(&d.date);
        }
    }
    let opts = AssessOptions {
        rules: args.rules,
        composite: match args.weights {
            Weights::Equal => CompositeWeights::Equal,
            Weights::Weighted => CompositeWeights::Weighted {
                divide_by_weight_sum: false,
            },
            Weights::WeightedNormalised => CompositeWeights::Weighted {
                divide_by_weight_sum: true,
            },
        },
        deduct_exceptional: true,
        daily_rounding,
    };
    let a = assess(&days, &opts).context("no days to assess")?;
    let mut report = report_json(&a, &names, &args.exclude, input_values, &diag);
    report["daily_method"] = json!({
        "city_daily": city_method.as_str(),
        "city_o3": o3.as_str(),
        "daily_rounding": a.daily_rounding.as_str(),
        "daily_rounding_from": if daily_rounding.is_some() { "--daily-rounding" } else { "edition default" },
    });
    if let Some(target) = args.target_pm25 {
        let last_with_data = days
            .iter()
            .rposition(|d| !d.values[Pollutant::Pm25.index()].is_nan())
            .unwrap_or(0);
        let remaining = days_in_year(args.year) - 1 - last_with_data as u32;
        let s = a.stats(Pollutant::Pm25);
        let n_so_far = s.n_valid_days - s.n_deducted_days;
        let mean = s.mean.unwrap_or(f64::NAN);
        report["target_pm25"] = json!({
            "target": target,
            "days_with_data": n_so_far,
            "mean_so_far": r3(mean),
            "days_remaining": remaining,
            "exact": still_allowed(target, mean, n_so_far, remaining, TargetReading::Exact),
            "reported": still_allowed(target, mean, n_so_far, remaining, TargetReading::Reported),
        });
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

fn read_prsa(
    reader: impl Read,
    name: &str,
    year: i32,
    diag: &mut Diagnostics,
    stations: &mut BTreeMap<String, HourlySeries>,
) -> Result<(), lantian_formats::FormatError> {
    let file = prsa::read(reader, name, Some(year), diag)?;
    if let Some(s) = file.year_series(year) {
        stations.insert(file.station, s);
    }
    Ok(())
}

fn read_long(
    reader: impl Read,
    name: &str,
    start: Date,
    diag: &mut Diagnostics,
    stations: &mut BTreeMap<String, HourlySeries>,
) -> Result<(), lantian_formats::FormatError> {
    let n_days = days_in_year(start.year()) as usize;
    for r in long::read(reader, name, diag)? {
        let s = stations
            .entry(r.station)
            .or_insert_with(|| HourlySeries::new(start, n_days));
        let (date, slot) = lantian_core::cst::slot_of(r.start);
        s.set(date, slot, r.pollutant, r.value);
    }
    Ok(())
}

fn read_dates(path: &PathBuf) -> Result<BTreeSet<Date>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let d = Date::parse(t).with_context(|| {
            format!(
                "{}:{}: not a date (YYYY-MM-DD): {t:?}",
                path.display(),
                i + 1
            )
        })?;
        out.insert(d);
    }
    Ok(out)
}

/// Rounds to 3 decimals for display (unrounded statistics without float noise).
fn r3(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1000.0).round() / 1000.0)
    } else {
        Value::Null
    }
}

fn opt3(x: Option<f64>) -> Value {
    x.map_or(Value::Null, r3)
}

fn report_json(
    a: &Assessment,
    stations: &[String],
    excluded: &[String],
    input_values: usize,
    diag: &Diagnostics,
) -> Value {
    let stat = |p: Pollutant| {
        let s = a.stats(p);
        let pct_key = match p {
            Pollutant::O3 => "mda8_p90".to_owned(),
            _ => format!("p{}", s.percentile_rank as u32),
        };
        let mean_key = if p == Pollutant::O3 {
            "mda8_mean"
        } else {
            "annual_mean"
        };
        let mut o = json!({
            mean_key: opt3(s.mean),
            format!("{mean_key}_reported"): s.mean_reported,
            pct_key.clone(): opt3(s.percentile),
            format!("{pct_key}_reported"): s.percentile_reported,
            "valid_days": s.n_valid_days,
            "deducted_days": s.n_deducted_days,
            "compliant": s.compliant,
        });
        if let Some(v) = &s.year_validity {
            o["year_valid"] = json!(v.valid);
            o["short_months"] = json!(v.short_months);
        }
        o
    };
    let by_pollutant = |counts: &[u32; 6]| -> Value {
        Pollutant::ALL
            .iter()
            .filter(|p| counts[p.index()] > 0)
            .map(|p| (p.name().to_owned(), json!(counts[p.index()])))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let levels = ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"];
    let composite = a.composite.as_ref();
    json!({
        "rule_set": a.rule_set.id(),
        "rule_editions": a.rule_set,
        "period": { "first_day": a.first_day, "last_day": a.last_day },
        "stations": stations,
        "excluded_stations": excluded,
        "calendar_days": a.calendar_days,
        "valid_days": a.valid_days,
        "good_days": a.good_days,
        "heavy_or_worse_days": a.heavy_or_worse_days,
        "good_day_ratio": opt3(a.good_day_ratio),
        "heavy_or_worse_ratio": opt3(a.heavy_or_worse_ratio),
        "level_days": levels.iter().zip(a.level_days).map(|(l, n)| (l.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "primary_pollutant_days": by_pollutant(&a.primary_pollutant_days),
        "exceptional_days": a.exceptional_days,
        "so2": stat(Pollutant::So2),
        "no2": stat(Pollutant::No2),
        "pm10": stat(Pollutant::Pm10),
        "co": stat(Pollutant::Co),
        "o3": stat(Pollutant::O3),
        "pm25": stat(Pollutant::Pm25),
        "composite_index": composite.map(|c| c.reported),
        "composite_index_unrounded": composite.map(|c| r3(c.value)),
        "composite_weights": composite.map(|c| c.weights),
        "composite_main_pollutants": composite.map(|c| c.main),
        "composite_index_without_deduction": opt3(a.composite_without_deduction),
        "compliant": a.compliant,
        "input_values": input_values,
        "skipped_rows": diag.skipped,
        "skipped_reasons": diag.by_reason,
        "skipped_examples": diag.examples.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}
