//! Ledger supervision in Chromium (issue 17, docs/ui.md "Ledger supervision"): the bureau's
//! ledger with each unit's figures, days overdue and the latest progress; a 催办 sent from a
//! measure's page reaches the lead unit's inbox, which acknowledges it; the lead's empty
//! report and its confirmation without evidence are refused with the reason on the page;
//! evidence named in Chinese is uploaded through the file input, shown as an image and read
//! back byte for byte from its download link; oversized and wrong-type files are refused
//! before sending, saying why; the acts offered follow the role and the state (the lead:
//! report and confirm; the bureau after completion: close and reopen; closed: reopen only);
//! a township's own list carries every measure every township shares, with its own status;
//! the public sees no acts and no evidence. Chinese pages carry no English words, English
//! pages no Chinese outside names; desktop (1280 px) and phone (390 px) screenshots go to
//! `test-artifacts/ledger-*.png`.

use super::browser::{Browser, Driver, base64_encode, get_as, have_chromium, post_as};
use super::browser_enforce::{CHINESE_CHROME, HOOK_ERRORS, no_errors, visit};
use super::ledger::user;
use super::serve::{Server, login};
use super::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// The password after the first login's forced change (`serve::login` makes it).
const CHANGED: &str = "correct horse battery (changed)";

/// Words of the page's own chrome (headings, labels, buttons, tags, table heads, notes) with
/// Latin words other than file types, units and codes: none on a Chinese page.
const ENGLISH_CHROME: &str = "return [...document.querySelectorAll('nav a:not([hidden]), #view h2, #view h3, #view th, #view label, #view button, #view .tag, #view summary, #view p.muted, #view .notice, #view .error, #view option')]
  .map((e) => e.textContent.trim())
  .filter((s) => /[A-Za-z]{2,}/.test(s.replace(/PDF|JPE?G|PNG|MB|KB|Excel|CSV|PM2\\.5|PM10|AQI|M\\d+(-\\d+)?|English|\\([\\w.-]+\\)|[\\w.-]+\\.(pdf|png|jpe?g)/g, '')))";

fn set_size(b: &Driver, w: u32, h: u32) {
    b.cmd(
        "POST",
        "/window/rect",
        Some(json!({ "width": w, "height": h })),
    );
}

/// A PNG of `w` × `h` pixels (a colour gradient), deflate blocks stored: a real image a
/// browser draws, made without an image library.
fn png(w: u32, h: u32) -> Vec<u8> {
    let crc = |bytes: &[u8]| {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    };
    let chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc(&body).to_be_bytes());
    };
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, 160]);
        }
    }
    let mut z = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        z.push(u8::from(last));
        let n = u16::try_from(block.len()).unwrap();
        z.extend(n.to_le_bytes());
        z.extend((!n).to_le_bytes());
        z.extend(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The acts the measure page offers in its act form.
fn offered(b: &Driver) -> Value {
    b.js("const s = document.querySelector('#act'); return s ? [...s.options].map((o) => o.value) : []")
}

/// No English words on this Chinese page.
fn chinese_only(b: &Driver, what: &str) {
    assert_eq!(b.js(ENGLISH_CHROME), json!([]), "English words on {what}");
}

/// The status tags of the ledger table are one line each (no character-per-line wrapping).
fn status_tags_on_one_line(b: &Driver, what: &str) {
    let tall = b.js("return [...document.querySelectorAll('#ledger-table td.status .st')].filter((e) => e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).fontSize) + 4).length");
    assert_eq!(tall, json!(0), "status tags wrapped on {what}");
}

#[test]
fn ledger_supervision_reminders_evidence_and_acts_by_role_and_state() {
    if !have_chromium() {
        return;
    }
    let dir = temp_dir("browser-ledger");
    let d = dir.to_str().unwrap();
    user(d, "gx", "department", Some("市科学技术和工业信息化局"));
    user(d, "jt", "department", Some("市交通运输局"));
    user(d, "sthj", "bureau", Some("市生态环境局"));
    user(d, "wk", "township", Some("wangkou"));
    let s = Server::start(d, &[]);
    let (web, addr) = (s.url(), s.http.clone());
    // Each account's first login (over the API) changes its initial password.
    let [gx, sthj, _, _] = ["gx", "sthj", "jt", "wk"].map(|u| login(&addr, u, PASSWORD));
    post_as(
        &addr,
        &gx,
        "/api/v1/ledger/M21/events",
        json!({ "action": "report", "month": "2026-11", "text": "已排查新能源车辆推广情况" }),
    );
    let browser = Browser::start();
    let b = &browser.driver;
    b.go(&web);
    b.js("localStorage.setItem('lang', 'zh')");
    set_size(b, 1280, 900);

    eprintln!("browser test: the bureau's ledger with each unit's figures and the latest progress");
    b.log_in(&web, "sthj", CHANGED);
    visit(
        b,
        &web,
        "#/ledger",
        "the ledger",
        "return document.querySelectorAll('#ledger-table tr[data-id]').length === 53 && document.querySelector('#unit-stats') !== null",
    );
    let latest = b.text("#ledger-table tr[data-id=M21] td.latest");
    assert!(
        latest
            .as_str()
            .unwrap()
            .contains("已排查新能源车辆推广情况")
            && latest.as_str().unwrap().contains("北京时间"),
        "最近进展 filled: {latest}"
    );
    // Every overdue measure says by how many days; the figure is the API's.
    let list = get_as(&addr, &sthj, "/api/v1/ledger?per_page=100");
    let overdue: Vec<(String, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| Some((m["id"].as_str()?.to_owned(), m["overdue_days"].as_i64()?)))
        .collect();
    let shown = b.js("return [...document.querySelectorAll('#ledger-table tr[data-id]')].filter((r) => r.querySelector('[data-overdue-days]')).map((r) => [r.dataset.id, Number(r.querySelector('[data-overdue-days]').dataset.overdueDays)])");
    assert_eq!(shown, json!(overdue), "days overdue on the page");
    // The unit statistics as the API counts them, every unit listed.
    let stats = get_as(&addr, &sthj, "/api/v1/ledger-stats?per_page=1000");
    assert_eq!(
        b.js("return document.querySelectorAll('#unit-stats tbody tr').length"),
        json!(stats["items"].as_array().unwrap().len())
    );
    let gx_row = b.js("const r = document.querySelector('#unit-stats tr[data-unit=\"市科学技术和工业信息化局\"]'); return r ? [...r.cells].map((c) => c.textContent.trim()) : null");
    let api_row = stats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == "市科学技术和工业信息化局")
        .unwrap();
    assert_eq!(
        gx_row[1].as_str(),
        Some(api_row["total"].to_string().as_str()),
        "{gx_row}"
    );
    status_tags_on_one_line(b, "the bureau's ledger");
    chinese_only(b, "the bureau's ledger");
    b.screenshot_page("ledger-bureau-list.png");

    eprintln!("browser test: the bureau sends a 催办 from the measure's page");
    visit(
        b,
        &web,
        "#/measure/M21",
        "M21 for the bureau",
        "return document.querySelector('#remind-form') !== null",
    );
    let api_allowed: Vec<Value> = get_as(&addr, &sthj, "/api/v1/ledger/M21")["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| ["report", "confirm", "close", "reopen"].contains(&a.as_str().unwrap()))
        .cloned()
        .collect();
    assert_eq!(
        offered(b),
        json!(api_allowed),
        "the bureau is offered what the API allows"
    );
    b.js("document.querySelector('#remind-kind').value = 'urge'; document.querySelector('#remind-unit').value = '市科学技术和工业信息化局'");
    b.type_into("#remind-text", "逾期未报，请于三日内报送进展");
    b.click("#remind-form button");
    b.wait(
        "the reminder sent",
        "return document.querySelector('#reminders tr[data-reminder]') !== null && document.querySelector('#measure-notice') !== null",
    );
    no_errors(b, "the reminder");
    chinese_only(b, "M21 for the bureau");
    b.screenshot_page("ledger-bureau-remind.png");
    b.log_out(&web);

    eprintln!(
        "browser test: the lead unit: its inbox, refusals that say why, evidence named in Chinese"
    );
    b.log_in(&web, "gx", CHANGED);
    visit(
        b,
        &web,
        "#/ledger",
        "the lead's ledger",
        "return document.querySelector('#reminder-inbox') !== null",
    );
    assert!(
        b.text("#reminder-inbox")
            .as_str()
            .unwrap()
            .contains("逾期未报，请于三日内报送进展")
    );
    visit(
        b,
        &web,
        "#/measure/M21",
        "M21 for the lead",
        "return document.querySelector('#act') !== null && document.querySelector('#evidence') !== null",
    );
    assert_eq!(
        offered(b),
        json!(["report", "confirm"]),
        "the lead: no 销号, no reopening"
    );
    // An empty report: refused on the page with the reason.
    b.js("document.querySelector('#act').value = 'report'");
    b.click("#act-form button");
    b.wait(
        "the empty report refused",
        "const e = document.querySelector('#act-result .error'); return e && e.textContent.includes('请填写')",
    );
    // A confirmation without evidence: the form says so, and the API's refusal is shown.
    b.js("const s = document.querySelector('#act'); s.value = 'confirm'; s.dispatchEvent(new Event('change'))");
    assert!(b.text("#act-needs").as_str().unwrap().contains("证明材料"));
    // Oversized and wrong-type files are refused before sending, naming the file.
    b.choose_file(
        "#evidence",
        "大文件.pdf",
        "application/pdf",
        &vec![b'%'; 6 * 1024 * 1024],
    );
    b.wait(
        "the oversized file refused",
        "const e = document.querySelector('#evidence-result .error'); return e && e.textContent.includes('大文件.pdf') && e.textContent.includes('5 MB')",
    );
    b.choose_file(
        "#evidence",
        "清单.docx",
        "application/msword",
        b"PK\x03\x04",
    );
    b.wait(
        "the wrong type refused",
        "const e = document.querySelector('#evidence-result .error'); return e && e.textContent.includes('清单.docx')",
    );
    // A PDF named so but not one: the API refuses by content, and the page says its reason.
    b.choose_file("#evidence", "假的.pdf", "application/pdf", b"MZ not a pdf");
    b.wait(
        "the API's refusal shown",
        "const e = document.querySelector('#evidence-result .error'); return e && e.textContent.includes('假的.pdf') && e.textContent.includes('PDF')",
    );
    let image = png(160, 100);
    let name = "整改现场照片（王口）.png";
    b.choose_file("#evidence", name, "image/png", &image);
    b.wait(
        "the evidence listed",
        &format!("return [...document.querySelectorAll('.evidence-name')].some((e) => e.textContent === {})", json!(name)),
    );
    // The success notice stays (it is dismissed by hand).
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        b.text("#measure-notice")
            .as_str()
            .unwrap_or("")
            .contains(name),
        "{}",
        b.text("#measure-notice")
    );
    b.wait(
        "the image drawn",
        "const i = document.querySelector('.evidence-thumb'); return i && i.complete && i.naturalWidth === 160",
    );
    // Downloaded from the page's own link: the same bytes, the same name.
    let got = b.js("const a = document.querySelector('.evidence-download'); return fetch(a.href, { credentials: 'same-origin' }).then(async (r) => { const u = new Uint8Array(await r.arrayBuffer()); let s = ''; for (const x of u) s += String.fromCharCode(x); return [btoa(s), r.headers.get('content-disposition'), a.getAttribute('download')]; })");
    assert_eq!(
        got[0].as_str(),
        Some(base64_encode(&image).as_str()),
        "byte-identical"
    );
    assert!(got[1].as_str().unwrap().starts_with("attachment"), "{got}");
    assert_eq!(got[2].as_str(), Some(name));
    // The reminder acknowledged, then the confirmation with a text.
    b.click("#reminders button.ack");
    b.wait(
        "the reminder acknowledged",
        "const r = document.querySelector('#reminders tr[data-reminder]'); return r && r.dataset.acked === '1'",
    );
    b.js("const s = document.querySelector('#act'); s.value = 'confirm'; s.dispatchEvent(new Event('change'))");
    assert_eq!(b.text("#act-needs"), json!(""), "evidence attached");
    b.type_into("#act-text", "新能源车辆推广已完成，验收照片已上传");
    b.click("#act-form button");
    b.wait(
        "M21 completed",
        "const s = document.querySelector('#measure-status'); return s && s.dataset.status === 'completed'",
    );
    no_errors(b, "the lead's acts");
    chinese_only(b, "M21 for the lead");
    assert_eq!(offered(b), json!([]), "completed: the lead has no act left");
    b.screenshot_page("ledger-lead-completed.png");
    b.log_out(&web);

    eprintln!("browser test: the bureau closes it; closed, only reopening is offered");
    b.log_in(&web, "sthj", CHANGED);
    visit(
        b,
        &web,
        "#/measure/M21",
        "M21 completed, for the bureau",
        "return document.querySelector('#act') !== null",
    );
    assert_eq!(offered(b), json!(["close", "reopen"]));
    b.js("document.querySelector('#act').value = 'close'");
    b.type_into("#act-text", "经现场核查，同意销号");
    b.click("#act-form button");
    b.wait(
        "M21 closed",
        "const s = document.querySelector('#measure-status'); return s && s.dataset.status === 'closed'",
    );
    assert_eq!(offered(b), json!(["reopen"]));
    assert_eq!(
        b.js("return document.querySelector('#evidence') === null"),
        json!(true),
        "no upload on a closed item"
    );
    b.screenshot_page("ledger-bureau-closed.png");
    b.log_out(&web);

    eprintln!("browser test: a township's own list and its own part");
    b.log_in(&web, "wk", CHANGED);
    visit(
        b,
        &web,
        "#/ledger?mine=1",
        "the township's measures",
        "return document.querySelectorAll('#ledger-table tr[data-id]').length === 53",
    );
    assert_eq!(b.text("#status-head"), json!("本乡镇状态"));
    chinese_only(b, "the township's list");
    status_tags_on_one_line(b, "the township's list");
    b.screenshot_page("ledger-township-mine.png");
    visit(
        b,
        &web,
        "#/measure/M22",
        "M22 for the township",
        "return document.querySelector('#township-parts') !== null && document.querySelector('#act') !== null",
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#township-parts tr[data-part]')].map((r) => r.dataset.part)"),
        json!(["wangkou"]),
        "its own part only"
    );
    assert_eq!(
        offered(b),
        json!(["report", "confirm"]),
        "its own part's acts"
    );
    b.type_into("#act-text", "王口镇已完成辖区排查");
    b.click("#act-form button");
    b.wait(
        "the township's part reported",
        "const r = document.querySelector('#township-parts tr[data-part=wangkou]'); return r && r.dataset.reports === '1'",
    );
    no_errors(b, "the township's report");
    b.screenshot_page("ledger-township-part.png");

    eprintln!("browser test: English pages carry no Chinese outside names");
    b.click("#lang");
    for (hash, ready) in [
        ("#/ledger?mine=1", "#ledger-table tr[data-id]"),
        ("#/measure/M22", "#township-parts"),
    ] {
        visit(
            b,
            &web,
            hash,
            hash,
            &format!(
                "return document.documentElement.lang === 'en' && document.querySelector('{ready}') !== null"
            ),
        );
        assert_eq!(
            b.js(CHINESE_CHROME),
            json!([]),
            "Chinese words on the English page {hash}"
        );
    }
    b.screenshot_page("ledger-township-part-en.png");
    b.click("#lang");
    b.log_out(&web);
    b.log_in(&web, "sthj", CHANGED);
    b.click("#lang");
    for (hash, ready) in [("#/ledger", "#unit-stats"), ("#/measure/M21", "#reminders")] {
        visit(
            b,
            &web,
            hash,
            hash,
            &format!(
                "return document.documentElement.lang === 'en' && document.querySelector('{ready}') !== null"
            ),
        );
        assert_eq!(
            b.js(CHINESE_CHROME),
            json!([]),
            "Chinese words on the English page {hash}"
        );
    }
    b.screenshot_page("ledger-bureau-measure-en.png");
    b.click("#lang");

    eprintln!("browser test: the ledger and a measure on a phone");
    set_size(b, 390, 844);
    visit(
        b,
        &web,
        "#/ledger",
        "the ledger on a phone",
        "return document.querySelectorAll('#ledger-table tr[data-id]').length === 53",
    );
    status_tags_on_one_line(b, "the ledger on a phone");
    assert_eq!(
        b.js("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
        json!(true),
        "the page itself does not scroll sideways (tables scroll in their frame)"
    );
    b.screenshot("ledger-phone-list.png");
    visit(
        b,
        &web,
        "#/measure/M21",
        "M21 on a phone",
        "return document.querySelector('#evidence-list') !== null",
    );
    let wide = b.js("return document.documentElement.scrollWidth <= window.innerWidth + 1 ? [] : [...document.querySelectorAll('#view *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap')).slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className)");
    assert_eq!(wide, json!([]), "elements wider than the phone on M21");
    b.screenshot("ledger-phone-measure.png");
    set_size(b, 1280, 900);
    b.log_out(&web);

    eprintln!("browser test: the public sees no acts and no evidence");
    visit(
        b,
        &web,
        "#/measure/M21",
        "M21 for the public",
        "return document.querySelector('#measure-status') !== null",
    );
    assert_eq!(
        b.js("return [document.querySelector('#act-form'), document.querySelector('#evidence-list'), document.querySelector('#remind-form')].every((e) => e === null)"),
        json!(true)
    );
    assert_eq!(b.js(HOOK_ERRORS), json!(true));
    chinese_only(b, "M21 for the public");
}
