//! `lantian bench`: performance measurements, one JSON line each.

use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Full-year HJ 663 assessment of many station-years synthesised from real files.
    Assess(crate::cmd_bench_assess::Args),
    /// HJ 212 decoding on the real sample packets (one core).
    Hj212(crate::cmd_bench_hj212::Args),
    /// Observations per second into SQLite (and PostgreSQL with --postgres), and the time
    /// to read one station-year.
    Store(crate::cmd_bench_store::Args),
    /// Durably acknowledged packets per second, ack latency and memory per connection of
    /// `lantian serve`, driven over loopback.
    Gateway(crate::cmd_bench_gateway::Args),
    /// Requests per second and p99 of the public "AQI now" and a 30-day series.
    Api(crate::cmd_bench_api::Args),
    /// The gateway bench's reference server: answers every frame, stores nothing.
    #[command(hide = true)]
    EchoServer(crate::cmd_bench_echo::Args),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Assess(a) => crate::cmd_bench_assess::run(a),
        What::Hj212(a) => crate::cmd_bench_hj212::run(a),
        What::Store(a) => crate::cmd_bench_store::run(a),
        What::Gateway(a) => crate::cmd_bench_gateway::run(a),
        What::Api(a) => crate::cmd_bench_api::run(a),
        What::EchoServer(a) => crate::cmd_bench_echo::run(a),
    }
}
