//! `lantian serve`: the platform in one process: the HJ 212 gateway, the HTTP API and the
//! web UI, on the embedded database (or PostgreSQL).

use crate::context::StoreArgs;
use anyhow::{Context, Result};
use lantian_app::App;
use lantian_app::accounts::{self, NewUser};
use lantian_core::org::Role;
use lantian_gateway::forward::{self, Destination};
use lantian_gateway::{Config, Metrics, Setup};
use lantian_store::password;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

/// Shortest `--metrics-token` accepted.
pub const METRICS_TOKEN_CHARS_MIN: usize = 16;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// Address of the web UI and API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Address devices send HJ 212 to.
    #[arg(long, default_value = "0.0.0.0:9212")]
    hj212: SocketAddr,
    /// Do not send the set-up commands (time, intervals) to newly connected devices.
    #[arg(long)]
    no_device_setup: bool,
    /// Largest HJ 212 data segment accepted (the standard's limit is 1024).
    #[arg(long, default_value_t = 1024)]
    max_segment_bytes: usize,
    /// Packets whose observations the gateway projects into the tables per transaction at
    /// most (SQLite): larger sustains more under an overload, smaller needs less memory.
    #[arg(long, default_value_t = lantian_store::PROJECT_ROWS_MAX)]
    projection_round_packets: usize,
    /// The annual PM2.5 target (µg/m³) shown against this year's mean (default: the county
    /// profile's).
    #[arg(long)]
    target_pm25: Option<f64>,
    /// Add twelve demo stations at the township seats and feed them, through the gateway,
    /// with 60 days of real public data (UCI Beijing, CC BY 4.0) ending now; and three demo
    /// enterprises (steel, glass, tannery) with outlets and equipment, fed the last three
    /// days of generated CEMS, status and power data with a few faults. Labelled as demo
    /// data (演示) everywhere. The demo keeps its own database in DATA_DIR/demo (printed at
    /// start), so its stations and values never enter the real deployment's; its devices get
    /// random passwords at each start, printed once. Not with --postgres.
    #[arg(long)]
    demo: bool,
    /// Wrong device passwords from one address for one MN after which that MN is refused
    /// from that address, unchecked, for --device-lockout-minutes.
    #[arg(long, default_value_t = 10)]
    device_auth_failures_max: u32,
    /// The window of --device-auth-failures-max, and how long a lockout lasts (minutes).
    #[arg(long, default_value_t = 15)]
    device_lockout_minutes: u64,
    /// HJ 212 connections open at once from one source address at most.
    #[arg(long, default_value_t = 16)]
    connections_per_address: usize,
    /// Data dated more than this many minutes ahead of the server clock is refused.
    #[arg(long, default_value_t = 10)]
    future_margin_minutes: u64,
    /// Refused HJ 212 packets (unknown MN, wrong password, …) archived per source address and
    /// minute at most; the rest are counted, not archived.
    #[arg(long, default_value_t = 60)]
    refused_archived_per_minute: u32,
    /// A JSON file of settings: `http`, `hj212`, `data_dir`, `postgres`, `county`,
    /// `target_pm25`, `max_segment_bytes`, `projection_round_packets`, `device_setup`,
    /// `demo`. They replace the built-in defaults; a flag given with a non-default value on
    /// the command line wins over the file (`--gateway-name` and its environment variable
    /// whenever given).
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// The web UI is served over HTTPS (here or by a proxy in front): the session cookie is
    /// `Secure` and named `__Host-lantian_session`.
    #[arg(long)]
    secure_cookies: bool,
    /// A reverse proxy in front of the web UI (its IP address; repeatable): only from these
    /// peers is `X-Forwarded-For` believed, for the login throttle. None by default.
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token Prometheus sends to read `/metrics` (`Authorization: Bearer TOKEN`,
    /// at least 16 characters). Without it `/metrics` answers only a session of an
    /// administrator or operations.
    #[arg(
        long,
        env = "LANTIAN_METRICS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    metrics_token: Option<String>,
    #[command(flatten)]
    open_limits: crate::cmd_apikey::LimitArgs,
    /// Let alert webhooks reach private, loopback and link-local addresses (an SMS gateway on
    /// the office network). Off by default: a channel's URL is the bureau's, and the server's
    /// own network stays out of its reach.
    #[arg(long)]
    alert_private_hosts: bool,
    /// Forward the accepted data to an upstream HJ 212 platform (provincial, national):
    /// `NAME=HOST:PORT`, repeatable. Each destination has its own queue in
    /// DATA_DIR/forward/NAME; its other settings (edition, SM4 key, PW/MN, stations, queue
    /// size) come from the settings file's `forward` list (docs/forwarding.md).
    #[arg(long = "forward", value_name = "NAME=HOST:PORT")]
    forward: Vec<String>,
    /// This gateway's name: the archive chain it appends to (1 to 32 ASCII letters, digits,
    /// '-' or '_'). Several gateways writing one PostgreSQL or Citus database each need
    /// their own (docs/deployment.md); a second gateway under a name in use is refused.
    /// This flag, given at all (even as `main`), wins over LANTIAN_GATEWAY_NAME, which wins
    /// over the settings file's `gateway_name`; without any of them the name is `main`.
    #[arg(long, value_name = "NAME", env = "LANTIAN_GATEWAY_NAME")]
    gateway_name: Option<String>,
    /// The settings file's `forward` list.
    #[arg(skip)]
    forward_file: Vec<serde_json::Value>,
    /// The settings file's `forward_fsync` (default true).
    #[arg(skip)]
    forward_fsync: Option<bool>,
    /// The settings file's `hj212_2025` object (docs/hj212-2025.md).
    #[arg(skip)]
    profile2025: lantian_gateway::profile2025::Profile,
    /// The settings file's `reverse_control` object (docs/reverse-control.md).
    #[arg(skip)]
    reverse_control: lantian_gateway::control::Settings,
}

impl Args {
    /// Applies the settings file under the command line.
    fn with_config(mut self) -> Result<Args> {
        let Some(path) = self.config.clone() else {
            return Ok(self);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let c: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
        let Some(obj) = c.as_object() else {
            anyhow::bail!("{}: expected a JSON object", path.display())
        };
        const KEYS: [&str; 15] = [
            "http",
            "hj212",
            "data_dir",
            "postgres",
            "county",
            "target_pm25",
            "max_segment_bytes",
            "projection_round_packets",
            "device_setup",
            "demo",
            "forward",
            "forward_fsync",
            "hj212_2025",
            "reverse_control",
            "gateway_name",
        ];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            anyhow::bail!(
                "{}: unknown setting {k:?} (known: {})",
                path.display(),
                KEYS.join(", ")
            );
        }
        let bad = |k: &str| anyhow::anyhow!("{}: setting {k} has the wrong type", path.display());
        if let Some(v) = c.get("http")
            && self.http.to_string() == "127.0.0.1:8080"
        {
            self.http = v
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("http"))?;
        }
        if let Some(v) = c.get("hj212")
            && self.hj212.to_string() == "0.0.0.0:9212"
        {
            self.hj212 = v
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("hj212"))?;
        }
        if let Some(v) = c.get("data_dir")
            && self.store.data_dir.as_os_str() == "./lantian-data"
        {
            self.store.data_dir = v.as_str().ok_or_else(|| bad("data_dir"))?.into();
        }
        if let Some(v) = c.get("postgres")
            && self.store.postgres.is_none()
        {
            self.store.postgres = Some(v.as_str().ok_or_else(|| bad("postgres"))?.to_owned());
        }
        if let Some(v) = c.get("county")
            && self.store.county.is_none()
        {
            self.store.county = Some(v.as_str().ok_or_else(|| bad("county"))?.into());
        }
        if let Some(v) = c.get("target_pm25")
            && self.target_pm25.is_none()
        {
            self.target_pm25 = Some(
                v.as_f64()
                    .filter(|t| *t > 0.0)
                    .ok_or_else(|| bad("target_pm25"))?,
            );
        }
        if let Some(v) = c.get("max_segment_bytes")
            && self.max_segment_bytes == 1024
        {
            self.max_segment_bytes = v.as_u64().ok_or_else(|| bad("max_segment_bytes"))? as usize;
        }
        if let Some(v) = c.get("projection_round_packets")
            && self.projection_round_packets == lantian_store::PROJECT_ROWS_MAX
        {
            self.projection_round_packets = v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: setting projection_round_packets must be a whole number above 0",
                    path.display()
                )
            })? as usize;
        }
        if let Some(v) = c.get("device_setup") {
            self.no_device_setup |= !v.as_bool().ok_or_else(|| bad("device_setup"))?;
        }
        // Absent only when neither the flag nor LANTIAN_GATEWAY_NAME gave one: unlike the
        // flags above, a name given as the default `main` still wins over the file.
        if let Some(v) = c.get("gateway_name")
            && self.gateway_name.is_none()
        {
            self.gateway_name = Some(v.as_str().ok_or_else(|| bad("gateway_name"))?.to_owned());
        }
        if let Some(v) = c.get("demo") {
            self.demo |= v.as_bool().ok_or_else(|| bad("demo"))?;
        }
        if let Some(v) = c.get("forward") {
            self.forward_file = v.as_array().ok_or_else(|| bad("forward"))?.clone();
        }
        let named = |e: anyhow::Error| e.context(format!("{}", path.display()));
        self.profile2025 =
            crate::serve_settings::profile2025(c.get("hj212_2025")).map_err(named)?;
        self.reverse_control =
            crate::serve_settings::reverse_control(c.get("reverse_control")).map_err(named)?;
        if let Some(v) = c.get("forward_fsync") {
            self.forward_fsync = Some(v.as_bool().ok_or_else(|| bad("forward_fsync"))?);
        }
        Ok(self)
    }
}

/// A destination of the settings file's `forward` list.
fn forward_destination(v: &serde_json::Value) -> Result<Destination> {
    const KEYS: [&str; 14] = [
        "name",
        "addr",
        "edition",
        "key",
        "wire",
        "pw",
        "mn_map",
        "stations",
        "queue_bytes",
        "window",
        "ack_timeout_s",
        "tries_per_connection",
        "backoff_max_s",
        "heartbeat_s",
    ];
    let obj = v
        .as_object()
        .context("forward: each destination is a JSON object")?;
    let text = |k: &str| obj.get(k).and_then(|v| v.as_str());
    let name = text("name").context("forward: a destination without \"name\"")?;
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        anyhow::bail!(
            "forward destination {name}: unknown setting {k:?} (known: {})",
            KEYS.join(", ")
        );
    }
    let addr = text("addr").with_context(|| format!("forward destination {name}: no \"addr\""))?;
    let mut d = Destination::new(name, addr);
    let bad = |k: &str, why: &str| anyhow::anyhow!("forward destination {name}: {k}: {why}");
    if let Some(e) = text("edition") {
        d.rewrite.edition = forward::parse_edition(e).map_err(|e| bad("edition", &e))?;
    }
    if let Some(k) = text("key") {
        let key = lantian_hj212::sm4::Key::from_hex(k)
            .map_err(|e| bad("key", &format!("not an SM4 key ({e})")))?;
        d.key = Some(key);
    }
    if let Some(w) = text("wire") {
        d.wire = lantian_hj212::sm4::Wire::parse(w).ok_or_else(|| bad("wire", "binary or hex"))?;
    }
    d.rewrite.pw = text("pw").map(str::to_owned);
    if let Some(m) = obj.get("mn_map") {
        let m = m
            .as_object()
            .ok_or_else(|| bad("mn_map", "an object of MN as received → MN upstream"))?;
        for (from, to) in m {
            let to = to
                .as_str()
                .ok_or_else(|| bad("mn_map", "each MN upstream is a string"))?;
            d.rewrite.mn_map.push((from.clone(), to.to_owned()));
        }
    }
    if let Some(st) = obj.get("stations") {
        let list = st
            .as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| bad("stations", "a list of station ids"))?;
        d.stations = Some(list);
    }
    let number = |k: &str| -> Result<Option<u64>> {
        obj.get(k)
            .map(|v| v.as_u64().ok_or_else(|| bad(k, "a whole number")))
            .transpose()
    };
    let secs = |k: &str| -> Result<Option<std::time::Duration>> {
        obj.get(k)
            .map(|v| {
                v.as_f64()
                    .filter(|s| *s > 0.0 && s.is_finite())
                    .map(std::time::Duration::from_secs_f64)
                    .ok_or_else(|| bad(k, "seconds above 0"))
            })
            .transpose()
    };
    if let Some(n) = number("queue_bytes")? {
        d.queue_bytes_max = n;
    }
    if let Some(n) = number("window")? {
        d.window = n as usize;
    }
    if let Some(n) = number("tries_per_connection")? {
        d.tries_per_connection = n.max(1) as u32;
    }
    if let Some(t) = secs("ack_timeout_s")? {
        d.ack_timeout = t;
    }
    if let Some(t) = secs("backoff_max_s")? {
        d.backoff_max = t;
    }
    if let Some(t) = secs("heartbeat_s")? {
        d.heartbeat = t;
    }
    Ok(d)
}

impl Args {
    /// The forwarding settings: `--forward NAME=HOST:PORT` and the settings file's list (a
    /// flag naming a destination of the file replaces its address).
    fn forward_settings(&self) -> Result<Option<forward::Settings>> {
        let mut dests = self
            .forward_file
            .iter()
            .map(forward_destination)
            .collect::<Result<Vec<_>>>()?;
        for f in &self.forward {
            let (name, addr) = f
                .split_once('=')
                .with_context(|| format!("--forward {f:?}: expected NAME=HOST:PORT"))?;
            match dests.iter_mut().find(|d| d.name == name) {
                Some(d) => d.addr = addr.to_owned(),
                None => dests.push(Destination::new(name, addr)),
            }
        }
        for (i, d) in dests.iter().enumerate() {
            d.check().map_err(anyhow::Error::msg)?;
            anyhow::ensure!(
                !dests[..i].iter().any(|o| o.name == d.name),
                "forward destination {}: named twice",
                d.name
            );
        }
        if dests.is_empty() {
            return Ok(None);
        }
        Ok(Some(forward::Settings {
            dir: self.store.data_dir.join("forward"),
            destinations: dests,
            fsync: self.forward_fsync.unwrap_or(true),
        }))
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut args = args.with_config()?;
    // Settings errors before anything is opened or bound.
    args.forward_settings()?;
    if args.demo {
        // The demo's stations, devices and values live in a database of their own.
        anyhow::ensure!(
            args.store.postgres.is_none(),
            "--demo keeps its data apart in DATA_DIR/demo (SQLite) and cannot be combined with --postgres"
        );
        args.store.data_dir = args.store.data_dir.join("demo");
        println!(
            "demo: data kept apart in {} (the real data directory is not touched)",
            args.store.data_dir.display()
        );
    }
    if let Some(t) = &args.metrics_token {
        anyhow::ensure!(
            t.chars().count() >= METRICS_TOKEN_CHARS_MIN && !t.chars().any(char::is_whitespace),
            "--metrics-token: at least {METRICS_TOKEN_CHARS_MIN} characters, no spaces"
        );
    }
    let mut app = args.store.app()?;
    let gateway_name = args
        .gateway_name
        .as_deref()
        .unwrap_or(lantian_store::archive::MAIN_CHAIN);
    app.store
        .claim_chain(gateway_name)
        .with_context(|| format!("gateway name {gateway_name:?}"))?;
    if let Some(t) = args.target_pm25 {
        anyhow::ensure!(
            t > 0.0 && t.is_finite(),
            "--target-pm25 {t}: must be above 0"
        );
        let mut county = (*app.county).clone();
        county.profile.targets.pm25_ug_m3 = t;
        app.county = Arc::new(county);
    }
    if app.store.count_users()? == 0 {
        let pw = password::random(16);
        let admin = NewUser {
            username: "admin".into(),
            password: pw.clone(),
            role: Role::Admin,
            unit: None,
        };
        accounts::create_first_admin(&app, admin)?;
        println!(
            "administrator created: user admin, one-time password {pw} (shown once; change it at first login)"
        );
    }
    let demo_passwords = if args.demo {
        let passwords = crate::demo::register(&app)?;
        for (mn, pw) in &passwords {
            println!("demo device {mn}: password {pw} (shown once)");
        }
        passwords
    } else {
        Default::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, app, demo_passwords))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: Args, app: App, demo_passwords: crate::demo::Passwords) -> Result<()> {
    let store = app.store.clone();
    let metrics = Arc::new(Metrics::default());
    let hj212 = listen(args.hj212).with_context(|| format!("binding {}", args.hj212))?;
    let http = tokio::net::TcpListener::bind(args.http)
        .await
        .with_context(|| format!("binding {}", args.http))?;
    let gateway_addr = hj212.local_addr()?;
    println!("hj212 listening on {gateway_addr}");
    println!("http listening on http://{}", http.local_addr()?);
    println!("store: {}", store.describe());
    println!("archive chain: {}", store.chain_name());
    println!(
        "county: {} ({})",
        app.county.profile.name_zh, app.county.profile.id
    );
    let forward = args.forward_settings()?;
    for d in forward.iter().flat_map(|f| &f.destinations) {
        println!(
            "forwarding to {} at {} (queue in {})",
            d.name,
            d.addr,
            forward::queue_dir(&args.store.data_dir.join("forward"), &d.name).display()
        );
    }
    std::io::stdout().flush()?;
    let config = Config {
        forward,
        profile2025: args.profile2025.clone(),
        control: args.reverse_control.clone(),
        setup: Setup {
            enabled: !args.no_device_setup,
            ..Setup::default()
        },
        limits: lantian_hj212::Limits {
            segment_bytes_max: args.max_segment_bytes,
            ..Default::default()
        },
        projection_round_max: args.projection_round_packets,
        auth_failures_max: args.device_auth_failures_max,
        auth_failure_window: std::time::Duration::from_secs(args.device_lockout_minutes * 60),
        connections_per_address_max: args.connections_per_address,
        future_margin: std::time::Duration::from_secs(args.future_margin_minutes * 60),
        refused_archived_per_address_per_min: args.refused_archived_per_minute,
        ..Config::default()
    };
    let (m, d, lag_store) = (metrics.clone(), metrics.clone(), store.clone());
    let devices: lantian_api::DevicesFn = Arc::new(move || {
        d.devices()
            .into_iter()
            .map(|(mn, s)| {
                let status = lantian_api::DeviceStatus {
                    connected: s.connected,
                    last_seen_ms: s.last_seen_ms,
                    packets: s.packets,
                    rejects: s.rejects.values().sum(),
                };
                (mn, status)
            })
            .collect()
    });
    let web_config = lantian_api::WebConfig {
        secure_cookies: args.secure_cookies,
        trusted_proxies: args.trusted_proxies.clone(),
    };
    let web_app = lantian_api::router(lantian_api::AppState::new(
        app.clone(),
        Arc::new(move || {
            // Read at scrape time, so it is never stale.
            let lag = lag_store.projection_lag();
            format!(
                "{}# HELP lantian_gateway_projection_lag Accepted packets whose observations are not yet queryable.\n# TYPE lantian_gateway_projection_lag gauge\nlantian_gateway_projection_lag {lag}\n",
                m.render_prometheus()
            )
        }),
        devices,
    )
    .with_web(web_config)
    .with_metrics_token(args.metrics_token.clone())
    .with_open_limits(args.open_limits.config()?));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut gw_stop = stop_rx.clone();
    let gateway = tokio::spawn(lantian_gateway::run(
        hj212,
        store,
        config,
        metrics,
        async move {
            let _ = gw_stop.changed().await;
        },
    ));
    let mut http_stop = stop_rx.clone();
    let web = tokio::spawn(async move {
        // The peer's address reaches the handlers (the login throttle keys on it).
        axum::serve(
            http,
            web_app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = http_stop.changed().await;
        })
        .await
    });
    // The ledger's scheduled check: flag measures past their deadline, hourly.
    let ledger_app = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let (t, a) = (ledger_app.clone(), ledger_app.clone());
            let _ = tokio::task::spawn_blocking(move || {
                lantian_app::tasks::escalate_overdue(&t)
                    .map_err(|e| tracing::warn!("grid task escalation failed: {e}"))
            })
            .await;
            match tokio::task::spawn_blocking(move || lantian_app::ledger::flag_overdue(&a)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!("ledger: {n} measures flagged overdue"),
                Ok(Err(e)) => tracing::warn!("ledger overdue check failed: {e:#}"),
                _ => {}
            }
            // Scheduled periodic reports (日报/周报/月报) of the last ended period, once each.
            let r = ledger_app.clone();
            match tokio::task::spawn_blocking(move || lantian_app::report_schedule::run_due(&r))
                .await
            {
                Ok(Ok(o)) => {
                    o.made
                        .iter()
                        .for_each(|n| tracing::info!("reports: made {n}"));
                    o.failed.iter().for_each(|f| tracing::warn!("reports: {f}"));
                }
                Ok(Err(e)) => tracing::warn!("scheduled reports failed: {e:#}"),
                Err(e) => tracing::warn!("scheduled reports failed: {e}"),
            }
        }
    });
    // The integrity scan: the rule library over the last two days, hourly from five minutes
    // after the start (late data extend the episodes already stored; nothing is stored twice).
    let scan_app = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + std::time::Duration::from_secs(300),
            std::time::Duration::from_secs(3600),
        );
        loop {
            tick.tick().await;
            let d = scan_app.clone();
            let _ = tokio::task::spawn_blocking(move || {
                lantian_app::sites::dust_scan_periodic(&d)
                    .map_err(|e| tracing::warn!("dust scan failed: {e}"))
            })
            .await;
            let a = scan_app.clone();
            match tokio::task::spawn_blocking(move || lantian_app::integrity::scan_periodic(&a))
                .await
            {
                Ok(Ok(o)) if o.alarms_new + o.alarms_extended > 0 => tracing::info!(
                    "integrity: {} new alarms, {} extended",
                    o.alarms_new,
                    o.alarms_extended
                ),
                Ok(Err(e)) => tracing::warn!("integrity scan failed: {e:#}"),
                _ => {}
            }
        }
    });
    // Daily records: every station-day written since it was last computed, computed again
    // ahead of the assessments and rankings that read it, every ten minutes from one minute
    // after the start (`lantian_app::days`; a reader computes what is still due itself).
    let days_app = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + std::time::Duration::from_secs(60),
            std::time::Duration::from_secs(600),
        );
        loop {
            tick.tick().await;
            let a = days_app.clone();
            match tokio::task::spawn_blocking(move || lantian_app::days::refresh(&a)).await {
                Ok(Ok(r)) => {
                    if r.station_days > 0 {
                        tracing::info!("daily records: {} station-days computed", r.station_days)
                    }
                    for f in &r.failed {
                        tracing::warn!("daily records: {f}");
                    }
                }
                Ok(Err(e)) => tracing::warn!("daily records refresh failed: {e:#}"),
                Err(e) => tracing::warn!("daily records refresh failed: {e}"),
            }
        }
    });
    // Alerts: the rules evaluated and due webhooks sent every 30 s.
    crate::alert_sender::spawn(app.clone(), args.alert_private_hosts);
    if args.demo {
        let addr = gateway_addr.to_string();
        let last_hour =
            lantian_core::cst::hour_start(app.clock.now_cst()) - lantian_core::cst::HOUR_S;
        let demo_app = app.clone();
        tokio::spawn(async move {
            match crate::demo::feed(&demo_app, addr, last_hour, &demo_passwords).await {
                Ok((sent, acked)) => println!("demo feed: {acked} of {sent} packets acknowledged"),
                Err(e) => eprintln!("lantian: demo feed failed: {e:#}"),
            }
        });
    }
    shutdown_signal().await;
    eprintln!("lantian: shutting down: finishing in-flight batches");
    let _ = stop_tx.send(true);
    gateway.await??;
    web.await??;
    Ok(())
}

/// Devices reconnect in bursts (after a power cut, a whole network at once): a deep accept
/// queue keeps the kernel from dropping their connections before the gateway accepts them.
pub const HJ212_ACCEPT_BACKLOG: u32 = 8192;

pub fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(HJ212_ACCEPT_BACKLOG)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
