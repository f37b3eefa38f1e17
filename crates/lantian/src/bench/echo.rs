//! `lantian bench echo-server` (hidden): the bench's reference server. It answers every
//! HJ 212 frame with its 9014 at once and stores nothing, on the same runtime and listener
//! as `lantian serve`, so that the same load against it shows what loopback TCP and the
//! sender cost on their own: the floor under the gateway's figures.

use anyhow::Result;
use lantian_hj212::{Check, Edition, Limits, check, decode, encode};
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = crate::cmd_serve::listen(a.listen)?;
        println!("hj212 listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(answer(stream));
        }
    })
}

async fn answer(mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let limits = Limits::default();
    let (mut buf, mut chunk, mut out) = (Vec::new(), [0u8; 4096], Vec::new());
    while let Ok(n @ 1..) = s.read(&mut chunk).await {
        buf.extend_from_slice(&chunk[..n]);
        let mut pos = 0;
        loop {
            match check(&buf[pos..], &limits) {
                Check::Incomplete => break,
                Check::Invalid { skip, .. } => pos += skip,
                Check::Frame { len } => {
                    if let Ok(p) = decode(&buf[pos..pos + len], &limits) {
                        out.extend(encode::data_answer(&p, Edition::Hj212_2017));
                    }
                    pos += len;
                }
            }
        }
        buf.drain(..pos);
        if !out.is_empty() && s.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
    }
}
