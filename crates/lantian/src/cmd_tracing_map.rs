//! `lantian tracing interpolate | loo | transport`: interpolated surfaces over a station
//! network hour by hour (IDW, ordinary kriging with a variogram fitted per hour), their
//! leave-one-out errors, and the transport-against-local estimate; thin over
//! `lantian_core::tracing::{interpolate, transport}`. docs/tracing.md "Interpolation" and
//! "Transport and local".

use crate::cmd_tracing::{Format, NetworkStation, network, num, parse_pollutant};
use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use lantian_core::Date;
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use lantian_core::tracing::Hour;
use lantian_core::tracing::interpolate::{
    self as ip, GridSpec, KrigingOptions, Method, ModelKind, Projection,
};
use lantian_core::tracing::transport::{self as tr, TransportOptions};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The network-map subcommands, flattened into `lantian tracing`.
#[derive(Debug, Subcommand)]
pub(crate) enum MapSub {
    /// Interpolated surfaces over the network, one per hour (IDW or ordinary kriging with
    /// the variogram fitted per hour): one JSON line per hour with the grid and its method.
    ///
    /// Example: lantian tracing interpolate --format prsa --stations beijing.csv --pollutant PM2.5 --from 2015-01-01 --to 2015-01-31 --method kriging --cells 40 --json ../shared/data/beijing-prsa
    Interpolate(InterpolateArgs),
    /// Leave-one-out cross-validation of IDW and kriging over the network: MAE, RMSE, bias
    /// and n per method and per station.
    ///
    /// Example: lantian tracing loo --format prsa --stations beijing.csv --pollutant PM2.5 --from 2015-01-01 --to 2015-01-31 --json ../shared/data/beijing-prsa
    Loo(LooArgs),
    /// Inflow at the upwind (border) stations against the local increment at a receptor or
    /// over the network, per hour and as shares of the period (an estimate).
    ///
    /// Example: lantian tracing transport --format prsa --stations beijing.csv --pollutant PM2.5 --from 2015-01-01 --to 2015-01-31 --receptor Dongsi --json ../shared/data/beijing-prsa
    Transport(TransportArgs),
}

pub(crate) fn run(sub: MapSub) -> Result<ExitCode> {
    match sub {
        MapSub::Interpolate(a) => run_interpolate(a),
        MapSub::Loo(a) => run_loo(a),
        MapSub::Transport(a) => run_transport(a),
    }
}

/// The input of every network method: the files, the positions, the pollutant, the period.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct NetworkPeriod {
    /// Input format.
    #[arg(long, value_enum)]
    format: Format,
    /// A stations CSV `id,name,lat,lon` (header first): every station of the files needs a
    /// row (matched by id or name, any case).
    #[arg(long, value_name = "FILE")]
    stations: PathBuf,
    /// The pollutant (PM2.5, PM10, SO2, NO2, CO, O3 or an HJ 212 code).
    #[arg(long, value_parser = parse_pollutant)]
    pollutant: Pollutant,
    /// The first day (YYYY-MM-DD, 北京时间), with --to; or give --year.
    #[arg(long, value_name = "DATE", requires = "to", conflicts_with = "year")]
    from: Option<Date>,
    /// The last day, inclusive (YYYY-MM-DD, 北京时间).
    #[arg(long, value_name = "DATE", requires = "from")]
    to: Option<Date>,
    /// A whole calendar year instead of --from/--to.
    #[arg(long)]
    year: Option<i32>,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// A directory of the files; defaults to $LANTIAN_PRSA_DIR.
    #[arg(env = "LANTIAN_PRSA_DIR", value_name = "PATH")]
    path: PathBuf,
}

/// The network over the period: station names, positions (lat, lon) and the hours, aligned
/// (`rows[h][s]`: station `s` at hour `h`).
struct Loaded {
    names: Vec<String>,
    latlon: Vec<(f64, f64)>,
    rows: Vec<Vec<Hour>>,
}

impl Loaded {
    fn values(&self) -> Vec<Vec<f64>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(|h| h.conc).collect())
            .collect()
    }

    fn sites_km(&self, proj: &Projection) -> Vec<(f64, f64)> {
        self.latlon
            .iter()
            .map(|&(la, lo)| proj.km(la, lo))
            .collect()
    }
}

impl NetworkPeriod {
    fn days(&self) -> Result<(Date, Date)> {
        let (from, to) = match (self.from, self.to, self.year) {
            (Some(f), Some(t), None) => (f, t),
            (None, None, Some(y)) => match (Date::new(y, 1, 1), Date::new(y, 12, 31)) {
                (Some(f), Some(t)) => (f, t),
                _ => bail!("--year {y}: out of range"),
            },
            _ => bail!("give the period as --from DATE --to DATE, or as --year YEAR"),
        };
        if to < from {
            bail!("--from {from} --to {to}: the last day is before the first");
        }
        Ok((from, to))
    }

    fn load(&self) -> Result<Loaded> {
        let Format::Prsa = self.format;
        let (from, to) = self.days()?;
        let (start, end) = (cst::day_start(from), cst::day_start(to.add_days(1)));
        let mut stations: Vec<NetworkStation> = Vec::new();
        for year in from.year()..=to.year() {
            let part = network(&self.path, Some(&self.stations), self.pollutant, year)?;
            if stations.is_empty() {
                stations = part;
                continue;
            }
            for (s, p) in stations.iter_mut().zip(part) {
                if s.name != p.name {
                    bail!(
                        "{}: the stations of {year} ({}) differ from the year before ({})",
                        self.path.display(),
                        p.name,
                        s.name
                    );
                }
                s.hours.extend(p.hours);
            }
        }
        if stations.len() < ip::PREDICT_STATIONS_MIN + 1 {
            bail!(
                "{}: {} stations; a network map needs at least {}",
                self.path.display(),
                stations.len(),
                ip::PREDICT_STATIONS_MIN + 1
            );
        }
        let mut latlon = Vec::with_capacity(stations.len());
        for s in &stations {
            let Some(ll) = s.lat_lon else {
                bail!(
                    "{}: no position for station {}",
                    self.stations.display(),
                    s.name
                );
            };
            latlon.push(ll);
        }
        let n_hours = stations[0].hours.len();
        let mut rows = Vec::new();
        for h in 0..n_hours {
            let ts = stations[0].hours[h].ts;
            if (start..end).contains(&ts) {
                rows.push(stations.iter().map(|s| s.hours[h]).collect());
            }
        }
        Ok(Loaded {
            names: stations.into_iter().map(|s| s.name).collect(),
            latlon,
            rows,
        })
    }
}

/// The interpolation methods of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    Idw,
    Kriging,
}

/// The variogram models of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModelArg {
    Exponential,
    Spherical,
}

/// Options shared by the interpolation commands.
#[derive(Clone, Debug, clap::Args)]
struct MethodOptions {
    /// The power p of inverse distance weighting (weights 1/d^p).
    #[arg(long, default_value_t = ip::IDW_POWER_DEFAULT)]
    power: f64,
    /// The variogram model of kriging.
    #[arg(long, value_enum, default_value_t = ModelArg::Exponential)]
    model: ModelArg,
    /// Lag classes of the empirical variogram (equal numbers of pairs).
    #[arg(long, default_value_t = ip::LAG_BINS_DEFAULT)]
    lag_bins: usize,
    /// Hours either side pooled when an hour's variogram fit fails.
    #[arg(long, value_name = "HOURS", default_value_t = ip::POOL_WINDOW_HOURS_DEFAULT)]
    pool_window: usize,
}

impl MethodOptions {
    fn method(&self, m: MethodArg) -> Result<Method> {
        if !(self.power.is_finite() && self.power > 0.0) {
            bail!(
                "--power {}: the IDW power must be a positive number",
                self.power
            );
        }
        if self.lag_bins < 3 {
            bail!(
                "--lag-bins {}: a variogram fit needs at least 3 lag classes",
                self.lag_bins
            );
        }
        Ok(match m {
            MethodArg::Idw => Method::Idw { power: self.power },
            MethodArg::Kriging => Method::Kriging(KrigingOptions {
                kind: match self.model {
                    ModelArg::Exponential => ModelKind::Exponential,
                    ModelArg::Spherical => ModelKind::Spherical,
                },
                lag_bins: self.lag_bins,
                pool_window_hours: self.pool_window,
            }),
        })
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct InterpolateArgs {
    #[command(flatten)]
    input: NetworkPeriod,
    /// The interpolation method.
    #[arg(long, value_enum, default_value_t = MethodArg::Kriging)]
    method: MethodArg,
    #[command(flatten)]
    options: MethodOptions,
    /// Cells per side of the grid over the stations' bounding box.
    #[arg(long, value_name = "N", default_value_t = 40)]
    cells: usize,
    /// Margin added to each side of the stations' bounding box (a fraction of its extent).
    #[arg(long, default_value_t = 0.1)]
    margin: f64,
}

/// Grid values to 0.01 (µg/m³; CO mg/m³): finer than any monitor, and a month of 40 × 40
/// grids stays a few megabytes.
fn round2(v: f64) -> serde_json::Value {
    num((v * 100.0).round() / 100.0)
}

fn run_interpolate(a: InterpolateArgs) -> Result<ExitCode> {
    if !(2..=500).contains(&a.cells) {
        bail!(
            "--cells {}: the grid needs 2 to 500 cells per side",
            a.cells
        );
    }
    if !(a.margin.is_finite() && (0.0..=2.0).contains(&a.margin)) {
        bail!(
            "--margin {}: a fraction of the extent from 0 to 2",
            a.margin
        );
    }
    let method = a.options.method(a.method)?;
    let net = a.input.load()?;
    let proj = Projection::centred_on(&net.latlon);
    let sites = net.sites_km(&proj);
    let spec = GridSpec::around(&net.latlon, a.margin, a.cells);
    let targets: Vec<(f64, f64)> = spec
        .centres()
        .iter()
        .map(|&(la, lo)| proj.km(la, lo))
        .collect();
    let values = net.values();
    let mut out = std::io::stdout().lock();
    if a.input.json {
        let stations: Vec<_> = net
            .names
            .iter()
            .zip(&net.latlon)
            .map(|(n, ll)| json!({"station": n, "lat": ll.0, "lon": ll.1}))
            .collect();
        writeln!(
            out,
            "{}",
            json!({
                "kind": "network",
                "method": method.name(),
                "method_text": method.text(),
                "pollutant": a.input.pollutant.name(),
                "projection": proj,
                "grid": spec,
                "rows": "row 0 is the northernmost, column 0 the westernmost; values at cell centres, rounded to 0.01",
                "time": "北京时间, the hour's start",
                "stations": stations,
            })
        )?;
    } else {
        writeln!(out, "{}", method.text())?;
        writeln!(
            out,
            "{:<17} {:>3} {:>8} {:>8} {:>8}  variogram",
            "hour 北京时间", "n", "min", "mean", "max"
        )?;
    }
    for (h, row) in net.rows.iter().enumerate() {
        let ts = row[0].ts;
        let s = ip::surface(&sites, &values, h, &method, &targets);
        if a.input.json {
            let observed: Vec<_> = values[h].iter().map(|&v| num(v)).collect();
            let wind: Vec<_> = row
                .iter()
                .map(|x| json!({"ws_m_s": num(x.ws_m_s), "wd_deg": num(x.wd_deg)}))
                .collect();
            writeln!(
                out,
                "{}",
                json!({
                    "kind": "hour",
                    "start": cst::format_minute(ts),
                    "ts": ts,
                    "n_stations": s.n_stations,
                    "observed": observed,
                    "wind": wind,
                    "values": s.values.iter().map(|&v| round2(v)).collect::<Vec<_>>(),
                    "variance": s.variance.as_ref().map(|v| v.iter().map(|&x| round2(x)).collect::<Vec<_>>()),
                    "variogram": s.variogram,
                })
            )?;
        } else {
            let fin: Vec<f64> = s.values.iter().copied().filter(|v| v.is_finite()).collect();
            let (mn, mx) = fin
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let mean = fin.iter().sum::<f64>() / fin.len().max(1) as f64;
            let vg = s.variogram.as_ref().map_or(String::from("-"), |f| {
                format!(
                    "{:?} nugget {:.1} sill {:.1} range {:.1} km",
                    f.source,
                    f.model.nugget,
                    f.model.sill(),
                    f.model.range_km
                )
            });
            if fin.is_empty() {
                writeln!(
                    out,
                    "{:<17} {:>3} (fewer than {} stations)",
                    cst::format_minute(ts),
                    s.n_stations,
                    ip::PREDICT_STATIONS_MIN
                )?;
            } else {
                writeln!(
                    out,
                    "{:<17} {:>3} {mn:>8.1} {mean:>8.1} {mx:>8.1}  {vg}",
                    cst::format_minute(ts),
                    s.n_stations
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Which methods `loo` cross-validates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LooMethod {
    Idw,
    Kriging,
    Both,
}

#[derive(Debug, clap::Args)]
pub(crate) struct LooArgs {
    #[command(flatten)]
    input: NetworkPeriod,
    /// The methods to cross-validate.
    #[arg(long, value_enum, default_value_t = LooMethod::Both)]
    method: LooMethod,
    #[command(flatten)]
    options: MethodOptions,
    /// Also print every held-out prediction (JSON: kind "held_out").
    #[arg(long)]
    held_out: bool,
}

fn errors_json(e: &ip::Errors) -> serde_json::Value {
    json!({"n": e.n, "mae": num(e.mae), "rmse": num(e.rmse), "bias": num(e.bias)})
}

fn run_loo(a: LooArgs) -> Result<ExitCode> {
    let methods = match a.method {
        LooMethod::Idw => vec![MethodArg::Idw],
        LooMethod::Kriging => vec![MethodArg::Kriging],
        LooMethod::Both => vec![MethodArg::Idw, MethodArg::Kriging],
    };
    let methods = methods
        .into_iter()
        .map(|m| a.options.method(m))
        .collect::<Result<Vec<_>>>()?;
    let net = a.input.load()?;
    let proj = Projection::centred_on(&net.latlon);
    let sites = net.sites_km(&proj);
    let values = net.values();
    let mut out = std::io::stdout().lock();
    for method in &methods {
        let l = ip::loo(&sites, &values, method);
        if a.input.json {
            let mut line = errors_json(&l.overall);
            line["kind"] = json!("method");
            line["method"] = json!(l.method);
            line["method_text"] = json!(l.method_text);
            line["hours"] = json!(net.rows.len());
            line["fits_hour"] = json!(l.fits_hour);
            line["fits_pooled"] = json!(l.fits_pooled);
            line["fits_default"] = json!(l.fits_default);
            line["fits_range_at_bound"] = json!(l.fits_range_at_bound);
            writeln!(out, "{line}")?;
            for (name, e) in net.names.iter().zip(&l.per_station) {
                let mut line = errors_json(e);
                line["kind"] = json!("station");
                line["method"] = json!(l.method);
                line["station"] = json!(name);
                writeln!(out, "{line}")?;
            }
            if a.held_out {
                for r in &l.held_out {
                    writeln!(
                        out,
                        "{}",
                        json!({
                            "kind": "held_out",
                            "method": l.method,
                            "start": cst::format_minute(net.rows[r.hour][0].ts),
                            "station": net.names[r.station],
                            "observed": num(r.observed),
                            "predicted": num(r.predicted),
                            "variance": num(r.variance),
                            "sill": num(r.sill),
                            "source": r.source,
                        })
                    )?;
                }
            }
        } else {
            writeln!(out, "{}", l.method_text)?;
            writeln!(
                out,
                "{:<16} {:>7} {:>9} {:>9} {:>9}",
                "station", "n", "MAE", "RMSE", "bias"
            )?;
            let row = |out: &mut std::io::StdoutLock, name: &str, e: &ip::Errors| {
                writeln!(
                    out,
                    "{name:<16} {:>7} {:>9.2} {:>9.2} {:>9.2}",
                    e.n, e.mae, e.rmse, e.bias
                )
            };
            for (name, e) in net.names.iter().zip(&l.per_station) {
                row(&mut out, name, e)?;
            }
            row(&mut out, "all 全部", &l.overall)?;
            if matches!(method, Method::Kriging(_)) {
                writeln!(
                    out,
                    "variograms: {} fitted to the hour, {} pooled, {} default; {} with the range at its upper bound",
                    l.fits_hour, l.fits_pooled, l.fits_default, l.fits_range_at_bound
                )?;
            }
            writeln!(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub(crate) struct TransportArgs {
    #[command(flatten)]
    input: NetworkPeriod,
    /// The receptor station (as named in the files); without it, the network mean.
    #[arg(long)]
    receptor: Option<String>,
    /// Half-width of the upwind cone around the direction the wind comes from, degrees.
    #[arg(long, value_name = "DEG", default_value_t = tr::UPWIND_HALF_WIDTH_DEG_DEFAULT)]
    half_width: f64,
    /// A resultant network wind below this (m/s) is calm and not counted.
    #[arg(long, value_name = "M_S", default_value_t = lantian_core::tracing::CALM_M_S_DEFAULT)]
    calm: f64,
    /// Also print every hour (JSON: kind "hour").
    #[arg(long)]
    hours: bool,
}

fn shares_json(s: &tr::Shares) -> serde_json::Value {
    json!({
        "hours": s.hours,
        "target_sum": num(s.target_sum),
        "inflow_sum": num(s.inflow_sum),
        "inflow_share": num(s.inflow_share),
        "local_share": num(s.local_share),
        "hours_negative_increment": s.hours_negative_increment,
        "mean_inflow": num(s.mean_inflow),
        "mean_increment": num(s.mean_increment),
    })
}

fn run_transport(a: TransportArgs) -> Result<ExitCode> {
    if !(a.half_width.is_finite() && a.half_width > 0.0 && a.half_width <= 180.0) {
        bail!(
            "--half-width {}: degrees above 0, at most 180",
            a.half_width
        );
    }
    if !(a.calm.is_finite() && a.calm >= 0.0) {
        bail!(
            "--calm {}: the calm threshold must be a wind speed of 0 m/s or more",
            a.calm
        );
    }
    let net = a.input.load()?;
    let receptor = match &a.receptor {
        None => None,
        Some(r) => match net.names.iter().position(|n| n.eq_ignore_ascii_case(r)) {
            Some(i) => Some(i),
            None => bail!(
                "--receptor {r}: no such station (stations: {})",
                net.names.join(", ")
            ),
        },
    };
    let opts = TransportOptions {
        receptor,
        half_width_deg: a.half_width,
        calm_m_s: a.calm,
    };
    let proj = Projection::centred_on(&net.latlon);
    let sites = net.sites_km(&proj);
    let t = tr::transport(&sites, &net.rows, &opts);
    let target = receptor.map_or("network mean 网络均值".to_string(), |i| {
        net.names[i].clone()
    });
    let mut out = std::io::stdout().lock();
    if a.input.json {
        let mut line = shares_json(&t.total);
        line["kind"] = json!("total");
        line["target"] = json!(target);
        line["method_text"] = json!(t.method_text);
        line["hours_in_period"] = json!(net.rows.len());
        line["hours_calm"] = json!(t.hours_calm);
        line["hours_no_wind"] = json!(t.hours_no_wind);
        line["hours_no_upwind"] = json!(t.hours_no_upwind);
        line["hours_no_target"] = json!(t.hours_no_target);
        line["bearings_deg"] = net
            .names
            .iter()
            .zip(&t.bearings_deg)
            .map(|(n, &b)| (n.clone(), num(b)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        writeln!(out, "{line}")?;
        for s in &t.sectors {
            let mut line = shares_json(&s.shares);
            line["kind"] = json!("sector");
            line["sector"] = json!(s.sector);
            line["from_deg"] = json!(s.from_deg);
            line["to_deg"] = json!(s.to_deg);
            writeln!(out, "{line}")?;
        }
        if a.hours {
            for h in &t.hours {
                writeln!(
                    out,
                    "{}",
                    json!({
                        "kind": "hour",
                        "start": cst::format_minute(h.ts),
                        "status": h.status,
                        "wd_deg": num(h.wd_deg),
                        "ws_m_s": num(h.ws_m_s),
                        "upwind": h.upwind.iter().map(|&i| net.names[i].as_str()).collect::<Vec<_>>(),
                        "inflow": num(h.inflow),
                        "target": num(h.target),
                        "increment": num(h.increment),
                    })
                )?;
            }
        }
    } else {
        writeln!(out, "{}", t.method_text)?;
        writeln!(out, "target 受体: {target}")?;
        writeln!(
            out,
            "hours counted {} of {} (calm {}, no wind {}, no upwind station {}, no target value {})",
            t.total.hours,
            net.rows.len(),
            t.hours_calm,
            t.hours_no_wind,
            t.hours_no_upwind,
            t.hours_no_target
        )?;
        writeln!(
            out,
            "{:<14} {:>6} {:>10} {:>10} {:>10} {:>10}",
            "wind from", "hours", "inflow", "increment", "inflow %", "local %"
        )?;
        let row = |out: &mut std::io::StdoutLock, label: &str, s: &tr::Shares| {
            writeln!(
                out,
                "{label:<14} {:>6} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
                s.hours,
                s.mean_inflow,
                s.mean_increment,
                100.0 * s.inflow_share,
                100.0 * s.local_share
            )
        };
        for s in &t.sectors {
            row(
                &mut out,
                &format!("{:.1}–{:.1}°", s.from_deg, s.to_deg),
                &s.shares,
            )?;
        }
        row(&mut out, "all 全部", &t.total)?;
        if a.hours {
            for h in &t.hours {
                let upwind: Vec<&str> = h.upwind.iter().map(|&i| net.names[i].as_str()).collect();
                writeln!(
                    out,
                    "{} {:?} wd {:.0}° ws {:.1} upwind [{}] inflow {:.1} target {:.1} increment {:.1}",
                    cst::format_minute(h.ts),
                    h.status,
                    h.wd_deg,
                    h.ws_m_s,
                    upwind.join(", "),
                    h.inflow,
                    h.target,
                    h.increment
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
