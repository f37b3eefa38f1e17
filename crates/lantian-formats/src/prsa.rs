//! UCI Beijing Multi-Site Air-Quality files (`PRSA_Data_<Station>_20130301-20170228.csv`).
//!
//! Data: Song Xi Chen, Beijing Multi-Site Air-Quality Data, UCI Machine Learning Repository
//! (CC BY 4.0). CO is in µg/m³ there; this reader converts it to mg/m³. `NA` is missing.
//! `hour` is CNEMC's label, the end of the hour: the UCI values at every hour of 2017-01-01
//! are CNEMC's published values at the same labels (docs/findings.md F5).

use crate::{Diagnostics, FormatError, parse_concentration};
use lantian_core::Date;
use lantian_core::pollutant::Pollutant;
use lantian_core::series::HourlySeries;
use std::io::Read;

/// One hour of one station, in standard units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrsaRow {
    pub date: Date,
    /// The hour label (0–23): the row's value is the mean over the hour ending then.
    pub hour: u32,
    pub values: [Option<f64>; 6],
}

#[derive(Clone, Debug, PartialEq)]
pub struct PrsaFile {
    pub station: String,
    pub rows: Vec<PrsaRow>,
}

const COLUMNS: [(&str, Pollutant); 6] = [
    ("PM2.5", Pollutant::Pm25),
    ("PM10", Pollutant::Pm10),
    ("SO2", Pollutant::So2),
    ("NO2", Pollutant::No2),
    ("CO", Pollutant::Co),
    ("O3", Pollutant::O3),
];

/// Reads a PRSA file, keeping the rows of `year` and the row labelled 00:00 on the next 1
/// January, which ends the year's last hour (all rows when `None`).
pub fn read(
    reader: impl Read,
    file: &str,
    year: Option<i32>,
    diag: &mut Diagnostics,
) -> Result<PrsaFile, FormatError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| FormatError::Io {
            file: file.to_owned(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let bad_header = || {
        FormatError::BadHeader {
        file: file.to_owned(),
        expected: "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\",\"O3\",…,\"station\"".to_owned(),
        found: headers.iter().collect::<Vec<_>>().join(",").chars().take(80).collect(),
    }
    };
    if headers.is_empty() {
        return Err(FormatError::Empty {
            file: file.to_owned(),
        });
    }
    let (Some(iy), Some(im), Some(id), Some(ih), Some(ist)) = (
        find("year"),
        find("month"),
        find("day"),
        find("hour"),
        find("station"),
    ) else {
        return Err(bad_header());
    };
    let mut cols = [(0usize, Pollutant::So2); 6];
    for (slot, (name, p)) in cols.iter_mut().zip(COLUMNS) {
        *slot = (find(name).ok_or_else(bad_header)?, p);
    }
    let mut station = String::new();
    let mut rows = Vec::new();
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
        let int = |i: usize| record.get(i).and_then(|s| s.trim().parse::<i64>().ok());
        let (Some(y), Some(m), Some(d), Some(h)) = (int(iy), int(im), int(id), int(ih)) else {
            diag.skip(
                file,
                n,
                Some("year/month/day/hour"),
                "timestamp is not numeric",
            );
            continue;
        };
        // The hour labelled 00:00 on 1 January ends the last hour of the year before.
        let ends_previous_year = (m, d, h) == (1, 1, 0);
        if year.is_some_and(|want| {
            i64::from(want) != y && !(ends_previous_year && i64::from(want) + 1 == y)
        }) {
            continue;
        }
        let date = Date::new(y as i32, m.clamp(0, 99) as u32, d.clamp(0, 99) as u32);
        let (Some(date), true) = (date, (0..24).contains(&h)) else {
            diag.skip(
                file,
                n,
                Some("year/month/day/hour"),
                "not a valid date and hour",
            );
            continue;
        };
        if station.is_empty() {
            station = record.get(ist).unwrap_or_default().trim().to_owned();
        }
        let mut values = [None; 6];
        for (i, p) in cols {
            match parse_concentration(record.get(i).unwrap_or("NA")) {
                Ok(v) => {
                    let factor = if p == Pollutant::Co { 0.001 } else { 1.0 };
                    values[p.index()] = v.map(|v| v * factor);
                }
                Err(reason) => diag.skip(file, n, Some(p.name()), reason),
            }
        }
        rows.push(PrsaRow {
            date,
            hour: h as u32,
            values,
        });
    }
    if station.is_empty() {
        station = file.to_owned();
    }
    Ok(PrsaFile { station, rows })
}

impl PrsaRow {
    /// The start of the hour (CST seconds, [`lantian_core::cst`]).
    pub fn start(&self) -> i64 {
        lantian_core::cst::day_start(self.date) + i64::from(self.hour) * 3600 - 3600
    }
}

impl PrsaFile {
    /// The rows of `year` as an hourly series of the whole calendar year.
    pub fn year_series(&self, year: i32) -> Option<HourlySeries> {
        let start = Date::new(year, 1, 1)?;
        let mut s = HourlySeries::new(start, lantian_core::date::days_in_year(year) as usize);
        for r in &self.rows {
            if let Some(i) = s.index_of_label(r.date, r.hour) {
                for p in Pollutant::ALL {
                    if let Some(v) = r.values[p.index()] {
                        s.values[p.index()][i] = v;
                    }
                }
            }
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\",\"O3\",\"TEMP\",\"PRES\",\"DEWP\",\"RAIN\",\"wd\",\"WSPM\",\"station\"\n";

    #[test]
    fn reads_rows_converts_co_and_reports_bad_cells() {
        let text = format!(
            "{HEAD}1,2014,1,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,\"NNW\",4.4,\"Aotizhongxin\"\n\
             2,2014,1,1,1,NA,abc,-4,7,1300,77,-1.1,1023.2,-18.2,0,\"N\",4.7,\"Aotizhongxin\"\n\
             3,2014,2,30,1,1,1,1,1,1,1,0,0,0,0,\"N\",0,\"Aotizhongxin\"\n\
             4,2013,1,1,1,1,1,1,1,1,1,0,0,0,0,\"N\",0,\"Aotizhongxin\"\n"
        );
        let mut diag = Diagnostics::default();
        let f = read(text.as_bytes(), "p.csv", Some(2014), &mut diag).unwrap();
        assert_eq!(f.station, "Aotizhongxin");
        assert_eq!(f.rows.len(), 2);
        assert_eq!(f.rows[0].values[Pollutant::Co.index()], Some(0.3));
        assert_eq!(f.rows[1].values[Pollutant::Pm25.index()], None);
        assert_eq!(f.rows[1].values[Pollutant::Pm10.index()], None);
        assert_eq!(diag.skipped, 3);
        assert_eq!(
            diag.examples[0].to_string(),
            "p.csv:3: field PM10: not a number"
        );
        assert_eq!(diag.examples[1].reason, "negative concentration");
        assert_eq!(diag.examples[2].line, 4);
        let s = f.year_series(2014).unwrap();
        // Labelled 01:00: the hour starting 00:00, the first of 2014. The row labelled 00:00
        // on 1 January ends 2013 and is not in 2014's series.
        assert_eq!(s.values[Pollutant::O3.index()][0], 77.0);
        assert_eq!(
            s.count_values(),
            3,
            "NO2, CO and O3 of one row (PM2.5 missing, PM10 and SO2 bad)"
        );
    }

    #[test]
    fn a_file_with_other_columns_is_an_error() {
        let mut diag = Diagnostics::default();
        let e = read("a,b,c\n1,2,3\n".as_bytes(), "x.csv", None, &mut diag).unwrap_err();
        assert!(
            e.to_string().starts_with("x.csv:1: header does not match"),
            "{e}"
        );
    }
}
