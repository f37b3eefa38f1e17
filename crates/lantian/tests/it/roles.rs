//! Every role against every act on the ledger, through both front ends: the same accounts
//! act on the same measures with `lantian ledger …` on one data directory and through the
//! HTTP API of `lantian serve` on another, and each decision must be the same.

use super::ledger::user;
use super::serve::{Login, Server, login, request};
use super::*;
use serde_json::{Value, json};

/// What a front end decided: allowed, and what it said.
#[derive(Clone, Debug)]
struct Decision {
    ok: bool,
    message: String,
}

/// One account's act on one measure, through both front ends.
struct Case {
    measure: String,
    act: &'static str,
    account: &'static str,
    cli: Decision,
    api: Decision,
}

impl Case {
    /// Same decision, and a refusal gives the same reason.
    fn agrees(&self) -> bool {
        self.cli.ok == self.api.ok
            && (self.cli.ok
                || (!self.api.message.is_empty() && self.cli.message.contains(&self.api.message)))
    }
}

fn short(s: &str) -> String {
    let s = s.trim().trim_start_matches("lantian: error: ");
    s.chars().take(70).collect::<String>().replace('\n', " ")
}

fn table(cases: &[Case]) -> String {
    let mut t = String::from("measure  act       account  cli   api   | cli says | api says\n");
    for c in cases {
        let yn = |d: &Decision| if d.ok { "ok" } else { "no" };
        t.push_str(&format!(
            "{:<8} {:<9} {:<8} {:<5} {:<5} {} | {} | {}\n",
            c.measure,
            c.act,
            c.account,
            yn(&c.cli),
            yn(&c.api),
            if c.agrees() { " " } else { "≠" },
            short(&c.cli.message),
            short(&c.api.message),
        ));
    }
    t
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR evidence";

/// The accounts, in the order they act. The departments come before the bureau so that the
/// lead unit's confirmation is the one that completes a measure.
const ACCOUNTS: [(&str, &str, Option<&str>); 8] = [
    ("gx", "department", Some("市科学技术和工业信息化局")),
    ("jt", "department", Some("市交通运输局")),
    ("sw", "department", Some("市水务局")),
    ("wk", "township", Some("wangkou")),
    ("ops", "operations", None),
    ("ent", "enterprise", Some("AS")),
    ("sthj", "bureau", Some("市生态环境局")),
    ("admin", "admin", None),
];

const ACTS: [&str; 6] = [
    "report", "evidence", "confirm", "correct", "close", "reopen",
];

fn cli(dir: &str, png: &str, measure: &str, act: &str, who: &str) -> Decision {
    let base = [
        "ledger",
        act,
        "--data-dir",
        dir,
        "--measure",
        measure,
        "--as",
        who,
    ];
    let mut args: Vec<&str> = Vec::new();
    match act {
        "evidence" => {
            args.extend(base);
            args.push(png);
        }
        "correct" => {
            args.extend(base);
            args.extend(["--monthly-target", "2026-11=80", "--note", "n"]);
        }
        _ => {
            args.extend(["ledger", "report", "--data-dir", dir, "--measure", measure]);
            args.extend(["--as", who, "--action", act, "--text", "进展说明"]);
        }
    }
    let out = lantian(&args);
    Decision {
        ok: out.status.success(),
        message: stderr(&out),
    }
}

fn api(addr: &str, l: &Login, measure: &str, act: &str) -> Decision {
    let (path, body, kind) = match act {
        "evidence" => (
            format!("/api/v1/ledger/{measure}/evidence"),
            PNG.to_vec(),
            "application/octet-stream",
        ),
        "correct" => (
            format!("/api/v1/ledger/{measure}/correct"),
            json!({ "monthly_targets": [{ "month": "2026-11", "value": 80 }], "note": "n" })
                .to_string()
                .into_bytes(),
            "application/json",
        ),
        _ => (
            format!("/api/v1/ledger/{measure}/events"),
            json!({ "action": act, "text": "进展说明" })
                .to_string()
                .into_bytes(),
            "application/json",
        ),
    };
    let r = request(
        addr,
        "POST",
        &path,
        &[
            ("Content-Type", kind),
            ("Cookie", &l.cookie),
            ("X-CSRF-Token", &l.csrf),
            ("X-Filename", "e.png"),
        ],
        &body,
    );
    let j = r.json();
    Decision {
        ok: (200..300).contains(&r.status),
        message: j["error"]["message"]
            .as_str()
            .map_or_else(|| format!("HTTP {}", r.status), str::to_owned),
    }
}

/// Every measure as listed by the CLI: (id, status, status_zh).
fn cli_statuses(dir: &str) -> Vec<(String, String, String)> {
    let out = lantian(&["ledger", "list", "--data-dir", dir, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    list.iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["status"].as_str().unwrap().to_owned(),
                m["status_zh"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_role_gets_the_same_ledger_decision_from_the_cli_and_the_api() {
    let started = std::time::Instant::now();
    let dir_a = temp_dir("roles-cli");
    let dir_b = temp_dir("roles-api");
    let (a, b) = (dir_a.to_str().unwrap(), dir_b.to_str().unwrap());
    for d in [a, b] {
        let out = lantian(&[
            "enterprise",
            "add",
            "--data-dir",
            d,
            "--id",
            "AS",
            "--name",
            "澳森特钢",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for (name, role, unit) in ACCOUNTS {
        user(a, name, role, unit);
        user(b, name, role, unit);
    }
    let png = dir_a.join("e.png");
    std::fs::write(&png, PNG).unwrap();
    let png = png.to_str().unwrap();

    // The measure of every township, as read from the list.
    let out = lantian(&["ledger", "list", "--data-dir", a, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let towns = list
        .iter()
        .find(|m| {
            m["lead_units"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u == "各乡镇")
        })
        .expect("a measure led by 各乡镇")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let measures = ["M21".to_owned(), towns.clone()];

    let server = Server::start(b, &[]);
    let addr = server.http.clone();
    let logins: Vec<Login> = ACCOUNTS
        .iter()
        .map(|(n, ..)| login(&addr, n, "correct horse battery"))
        .collect();

    let mut cases = Vec::new();
    for m in &measures {
        for act in ACTS {
            for ((name, ..), l) in ACCOUNTS.iter().zip(&logins) {
                cases.push(Case {
                    measure: m.clone(),
                    act,
                    account: name,
                    cli: cli(a, png, m, act, name),
                    api: api(&addr, l, m, act),
                });
            }
        }
    }
    let report = table(&cases);
    let disagree: Vec<&Case> = cases.iter().filter(|c| !c.agrees()).collect();
    assert!(
        disagree.is_empty(),
        "the CLI and the API disagree in {} case(s) (marked ≠):\n{report}",
        disagree.len()
    );

    // What the rules say, on both fronts: who succeeds at each act, in the order above
    // (the lead's confirmation completes a measure, so the bureau's then fails; the
    // bureau closes it, so the administrator's close then fails; the bureau reopens it, so
    // the administrator's reopen then fails). Everyone else is refused.
    // A township shares every measure (the plan's rule): on M21 it reports on, attaches
    // evidence to and confirms its own part.
    let expected: [(&str, &str, &[&str]); 12] = [
        ("M21", "report", &["gx", "jt", "wk", "sthj", "admin"]),
        ("M21", "evidence", &["gx", "jt", "wk", "sthj", "admin"]),
        ("M21", "confirm", &["gx", "wk"]),
        ("M21", "correct", &["sthj", "admin"]),
        ("M21", "close", &["sthj"]),
        ("M21", "reopen", &["sthj"]),
        (towns.as_str(), "report", &["wk", "sthj", "admin"]),
        (towns.as_str(), "evidence", &["wk", "sthj", "admin"]),
        (towns.as_str(), "confirm", &["wk"]),
        (towns.as_str(), "correct", &["sthj", "admin"]),
        (towns.as_str(), "close", &["sthj"]),
        (towns.as_str(), "reopen", &["sthj"]),
    ];
    let mut wrong = Vec::new();
    for c in &cases {
        let (.., who) = expected
            .iter()
            .find(|(m, act, _)| *m == c.measure && *act == c.act)
            .unwrap();
        let want = who.contains(&c.account);
        for (front, d) in [("cli", &c.cli), ("api", &c.api)] {
            if d.ok != want {
                wrong.push(format!(
                    "{} {} {} via {front}: expected {}, got {} ({})",
                    c.measure,
                    c.act,
                    c.account,
                    if want { "ok" } else { "refused" },
                    if d.ok { "ok" } else { "refused" },
                    short(&d.message)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "decisions against the rules:\n{}\n{report}",
        wrong.join("\n")
    );
    // The reasons given, where the status machine rather than the role decides.
    let says = |m: &str, act: &str, who: &str, reason: &str| {
        let c = cases
            .iter()
            .find(|c| c.measure == m && c.act == act && c.account == who)
            .unwrap();
        assert!(
            c.api.message.contains(reason) && c.cli.message.contains(reason),
            "{m} {act} {who}: expected {reason:?}, the CLI said {:?}, the API {:?}",
            c.cli.message,
            c.api.message
        );
    };
    says(
        "M21",
        "report",
        "sw",
        "only measures your unit leads or supports",
    );
    let wk = cases
        .iter()
        .find(|c| c.measure == "M21" && c.act == "report" && c.account == "wk")
        .unwrap();
    assert!(
        wk.cli.message.contains("wangkou's part now"),
        "a township's report on a measure it does not lead moves its own part: {:?}",
        wk.cli.message
    );
    says("M21", "confirm", "jt", "only the lead unit confirms");
    says("M21", "confirm", "sthj", "already completed");
    says("M21", "close", "gx", "only the bureau closes");
    says(
        "M21",
        "close",
        "admin",
        "only completed measures can be closed",
    );
    says("M21", "reopen", "admin", "the measure is not completed");
    says(
        towns.as_str(),
        "report",
        "jt",
        "only measures your unit leads or supports",
    );
    says(towns.as_str(), "correct", "wk", "only the bureau corrects");

    // The two stores agree on every measure's status.
    let r = request(&addr, "GET", "/api/v1/ledger?per_page=100", &[], b"");
    assert_eq!(r.status, 200);
    let items = r.json()["items"].as_array().unwrap().clone();
    let from_cli = cli_statuses(a);
    assert_eq!(
        items.len(),
        from_cli.len(),
        "as many measures in both stores"
    );
    let mut differ = Vec::new();
    for (id, status, status_zh) in &from_cli {
        let row = items
            .iter()
            .find(|x| x["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} missing from the API's list"));
        let same = row["status_zh"] == status_zh.as_str()
            && row.get("status").is_none_or(|s| s == status.as_str());
        if !same {
            differ.push(format!(
                "{id}: CLI {status}/{status_zh}, API {}/{}",
                row["status"], row["status_zh"]
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "the stores disagree:\n{}",
        differ.join("\n")
    );
    let finals: Vec<&(String, String, String)> = from_cli
        .iter()
        .filter(|(id, ..)| measures.contains(id))
        .collect();
    // Open again: in progress, or 逾期 once past the plan's end (their default deadline).
    assert!(
        finals
            .iter()
            .all(|(_, s, _)| s == "in_progress" || s == "overdue"),
        "reopened measures are open again: {finals:?}"
    );
    drop(server);
    eprintln!(
        "roles: {} cases through both fronts in {:.1?}",
        cases.len(),
        started.elapsed()
    );
}
