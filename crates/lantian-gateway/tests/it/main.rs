//! Gateway tests over real TCP sockets on 127.0.0.1 with a real SQLite store, and the main
//! flow once more on a real PostgreSQL server (`postgres.rs`).

#![allow(clippy::unwrap_used)]

mod backfill;
mod faults;
mod flows;
mod forward;
mod hj212_2025;
mod postgres;
mod security;

use lantian_gateway::{Config, Metrics, Setup, run};
use lantian_hj212::encode::{Header, encode};
use lantian_hj212::{Check, Command, Flag, Limits, Packet, check, decode};
use lantian_store::{Station, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

pub const MN: &str = "010000A8900016F000169DC0";
pub const PW: &str = "123456";

#[allow(missing_debug_implementations)]
pub struct Gw {
    pub addr: SocketAddr,
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: std::path::PathBuf,
    /// The PostgreSQL database, dropped after the gateway.
    _pg: Option<lantian_store::testing::PgDb>,
}

impl Gw {
    /// A gateway on a fresh SQLite store with [`register`]ed station and device.
    pub async fn start(tag: &str, config: Config) -> Gw {
        let dir = std::env::temp_dir().join(format!("lantian-gw-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open_data_dir(&dir).unwrap();
        register(&store);
        Gw::start_on(store, config, dir, None).await
    }

    /// A gateway on `store`.
    pub async fn start_on(
        store: Store,
        config: Config,
        dir: std::path::PathBuf,
        pg: Option<lantian_store::testing::PgDb>,
    ) -> Gw {
        let store = Arc::new(store);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::default());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(run(
            listener,
            store.clone(),
            config,
            metrics.clone(),
            async move {
                let _ = rx.await;
            },
        ));
        Gw {
            addr,
            store,
            metrics,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
            _pg: pg,
        }
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    /// Waits until the gateway's projector has made every accepted observation queryable
    /// (it is not asked to: this waits for it to do its job).
    pub async fn projected(&self) {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while self.store.projection_lag() > 0 {
            assert!(
                std::time::Instant::now() < until,
                "the projector did not catch up in 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn rejects(&self, reason: &str) -> u64 {
        self.metrics.rejects().get(reason).copied().unwrap_or(0)
    }
}

/// Station XJ-01 and device [`MN`] with password [`PW`].
pub fn register(store: &Store) {
    store
        .upsert_station(&Station {
            id: "XJ-01".into(),
            name: "辛集镇".into(),
            role: lantian_store::StationRole::Township,
            admin_unit_id: None,
            lat: None,
            lon: None,
            pollutants: vec![],
            min_interval_min: 1,
            demo: false,
        })
        .unwrap();
    store.add_device(MN, PW, "XJ-01", "2017", 0).unwrap();
}

pub fn quiet() -> Config {
    Config {
        setup: Setup {
            enabled: false,
            ..Setup::default()
        },
        ..Config::default()
    }
}

/// An hourly (2061) upload asking for an answer.
pub fn hourly(qn: &str, data_time: &str, pm25: f64, pw: &str, mn: &str) -> Vec<u8> {
    upload(
        qn,
        Command::HOURLY_DATA,
        data_time,
        &format!("a34004-Avg={pm25},a34004-Flag=N;a21026-Avg=7,a21026-Flag=N"),
        pw,
        mn,
    )
}

pub fn upload(qn: &str, cn: Command, data_time: &str, items: &str, pw: &str, mn: &str) -> Vec<u8> {
    let h = Header {
        qn: Some(qn),
        st: "22",
        cn,
        pw: Some(pw),
        mn: Some(mn),
        flag: Some(Flag(5)),
        pnum: None,
        pno: None,
        resend: false,
    };
    encode(&h, &format!("DataTime={data_time};{items}"))
}

/// A connection that collects every frame the gateway sends.
#[allow(missing_debug_implementations)]
pub struct Device {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Device {
    pub async fn connect(addr: SocketAddr) -> Device {
        Device::from_stream(TcpStream::connect(addr).await.unwrap())
    }

    pub fn from_stream(stream: TcpStream) -> Device {
        Device {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next frame from the gateway, or None after `wait`.
    pub async fn recv(&mut self, wait: Duration) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Check::Frame { len } = check(&self.buf, &Limits::default()) {
                return Some(self.buf.drain(..len).collect());
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// The next reply with command `cn`, skipping others.
    pub async fn recv_cn(&mut self, cn: u16, wait: Duration) -> Option<Vec<u8>> {
        while let Some(f) = self.recv(wait).await {
            if decode(&f, &Limits::default()).is_ok_and(|p: Packet<'_>| p.cn.0 == cn) {
                return Some(f);
            }
        }
        None
    }
}

/// A connection from `from` (any 127.x.y.z: all of 127/8 is the loopback on Linux).
pub async fn connect_from(from: &str, to: SocketAddr) -> Device {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(
        from.parse::<std::net::IpAddr>().unwrap(),
        0,
    ))
    .unwrap();
    Device::from_stream(sock.connect(to).await.unwrap())
}

pub fn parsed(f: &[u8]) -> Packet<'_> {
    decode(f, &Limits::default()).unwrap()
}

pub const WAIT: Duration = Duration::from_secs(10);
