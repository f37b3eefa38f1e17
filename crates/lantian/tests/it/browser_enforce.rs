//! The enforcement pages in Chromium (issue 21, docs/enforcement.md "Pages"): a day of
//! hours sent a week late raises a `backfilled` alarm, which the three reviews confirm; the
//! bureau opens the case from it on the cases page, sees the 24 archived packets verified
//! (and re-verifies them), records an inspection and a fine with its legal basis and closes
//! the case; the credit entry is on the bureau's list with its publication dates and not on
//! the public 信用公示 today (publication starts the day after closure); a township works
//! its 散乱污 entries (the bureau's rejection asks its reason in an inline form) until the
//! monthly count is back to zero; an enterprise gets no cases menu; the public sees the
//! credit list and no case. English pages carry no Chinese outside names; desktop and phone
//! sizes; a changed archive byte turns the packet's badge red on re-verification; a case
//! whose credit step fails at closure says so and the bureau's retry writes the entry.
//! Screenshots go to `test-artifacts/enforce-*.png`.

use super::alarms_live::{now_ms, send_hours, township_station};
use super::browser::{Browser, Driver, get_as, have_chromium, post_as};
use super::serve::{Server, login};
use super::*;
use lantian_core::cst;
use lantian_core::org::Role;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// The page's uncaught errors and `console.error` calls are collected in `window.__errs`
/// (installed once per document; the app is one document).
pub(super) const HOOK_ERRORS: &str = "if (!window.__errs) { window.__errs = []; const e = console.error.bind(console);
  console.error = (...a) => { window.__errs.push(a.map(String).join(' ')); e(...a); };
  window.addEventListener('error', (ev) => window.__errs.push(String(ev.message || ev.type)));
  window.addEventListener('unhandledrejection', (ev) => window.__errs.push('unhandled: ' + String(ev.reason))); }
  return true";

/// Opens `hash` of the app and waits until `ready` is truthy; no error was logged before.
pub(super) fn visit(b: &Driver, web: &str, hash: &str, what: &str, ready: &str) -> Value {
    b.go(&format!("{web}/{hash}"));
    b.js(HOOK_ERRORS);
    let v = b.wait(what, ready);
    no_errors(b, what);
    v
}

pub(super) fn no_errors(b: &Driver, what: &str) {
    assert_eq!(
        b.js("return window.__errs || []"),
        json!([]),
        "console errors on {what}"
    );
}

/// Texts of the page's own words (headings, labels, buttons, tags, table heads, the menu)
/// that contain Chinese characters: none on an English page.
pub(super) const CHINESE_CHROME: &str = "return [...document.querySelectorAll('nav a:not([hidden]), #view h3, #view th, #view label, #view button, #view .tag, #view summary, #view p.muted')]
  .map((e) => e.textContent.trim()).filter((s) => /[\\u4e00-\\u9fff]/.test(s))";

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

#[test]
fn enforcement_pages_case_from_an_alarm_credit_and_sanluanwu() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-enforce");
    let d = dir.to_str().unwrap();
    township_station(
        &dir,
        "T-EN",
        "王口执法站",
        &[
            ("bureau1", Role::Bureau, None),
            ("wk", Role::Township, Some("wangkou")),
            ("ops1", Role::Operations, Some("ops-co")),
            ("ent1", Role::Enterprise, Some("AS")),
        ],
    );
    let s = Server::start(d, &[]);
    let (web, addr) = (s.url(), s.http.clone());
    let [bureau, wk, ops] = ["bureau1", "wk", "ops1"].map(|u| login(&addr, u, PASSWORD));

    // A whole day of last week, sent now: back-filled, confirmed by the three reviews.
    let day = cst::today(now_ms()).add_days(-7);
    let hours: Vec<i64> = (0..24)
        .map(|h| cst::day_start(day) + h * cst::HOUR_S)
        .collect();
    send_hours(&s, &dir, "T-EN", &hours);
    s.projected();
    post_as(
        &addr,
        &bureau,
        "/api/v1/integrity/scan",
        json!({ "from": day.to_string(), "to": day.to_string() }),
    );
    let alarms = get_as(
        &addr,
        &bureau,
        "/api/v1/alarms?station=T-EN&rule=backfilled",
    );
    let alarm = alarms["items"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a backfilled alarm: {alarms}"));
    for who in [&ops, &wk, &bureau] {
        post_as(
            &addr,
            who,
            &format!("/api/v1/alarms/{alarm}/reviews"),
            json!({ "outcome": "confirm", "reason": "一周后集中补传" }),
        );
    }

    // 散乱污: one of 王口's, found two months ago (outstanding at the ends of the months
    // since), and one of 新城's the bureau clears at once.
    let found = cst::today(now_ms()).add_days(-60);
    let sl = post_as(
        &addr,
        &wk,
        "/api/v1/sanluanwu",
        json!({ "name": "王口塑料颗粒加工点", "industry": "塑料颗粒", "problem": "无证无治理设施", "found_date": found.to_string() }),
    );
    let sl_id = sl["id"].as_i64().unwrap_or_else(|| panic!("{sl}"));
    let other = post_as(
        &addr,
        &bureau,
        "/api/v1/sanluanwu",
        json!({ "township": "xincheng", "name": "新城小作坊", "problem": "露天喷涂" }),
    );
    let other_id = other["id"].as_i64().unwrap_or_else(|| panic!("{other}"));
    for action in ["close", "verify"] {
        post_as(
            &addr,
            &bureau,
            &format!("/api/v1/sanluanwu/{other_id}/act"),
            json!({ "action": action, "note": "" }),
        );
    }

    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");

    eprintln!("browser test: the bureau opens the case from the confirmed alarm");
    b.log_in(&web, "bureau1", PASSWORD);
    assert_eq!(
        b.js("return document.querySelector('#nav-cases').hidden"),
        json!(false),
        "the bureau has the cases menu"
    );
    visit(
        b,
        &web,
        "#/cases",
        "the confirmed alarm waiting for a case",
        &format!(
            "return document.querySelector('#case-alarms tr[data-alarm=\"{alarm}\"]') !== null"
        ),
    );
    assert!(
        b.text("#case-none").is_string(),
        "no case yet: {}",
        b.text("#view")
    );
    b.screenshot_page("enforce-cases-before.png");
    b.type_into(
        &format!("#case-alarms tr[data-alarm=\"{alarm}\"] .cfa-note"),
        "数据一周后集中补传，疑似造假",
    );
    b.click(&format!("#case-alarms tr[data-alarm=\"{alarm}\"] button"));
    b.wait(
        "the new case with its evidence",
        "return location.hash.startsWith('#/case/') && document.querySelectorAll('#case-evidence tr[data-kind=packet]').length > 0",
    );
    no_errors(b, "the case page");
    let case_id: i64 = b
        .js("return Number(location.hash.slice('#/case/'.length))")
        .as_i64()
        .unwrap();
    let api_case = get_as(&addr, &bureau, &format!("/api/v1/cases/{case_id}"));
    let case_no = api_case["case"]["case_no"].as_str().unwrap().to_owned();
    assert_eq!(api_case["case"]["origin_ref"], json!(alarm.to_string()));
    let packets: Vec<&Value> = api_case["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("packet").filter(|p| !p.is_null()))
        .collect();
    assert_eq!(packets.len(), 24, "the day's 24 packets: {api_case}");
    // Each packet on the page at its chain position, verified, received in Beijing time.
    let rows = b.js("return [...document.querySelectorAll('#case-evidence tr[data-kind=packet]')].map((r) => [r.querySelector('.chain-pos').textContent.split('MN')[0].trim(), r.dataset.verified, r.querySelector('.verified-badge').textContent, r.cells[3].textContent])");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), packets.len());
    for (row, p) in rows.iter().zip(&packets) {
        assert_eq!(
            row[0],
            json!(format!("{}#{}", p["chain"].as_str().unwrap(), p["seq"])),
            "{row}"
        );
        assert_eq!(row[1], json!("true"), "{row}");
        assert_eq!(row[2], json!("已验证"), "{row}");
        let received = p["received_bj"].as_str().unwrap();
        assert_eq!(
            row[3],
            json!(received),
            "the received time, 北京时间: {row}"
        );
    }
    assert_eq!(
        b.js("return document.querySelector('#case-evidence-state').dataset.ok"),
        json!("true")
    );
    assert_eq!(
        b.js("return document.querySelector('#case-facts .non-site') !== null"),
        json!(true),
        "a non-site case is flagged"
    );
    b.click("#case-reverify");
    let re = b.wait(
        "the re-verification",
        "const e = document.querySelector('#case-reverify-ok'); return e ? [e.dataset.ok, document.querySelector('#case-reverify-result').textContent] : null",
    );
    assert_eq!(re[0], json!("true"), "{re}");
    assert!(
        re[1].as_str().unwrap().contains("24/24") && re[1].as_str().unwrap().contains("北京时间"),
        "{re}"
    );
    // The steps the API allows, and only those.
    let acts: Vec<String> = api_case["acts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert!(!acts.iter().any(|a| a == "close"), "{acts:?}");
    assert_eq!(
        b.js(
            "return [...document.querySelectorAll('#case-acts form[data-path]')].map((f) => f.id)"
        ),
        json!(
            acts.iter()
                .filter(|a| *a != "evidence")
                .map(|a| format!("case-{a}"))
                .collect::<Vec<_>>()
        ),
        "a form per act the API lists"
    );
    b.screenshot_page("enforce-case-opened.png");

    eprintln!("browser test: inspection, a fine with its legal basis, closure");
    let today = cst::today(now_ms()).to_string();
    b.js(&format!(
        "document.querySelector('#case-inspect [data-k=date]').value = '{today}'"
    ));
    b.type_into("#case-inspect [data-k=inspectors]", "张三、李四");
    b.type_into(
        "#case-inspect [data-k=findings]",
        "运维单位承认数据集中补传，现场调取传输日志",
    );
    b.click("#case-inspect button");
    b.wait(
        "the inspection",
        "return document.querySelector('#case-inspections tbody tr') !== null && document.querySelector('#case-state').dataset.state === 'investigating'",
    );
    // The fine: its amount and the suggested legal basis the form offers.
    let basis = api_case["suggested_basis"].as_str().unwrap().to_owned();
    assert_eq!(
        b.js("return document.querySelector('#cd-basis').value"),
        json!(basis)
    );
    // Only the chosen kind's fields are shown: a fine asks no deadline, an order to rectify
    // no amount.
    let shown = "return ['#cd-amount', '#cd-basis', '#cd-deadline', '#cd-transfer'].map((s) => getComputedStyle(document.querySelector(s).closest('label')).display !== 'none')";
    assert_eq!(b.js(shown), json!([true, true, false, false]));
    b.js("const k = document.querySelector('#cd-kind'); k.value = 'rectify'; k.onchange()");
    assert_eq!(b.js(shown), json!([false, false, true, false]));
    b.js("const k = document.querySelector('#cd-kind'); k.value = 'fine'; k.onchange()");
    b.type_into("#cd-amount", "50000");
    b.type_into("#cd-text", "依法处以罚款");
    b.click("#case-decide button");
    b.wait(
        "the fine",
        "return document.querySelector('#case-decisions tr[data-kind=fine]') !== null",
    );
    assert_eq!(
        b.text("#case-decisions tr[data-kind=fine] td.num"),
        json!("¥50,000")
    );
    assert_eq!(
        b.text("#case-decisions tr[data-kind=fine] td.basis"),
        json!(basis)
    );
    b.type_into("#case-close textarea", "罚款已决定，结案");
    b.click("#case-close button");
    b.wait(
        "the case closed with its credit entry",
        "return document.querySelector('#case-state').dataset.state === 'closed' && document.querySelector('#case-credit a[data-entry]') !== null",
    );
    no_errors(b, "closing the case");
    assert_eq!(
        b.js("return document.querySelector('#case-no-acts') !== null"),
        json!(true),
        "a closed case offers no step"
    );
    let closed = get_as(&addr, &bureau, &format!("/api/v1/cases/{case_id}"));
    let entry_id = closed["credit_entries"][0]
        .as_i64()
        .unwrap_or_else(|| panic!("a credit entry: {closed}"));
    b.screenshot_page("enforce-case-closed.png");

    eprintln!("browser test: the credit entry on the bureau's list, not yet public");
    let entry = get_as(&addr, &bureau, &format!("/api/v1/credit/{entry_id}"));
    let e = &entry["entry"];
    let closed_day = cst::today(closed["case"]["closed_ms"].as_i64().unwrap());
    assert_eq!(
        e["publish_from"],
        json!(closed_day.add_days(1).to_string()),
        "published from the day after closure: {e}"
    );
    visit(
        b,
        &web,
        "#/credit",
        "the bureau's credit list",
        &format!(
            "return document.querySelector('#credit-table tr[data-case=\"{case_no}\"]') !== null"
        ),
    );
    let row = format!("#credit-table tr[data-case=\"{case_no}\"]");
    assert_eq!(
        b.text(&format!("{row} .period")),
        json!(format!(
            "{} — {}",
            e["publish_from"].as_str().unwrap(),
            e["publish_until"].as_str().unwrap()
        ))
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('{row}').dataset.phase"
        )),
        json!("scheduled"),
        "not public before its first day"
    );
    assert_eq!(b.text(&format!("{row} .credit-level")), json!("严重失信"));
    b.screenshot_page("enforce-credit-bureau.png");
    visit(
        b,
        &web,
        &format!("#/credit/{entry_id}"),
        "one credit entry",
        "return document.querySelector('#credit-facts') !== null",
    );
    assert!(
        b.text("#credit-repair-refused").is_string(),
        "repair is not open before the minimum period"
    );
    b.screenshot_page("enforce-credit-entry.png");
    // A second case, closed after the county set publication to start on the day of
    // closure (the first entry keeps its dates): the public list has a row, not the first.
    let r = super::serve::request(
        &addr,
        "PUT",
        "/api/v1/credit/rules",
        &[
            ("Content-Type", "application/json"),
            ("Cookie", bureau.cookie.as_str()),
            ("X-CSRF-Token", bureau.csrf.as_str()),
        ],
        br#"{ "publish_delay_days": 0 }"#,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let second = post_as(
        &addr,
        &bureau,
        "/api/v1/cases",
        json!({ "title": "王口执法站采样管被堵", "violation": "interference", "subject_kind": "contractor",
                "subject_id": "ops-co", "township": "wangkou", "non_site": false, "summary": "现场检查发现采样口被遮挡" }),
    );
    let second_id = second["id"].as_i64().unwrap();
    let second_no = second["case_no"].as_str().unwrap().to_owned();
    post_as(
        &addr,
        &bureau,
        &format!("/api/v1/cases/{second_id}/decision"),
        json!({ "kind": "fine", "amount_yuan": 100000, "legal_basis": basis, "text": "依法处以罚款" }),
    );
    post_as(
        &addr,
        &bureau,
        &format!("/api/v1/cases/{second_id}/close"),
        json!({ "text": "结案" }),
    );
    let public = get_as(&addr, &bureau, "/api/v1/credit/public");
    let second_until = public["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["case_no"] == json!(second_no))
        .map(|e| e["publish_until"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("the second entry is public today: {public}"));
    assert!(
        !public.to_string().contains(&case_no),
        "the API does not publish it today: {public}"
    );
    visit(
        b,
        &web,
        "#/credit-public",
        "the public credit list",
        "return document.querySelector('#credit-public, #credit-public-none') !== null",
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('#credit-public tr[data-case=\"{case_no}\"]')"
        )),
        Value::Null,
        "the public list does not show it on the day of closure"
    );
    assert_eq!(
        b.js(&format!(
            "const r = document.querySelector('#credit-public tr[data-case=\"{second_no}\"]'); return r ? r.querySelector('.period').textContent : null"
        )),
        json!(format!("{today} — {second_until}")),
        "the second entry is public from the day of its closure"
    );
    b.screenshot_page("enforce-credit-public.png");

    eprintln!("browser test: a credit step that fails at closure, and its retry");
    // A third case, decided; the credit table made unwritable (a trigger) while it closes.
    let third = post_as(
        &addr,
        &bureau,
        "/api/v1/cases",
        json!({ "title": "王口执法站运维记录造假", "violation": "data_falsification", "subject_kind": "contractor",
                "subject_id": "ops-co", "township": "wangkou", "non_site": true, "summary": "运维记录与传输日志不符" }),
    );
    let third_id = third["id"].as_i64().unwrap();
    post_as(
        &addr,
        &bureau,
        &format!("/api/v1/cases/{third_id}/decision"),
        json!({ "kind": "fine", "amount_yuan": 30000, "legal_basis": basis, "text": "依法处以罚款" }),
    );
    let main_db = || {
        let db = rusqlite::Connection::open(dir.join("lantian.db")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        db
    };
    main_db()
        .execute_batch(
            "CREATE TRIGGER test_credit_unwritable BEFORE INSERT ON credit_entries \
             BEGIN SELECT RAISE(ABORT, 'credit_entries unwritable (test)'); END",
        )
        .unwrap();
    visit(
        b,
        &web,
        &format!("#/case/{third_id}"),
        "the third case, decided",
        "return document.querySelector('#case-close textarea') !== null",
    );
    assert_eq!(
        b.js("return document.querySelector('#case-credit-retry')"),
        Value::Null,
        "no retry before closure"
    );
    b.type_into("#case-close textarea", "罚款已决定，结案");
    b.click("#case-close button");
    let failure = b.wait(
        "the credit failure shown on the closed case",
        "const f = document.querySelector('#case-credit-failure'); return document.querySelector('#case-state').dataset.state === 'closed' && f ? f.textContent : null",
    );
    assert!(
        failure
            .as_str()
            .unwrap()
            .contains("credit_entries unwritable (test)"),
        "the reason is shown: {failure}"
    );
    assert_eq!(
        b.js("return [document.querySelector('#case-credit-retry') !== null, document.querySelector('#case-credit a[data-entry]')]"),
        json!([true, null]),
        "the retry is offered, no entry written"
    );
    let detail = get_as(&addr, &bureau, &format!("/api/v1/cases/{third_id}"));
    assert_eq!(detail["credit_entries"], json!([]), "{detail}");
    assert!(
        detail["acts"]
            .as_array()
            .unwrap()
            .contains(&json!("credit")),
        "{detail}"
    );
    no_errors(b, "the failed credit step");
    b.screenshot_page("enforce-case-credit-failed.png");
    main_db()
        .execute_batch("DROP TRIGGER test_credit_unwritable")
        .unwrap();
    b.click("#case-credit-retry");
    let retried = b.wait(
        "the entry written by the retry",
        "const r = document.querySelector('#case-credit-retried'); return r && document.querySelector('#case-credit a[data-entry]') ? [r.dataset.n, document.querySelector('#case-credit-failure'), document.querySelector('#case-no-acts') !== null] : null",
    );
    assert_eq!(
        retried,
        json!(["1", null, true]),
        "one entry, the failure gone, no step left"
    );
    let detail = get_as(&addr, &bureau, &format!("/api/v1/cases/{third_id}"));
    assert_eq!(
        detail["credit_entries"].as_array().map(Vec::len),
        Some(1),
        "{detail}"
    );
    no_errors(b, "the credit retry");
    b.screenshot_page("enforce-case-credit-retried.png");

    eprintln!("browser test: the case and credit pages in English");
    b.click("#lang");
    visit(
        b,
        &web,
        &format!("#/case/{case_id}"),
        "the case in English",
        "return document.documentElement.lang === 'en' && document.querySelector('#case-evidence') !== null",
    );
    assert_eq!(
        b.js(CHINESE_CHROME),
        json!([]),
        "no Chinese words on the English case page"
    );
    assert!(
        b.text("#case-facts")
            .as_str()
            .unwrap()
            .contains("Beijing time"),
        "{}",
        b.text("#case-facts")
    );
    b.screenshot_page("enforce-case-en.png");
    for (hash, ready) in [
        ("#/cases", "#case-table"),
        ("#/credit", "#credit-table"),
        (&format!("#/credit/{entry_id}") as &str, "#credit-facts"),
        ("#/credit-public", "#credit-public, #credit-public-none"),
        ("#/sanluanwu", "#sl-table"),
    ] {
        visit(
            b,
            &web,
            hash,
            hash,
            &format!("return document.querySelector('{ready}') !== null"),
        );
        assert_eq!(
            b.js(CHINESE_CHROME),
            json!([]),
            "no Chinese words on the English page {hash}"
        );
    }
    b.screenshot_page("enforce-sanluanwu-en.png");
    b.click("#lang");
    b.log_out(&web);

    eprintln!("browser test: the township works its 散乱污 entry");
    b.log_in(&web, "wk", PASSWORD);
    visit(
        b,
        &web,
        "#/sanluanwu",
        "the township's 散乱污 list",
        &format!(
            "return document.querySelector('#sl-table tr[data-id=\"{sl_id}\"]') !== null && document.querySelector('#sl-chart').dataset.drawn"
        ),
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#sl-table tbody tr')].map((r) => Number(r.dataset.id))"),
        json!([sl_id]),
        "only its own township's entries"
    );
    assert_eq!(
        b.js("return document.querySelector('#sl-f-township')"),
        Value::Null,
        "a township chooses no township"
    );
    let monthly = get_as(&addr, &wk, "/api/v1/sanluanwu/monthly");
    let outstanding: Vec<String> = monthly["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["total"]["outstanding_end"].to_string())
        .collect();
    assert!(
        outstanding.iter().filter(|n| *n != "0").count() >= 2,
        "the entry is outstanding at the ends of the months since it was found: {outstanding:?}"
    );
    assert_eq!(
        b.js("return document.querySelector('#sl-chart').dataset.outstanding"),
        json!(outstanding.join(",")),
        "the chart draws the API's monthly outstanding figures"
    );
    assert_eq!(b.text("#sl-outstanding"), json!("1"));
    assert_eq!(b.text("#sl-zero-tag"), json!("未清零"));
    b.screenshot_page("enforce-sanluanwu-township.png");
    for (act, after) in [("start", "rectifying"), ("rectify", "rectified")] {
        b.click(&format!(
            "#sl-table tr[data-id=\"{sl_id}\"] button[data-act={act}]"
        ));
        b.wait(
            &format!("the entry {after}"),
            &format!("return document.querySelector('#sl-table tr[data-id=\"{sl_id}\"]').dataset.state === '{after}'"),
        );
    }
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('#sl-table tr[data-id=\"{sl_id}\"] button[data-act=verify]')"
        )),
        Value::Null,
        "a township does not verify"
    );
    assert_eq!(
        b.js("return document.querySelector('#nav-cases').hidden"),
        json!(false),
        "a township sees its township's cases"
    );
    b.log_out(&web);

    eprintln!("browser test: the bureau rejects once (its reason inline), then verifies");
    b.log_in(&web, "bureau1", PASSWORD);
    let row = format!("#sl-table tr[data-id=\"{sl_id}\"]");
    visit(
        b,
        &web,
        "#/sanluanwu",
        "the bureau's 散乱污 list",
        &format!("return document.querySelector('{row} button[data-act=reject]') !== null"),
    );
    b.click(&format!("{row} button[data-act=reject]"));
    b.wait(
        "the inline reason form",
        &format!("return document.querySelector('{row} form.sl-reason input') !== null"),
    );
    // The reason is required: nothing is sent without it.
    b.click(&format!("{row} form.sl-reason button[type=submit]"));
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('{row}').dataset.state"
        )),
        json!("rectified")
    );
    b.type_into(
        &format!("{row} form.sl-reason input"),
        "现场仍有生产设备，未彻底整改",
    );
    b.click(&format!("{row} form.sl-reason button[type=submit]"));
    b.wait(
        "the entry sent back",
        &format!("return document.querySelector('{row}') && document.querySelector('{row}').dataset.state === 'rectifying'"),
    );
    b.click(&format!("{row} button[data-act=close]"));
    b.wait(
        "the entry shut down",
        &format!("return document.querySelector('{row}') && document.querySelector('{row}').dataset.state === 'closed'"),
    );
    b.click(&format!("{row} button[data-act=verify]"));
    b.wait(
        "the entry verified",
        &format!("return document.querySelector('{row}') && document.querySelector('{row}').dataset.state === 'verified'"),
    );
    let zero = b.wait(
        "the month back to zero",
        "const e = document.querySelector('#sl-outstanding'); return e && document.querySelector('#sl-chart').dataset.outstanding ? [e.textContent, document.querySelector('#sl-zero-tag').textContent] : null",
    );
    assert_eq!(zero, json!(["0", "已清零"]));
    assert!(
        b.js("return document.querySelector('#sl-chart').dataset.outstanding")
            .as_str()
            .unwrap()
            .ends_with(",0"),
        "the chart ends at zero"
    );
    let history = get_as(&addr, &bureau, &format!("/api/v1/sanluanwu/{sl_id}"));
    assert_eq!(
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "reject")
            .map(|e| e["note"].clone()),
        Some(json!("现场仍有生产设备，未彻底整改")),
        "{history}"
    );
    no_errors(b, "the 散乱污 steps");
    b.screenshot_page("enforce-sanluanwu-zero.png");

    eprintln!("browser test: a changed archive byte is found on re-verification");
    let bad_seq = packets[5]["seq"].as_i64().unwrap();
    {
        let db = rusqlite::Connection::open(dir.join("archive.db")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        let n = db
            .execute(
                "UPDATE archive SET bytes = CAST(replace(CAST(bytes AS TEXT), 'DataTime=', 'DataTime:') AS BLOB) WHERE chain = 'main' AND seq = ?1",
                [bad_seq],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    visit(
        b,
        &web,
        &format!("#/case/{case_id}"),
        "the closed case",
        "return document.querySelector('#case-reverify') !== null",
    );
    b.click("#case-reverify");
    let re = b.wait(
        "the failed re-verification",
        "const e = document.querySelector('#case-reverify-ok'); return e ? e.dataset.ok : null",
    );
    assert_eq!(re, json!("false"));
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('#case-evidence tr[data-seq=\"{bad_seq}\"]').dataset.verified"
        )),
        json!("false"),
        "the changed record's badge"
    );
    assert!(
        b.text("#case-reverify-problems")
            .as_str()
            .unwrap()
            .contains(&format!("main#{bad_seq}")),
        "{}",
        b.text("#case-reverify-problems")
    );
    b.screenshot_page("enforce-case-tampered.png");

    eprintln!("browser test: the case and the public list on a phone");
    set_size(b, 390, 844);
    for (hash, ready, shot) in [
        (
            format!("#/case/{case_id}"),
            "#case-evidence",
            "enforce-phone-case.png",
        ),
        (
            "#/sanluanwu".to_owned(),
            "#sl-table",
            "enforce-phone-sanluanwu.png",
        ),
    ] {
        visit(
            b,
            &web,
            "#/",
            "the overview",
            "return document.querySelector('#view').children.length > 0",
        );
        visit(
            b,
            &web,
            &hash,
            &hash,
            &format!("return document.querySelector('{ready}') !== null"),
        );
        b.js("window.scrollTo(0, 0)");
        let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth");
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "no sideways scrolling of {hash} on a phone: {overflow}"
        );
        b.screenshot(shot);
    }
    set_size(b, 1280, 900);
    b.log_out(&web);

    eprintln!("browser test: an enterprise gets no cases menu");
    b.log_in(&web, "ent1", PASSWORD);
    assert_eq!(
        b.js("return [document.querySelector('#nav-cases').hidden, document.querySelector('#nav-credit').hidden]"),
        json!([true, false]),
        "no cases menu; its own credit records"
    );
    visit(
        b,
        &web,
        "#/credit",
        "the enterprise's own credit records",
        "return document.querySelector('#credit-none, #credit-table') !== null && document.querySelector('#own-cases, #view h3') !== null",
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#credit-table tbody tr').length"),
        json!(0),
        "not another subject's entry"
    );
    b.log_out(&web);

    eprintln!("browser test: the public sees the credit list, not the cases");
    assert_eq!(
        b.js("return [document.querySelector('#nav-cases').hidden, document.querySelector('#nav-credit').hidden, document.querySelector('#nav-credit-public').hidden]"),
        json!([true, true, false])
    );
    visit(
        b,
        &web,
        "#/credit-public",
        "the public credit list",
        "return document.querySelector('#credit-public, #credit-public-none') !== null",
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('#credit-public tr[data-case=\"{case_no}\"]')"
        )),
        Value::Null
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('#credit-public tr[data-case=\"{second_no}\"]') !== null"
        )),
        json!(true),
        "the public sees the entry in its period"
    );
    b.screenshot_page("enforce-credit-public-anonymous.png");
    b.go(&format!("{web}/#/cases"));
    b.wait(
        "the refusal",
        "return document.querySelector('#view p.error') !== null",
    );
    assert_eq!(
        b.js("return document.querySelector('#case-table, #case-none')"),
        Value::Null,
        "the public sees no case list"
    );
    drop(browser);
    drop(s);
}
