//! `lantian target …`: targets per year, unit and indicator (list, set with history,
//! monthly breakdowns) and every unit's progress; thin over `lantian_app::targets`.

use crate::context::{AsArgs, StoreArgs, print};
use anyhow::{Result, bail};
use lantian_app::targets::{self, SetTarget};
use lantian_core::Month;
use lantian_core::rules::RuleChoice;
use lantian_core::targets::{Indicator, Method};
use lantian_store::View;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: Cmd,
}

#[derive(Debug, clap::Args)]
struct Common {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    who: AsArgs,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The current targets of a year (default: this year, Beijing time).
    List {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        year: Option<i32>,
    },
    /// Set a target (the bureau): a new version; earlier ones stay in the history.
    ///
    /// Example: lantian target set --year 2025 --unit 130181 --indicator pm25 --value 33 --note 省定
    Set {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        year: i32,
        /// The county's id (the city) or a town, township or zone id.
        #[arg(long)]
        unit: String,
        /// pm25, good_day_ratio, heavy_days, heavy_day_ratio, composite_index, provincial:CODE.
        #[arg(long)]
        indicator: Indicator,
        /// The value (µg/m³, %, days); omit for a 省定目标 whose number is still to come.
        #[arg(long)]
        value: Option<f64>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Every version of a year's targets, oldest first.
    History {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        indicator: Option<Indicator>,
    },
    /// Without --method: the year's monthly breakdowns; with it, set one (the bureau):
    /// even, seasonal (from the unit's last three years) or typed (--values, 12 numbers).
    Breakdown {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        indicator: Option<Indicator>,
        #[arg(long, value_parser = parse_method)]
        method: Option<Method>,
        /// January to December, comma-separated (typed).
        #[arg(long, value_delimiter = ',')]
        values: Vec<f64>,
        #[arg(long, default_value = "auto")]
        rules: RuleChoice,
        #[arg(long, default_value = "audited", value_parser = parse_view)]
        view: View,
    },
    /// Every unit's progress on its targets for a month and the year to its end (or to
    /// today): one line per unit and indicator.
    ///
    /// Example: lantian target progress --month 2026-11 --rules 2012 --json
    Progress {
        #[command(flatten)]
        c: Common,
        #[arg(long, value_name = "YYYY-MM")]
        month: Month,
        /// auto (the rules of the data's date), 2012 or 2026: a year across 2026-03-01 can be
        /// assessed under either.
        #[arg(long, default_value = "auto")]
        rules: RuleChoice,
        #[arg(long, default_value = "audited", value_parser = parse_view)]
        view: View,
    },
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::parse(s)
}

fn parse_view(s: &str) -> Result<View, String> {
    match s {
        "raw" => Ok(View::Raw),
        "audited" => Ok(View::Audited),
        o => Err(format!("view {o:?}: expected raw or audited")),
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        Cmd::List { c, year } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let year = year.unwrap_or_else(|| app.clock.today().year());
            let rows = targets::list(&app, &caller, year)?;
            print(c.json, &rows, |t| {
                format!(
                    "{} {} {} {} {} ({}) {}",
                    t.year,
                    t.name_zh,
                    t.indicator_zh,
                    t.value
                        .map_or_else(|| "待录入 / to be entered".to_owned(), |v| v.to_string()),
                    t.unit_of_value,
                    t.source,
                    t.note
                )
            })?;
        }
        Cmd::Set {
            c,
            year,
            unit,
            indicator,
            value,
            note,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let r = targets::set(
                &app,
                &caller,
                &SetTarget {
                    year,
                    unit,
                    indicator,
                    value,
                    note,
                },
            )?;
            print(c.json, &[r], |r| {
                format!(
                    "{} {} {} = {} (version {})",
                    r.year,
                    r.unit_id,
                    r.indicator,
                    num(r.value),
                    r.id
                )
            })?;
        }
        Cmd::History {
            c,
            year,
            unit,
            indicator,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let rows = targets::history(&app, &caller, year, unit.as_deref(), indicator.as_ref())?;
            print(c.json, &rows, |r| {
                format!(
                    "{} {} {} {} {} {} {} 北京时间 {}",
                    r.year,
                    r.unit_id,
                    r.indicator,
                    num(r.value),
                    r.source.as_str(),
                    r.actor,
                    lantian_core::cst::format_unix_ms(r.at_ms),
                    r.note
                )
            })?;
        }
        Cmd::Breakdown {
            c,
            year,
            unit,
            indicator,
            method,
            values,
            rules,
            view,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let rows = match method {
                Some(m) => {
                    let (Some(unit), Some(ind)) = (unit, indicator) else {
                        bail!("setting a breakdown needs --unit and --indicator");
                    };
                    vec![targets::breakdown(
                        &app, &caller, year, &unit, &ind, m, &values, rules, view,
                    )?]
                }
                None => targets::breakdowns(&app, &caller, year)?
                    .into_iter()
                    .filter(|b| unit.as_ref().is_none_or(|u| *u == b.unit))
                    .filter(|b| indicator.as_ref().is_none_or(|i| *i == b.indicator))
                    .collect(),
            };
            print(c.json, &rows, |b| {
                format!(
                    "{} {} {} {}: {} (year {:.2})",
                    b.year,
                    b.unit,
                    b.indicator,
                    b.method.as_str(),
                    b.months
                        .iter()
                        .map(|v| format!("{v:.2}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    b.annual
                )
            })?;
        }
        Cmd::Progress {
            c,
            month,
            rules,
            view,
        } => {
            let app = c.store.app()?;
            let caller = c.who.caller(&app)?;
            let rows = targets::progress(&app, &caller, month.year(), month.month(), rules, view)?;
            print(c.json, &rows, |p| {
                format!(
                    "{} {} {}: month {} / {} ytd {} / {} still {} year-end {} ({} days to {} 北京时间; {})",
                    p.name_zh,
                    p.indicator,
                    p.unit_of_value,
                    num(p.actual_month),
                    num(p.target_month),
                    num(p.actual_ytd),
                    num(p.target_ytd),
                    num(p.still_allowed),
                    num(p.projection_year_end),
                    p.valid_days_ytd,
                    p.through,
                    p.rule_set.unwrap_or("no data")
                )
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
