//! CNEMC daily station files (`china_sites_YYYYMMDD.csv`, the quotsoft.net layout).
//!
//! Header `date,hour,type,<station codes…>`; one row per (hour, variable); an empty cell is
//! a missing value. Hour labels 0–23 end the hour they average (spec §2.4).

use crate::{Diagnostics, FormatError, parse_concentration};
use lantian_core::Date;
use lantian_core::aqi::RealtimeInputs;
use lantian_core::pollutant::Pollutant;
use std::io::BufRead;

/// The variables of a CNEMC file, in the order they usually appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Aqi,
    Pm25,
    Pm25Day,
    Pm10,
    Pm10Day,
    So2,
    So2Day,
    No2,
    No2Day,
    O3,
    O3MaxDay,
    O3EightHour,
    O3EightHourMaxDay,
    Co,
    CoDay,
}

impl Kind {
    pub const COUNT: usize = 15;

    pub fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "AQI" => Kind::Aqi,
            "PM2.5" => Kind::Pm25,
            "PM2.5_24h" => Kind::Pm25Day,
            "PM10" => Kind::Pm10,
            "PM10_24h" => Kind::Pm10Day,
            "SO2" => Kind::So2,
            "SO2_24h" => Kind::So2Day,
            "NO2" => Kind::No2,
            "NO2_24h" => Kind::No2Day,
            "O3" => Kind::O3,
            "O3_24h" => Kind::O3MaxDay,
            "O3_8h" => Kind::O3EightHour,
            "O3_8h_24h" => Kind::O3EightHourMaxDay,
            "CO" => Kind::Co,
            "CO_24h" => Kind::CoDay,
            _ => return None,
        })
    }

    /// The 1-h concentration kind of a pollutant.
    pub fn hourly(p: Pollutant) -> Kind {
        match p {
            Pollutant::So2 => Kind::So2,
            Pollutant::No2 => Kind::No2,
            Pollutant::Pm10 => Kind::Pm10,
            Pollutant::Co => Kind::Co,
            Pollutant::O3 => Kind::O3,
            Pollutant::Pm25 => Kind::Pm25,
        }
    }
}

/// All rows of one hour: `rows[kind]` holds one value per station, if the row was present.
#[derive(Clone, Debug, PartialEq)]
pub struct HourBlock {
    pub date: Date,
    /// The hour label (0–23): the hour ending then (00:00 ends the day before).
    pub hour: u32,
    rows: [Option<Vec<Option<f64>>>; Kind::COUNT],
}

impl HourBlock {
    /// The start of the hour (CST seconds, [`lantian_core::cst`]).
    pub fn start(&self) -> i64 {
        lantian_core::cst::day_start(self.date) + i64::from(self.hour) * 3600 - 3600
    }

    pub fn value(&self, kind: Kind, station: usize) -> Option<f64> {
        self.rows[kind as usize]
            .as_ref()?
            .get(station)
            .copied()
            .flatten()
    }

    /// The inputs of the real-time AQI of `station` at this hour (CO already in mg/m³).
    pub fn realtime_inputs(&self, station: usize) -> RealtimeInputs {
        RealtimeInputs {
            hour: Pollutant::ALL.map(|p| self.value(Kind::hourly(p), station)),
            so2_24h: self.value(Kind::So2Day, station),
            pm10_24h: self.value(Kind::Pm10Day, station),
            pm25_24h: self.value(Kind::Pm25Day, station),
            o3_8h: self.value(Kind::O3EightHour, station),
        }
    }
}

/// A parsed CNEMC file.
#[derive(Clone, Debug, PartialEq)]
pub struct CnemcFile {
    pub stations: Vec<String>,
    pub hours: Vec<HourBlock>,
}

/// Reads a CNEMC file. Cells that are not numbers are skipped and reported; rows with an
/// unknown variable, a bad date or hour, or too many cells are skipped whole.
pub fn read(
    reader: impl BufRead,
    file: &str,
    diag: &mut Diagnostics,
) -> Result<CnemcFile, FormatError> {
    let mut lines = reader.lines();
    let io = |line: u64, e: std::io::Error| FormatError::Io {
        file: file.to_owned(),
        line,
        message: e.to_string(),
    };
    let header = match lines.next() {
        Some(h) => h.map_err(|e| io(1, e))?,
        None => {
            return Err(FormatError::Empty {
                file: file.to_owned(),
            });
        }
    };
    let header = header.trim_start_matches('\u{feff}').trim_end();
    let mut cols = header.split(',');
    if cols.next() != Some("date") || cols.next() != Some("hour") || cols.next() != Some("type") {
        return Err(FormatError::BadHeader {
            file: file.to_owned(),
            expected: "date,hour,type,<station codes>".to_owned(),
            found: header.chars().take(60).collect(),
        });
    }
    let stations: Vec<String> = cols.map(str::to_owned).collect();
    let mut hours: Vec<HourBlock> = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i as u64 + 2;
        let line = line.map_err(|e| io(n, e))?;
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let mut cells = line.split(',');
        let (Some(d), Some(h), Some(t)) = (cells.next(), cells.next(), cells.next()) else {
            diag.skip(file, n, None, "row has fewer than 3 cells");
            continue;
        };
        let Some(date) = Date::parse(d) else {
            diag.skip(file, n, Some("date"), "not a date (YYYYMMDD)");
            continue;
        };
        let Some(hour) = h.trim().parse::<u32>().ok().filter(|h| *h < 24) else {
            diag.skip(file, n, Some("hour"), "hour is not 0-23");
            continue;
        };
        let Some(kind) = Kind::parse(t.trim()) else {
            diag.skip(file, n, Some("type"), "unknown variable type");
            continue;
        };
        let mut values = Vec::with_capacity(stations.len());
        let mut too_many = false;
        for (s, cell) in cells.enumerate() {
            if s >= stations.len() {
                too_many = true;
                break;
            }
            values.push(match parse_concentration(cell) {
                Ok(v) => v,
                Err(reason) => {
                    diag.skip(file, n, Some(&stations[s]), reason);
                    None
                }
            });
        }
        if too_many {
            diag.skip(file, n, None, "row has more cells than the header");
            continue;
        }
        values.resize(stations.len(), None);
        let block = match hours.last_mut() {
            Some(b) if b.date == date && b.hour == hour => b,
            _ => {
                hours.push(HourBlock {
                    date,
                    hour,
                    rows: Default::default(),
                });
                hours
                    .last_mut()
                    .unwrap_or_else(|| unreachable!("just pushed"))
            }
        };
        block.rows[kind as usize] = Some(values);
    }
    Ok(CnemcFile { stations, hours })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_and_reports_bad_cells_with_their_place() {
        let text = "date,hour,type,1001A,1002A\n\
                    20190101,0,AQI,73,\n\
                    20190101,0,PM2.5,53,x\n\
                    20190101,0,CO,1.2,-3\n\
                    20190101,1,PM2.5,10,11,12\n\
                    20190101,25,PM2.5,10,11\n\
                    20190101,2,FOO,1,1\n";
        let mut diag = Diagnostics::default();
        let f = read(text.as_bytes(), "t.csv", &mut diag).unwrap();
        assert_eq!(f.stations, ["1001A", "1002A"]);
        assert_eq!(f.hours.len(), 1);
        assert_eq!(f.hours[0].value(Kind::Aqi, 0), Some(73.0));
        assert_eq!(f.hours[0].value(Kind::Pm25, 1), None);
        assert_eq!(
            f.hours[0].realtime_inputs(0).hour[Pollutant::Co.index()],
            Some(1.2)
        );
        assert_eq!(diag.skipped, 5);
        let first = diag.examples[0].to_string();
        assert_eq!(first, "t.csv:3: field 1002A: not a number");
        assert_eq!(diag.examples[1].reason, "negative concentration");
    }

    #[test]
    fn a_file_without_the_header_is_an_error() {
        let mut diag = Diagnostics::default();
        assert!(matches!(
            read("a,b\n".as_bytes(), "x", &mut diag),
            Err(FormatError::BadHeader { .. })
        ));
        assert!(matches!(
            read("".as_bytes(), "x", &mut diag),
            Err(FormatError::Empty { .. })
        ));
    }
}
