//! Lantian's pure domain: pollutants, rule editions, AQI, data validity and assessment.
//!
//! This crate performs no IO, reads no clock and spawns nothing: time and data arrive as
//! arguments, and every result is a value. "Not enough data" is a value too
//! ([`validity::Validity::Insufficient`]), never an error. Rule tables (breakpoints, limits,
//! thresholds) are data keyed by edition ([`rules`]); the edition is chosen by the date of
//! the data ([`rules::RuleSet::for_date`]), never by the date of the computation.

pub mod alerts;
pub mod allowance;
pub mod aqi;
pub mod assess;
pub mod cems;
pub mod city;
pub mod cst;
pub mod date;
pub mod decimal;
pub mod declaration;
pub mod enforce;
pub mod grid;
pub mod integrity;
pub mod ledger;
pub mod limits;
pub mod org;
pub mod percentile;
pub mod pollutant;
pub mod rules;
pub mod series;
pub mod targets;
pub mod tracing;
pub mod validity;
pub mod vehicles;
pub mod warning;

pub use date::{Date, Month};
pub use pollutant::Pollutant;
pub use rules::RuleSet;
