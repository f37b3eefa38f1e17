//! The six criteria pollutants of GB 3095, their units and their names in the field.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A criteria pollutant. The order is the order of reports (SO2, NO2, PM10, CO, O3, PM2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Pollutant {
    #[serde(rename = "SO2")]
    So2,
    #[serde(rename = "NO2")]
    No2,
    #[serde(rename = "PM10")]
    Pm10,
    #[serde(rename = "CO")]
    Co,
    #[serde(rename = "O3")]
    O3,
    #[serde(rename = "PM2.5")]
    Pm25,
}

/// A concentration unit. Units are configured per station and code, never guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "µg/m³")]
    MicrogramPerCubicMetre,
    #[serde(rename = "mg/m³")]
    MilligramPerCubicMetre,
}

impl Pollutant {
    pub const ALL: [Pollutant; 6] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Co,
        Pollutant::O3,
        Pollutant::Pm25,
    ];

    /// Index into arrays laid out in [`Pollutant::ALL`] order.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name used in reports and files: `SO2`, `NO2`, `PM10`, `CO`, `O3`, `PM2.5`.
    pub const fn name(self) -> &'static str {
        match self {
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Pm10 => "PM10",
            Pollutant::Co => "CO",
            Pollutant::O3 => "O3",
            Pollutant::Pm25 => "PM2.5",
        }
    }

    /// The lower-case key used in JSON reports (`pm25`, `so2`, ...).
    pub const fn key(self) -> &'static str {
        match self {
            Pollutant::So2 => "so2",
            Pollutant::No2 => "no2",
            Pollutant::Pm10 => "pm10",
            Pollutant::Co => "co",
            Pollutant::O3 => "o3",
            Pollutant::Pm25 => "pm25",
        }
    }

    pub const fn name_zh(self) -> &'static str {
        match self {
            Pollutant::So2 => "二氧化硫",
            Pollutant::No2 => "二氧化氮",
            Pollutant::Pm10 => "可吸入颗粒物(PM10)",
            Pollutant::Co => "一氧化碳",
            Pollutant::O3 => "臭氧",
            Pollutant::Pm25 => "细颗粒物(PM2.5)",
        }
    }

    /// The HJ 212-2017 code (O3's `a05024` comes from HJ 524-2009; see the spec §6.12).
    pub const fn hj212_code(self) -> &'static str {
        match self {
            Pollutant::So2 => "a21026",
            Pollutant::No2 => "a21004",
            Pollutant::Pm10 => "a34002",
            Pollutant::Co => "a21005",
            Pollutant::O3 => "a05024",
            Pollutant::Pm25 => "a34004",
        }
    }

    /// The unit in which GB 3095 and HJ 633 state limits and breakpoints.
    pub const fn standard_unit(self) -> Unit {
        match self {
            Pollutant::Co => Unit::MilligramPerCubicMetre,
            _ => Unit::MicrogramPerCubicMetre,
        }
    }

    /// Decimal places of reported concentrations (GB/T 8170 rounding; HJ 633-2026 §4.2.2).
    pub const fn reported_decimals(self) -> u32 {
        match self {
            Pollutant::Co => 1,
            _ => 0,
        }
    }

    /// Parses a name (`PM2.5`, `pm25`, `PM2_5`, `so2`, ...) or an HJ 212 code (`a34004`).
    pub fn parse(text: &str) -> Option<Pollutant> {
        let t: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, '.' | '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match t.as_str() {
            "so2" | "a21026" => Pollutant::So2,
            "no2" | "a21004" => Pollutant::No2,
            "pm10" | "a34002" => Pollutant::Pm10,
            "co" | "a21005" => Pollutant::Co,
            "o3" | "a05024" => Pollutant::O3,
            "pm25" | "a34004" => Pollutant::Pm25,
            _ => return None,
        })
    }
}

impl fmt::Display for Pollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Unit {
    pub const fn symbol(self) -> &'static str {
        match self {
            Unit::MicrogramPerCubicMetre => "µg/m³",
            Unit::MilligramPerCubicMetre => "mg/m³",
        }
    }

    /// Factor that converts a value in `self` to `to` (µg ↔ mg is a factor of 1000).
    pub fn factor_to(self, to: Unit) -> f64 {
        match (self, to) {
            (Unit::MicrogramPerCubicMetre, Unit::MilligramPerCubicMetre) => 0.001,
            (Unit::MilligramPerCubicMetre, Unit::MicrogramPerCubicMetre) => 1000.0,
            _ => 1.0,
        }
    }
}

/// A small set of pollutants (for primary and exceeding pollutants), in report order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PollutantSet(u8);

impl PollutantSet {
    pub const EMPTY: PollutantSet = PollutantSet(0);

    pub fn insert(&mut self, p: Pollutant) {
        self.0 |= 1 << p.index();
    }

    pub fn contains(self, p: Pollutant) -> bool {
        self.0 & (1 << p.index()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Pollutant> {
        Pollutant::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Names joined by `sep`, e.g. `PM2.5;PM10`.
    pub fn join(self, sep: &str) -> String {
        self.iter()
            .map(Pollutant::name)
            .collect::<Vec<_>>()
            .join(sep)
    }
}

impl Serialize for PollutantSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_names_and_codes() {
        for p in Pollutant::ALL {
            assert_eq!(Pollutant::parse(p.name()), Some(p));
            assert_eq!(Pollutant::parse(p.hj212_code()), Some(p));
            assert_eq!(Pollutant::parse(p.key()), Some(p));
        }
        assert_eq!(Pollutant::parse("PM2_5"), Some(Pollutant::Pm25));
        assert_eq!(Pollutant::parse("NOx"), None);
    }
}
