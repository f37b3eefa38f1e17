//! Devices managed while `lantian serve` runs (`lantian device passwd|disable|enable|remove`
//! take effect without a restart), and `serve --demo`, whose devices get random passwords
//! and whose data stay out of the real data directory.

use super::serve::Server;
use super::*;
use lantian_hj212::encode::data_upload;
use lantian_hj212::{Check, Command, Limits, check, decode};
use lantian_store::Store;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::Duration;

const MN: &str = "010000A8900016F000169DC0";

/// Sends one hourly upload with `pw` on a new connection; returns the reply's CN and CP.
fn attempt(hj: &str, qn: &str, pw: &str) -> (u16, String) {
    let t = lantian_gateway::mapping::timestamp(20_089 * 86_400);
    let bytes = data_upload(
        "22",
        Command::HOURLY_DATA,
        qn,
        pw,
        MN,
        &t,
        &[("a34004", 10.0)],
    );
    let mut s = std::net::TcpStream::connect(hj).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&bytes).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Check::Frame { len } = check(&buf, &Limits::default()) {
            let p = decode(&buf[..len], &Limits::default()).unwrap();
            return (p.cn.0, p.cp.to_owned());
        }
        let n = s.read(&mut chunk).expect("a reply within 10 s");
        assert!(n > 0, "closed without a reply");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn device(verb: &str, d: &str, extra: &[&str]) -> std::process::Output {
    lantian(&[&["device", verb, "--data-dir", d, "--mn", MN][..], extra].concat())
}

#[test]
fn device_passwd_disable_enable_and_remove_take_effect_in_a_running_server() {
    let dir = temp_dir("device-cmds");
    let d = dir.to_str().unwrap();
    super::data_path::station(d, "XJ-01", "township", "xinji", MN);
    let server = Server::start(d, &["--no-device-setup"]);
    let hj = server.hj.clone();
    assert_eq!(attempt(&hj, "20250101000000001", "123456").0, 9014);

    lantian_ok(&[
        "device",
        "passwd",
        "--data-dir",
        d,
        "--mn",
        MN,
        "--password",
        "n3w-pass",
    ]);
    assert_eq!(
        attempt(&hj, "20250101000000002", "123456"),
        (9011, "QnRtn=3".to_owned()),
        "the old password"
    );
    assert_eq!(attempt(&hj, "20250101000000003", "n3w-pass").0, 9014);

    let empty = device("passwd", d, &["--password", ""]);
    assert!(!empty.status.success());
    assert!(
        stderr(&empty).contains("the password is empty"),
        "{}",
        stderr(&empty)
    );
    // Without --password, one is generated and printed once.
    let out = lantian_ok(&["device", "passwd", "--data-dir", d, "--mn", MN]);
    let generated = stdout(&out)
        .split("new password ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the generated password is printed")
        .to_owned();
    assert_eq!(generated.len(), 12);
    assert_eq!(attempt(&hj, "20250101000000004", "n3w-pass").1, "QnRtn=3");
    assert_eq!(attempt(&hj, "20250101000000005", &generated).0, 9014);

    lantian_ok(&["device", "disable", "--data-dir", d, "--mn", MN]);
    assert_eq!(
        attempt(&hj, "20250101000000006", &generated),
        (9011, "QnRtn=2".to_owned()),
        "disabled"
    );
    let list = lantian_ok(&["device", "list", "--data-dir", d]);
    assert!(
        stdout(&list).contains("\"disabled\": true"),
        "{}",
        stdout(&list)
    );
    lantian_ok(&["device", "enable", "--data-dir", d, "--mn", MN]);
    assert_eq!(attempt(&hj, "20250101000000007", &generated).0, 9014);

    lantian_ok(&["device", "remove", "--data-dir", d, "--mn", MN]);
    assert_eq!(
        attempt(&hj, "20250101000000008", &generated),
        (9011, "QnRtn=4".to_owned()),
        "removed: unknown"
    );
    let again = device("remove", d, &[]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains(MN), "{}", stderr(&again));
    // The refusals are in the archive with their reasons.
    drop(server);
    let store = Store::open_data_dir(&dir).unwrap();
    let verdicts: Vec<String> = store
        .archived(1, 100)
        .unwrap()
        .into_iter()
        .map(|(_, r)| r.verdict)
        .collect();
    for why in [
        "auth: bad password",
        "auth: device disabled",
        "auth: unknown MN",
    ] {
        assert!(verdicts.iter().any(|v| v == why), "{why}: {verdicts:?}");
    }
}

/// Starts `lantian serve --demo` on `dir`; returns the demo directory it names and the
/// printed demo passwords once it listens, and the child.
fn start_demo(dir: &str) -> (String, Vec<(String, String)>, std::process::Child) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args([
            "serve",
            "--demo",
            "--data-dir",
            dir,
            "--hj212",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut demo_dir, mut passwords) = (String::new(), Vec::new());
    loop {
        let l = lines.next().expect("serve prints its addresses").unwrap();
        if let Some(rest) = l.strip_prefix("demo: data kept apart in ") {
            demo_dir = rest.split(" (").next().unwrap().to_owned();
        }
        if let Some(rest) = l.strip_prefix("demo device ")
            && let Some((mn, pw)) = rest.split_once(": password ")
        {
            passwords.push((mn.to_owned(), pw.split(' ').next().unwrap().to_owned()));
        }
        if l.starts_with("http listening on") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (demo_dir, passwords, child)
}

#[test]
fn the_demo_keeps_its_data_apart_and_its_passwords_are_random_at_each_start() {
    let dir = temp_dir("demo-apart");
    let d = dir.to_str().unwrap();
    let (demo_dir, first, mut child) = start_demo(d);
    assert_eq!(demo_dir, dir.join("demo").display().to_string());
    assert!(first.len() >= 12, "every demo device's password: {first:?}");
    for (mn, pw) in &first {
        assert!(mn.starts_with("DEMO"), "{mn}");
        assert_eq!(pw.len(), 12, "{mn}: {pw}");
    }
    // The demo's devices log in with these passwords: the feed's values arrive.
    let started = std::time::Instant::now();
    loop {
        let observed = Store::open_data_dir(&dir.join("demo"))
            .unwrap()
            .counts()
            .unwrap()
            .1;
        if observed > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no demo value stored in 120 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A second start gives every device another password.
    let (_, second, mut child) = start_demo(d);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(second.len(), first.len());
    for ((mn1, pw1), (mn2, pw2)) in first.iter().zip(&second) {
        assert_eq!(mn1, mn2);
        assert_ne!(pw1, pw2, "{mn1}: the same password twice");
    }

    // A plain serve on the real data directory has no demo station, device or value.
    let server = Server::start(d, &["--no-device-setup"]);
    let stations = server.get("/api/v1/stations").to_string();
    assert!(
        !stations.contains("DEMO") && !stations.contains("演示"),
        "{stations}"
    );
    drop(server);
    let real = Store::open_data_dir(&dir).unwrap();
    assert!(
        real.stations().unwrap().iter().all(|s| !s.demo),
        "demo stations"
    );
    assert!(real.devices().unwrap().is_empty(), "demo devices");
    let (archived, observed, _) = real.counts().unwrap();
    assert_eq!((archived, observed), (0, 0), "demo packets or values");
    let demo = Store::open_data_dir(&dir.join("demo")).unwrap();
    assert!(demo.stations().unwrap().iter().any(|s| s.demo));
}
