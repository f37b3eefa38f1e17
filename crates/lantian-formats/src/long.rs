//! Lantian's long CSV: one value per row, for any source.
//!
//! ```text
//! station,time,pollutant,value[,flag]
//! XJ-01,2025-01-01 01:00,PM2.5,41
//! XJ-01,2025-01-01T01:00:00,a21005,0.9,N
//! ```
//!
//! * `time` is the hour label in Beijing time, `YYYY-MM-DD HH:MM[:SS]` (or with `T`): the
//!   end of the hour (CNEMC), so the value labelled 01:00 is the mean over 00:00–01:00 and
//!   the last hour of a day may be written `24:00` or `00:00` of the next. Minutes and
//!   seconds must be zero.
//! * `pollutant` is a name (`SO2`, `NO2`, `PM10`, `CO`, `O3`, `PM2.5`) or HJ 212 code.
//! * `value` is in the standard unit: µg/m³, CO in mg/m³.
//! * `flag` is an HJ 212 data flag; empty or `N` is valid, anything else is excluded from
//!   statistics (and counted).

use crate::{Diagnostics, FormatError, parse_concentration};
use lantian_core::cst;
use lantian_core::pollutant::Pollutant;
use std::io::Read;

#[derive(Clone, Debug, PartialEq)]
pub struct LongRecord {
    pub station: String,
    /// The start of the hour (CST seconds, [`cst`]): one hour before its label.
    pub start: i64,
    pub pollutant: Pollutant,
    pub value: f64,
}

/// The start (CST seconds) of the hour labelled by `text` (`YYYY-MM-DD HH:00`, its end).
pub fn parse_hour_label(text: &str) -> Option<i64> {
    cst::parse_minute(text)
        .filter(|t| t.rem_euclid(cst::HOUR_S) == 0)
        .map(|end| end - cst::HOUR_S)
}

/// Reads a long CSV. Bad rows are skipped and reported with their line and field.
pub fn read(
    reader: impl Read,
    file: &str,
    diag: &mut Diagnostics,
) -> Result<Vec<LongRecord>, FormatError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| FormatError::Io {
            file: file.to_owned(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    if headers.is_empty() {
        return Err(FormatError::Empty {
            file: file.to_owned(),
        });
    }
    let names: Vec<&str> = headers.iter().collect();
    if names.len() < 4
        || names[..4] != ["station", "time", "pollutant", "value"]
        || names.get(4).is_some_and(|f| *f != "flag")
    {
        return Err(FormatError::BadHeader {
            file: file.to_owned(),
            expected: "station,time,pollutant,value[,flag]".to_owned(),
            found: names.join(","),
        });
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut n = 1u64;
    loop {
        n += 1;
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                diag.skip(file, n, None, &format!("unreadable row: {e}"));
                continue;
            }
        }
        if record.len() < 4 || record.len() > 5 {
            diag.skip(file, n, None, "row does not have 4 or 5 cells");
            continue;
        }
        let station = &record[0];
        if station.is_empty() {
            diag.skip(file, n, Some("station"), "empty station");
            continue;
        }
        let Some(start) = parse_hour_label(&record[1]) else {
            diag.skip(file, n, Some("time"), "not an hour label YYYY-MM-DD HH:00");
            continue;
        };
        let Some(pollutant) = Pollutant::parse(&record[2]) else {
            diag.skip(file, n, Some("pollutant"), "unknown pollutant");
            continue;
        };
        let value = match parse_concentration(&record[3]) {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(reason) => {
                diag.skip(file, n, Some("value"), reason);
                continue;
            }
        };
        match record.get(4).unwrap_or("") {
            "" | "N" => {}
            flag => {
                diag.skip(
                    file,
                    n,
                    Some("flag"),
                    &format!("data flag {flag} is not N: excluded"),
                );
                continue;
            }
        }
        out.push(LongRecord {
            station: station.to_owned(),
            start,
            pollutant,
            value,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_valid_rows_and_names_the_bad_ones() {
        let text = "station,time,pollutant,value,flag\n\
                    A,2025-01-01 01:00,PM2.5,41,\n\
                    A,2025-01-01T02:00:00,a21005,0.9,N\n\
                    A,2025-01-01 24:00,a21005,0.7,N\n\
                    A,2025-01-01 02:30,PM2.5,1,\n\
                    A,2025-01-01 03:00,NOx,1,\n\
                    A,2025-01-01 03:00,PM10,-1,\n\
                    A,2025-01-01 03:00,PM10,5,M\n\
                    ,2025-01-01 03:00,PM10,5,N\n";
        let mut diag = Diagnostics::default();
        let recs = read(text.as_bytes(), "l.csv", &mut diag).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].pollutant, Pollutant::Co);
        let day = lantian_core::Date::new(2025, 1, 1).unwrap();
        // Labelled 02:00: the hour starting 01:00, slot 1 of the day.
        assert_eq!(
            (cst::slot_of(recs[1].start), recs[1].value),
            ((day, 1), 0.9)
        );
        assert_eq!(
            cst::slot_of(recs[2].start),
            (day, 23),
            "24:00 ends the day's last hour"
        );
        let reasons: Vec<String> = diag.examples.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            reasons,
            [
                "l.csv:5: field time: not an hour label YYYY-MM-DD HH:00",
                "l.csv:6: field pollutant: unknown pollutant",
                "l.csv:7: field value: negative concentration",
                "l.csv:8: field flag: data flag M is not N: excluded",
                "l.csv:9: field station: empty station",
            ]
        );
    }

    #[test]
    fn header_must_match() {
        let mut diag = Diagnostics::default();
        assert!(read("a,b\n".as_bytes(), "x", &mut diag).is_err());
    }
}
