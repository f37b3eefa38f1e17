//! UCI Beijing Multi-Site Air-Quality files (`PRSA_Data_<Station>_20130301-20170228.csv`).
//!
//! Data: Song Xi Chen, Beijing Multi-Site Air-Quality Data, UCI Machine Learning Repository
//! (CC BY 4.0). CO is in µg/m³ there; this reader converts it to mg/m³. `NA` is missing.
//! `hour` is CNEMC's label, the end of the hour: the UCI values at every hour of 2017-01-01
//! are CNEMC's published values at the same labels (docs/findings.md F5).
//! The files also carry the meteorology of the nearest weather station (TEMP °C, PRES hPa,
//! DEWP °C, RAIN mm, wd as one of 16 compass points, WSPM m/s), read into [`Met`].

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
    /// The hour's meteorology (all `None` when the file has no such columns).
    pub met: Met,
}

/// The meteorology of one PRSA row; `None` is missing (`NA`, or `cv` for the direction).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Met {
    /// Air temperature, °C (`TEMP`).
    pub temp_c: Option<f64>,
    /// Air pressure, hPa (`PRES`).
    pub pres_hpa: Option<f64>,
    /// Dew point, °C (`DEWP`).
    pub dewp_c: Option<f64>,
    /// Precipitation of the hour, mm (`RAIN`).
    pub rain_mm: Option<f64>,
    /// Direction the wind blows from, degrees clockwise from north (`wd`: N = 0, NNE = 22.5,
    /// …, NNW = 337.5); `cv` (calm and variable) has no direction and is `None`.
    pub wd_deg: Option<f64>,
    /// Wind speed, m/s (`WSPM`).
    pub ws_m_s: Option<f64>,
}

/// The 16 compass points in clockwise order from north, 22.5° apart.
pub const COMPASS_POINTS: [&str; 16] = [
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW",
    "NNW",
];

/// The direction of a compass point (`N` … `NNW`, any case) in degrees; `cv`, `NA` and an
/// empty cell are `Ok(None)`; anything else is an error naming why.
pub fn compass_to_deg(text: &str) -> Result<Option<f64>, &'static str> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("NA") || t.eq_ignore_ascii_case("cv") {
        return Ok(None);
    }
    COMPASS_POINTS
        .iter()
        .position(|p| p.eq_ignore_ascii_case(t))
        .map(|i| Some(i as f64 * 22.5))
        .ok_or("not a compass point (N, NNE, …, NNW or cv)")
}

/// A meteorological number: `NA` or empty is `Ok(None)`; `non_negative` rejects values below 0.
fn parse_met(text: &str, non_negative: bool) -> Result<Option<f64>, &'static str> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("NA") {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if !v.is_finite() => Err("not a finite number"),
        Ok(v) if non_negative && v < 0.0 => Err("negative value"),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err("not a number"),
    }
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
    // The meteorology columns are optional: a file without them reads with `Met` all `None`.
    let met_cols: [(Option<usize>, &str); 6] = [
        (find("TEMP"), "TEMP"),
        (find("PRES"), "PRES"),
        (find("DEWP"), "DEWP"),
        (find("RAIN"), "RAIN"),
        (find("wd"), "wd"),
        (find("WSPM"), "WSPM"),
    ];
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
        let mut met_values = [None; 6];
        for (k, (col, name)) in met_cols.iter().enumerate() {
            let Some(i) = col else { continue };
            let text = record.get(*i).unwrap_or("NA");
            let parsed = match k {
                4 => compass_to_deg(text),
                // Pressure, rain and wind speed cannot be negative; temperatures can.
                1 | 3 | 5 => parse_met(text, true),
                _ => parse_met(text, false),
            };
            match parsed {
                Ok(v) => met_values[k] = v,
                Err(reason) => diag.skip(file, n, Some(name), reason),
            }
        }
        let [temp_c, pres_hpa, dewp_c, rain_mm, wd_deg, ws_m_s] = met_values;
        rows.push(PrsaRow {
            date,
            hour: h as u32,
            values,
            met: Met {
                temp_c,
                pres_hpa,
                dewp_c,
                rain_mm,
                wd_deg,
                ws_m_s,
            },
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
    fn reads_the_meteorology_and_the_compass_points() {
        let text = format!(
            "{HEAD}1,2015,1,1,1,4,4,4,7,300,77,-0.7,1023,-18.8,0,\"NNW\",4.4,\"Dongsi\"\n\
             2,2015,1,1,2,4,4,4,7,300,77,NA,1023.2,-18.2,0.3,\"cv\",0.2,\"Dongsi\"\n\
             3,2015,1,1,3,4,4,4,7,300,77,1.5,NA,NA,NA,NA,NA,\"Dongsi\"\n\
             4,2015,1,1,4,4,4,4,7,300,77,1.5,1000,0,-1,\"XYZ\",-2,\"Dongsi\"\n"
        );
        let mut diag = Diagnostics::default();
        let f = read(text.as_bytes(), "m.csv", Some(2015), &mut diag).unwrap();
        let met: Vec<Met> = f.rows.iter().map(|r| r.met).collect();
        assert_eq!(
            met[0],
            Met {
                temp_c: Some(-0.7),
                pres_hpa: Some(1023.0),
                dewp_c: Some(-18.8),
                rain_mm: Some(0.0),
                wd_deg: Some(337.5),
                ws_m_s: Some(4.4),
            }
        );
        assert_eq!(
            (met[1].temp_c, met[1].wd_deg, met[1].ws_m_s),
            (None, None, Some(0.2))
        );
        assert_eq!(met[1].rain_mm, Some(0.3));
        assert_eq!(
            met[2],
            Met {
                temp_c: Some(1.5),
                ..Met::default()
            }
        );
        // A negative rain, an unknown direction and a negative speed are skipped cells.
        assert_eq!(
            (met[3].rain_mm, met[3].wd_deg, met[3].ws_m_s),
            (None, None, None)
        );
        assert_eq!(diag.skipped, 3, "{:?}", diag.examples);
        assert_eq!(
            diag.examples[1].to_string(),
            "m.csv:5: field wd: not a compass point (N, NNE, …, NNW or cv)"
        );
        for (text, want) in [
            ("N", Some(0.0)),
            ("NNE", Some(22.5)),
            ("E", Some(90.0)),
            ("SSW", Some(202.5)),
            ("nw", Some(315.0)),
            ("NNW", Some(337.5)),
            ("cv", None),
            ("NA", None),
        ] {
            assert_eq!(compass_to_deg(text), Ok(want), "{text}");
        }
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
