//! The 散乱污 list (issue 21; docs/enforcement.md "散乱污"): entries found in a township, their
//! dynamic clearing (found → rectifying → rectified / closed / relocated → verified; a
//! verified entry found again reopens) and the monthly count per township that must return
//! to zero.
//!
//! Permissions: every government account sees the list and the count, a township only its
//! own ([`policy::Act::SeeSanluanwu`]); a township adds and acts on its own entries, the
//! bureau and administrators on every one ([`policy::Act::ReportSanluanwu`]); only the bureau
//! verifies or rejects ([`policy::Act::ManageSanluanwu`], decided by the state machine of
//! [`lantian_core::enforce::sanluanwu::transition`]).

use crate::caller::policy::{self, Act};
use crate::error::{AppError, AppResult};
use crate::{App, Caller};
use lantian_core::cst;
use lantian_core::date::{Date, Month};
use lantian_core::enforce::sanluanwu::{
    self, Action, Count, MonthCount, Standing, State, next_month,
};
use lantian_core::ledger::import::RowProblem;
use lantian_core::org::Role;
use lantian_store::sanluanwu::{Change, EntryRow, EventRow};
use serde::{Deserialize, Serialize};

/// Longest free text (names, addresses, notes), in characters.
pub const TEXT_CHARS_MAX: usize = 500;
/// The longest monthly count one request may ask for, in months.
pub const MONTHS_MAX: usize = 60;

fn bad(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

fn text_ok(what: &str, text: &str) -> Result<(), String> {
    if text.chars().count() > TEXT_CHARS_MAX {
        return Err(format!(
            "{what}不超过 {TEXT_CHARS_MAX} 字 / {what} is at most {TEXT_CHARS_MAX} characters"
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!(
            "{what}含有控制字符 / {what} contains control characters"
        ));
    }
    Ok(())
}

/// The township a township account answers for (`None` for the others).
fn own_township(caller: &Caller) -> Option<&str> {
    caller
        .account()
        .filter(|a| a.role == Role::Township)
        .and_then(|a| a.unit_id.as_deref())
}

/// Refuses a caller without `act`; for a township account, returns its township (it sees
/// and acts on nothing else).
fn may(
    app: &App,
    caller: &Caller,
    act: Act,
    name: &str,
    object: &str,
) -> AppResult<Option<String>> {
    let decision = if policy::acts(caller).contains(&act) {
        Ok(own_township(caller).map(str::to_owned))
    } else {
        Err(policy::refusal(
            caller,
            match act {
                Act::ReportSanluanwu => {
                    "只有乡镇和生态环境局可以填报散乱污 / only townships and the bureau report 散乱污 entries"
                }
                Act::ManageSanluanwu => {
                    "只有生态环境局可以验收销号 / only the bureau verifies 散乱污 entries"
                }
                _ => "散乱污清单仅供政府部门查看 / the 散乱污 list is for government accounts",
            },
        ))
    };
    app.allow(caller, name, object, decision)
}

/// The caller's standing towards an entry.
pub fn standing(caller: &Caller, entry: &EntryRow) -> Standing {
    match caller.account() {
        Some(a) if policy::MANAGE.contains(&a.role) => Standing::Bureau,
        Some(a) if a.role == Role::Township && a.unit_id.as_deref() == Some(&entry.township) => {
            Standing::Township
        }
        _ => Standing::Other,
    }
}

/// A township-level unit of the county by id or Chinese name: its id.
fn township_id(app: &App, text: &str) -> Option<String> {
    let t = text.trim();
    app.county
        .units
        .iter()
        .find(|u| u.kind.is_township_level() && (u.id == t || u.name_zh == t))
        .map(|u| u.id.clone())
}

fn township_name(app: &App, id: &str) -> String {
    app.county
        .units
        .iter()
        .find(|u| u.id == id)
        .map_or_else(|| id.to_owned(), |u| u.name_zh.clone())
}

/// An entry as shown: with names, Beijing times and what the caller may do to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: EntryRow,
    pub township_zh: String,
    pub state_zh: &'static str,
    pub updated_bj: String,
    /// The actions the caller may take now.
    pub actions: Vec<Action>,
}

fn view(app: &App, caller: &Caller, entry: EntryRow) -> EntryView {
    EntryView {
        township_zh: township_name(app, &entry.township),
        state_zh: entry.state.name_zh(),
        updated_bj: format!("{} 北京时间", cst::format_unix_ms(entry.updated_ms)),
        actions: sanluanwu::actions(entry.state, standing(caller, &entry)),
        entry,
    }
}

/// A step of an entry as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: EventRow,
    pub action_zh: String,
    pub to_zh: &'static str,
    pub at_bj: String,
}

fn event_view(e: EventRow) -> EventView {
    EventView {
        action_zh: Action::parse(&e.action).map_or_else(
            || match e.action.as_str() {
                "import" => "导入".to_owned(),
                "task" => "网格任务发现".to_owned(),
                _ => "列入清单".to_owned(),
            },
            |a| a.name_zh().to_owned(),
        ),
        to_zh: e.to_state.name_zh(),
        at_bj: format!("{} 北京时间", cst::format_unix_ms(e.at_ms)),
        event: e,
    }
}

/// One entry with its history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryDetail {
    #[serde(flatten)]
    pub entry: EntryView,
    pub events: Vec<EventView>,
}

/// An entry to add.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct NewEntry {
    /// The township's id or Chinese name (a township account may leave it empty: its own).
    #[serde(default)]
    pub township: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub problem: String,
    /// The Beijing date it was found (default: today); not after today.
    #[serde(default)]
    pub found_date: Option<Date>,
    #[serde(default)]
    pub note: String,
}

/// What adding entries did: entries new to the list, and verified ones found again
/// (reopened: the same township and name).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AddReport {
    pub added: Vec<i64>,
    pub reopened: Vec<i64>,
    /// Problems by row (1-based, counting the header), for imports; nothing is written
    /// while there is one.
    pub errors: Vec<RowProblem>,
    pub dry_run: bool,
}

/// Checks `e` for the caller (whose township, if a township account, is `own`) against the
/// list `known`: a new row, a reopening of a verified entry, or why not.
enum Plan {
    /// The row (boxed: an entry is large beside an id) and its note.
    New(Box<EntryRow>, String),
    Reopen(i64),
}

fn plan(
    app: &App,
    caller: &Caller,
    own: Option<&str>,
    e: &NewEntry,
    known: &[EntryRow],
    source: &str,
) -> Result<Plan, String> {
    let township = if e.township.trim().is_empty() {
        own.map(str::to_owned)
            .ok_or_else(|| "须填写乡镇 / the township is required".to_owned())?
    } else {
        township_id(app, &e.township).ok_or_else(|| {
            format!(
                "“{}”不是本县的乡镇 / {:?} is not a town, township or zone of this county",
                e.township, e.township
            )
        })?
    };
    if let Some(own) = own
        && own != township
    {
        return Err(format!(
            "只能填报本乡镇的条目 / a township reports only its own entries, not {township}'s"
        ));
    }
    let name = e.name.trim();
    if name.chars().count() < sanluanwu::TEXT_CHARS_MIN {
        return Err(format!(
            "名称至少 {min} 个字 / the name needs at least {min} characters",
            min = sanluanwu::TEXT_CHARS_MIN
        ));
    }
    for (what, t) in [
        ("名称 / name", &e.name),
        ("地址 / address", &e.address),
        ("行业 / industry", &e.industry),
        ("问题 / problem", &e.problem),
        ("备注 / note", &e.note),
    ] {
        text_ok(what, t)?;
    }
    let today = app.clock.today();
    let found = e.found_date.unwrap_or(today);
    if found > today {
        return Err(format!(
            "发现日期 {found} 晚于今天 / the date found {found} is after today {today} (北京时间)"
        ));
    }
    if let Some(k) = known
        .iter()
        .find(|k| k.township == township && k.name.trim() == name)
    {
        return if k.state == State::Verified {
            Ok(Plan::Reopen(k.id))
        } else {
            Err(format!(
                "{name} 已在清单上（{}，第 {} 号） / {name} is on the list already (entry {}, {})",
                k.state.name_zh(),
                k.id,
                k.id,
                k.state
            ))
        };
    }
    let now = app.clock.now_ms();
    Ok(Plan::New(
        Box::new(EntryRow {
            id: 0,
            township,
            name: name.to_owned(),
            address: e.address.trim().to_owned(),
            industry: e.industry.trim().to_owned(),
            problem: e.problem.trim().to_owned(),
            state: State::Found,
            found_date: found,
            source: source.to_owned(),
            task_id: None,
            actor: caller.name().to_owned(),
            created_ms: now,
            updated_ms: now,
        }),
        e.note.trim().to_owned(),
    ))
}

/// Adds entries (all or nothing); a verified entry of the same township and name is
/// reopened instead (死灰复燃). `rows[i]` is the 1-based row of entry `i` for errors.
fn add_all(
    app: &App,
    caller: &Caller,
    entries: &[(usize, NewEntry)],
    source: &str,
    dry_run: bool,
) -> AppResult<AddReport> {
    let own = may(
        app,
        caller,
        Act::ReportSanluanwu,
        "sanluanwu.add",
        "sanluanwu",
    )?;
    let known = app.store.sanluanwu_entries(None)?;
    let mut report = AddReport {
        dry_run,
        ..AddReport::default()
    };
    let (mut new, mut reopen) = (Vec::new(), Vec::new());
    for (row, e) in entries {
        match plan(app, caller, own.as_deref(), e, &known, source) {
            Ok(Plan::New(r, note)) => {
                if new
                    .iter()
                    .any(|(n, _): &(EntryRow, String)| n.township == r.township && n.name == r.name)
                {
                    report.errors.push(RowProblem {
                        row: *row,
                        problem: format!("{} 重复 / {} appears twice", r.name, r.name),
                    });
                } else {
                    new.push((*r, note));
                }
            }
            Ok(Plan::Reopen(id)) => reopen.push((id, e.found_date, e.note.trim().to_owned())),
            Err(problem) => report.errors.push(RowProblem { row: *row, problem }),
        }
    }
    if entries.is_empty() {
        report.errors.push(RowProblem {
            row: 0,
            problem: "没有条目 / no entries".to_owned(),
        });
    }
    if !report.errors.is_empty() || dry_run {
        return Ok(report);
    }
    let now = app.clock.now_ms();
    let today = app.clock.today();
    let actor = caller.name().to_owned();
    let changes: Vec<Change<'_>> = reopen
        .iter()
        .map(|(id, date, note)| Change {
            id: *id,
            expected: State::Verified,
            to: State::Found,
            action: Action::Reopen.as_str(),
            date: date.unwrap_or(today),
            at_ms: now,
            actor: &actor,
            note: if note.is_empty() {
                "重新发现 / found again"
            } else {
                note
            },
        })
        .collect();
    let detail = format!(
        "{} new: {}; {} reopened: {:?}",
        new.len(),
        new.iter()
            .map(|(r, _)| format!("{} {}", r.township, r.name))
            .collect::<Vec<_>>()
            .join(", "),
        changes.len(),
        changes.iter().map(|c| c.id).collect::<Vec<_>>()
    );
    let action = if source == "import" {
        "sanluanwu.import"
    } else {
        "sanluanwu.add"
    };
    report.added = app.audited(caller, action, "sanluanwu", &detail, || {
        Ok(app.store.add_and_change_sanluanwu(&new, &changes)?)
    })?;
    report.reopened = changes.iter().map(|c| c.id).collect();
    Ok(report)
}

/// Adds one entry (or reopens the verified one of the same township and name); its view.
pub fn add(app: &App, caller: &Caller, e: NewEntry) -> AppResult<EntryView> {
    let r = add_all(app, caller, &[(1, e)], "report", false)?;
    if let Some(p) = r.errors.first() {
        let msg = p.problem.clone();
        return Err(if msg.contains("已在清单上") {
            AppError::Conflict(msg)
        } else {
            bad(msg)
        });
    }
    let id = r
        .added
        .first()
        .or(r.reopened.first())
        .copied()
        .ok_or_else(|| AppError::Internal("nothing was added".to_owned()))?;
    Ok(entry(app, caller, id)?.entry)
}

/// The import's columns: the header names (Chinese or English) each column may have.
const COLUMNS: [(&str, &[&str]); 7] = [
    ("township", &["township", "乡镇", "所在乡镇"]),
    ("name", &["name", "名称", "企业名称", "经营主体"]),
    ("address", &["address", "地址"]),
    ("industry", &["industry", "行业"]),
    ("problem", &["problem", "问题", "主要问题"]),
    ("found_date", &["found_date", "发现日期"]),
    ("note", &["note", "备注"]),
];

/// Entries from a spreadsheet (CSV or xlsx): a header row with `township` and `name`
/// (Chinese headers too) and optionally `address`, `industry`, `problem`, `found_date`
/// (YYYY-MM-DD), `note`. Every bad row is reported; nothing is written while there is one,
/// nor with `dry_run`.
pub fn import(
    app: &App,
    caller: &Caller,
    bytes: &[u8],
    name: &str,
    dry_run: bool,
) -> AppResult<AddReport> {
    may(
        app,
        caller,
        Act::ReportSanluanwu,
        "sanluanwu.import",
        "sanluanwu",
    )?;
    let rows = crate::upload::cells(bytes, name)?;
    let header = rows
        .iter()
        .position(|r| {
            r.iter()
                .any(|c| COLUMNS[1].1.contains(&c.trim().to_lowercase().as_str()))
        })
        .ok_or_else(|| {
            bad(format!(
                "{name}: 没有含“名称”或 name 的表头行 / no header row with a name column"
            ))
        })?;
    let col = |k: usize| {
        rows[header]
            .iter()
            .position(|h| COLUMNS[k].1.contains(&h.trim().to_lowercase().as_str()))
    };
    let cols: Vec<Option<usize>> = (0..COLUMNS.len()).map(col).collect();
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(header + 1) {
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |k: usize| {
            cols[k]
                .and_then(|c| r.get(c))
                .map_or("", |s| s.trim())
                .to_owned()
        };
        let found_date = match cell(5).as_str() {
            "" => None,
            d => {
                match Date::parse(d) {
                    Some(d) => Some(d),
                    None => {
                        problems.push(RowProblem {
                        row: i + 1,
                        problem: format!("发现日期 {d:?} 不是 YYYY-MM-DD / found_date {d:?} is not YYYY-MM-DD"),
                    });
                        continue;
                    }
                }
            }
        };
        entries.push((
            i + 1,
            NewEntry {
                township: cell(0),
                name: cell(1),
                address: cell(2),
                industry: cell(3),
                problem: cell(4),
                found_date,
                note: cell(6),
            },
        ));
    }
    if !problems.is_empty() {
        // Report the rows' other problems too, without writing.
        let mut r = add_all(app, caller, &entries, "import", true)?;
        r.errors.extend(problems);
        r.errors.sort_by_key(|p| p.row);
        r.dry_run = dry_run;
        return Ok(r);
    }
    add_all(app, caller, &entries, "import", dry_run)
}

fn row(app: &App, id: i64) -> AppResult<EntryRow> {
    app.store
        .sanluanwu_entry(id)?
        .ok_or_else(|| AppError::NotFound(format!("散乱污条目 {id} 不存在 / no 散乱污 entry {id}")))
}

fn see(app: &App, caller: &Caller, e: &EntryRow) -> AppResult<()> {
    let own = may(
        app,
        caller,
        Act::SeeSanluanwu,
        "sanluanwu.read",
        &format!("sanluanwu:{}", e.id),
    )?;
    let decision = match own {
        Some(t) if t != e.township => Err(AppError::Forbidden(
            "这不是本乡镇的条目 / not an entry of your township".to_owned(),
        )),
        _ => Ok(()),
    };
    app.allow(
        caller,
        "sanluanwu.read",
        &format!("sanluanwu:{}", e.id),
        decision,
    )
}

/// One entry with its history.
pub fn entry(app: &App, caller: &Caller, id: i64) -> AppResult<EntryDetail> {
    may(
        app,
        caller,
        Act::SeeSanluanwu,
        "sanluanwu.read",
        &format!("sanluanwu:{id}"),
    )?;
    let e = row(app, id)?;
    see(app, caller, &e)?;
    let events = app.store.sanluanwu_events(id)?;
    Ok(EntryDetail {
        entry: view(app, caller, e),
        events: events.into_iter().map(event_view).collect(),
    })
}

/// Which entries to list.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Filter {
    pub township: Option<String>,
    pub state: Option<State>,
    /// Only the outstanding ones (not verified).
    #[serde(default)]
    pub outstanding: bool,
}

/// The entries the caller sees (a township: its own), by township and id.
pub fn list(app: &App, caller: &Caller, f: &Filter) -> AppResult<Vec<EntryView>> {
    let own = may(
        app,
        caller,
        Act::SeeSanluanwu,
        "sanluanwu.read",
        "sanluanwu",
    )?;
    let township = match (&own, &f.township) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(t)) if !t.trim().is_empty() => Some(township_id(app, t).ok_or_else(|| {
            bad(format!(
                "“{t}”不是本县的乡镇 / {t:?} is not a township of this county"
            ))
        })?),
        _ => None,
    };
    Ok(app
        .store
        .sanluanwu_entries(township.as_deref())?
        .into_iter()
        .filter(|e| f.state.is_none_or(|s| s == e.state))
        .filter(|e| !f.outstanding || e.state.is_outstanding())
        .map(|e| view(app, caller, e))
        .collect())
}

/// Takes `action` on an entry (a reason for a rejection or a reopening), compare-and-set
/// against the state read; audited. The entry's view after it.
pub fn act(
    app: &App,
    caller: &Caller,
    id: i64,
    action: Action,
    note: &str,
) -> AppResult<EntryView> {
    may(
        app,
        caller,
        Act::SeeSanluanwu,
        "sanluanwu.read",
        &format!("sanluanwu:{id}"),
    )?;
    let e = row(app, id)?;
    see(app, caller, &e)?;
    text_ok("说明 / note", note).map_err(bad)?;
    let object = format!("sanluanwu:{id}");
    let name = format!("sanluanwu.{action}");
    let next = app.allow(
        caller,
        &name,
        &object,
        sanluanwu::transition(e.state, action, standing(caller, &e), note).map_err(|why| {
            if why.contains("只能由") {
                policy::refusal(caller, &why)
            } else {
                AppError::Conflict(why)
            }
        }),
    )?;
    let now = app.clock.now_ms();
    let actor = caller.name().to_owned();
    let ch = Change {
        id,
        expected: e.state,
        to: next,
        action: action.as_str(),
        date: app.clock.today(),
        at_ms: now,
        actor: &actor,
        note: note.trim(),
    };
    let detail = format!("{} → {}: {}", e.state, next, note.trim());
    app.audited(caller, &name, &object, &detail, || {
        Ok(app.store.change_sanluanwu(&ch)?)
    })?;
    Ok(view(app, caller, row(app, id)?))
}

/// One township's count of a month, with its name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TownshipCount {
    pub township: String,
    pub township_zh: String,
    #[serde(flatten)]
    pub count: Count,
    pub zero: bool,
}

/// One month's count as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonthView {
    pub month: Month,
    pub townships: Vec<TownshipCount>,
    pub total: Count,
    /// Every township's list cleared at the month's end (动态清零).
    pub zero: bool,
    /// The month is not over yet (its end figure is as of today).
    pub partial: bool,
}

/// The monthly count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Monthly {
    pub from: Month,
    pub to: Month,
    pub months: Vec<MonthView>,
    /// As of (Beijing time).
    pub as_of_bj: String,
}

/// The monthly count of months `from..=to` (default: the twelve months to the current one),
/// per township (a township account: its own) and for the county.
pub fn monthly(
    app: &App,
    caller: &Caller,
    from: Option<Month>,
    to: Option<Month>,
) -> AppResult<Monthly> {
    let own = may(
        app,
        caller,
        Act::SeeSanluanwu,
        "sanluanwu.read",
        "sanluanwu.monthly",
    )?;
    let now = Month::of(app.clock.today());
    let to = to.unwrap_or(now);
    let from = from.unwrap_or_else(|| {
        let mut m = to;
        for _ in 0..11 {
            m = Month::of(m.first_day().add_days(-1));
        }
        m
    });
    if from > to {
        return Err(bad(format!(
            "起始月 {from} 晚于结束月 {to} / from {from} is after to {to}"
        )));
    }
    let mut n = 1;
    let mut m = from;
    while m < to {
        m = next_month(m);
        n += 1;
        if n > MONTHS_MAX {
            return Err(bad(format!(
                "最多 {MONTHS_MAX} 个月 / at most {MONTHS_MAX} months at once"
            )));
        }
    }
    let steps = app.store.sanluanwu_steps(own.as_deref())?;
    let counts: Vec<MonthCount> = sanluanwu::monthly(&steps, from, to);
    Ok(Monthly {
        from,
        to,
        months: counts
            .into_iter()
            .map(|mc| MonthView {
                partial: mc.month >= now,
                zero: mc.total.is_zero(),
                townships: mc
                    .townships
                    .into_iter()
                    .map(|(t, count)| TownshipCount {
                        township_zh: township_name(app, &t),
                        zero: count.is_zero(),
                        township: t,
                        count,
                    })
                    .collect(),
                total: mc.total,
                month: mc.month,
            })
            .collect(),
        as_of_bj: format!("{} 北京时间", cst::format_unix_ms(app.clock.now_ms())),
    })
}
