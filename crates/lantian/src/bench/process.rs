//! The benchmarks' view of processes: CPU time and memory from `/proc`, and a `lantian`
//! server started as a child process and killed when dropped.

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Stdio};

/// Which CPU time of a process to read from `/proc/PID/stat`.
#[derive(Clone, Copy)]
pub enum Cpu {
    /// Its own: `utime` + `stime` (fields 14 and 15).
    Own,
    /// Its finished, waited-for children's: `cutime` + `cstime` (fields 16 and 17).
    Children,
}

/// CPU seconds (user + system) of process `pid` ("self" for this one) so far.
pub fn cpu_s(pid: &str, which: Cpu) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')',
    // at field 3; clock ticks are 100 per second on Linux.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |field: usize| {
        f.get(field - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let first = match which {
        Cpu::Own => 14,
        Cpu::Children => 16,
    };
    (ticks(first) + ticks(first + 1)) / 100.0
}

pub fn rss_kib(pid: u32) -> Result<u64> {
    status_kib(pid, "VmRSS:").context("no VmRSS")
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The token the bench reads `/metrics` with: `LANTIAN_METRICS_TOKEN` when set (a server
/// already running), else one made up for the servers it starts.
pub fn metrics_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        std::env::var("LANTIAN_METRICS_TOKEN")
            .unwrap_or_else(|_| lantian_store::password::random(32))
    })
}

/// One HTTP/1.0 scrape of `/metrics` with the bench's token.
pub fn metrics_request() -> String {
    format!(
        "GET /metrics HTTP/1.0\r\nHost: bench\r\nAuthorization: Bearer {}\r\n\r\n",
        metrics_token()
    )
}

/// A server started as `lantian ARGS`: the process, its HJ 212 address and, if it prints
/// one, its HTTP address.
pub fn spawn(exe: &std::path::Path, args: &[&str], http: bool) -> Result<(Server, String, String)> {
    let mut child = std::process::Command::new(exe)
        .args(args)
        .env("LANTIAN_LOG", "warn")
        .env("LANTIAN_METRICS_TOKEN", metrics_token())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut lines = std::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
    let server = Server(child);
    let (mut addr, mut http_addr) = (None, (!http).then(String::new));
    while addr.is_none() || http_addr.is_none() {
        let l = lines.next().context("the server exited")??;
        if let Some(a) = l.strip_prefix("hj212 listening on ") {
            addr = Some(a.to_owned());
        }
        if let Some(a) = l.strip_prefix("http listening on http://") {
            http_addr = Some(a.to_owned());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Ok((
        server,
        addr.unwrap_or_default(),
        http_addr.unwrap_or_default(),
    ))
}

/// CPU seconds of process `pid`'s threads so far, by thread id, with their names
/// (`lantian-project`, `lantian-writer`, `tokio-rt-worker`, ...).
pub fn cpu_s_by_thread(pid: u32) -> HashMap<String, (String, f64)> {
    let mut out = HashMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let tid = t.file_name().to_string_lossy().into_owned();
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let s = cpu_s(&format!("{pid}/task/{tid}"), Cpu::Own);
        out.insert(tid, (name.trim().to_owned(), s));
    }
    out
}

/// A `VmRSS`-like line of `/proc/PID/status`, in KiB.
pub fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| {
        l.strip_prefix(key)?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}
