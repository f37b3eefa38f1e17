//! `lantian bench`: performance measurements, one JSON line each. Kept in this module tree,
//! out of the product's way; docs/performance.md has every figure and how to read it.

mod api;
mod assess;
mod cems;
mod echo;
mod forward;
mod gateway;
mod grid;
mod hj212;
mod integrity;
mod process;
mod province;
mod store;
mod tracing;

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
    Assess(assess::Args),
    /// HJ 212 decoding on the real sample packets (one core).
    Hj212(hj212::Args),
    /// Observations per second into SQLite (and PostgreSQL with --postgres), and the time
    /// to read one station-year.
    Store(store::Args),
    /// Durably acknowledged packets per second, ack latency and memory per connection of
    /// `lantian serve`, driven over loopback.
    Gateway(gateway::Args),
    /// The gateway's sustained ingest without and with forwarding to two local upstream
    /// receivers; each destination's forwarded packets/s and lag.
    Forward(forward::Args),
    /// Requests per second and p99 of the public "AQI now" and a 30-day series.
    Api(api::Args),
    /// Pollution sources: minute CEMS data of many outlets through `lantian serve` on a
    /// simulated clock (is there a growing backlog?), and a year of one outlet's hourly
    /// emissions summarised.
    Cems(cems::Args),
    /// The data-integrity rule library over a month of many stations' hourly data
    /// (synthetic, with neighbours): wall time and stations per second.
    Integrity(integrity::Args),
    /// Source tracing on one real station-year: the polar plot's surface, CPF and NWR.
    Tracing(tracing::Args),
    /// Point-in-polygon of random fire points against the township boundaries.
    Grid(grid::Args),
    /// A province in one store (SQLite, PostgreSQL or a Citus coordinator): counties ×
    /// stations × a year of hourly values ingested, then every county's assessment and
    /// township ranking; ingest rate, query times and size on disk.
    Province(province::Args),
    /// The gateway bench's reference server: answers every frame, stores nothing.
    #[command(hide = true)]
    EchoServer(echo::Args),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Assess(a) => assess::run(a),
        What::Hj212(a) => hj212::run(a),
        What::Store(a) => store::run(a),
        What::Gateway(a) => gateway::run(a),
        What::Forward(a) => forward::run(a),
        What::Api(a) => api::run(a),
        What::Cems(a) => cems::run(a),
        What::Integrity(a) => integrity::run(a),
        What::Tracing(a) => tracing::run(a),
        What::Grid(a) => grid::run(a),
        What::Province(a) => province::run(a),
        What::EchoServer(a) => echo::run(a),
    }
}
