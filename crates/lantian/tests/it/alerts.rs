//! Alerts pushed to people (issue 17). Through a real `lantian serve`: an hour of heavy
//! pollution sent through the gateway reaches a local HTTP receiver as a WeCom markdown
//! message, a signed DingTalk text message (the signature checked with `openssl`) and an
//! SMS gateway's JSON body within a minute; a receiver answering 500 is logged and retried;
//! the township of the station finds it in its inbox, another township does not. In
//! process, on SQLite and PostgreSQL: overdue and due measures alert once per cool-down,
//! deliveries are retried on the back-off schedule until failed, every attempt logged.

use super::alarms_live::{mn, now_ms, township_station};
use super::serve::{Login, Server, login, request};
use super::*;
use lantian_app::alerts::{self, Answer, ChannelInput, Outgoing, RuleInput, Sender};
use lantian_app::{Account, App, Caller, Clock, County};
use lantian_core::alerts::{DeliveryStatus, Kind};
use lantian_core::org::Role;
use lantian_core::pollutant::Pollutant;
use lantian_core::{Date, cst};
use lantian_store::{Location, Page, Store};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "correct horse battery";

/// A request the receiver got: path with query, content type, body.
#[derive(Clone, Debug)]
struct Received {
    target: String,
    content_type: String,
    body: String,
}

/// A local HTTP receiver: answers `{"errcode":0}` (200) to every path but `/fail…` (500).
fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap_or(0);
            let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let (mut len, mut ct) = (0usize, String::new());
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "content-length" => len = v.trim().parse().unwrap_or(0),
                        "content-type" => ct = v.trim().to_owned(),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap_or(());
            let fail = target.starts_with("/fail");
            g.lock().unwrap().push(Received {
                target,
                content_type: ct,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let (status, answer) = if fail {
                ("500 Internal Server Error", r#"{"errcode":-1}"#)
            } else {
                ("200 OK", r#"{"errcode":0,"errmsg":"ok"}"#)
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (addr, got)
}

fn call(s: &Server, who: &Login, method: &str, path: &str, body: Value) -> (u16, Value) {
    let text = body.to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("Cookie", who.cookie.as_str()),
        ("X-CSRF-Token", who.csrf.as_str()),
    ];
    let body: &[u8] = if method == "GET" {
        b""
    } else {
        text.as_bytes()
    };
    let r = request(&s.http, method, path, &headers, body);
    (r.status, r.json())
}

/// `lantian send` of one hour of heavy pollution (PM2.5 250 µg/m³: IAQI 300) starting at
/// `start` from station `id`'s logger.
fn send_heavy_hour(s: &Server, dir: &std::path::Path, id: &str, start: i64) {
    let mut csv = String::from("时间");
    for p in Pollutant::ALL {
        csv.push_str(&format!(",{}", p.hj212_code()));
    }
    csv.push('\n');
    csv.push_str(&cst::format_minute(start));
    for p in Pollutant::ALL {
        let v = if p == Pollutant::Pm25 { 250 } else { 20 };
        csv.push_str(&format!(",{v}"));
    }
    csv.push('\n');
    let file = dir.join("heavy.csv");
    std::fs::write(&file, csv).unwrap();
    lantian_ok(&[
        "send",
        "--to",
        &s.hj,
        "--mn",
        &mn(id),
        "--password",
        "123456",
        "--format",
        "csv",
        file.to_str().unwrap(),
    ]);
}

/// HMAC-SHA256 in Base64, computed by `openssl` (independent of the code under test), or
/// `None` when openssl is missing.
fn openssl_sign(ts: &str, secret: &str) -> Option<String> {
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("openssl dgst -sha256 -hmac '{secret}' -binary | base64"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(format!("{ts}\n{secret}").as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn a_heavy_hour_reaches_wecom_dingtalk_and_sms_receivers_within_a_minute() {
    let dir = temp_dir("alerts-live");
    let users = [
        ("bureau1", Role::Bureau, None),
        ("wk1", Role::Township, Some("wangkou")),
        ("jq1", Role::Township, Some("jiuqu")),
    ];
    township_station(&dir, "T-AL", "王口预警站", &users);
    let (rx, got) = receiver();
    let s = Server::start(dir.to_str().unwrap(), &["--alert-private-hosts"]);
    let bureau = login(&s.http, "bureau1", PASSWORD);

    let channels = [
        json!({ "name": "企业微信群", "kind": "wecom", "format": "markdown",
                "url": format!("http://{rx}/wecom?key=K-0123456789") }),
        json!({ "name": "钉钉群", "kind": "dingtalk", "format": "text", "secret": "SECtest42",
                "mobiles": ["13800000001"], "url": format!("http://{rx}/dingtalk?access_token=T42") }),
        json!({ "name": "短信网关", "kind": "sms", "mobiles": ["13800000002", "13800000003"],
                "template": r#"{"to":"{mobiles}","msg":"{text}"}"#, "url": format!("http://{rx}/sms") }),
        json!({ "name": "坏的网关", "kind": "wecom", "url": format!("http://{rx}/fail?key=x") }),
    ];
    let mut ids = Vec::new();
    for c in &channels {
        let (st, v) = call(&s, &bureau, "POST", "/api/v1/alerts/channels", c.clone());
        assert_eq!(st, 201, "{v}");
        assert!(!v.to_string().contains("K-0123456789") && !v.to_string().contains("SECtest42"));
        ids.push(v["id"].as_i64().unwrap());
    }
    let (st, v) = call(
        &s,
        &bureau,
        "POST",
        "/api/v1/alerts/rules",
        json!({ "name": "重污染", "kind": "aqi_above", "threshold": 200, "channel_ids": ids }),
    );
    assert_eq!(st, 201, "{v}");

    // The last complete hour, sent now: the trigger.
    let hour = cst::hour_start(cst::from_unix_ms(now_ms())) - cst::HOUR_S;
    send_heavy_hour(&s, &dir, "T-AL", hour);
    s.projected();
    let sent_ms = now_ms();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let ok = |g: &[Received]| {
        ["/wecom", "/dingtalk", "/sms"]
            .iter()
            .all(|p| g.iter().any(|r| r.target.starts_with(p)))
    };
    while !ok(&got.lock().unwrap()) {
        assert!(
            std::time::Instant::now() < deadline,
            "no alert within a minute: {:?}",
            got.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let delay_ms = now_ms() - sent_ms;
    println!("alert received {delay_ms} ms after the data was queryable");
    let g = got.lock().unwrap().clone();
    let find = |p: &str| g.iter().find(|r| r.target.starts_with(p)).unwrap().clone();

    let w = find("/wecom");
    assert_eq!(w.target, "/wecom?key=K-0123456789");
    let wb: Value = serde_json::from_str(&w.body).unwrap();
    assert_eq!(wb["msgtype"], "markdown", "{wb}");
    let content = wb["markdown"]["content"].as_str().unwrap();
    for part in [
        "王口预警站",
        "AQI 300",
        "重度污染",
        "北京时间",
        "超过预警线 200",
    ] {
        assert!(content.contains(part), "{part} missing in {content}");
    }
    assert!(w.content_type.starts_with("application/json"));

    let d = find("/dingtalk");
    let db: Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(db["msgtype"], "text", "{db}");
    assert!(
        db["text"]["content"]
            .as_str()
            .unwrap()
            .contains("@13800000001")
    );
    assert_eq!(db["at"]["atMobiles"], json!(["13800000001"]));
    let query: std::collections::HashMap<&str, &str> = d
        .target
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    assert_eq!(query["access_token"], "T42");
    match openssl_sign(query["timestamp"], "SECtest42") {
        Some(want) => assert_eq!(percent_decoded(query["sign"]), want),
        None => lantian_store::testing::not_run("DingTalk's signature check (openssl is missing)"),
    }

    let m = find("/sms");
    assert!(m.content_type.starts_with("application/json"));
    let mb: Value = serde_json::from_str(&m.body).unwrap();
    assert_eq!(mb["to"], "13800000002,13800000003");
    assert!(mb["msg"].as_str().unwrap().contains("王口预警站"), "{mb}");

    // The log: three sent at the first attempt, the failing one retrying after a 500.
    let (st, log) = call(&s, &bureau, "GET", "/api/v1/alerts/deliveries", json!(null));
    assert_eq!(st, 200);
    let log = log["deliveries"].as_array().unwrap().clone();
    assert_eq!(log.len(), 4, "{log:?}");
    let sent = log.iter().filter(|d| d["status"] == "sent").count();
    assert_eq!(sent, 3, "{log:?}");
    let bad = log.iter().find(|d| d["channel"] == "坏的网关").unwrap();
    assert_eq!(bad["status"], "pending", "{bad}");
    assert_eq!(bad["attempt_log"][0]["http_status"], 500, "{bad}");

    // The inbox: the station's township sees it (unread, then read); another does not.
    let wk = login(&s.http, "wk1", PASSWORD);
    let (_, inbox) = call(&s, &wk, "GET", "/api/v1/alerts/inbox", json!(null));
    assert_eq!(inbox["unread"], 1, "{inbox}");
    assert_eq!(inbox["events"][0]["link"], "#/station/T-AL");
    let (_, after) = call(&s, &wk, "POST", "/api/v1/alerts/inbox/read", json!({}));
    assert_eq!(after["unread"], 0, "{after}");
    let jq = login(&s.http, "jq1", PASSWORD);
    let (_, other) = call(&s, &jq, "GET", "/api/v1/alerts/inbox", json!(null));
    assert_eq!(other["events"], json!([]), "{other}");
}

/// A sender that answers by the URL: `ok` → errcode 0; `sig` → DingTalk's signature error
/// (HTTP 200, errcode 310000); `down` → no connection.
#[derive(Default)]
struct Fake {
    posts: Mutex<Vec<Outgoing>>,
}

impl Sender for Fake {
    fn post(&self, o: &Outgoing) -> Result<Answer, String> {
        self.posts.lock().unwrap().push(o.clone());
        if o.url.contains("down") {
            return Err("connection refused".to_owned());
        }
        let errcode = if o.url.contains("sig") { 310000 } else { 0 };
        Ok(Answer {
            status: 200,
            body: format!(r#"{{"errcode":{errcode},"errmsg":"x"}}"#),
        })
    }
}

fn bj(date: &str, hh: i64) -> i64 {
    cst::to_unix_ms(cst::day_start(Date::parse(date).unwrap()) + hh * 3600)
}

fn at(app: &App, unix_ms: i64) -> App {
    let mut a = app.clone();
    a.clock = Clock::Fixed { unix_ms };
    a
}

fn account(name: &str, role: Role, unit: Option<&str>) -> Caller {
    Caller::Account(Account {
        username: name.into(),
        role,
        unit_id: unit.map(str::to_owned),
        unit_kind: None,
        source: "test".into(),
    })
}

fn measures_story(store: Store) {
    let t0 = bj("2026-01-05", 9);
    let store = Arc::new(store);
    County::xinji().install(&store, 0).unwrap();
    let app = App::new(
        store.clone(),
        Clock::Fixed { unix_ms: t0 },
        Arc::new(County::xinji()),
        None,
    );
    let bureau = account("bureau1", Role::Bureau, None);
    let mut ch = Vec::new();
    for (name, kind, url) in [
        ("ok", "wecom", "http://ok/"),
        ("sig", "dingtalk", "http://sig/"),
        ("down", "sms", "http://down/"),
    ] {
        let c = alerts::create_channel(
            &app,
            &bureau,
            &ChannelInput {
                name: name.into(),
                kind: kind.into(),
                url: url.into(),
                secret: Some("S".into()),
                mobiles: vec!["13800000000".into()],
                template: Some("to={mobiles}&text={text}".into()),
                ..ChannelInput::default()
            },
        )
        .unwrap();
        ch.push(c.id);
    }
    let rule = |kind: &str, threshold: Option<f64>, channels: Vec<i64>| RuleInput {
        name: kind.into(),
        kind: kind.into(),
        threshold,
        cooldown_min: Some(24 * 60),
        channel_ids: channels,
        ..RuleInput::default()
    };
    alerts::create_rule(&app, &bureau, &rule("measure_overdue", None, ch.clone())).unwrap();
    alerts::create_rule(&app, &bureau, &rule("measure_due", Some(30.0), vec![])).unwrap();
    // The township may not set rules.
    let wk = account("wk1", Role::Township, Some("wangkou"));
    assert!(alerts::create_rule(&app, &wk, &rule("measure_due", None, vec![])).is_err());

    // Independently: unfinished measures with a deadline within 30 days of the first day,
    // and those past their last deadline on the second (Xinji's list ends 2025-12-31).
    let (day_due, day_late) = (
        Date::parse("2025-12-10").unwrap(),
        Date::parse("2026-01-05").unwrap(),
    );
    let ms = store.measures().unwrap();
    let due =
        ms.iter()
            .filter(|m| !m.status.done())
            .filter(|m| {
                m.fields.deadlines.iter().any(|d| {
                    (0..=30).contains(&(d.days_since_epoch() - day_due.days_since_epoch()))
                })
            })
            .count();
    let overdue = ms
        .iter()
        .filter(|m| !m.status.done())
        .filter(|m| {
            m.fields
                .deadlines
                .iter()
                .max()
                .is_some_and(|d| *d < day_late)
        })
        .count();
    assert!(overdue > 0 && due > 0, "{overdue} {due}");

    // (instant, alerts recorded): once, nothing during the cool-down, again after it.
    let t_due = bj("2025-12-10", 9);
    let cases = [
        (t_due, due),
        (t_due + 60_000, 0),
        (t0, overdue),
        (t0 + 60_000, 0),
        (t0 + (24 * 60 - 1) * 60_000, 0),
    ];
    for (instant, want) in cases {
        let n = alerts::evaluate(&at(&app, instant)).unwrap();
        assert_eq!(n, want, "at {}", cst::format_unix_ms(instant));
    }

    // Deliveries: `ok` sent at once; `sig` and `down` retried 1, 2, 4, 8 minutes later,
    // then failed after the fifth attempt.
    let fake = Fake::default();
    let r = alerts::deliver(&at(&app, t0), &fake).unwrap();
    assert_eq!((r.sent, r.retrying, r.failed), (overdue, 2 * overdue, 0));
    let mut t = t0;
    for wait_min in [1, 2, 4, 8] {
        // A minute early nothing is due.
        let early =
            alerts::deliver(&at(&app, t + (wait_min - 1) * 60_000 + 59_000), &fake).unwrap();
        assert_eq!(early, alerts::Delivered::default(), "{wait_min}");
        t += wait_min * 60_000;
        let r = alerts::deliver(&at(&app, t), &fake).unwrap();
        let last = wait_min == 8;
        assert_eq!(r.retrying, if last { 0 } else { 2 * overdue }, "{wait_min}");
        assert_eq!(r.failed, if last { 2 * overdue } else { 0 }, "{wait_min}");
    }
    let log = alerts::deliveries(&app, &bureau, Page::ALL).unwrap().items;
    assert_eq!(log.len(), 3 * overdue);
    for d in &log {
        let (status, attempts) = match d.channel.as_str() {
            "ok" => (DeliveryStatus::Sent, 1),
            _ => (DeliveryStatus::Failed, 5),
        };
        assert_eq!(d.delivery.status, status, "{}", d.channel);
        assert_eq!(d.attempt_log.len(), attempts, "{}", d.channel);
    }
    let down = log.iter().find(|d| d.channel == "down").unwrap();
    assert!(
        down.attempt_log
            .iter()
            .all(|a| a.answer == "connection refused")
    );
    let sig = log.iter().find(|d| d.channel == "sig").unwrap();
    assert!(sig.attempt_log[0].answer.contains("310000"));
    // Every DingTalk request was signed; the SMS body is form-encoded from the template.
    let posts = fake.posts.lock().unwrap();
    assert!(
        posts
            .iter()
            .filter(|o| o.url.starts_with("http://sig/"))
            .all(|o| o.url.contains("?timestamp=") && o.url.contains("&sign="))
    );
    let sms = posts
        .iter()
        .find(|o| o.url.starts_with("http://down/"))
        .unwrap();
    assert_eq!(sms.content_type, "application/x-www-form-urlencoded");
    assert!(
        sms.body.starts_with("to=13800000000&text=%E3%80%90"),
        "{}",
        sms.body
    );

    // The inbox: the bureau sees every alert; a department the measures it is responsible
    // for (counted independently); an enterprise is refused.
    let all = alerts::inbox(&app, &bureau, Page::ALL).unwrap();
    assert_eq!(all.events.len(), overdue + due);
    assert_eq!(all.unread, overdue + due);
    let dept = "市住建局";
    let theirs = all
        .events
        .iter()
        .filter(|e| e.units.iter().any(|u| u == dept))
        .count();
    let d = account("zj1", Role::Department, Some(dept));
    assert_eq!(
        alerts::inbox(&app, &d, Page::ALL).unwrap().events.len(),
        theirs
    );
    let e = account("ent1", Role::Enterprise, Some("E1"));
    assert!(alerts::inbox(&app, &e, Page::ALL).is_err());
    assert!(
        all.events
            .iter()
            .all(|e| matches!(e.kind, Kind::MeasureDue | Kind::MeasureOverdue))
    );
}

#[test]
fn measures_alert_once_per_cool_down_and_deliveries_retry_until_failed_on_both_backends() {
    let dir = temp_dir("alerts-measures");
    measures_story(Store::open_data_dir(&dir).unwrap());
    if let Some(base) = lantian_store::testing::pg_url() {
        let db = lantian_store::testing::PgDb::create(&base, "it_alerts");
        measures_story(Store::open(&Location::Postgres(db.url.clone())).unwrap());
    }
}

/// The forwarding alarm the gateway records (`forward_alarms`, docs/forwarding.md) reaches
/// the bureau's inbox once per episode and cool-down: again after the rule's cool-down while
/// the queue stays full, at once when it fills again after draining; a township sees none of
/// it.
fn forward_story(store: Store) {
    let t0 = bj("2026-12-01", 9);
    let store = Arc::new(store);
    County::xinji().install(&store, 0).unwrap();
    let app = App::new(
        store.clone(),
        Clock::Fixed { unix_ms: t0 },
        Arc::new(County::xinji()),
        None,
    );
    let bureau = account("bureau1", Role::Bureau, None);
    alerts::create_rule(
        &app,
        &bureau,
        &RuleInput {
            name: "转发".into(),
            kind: "forward_queue_full".into(),
            cooldown_min: Some(10),
            ..RuleInput::default()
        },
    )
    .unwrap();
    assert_eq!(alerts::evaluate(&app).unwrap(), 0, "nothing full yet");
    let (prov, addr) = ("province", "10.1.2.3:9000");
    store
        .set_forward_alarm(prov, addr, Some(t0), "queue full (4096 bytes)", t0)
        .unwrap();
    // Raised again by a later refusal: the episode keeps its start and reason.
    store
        .set_forward_alarm(prov, addr, Some(t0 + 5_000), "later", t0 + 5_000)
        .unwrap();
    let raised = store.forward_alarms().unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!(
        (raised[0].since_ms, raised[0].reason.as_str()),
        (t0, "queue full (4096 bytes)")
    );
    // (instant, alerts recorded): once; nothing during the 10-minute cool-down; a reminder
    // after it while still full.
    for (instant, want) in [(t0 + 60_000, 1), (t0 + 120_000, 0), (t0 + 660_000, 1)] {
        let n = alerts::evaluate(&at(&app, instant)).unwrap();
        assert_eq!(n, want, "at {}", cst::format_unix_ms(instant));
    }
    // Drained and closed, then full again within the cool-down: a new episode, a new alert.
    store
        .set_forward_alarm(prov, addr, None, "", t0 + 700_000)
        .unwrap();
    assert!(store.forward_alarms().unwrap().is_empty());
    assert_eq!(alerts::evaluate(&at(&app, t0 + 710_000)).unwrap(), 0);
    let t1 = t0 + 720_000;
    store
        .set_forward_alarm(prov, addr, Some(t1), "queue full (4096 bytes)", t1)
        .unwrap();
    assert_eq!(alerts::evaluate(&at(&app, t1 + 60_000)).unwrap(), 1);

    let inbox = alerts::inbox(&app, &bureau, Page::ALL).unwrap();
    let titles: Vec<&str> = inbox.events.iter().map(|e| e.title_zh.as_str()).collect();
    assert_eq!(titles, ["转发队列已满：province"; 3]);
    assert!(
        inbox.events[0].text_zh.contains(addr) && inbox.events[0].text_zh.contains("北京时间"),
        "{}",
        inbox.events[0].text_zh
    );
    let wk = account("wk1", Role::Township, Some("wangkou"));
    assert!(
        alerts::inbox(&app, &wk, Page::ALL)
            .unwrap()
            .events
            .is_empty()
    );
}

#[test]
fn a_full_forwarding_queue_alerts_the_bureau_once_per_episode_and_cool_down_on_both_backends() {
    let dir = temp_dir("alerts-forward");
    forward_story(Store::open_data_dir(&dir).unwrap());
    if let Some(base) = lantian_store::testing::pg_url() {
        let db = lantian_store::testing::PgDb::create(&base, "it_alerts_fwd");
        forward_story(Store::open(&Location::Postgres(db.url.clone())).unwrap());
    }
}
