//! Satellite active-fire files (卫星火点) in the CSV layouts of NASA FIRMS.
//!
//! ```text
//! VIIRS: latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,
//!        confidence,version,bright_ti5,frp,daynight
//! MODIS: latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,
//!        confidence,version,bright_t31,frp,daynight
//! ```
//!
//! * Columns are found by name (any order, any case; extra columns such as `type` of the
//!   archive files are ignored). Required: `latitude`, `longitude`, `acq_date`, `acq_time`.
//! * `acq_date` is `YYYY-MM-DD` and `acq_time` the overpass time `HHMM` in **UTC** (files
//!   written by spreadsheets drop leading zeros: `142` is 01:42; `HH:MM` is read too). The
//!   point's instant is kept as Unix seconds; Lantian shows it in Beijing time.
//! * `confidence` is a class for VIIRS (`l`/`n`/`h`, or `low`/`nominal`/`high`) and a
//!   percentage 0–100 for MODIS; either is accepted in either layout. Empty is unknown.
//! * `frp` is the fire radiative power in MW; the brightness temperatures are in K.
//!
//! A bad row is skipped and reported with its line, field and reason; the rest are kept.

use crate::{Diagnostics, FormatError};
use lantian_core::date::Date;
use std::io::Read;

/// Which instrument's layout the header is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// VIIRS 375 m (`bright_ti4`).
    Viirs,
    /// MODIS 1 km (`brightness`).
    Modis,
    /// Neither brightness column: only the required ones were read.
    Other,
}

/// The detection confidence as the file gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    Low,
    Nominal,
    High,
    /// MODIS: 0–100 %.
    Percent(u8),
    Unknown,
}

impl Confidence {
    /// The text written in reports: `l`/`n`/`h`, the percentage, or empty.
    pub fn as_text(self) -> String {
        match self {
            Confidence::Low => "l".to_owned(),
            Confidence::Nominal => "n".to_owned(),
            Confidence::High => "h".to_owned(),
            Confidence::Percent(p) => p.to_string(),
            Confidence::Unknown => String::new(),
        }
    }
}

/// One detected fire pixel.
#[derive(Clone, Debug, PartialEq)]
pub struct FirePoint {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub lat: f64,
    pub lon: f64,
    /// The overpass instant, Unix seconds (UTC).
    pub acquired_unix_s: i64,
    pub satellite: String,
    pub instrument: String,
    pub confidence: Confidence,
    /// Fire radiative power, MW.
    pub frp_mw: Option<f64>,
    /// `bright_ti4` (VIIRS) or `brightness` (MODIS), K.
    pub brightness_k: Option<f64>,
    /// `D` or `N`.
    pub daynight: Option<char>,
}

/// The columns needed, by name.
struct Columns {
    lat: usize,
    lon: usize,
    date: usize,
    time: usize,
    satellite: Option<usize>,
    instrument: Option<usize>,
    confidence: Option<usize>,
    frp: Option<usize>,
    brightness: Option<usize>,
    daynight: Option<usize>,
}

/// Reads a FIRMS CSV. A file without the required columns is a [`FormatError::BadHeader`].
pub fn read(
    reader: impl Read,
    file: &str,
    diag: &mut Diagnostics,
) -> Result<(Layout, Vec<FirePoint>), FormatError> {
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
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(FormatError::Empty {
            file: file.to_owned(),
        });
    }
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let find = |n: &str| names.iter().position(|h| h == n);
    let bad_header = || FormatError::BadHeader {
        file: file.to_owned(),
        expected: "FIRMS columns latitude, longitude, acq_date, acq_time (VIIRS or MODIS)"
            .to_owned(),
        found: names.join(","),
    };
    let (layout, brightness) = match (find("bright_ti4"), find("brightness")) {
        (Some(i), _) => (Layout::Viirs, Some(i)),
        (None, Some(i)) => (Layout::Modis, Some(i)),
        (None, None) => (Layout::Other, None),
    };
    let cols = Columns {
        lat: find("latitude").ok_or_else(bad_header)?,
        lon: find("longitude").ok_or_else(bad_header)?,
        date: find("acq_date").ok_or_else(bad_header)?,
        time: find("acq_time").ok_or_else(bad_header)?,
        satellite: find("satellite"),
        instrument: find("instrument"),
        confidence: find("confidence"),
        frp: find("frp"),
        brightness,
        daynight: find("daynight"),
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                diag.skip(file, line, None, &format!("unreadable CSV row: {e}"));
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        match row(&rec, &cols, &names, line) {
            Ok(p) => out.push(p),
            Err((field, reason)) => diag.skip(file, line, Some(&field), &reason),
        }
    }
    Ok((layout, out))
}

fn row(
    rec: &csv::StringRecord,
    c: &Columns,
    names: &[String],
    line: u64,
) -> Result<FirePoint, (String, String)> {
    let get = |i: usize| rec.get(i).unwrap_or("");
    let name = |i: usize| names[i].clone();
    let number = |i: usize, lo: f64, hi: f64| -> Result<f64, (String, String)> {
        let t = get(i);
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(v),
            Ok(v) => Err((name(i), format!("{v} is outside {lo}…{hi}"))),
            Err(_) if t.is_empty() => Err((name(i), "empty".to_owned())),
            Err(_) => Err((name(i), format!("{t:?} is not a number"))),
        }
    };
    let optional = |i: Option<usize>| -> Result<Option<f64>, (String, String)> {
        match i {
            Some(i) if !get(i).is_empty() => number(i, 0.0, 1e6).map(Some),
            _ => Ok(None),
        }
    };
    let lat = number(c.lat, -90.0, 90.0)?;
    let lon = number(c.lon, -180.0, 180.0)?;
    let date = Date::parse(get(c.date)).ok_or_else(|| {
        (
            name(c.date),
            format!("{:?} is not a date YYYY-MM-DD", get(c.date)),
        )
    })?;
    let minutes = parse_hhmm(get(c.time)).ok_or_else(|| {
        (
            name(c.time),
            format!("{:?} is not a UTC time HHMM", get(c.time)),
        )
    })?;
    let confidence = match c.confidence {
        Some(i) => parse_confidence(get(i)).ok_or_else(|| {
            (
                name(i),
                format!("{:?} is not a confidence (l/n/h or 0–100)", get(i)),
            )
        })?,
        None => Confidence::Unknown,
    };
    let daynight = match c.daynight.map(get) {
        None | Some("") => None,
        Some(t) if t.eq_ignore_ascii_case("d") => Some('D'),
        Some(t) if t.eq_ignore_ascii_case("n") => Some('N'),
        Some(t) => {
            return Err(("daynight".to_owned(), format!("{t:?} is neither D nor N")));
        }
    };
    Ok(FirePoint {
        line,
        lat,
        lon,
        acquired_unix_s: date.days_since_epoch() * 86_400 + minutes * 60,
        satellite: c.satellite.map(get).unwrap_or("").to_owned(),
        instrument: c.instrument.map(get).unwrap_or("").to_owned(),
        confidence,
        frp_mw: optional(c.frp)?,
        brightness_k: optional(c.brightness)?,
        daynight,
    })
}

/// Minutes after midnight of `HHMM` (1 to 4 digits, leading zeros dropped) or `HH:MM`.
pub fn parse_hhmm(text: &str) -> Option<i64> {
    let t = text.trim();
    let (h, m) = if let Some((h, m)) = t.split_once(':') {
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        (h, m)
    } else {
        if t.is_empty() || t.len() > 4 {
            return None;
        }
        let split = t.len().saturating_sub(2);
        (if split == 0 { "0" } else { &t[..split] }, &t[split..])
    };
    if !(h.bytes().all(|b| b.is_ascii_digit()) && m.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

fn parse_confidence(text: &str) -> Option<Confidence> {
    let t = text.trim().to_ascii_lowercase();
    Some(match t.as_str() {
        "" => Confidence::Unknown,
        "l" | "low" => Confidence::Low,
        "n" | "nominal" => Confidence::Nominal,
        "h" | "high" => Confidence::High,
        _ => match t.parse::<u8>() {
            Ok(p) if p <= 100 => Confidence::Percent(p),
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIIRS: &str = "\
latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight
37.92,115.21,330.5,0.39,0.36,2025-03-10,0518,N,VIIRS,n,2.0NRT,290.1,3.2,D
37.93,115.22,301.2,0.4,0.37,2025-03-10,18,1,VIIRS,h,2.0NRT,280.0,1.1,N
91.0,115.22,301.2,0.4,0.37,2025-03-10,0518,N,VIIRS,n,2.0NRT,280.0,1.1,D
37.93,115.22,301.2,0.4,0.37,2025-03-10,2460,N,VIIRS,n,2.0NRT,280.0,1.1,D
37.93,115.22,301.2,0.4,0.37,2025-02-30,0518,N,VIIRS,n,2.0NRT,280.0,1.1,D
37.93,115.22,301.2,0.4,0.37,2025-03-10,0518,N,VIIRS,x,2.0NRT,280.0,1.1,D
";

    const MODIS: &str = "\
latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_t31,frp,daynight
37.95,115.3,320.1,1.0,1.0,2025-10-20,142,Aqua,MODIS,77,6.1NRT,290.3,12.5,D
37.95,115.3,320.1,1.0,1.0,2025-10-20,14:02,Terra,MODIS,101,6.1NRT,290.3,12.5,D
";

    fn unix(y: i32, m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        Date::new(y, m, d).unwrap().days_since_epoch() * 86_400 + hh * 3600 + mm * 60
    }

    #[test]
    fn viirs_rows_are_read_and_each_bad_row_is_reported_with_its_line_and_field() {
        let mut diag = Diagnostics::default();
        let (layout, points) = read(VIIRS.as_bytes(), "v.csv", &mut diag).unwrap();
        assert_eq!(layout, Layout::Viirs);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].line, 2);
        assert_eq!(points[0].acquired_unix_s, unix(2025, 3, 10, 5, 18));
        assert_eq!(points[0].confidence, Confidence::Nominal);
        assert_eq!(points[0].frp_mw, Some(3.2));
        assert_eq!(points[0].brightness_k, Some(330.5));
        assert_eq!(points[0].daynight, Some('D'));
        // `18` is 00:18 UTC.
        assert_eq!(points[1].acquired_unix_s, unix(2025, 3, 10, 0, 18));
        assert_eq!(points[1].confidence, Confidence::High);
        let got: Vec<(u64, Option<&str>)> = diag
            .examples
            .iter()
            .map(|s| (s.line, s.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (4, Some("latitude")),
                (5, Some("acq_time")),
                (6, Some("acq_date")),
                (7, Some("confidence")),
            ]
        );
    }

    #[test]
    fn modis_rows_have_percent_confidence_and_times_without_leading_zeros() {
        let mut diag = Diagnostics::default();
        let (layout, points) = read(MODIS.as_bytes(), "m.csv", &mut diag).unwrap();
        assert_eq!(layout, Layout::Modis);
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].acquired_unix_s, unix(2025, 10, 20, 1, 42));
        assert_eq!(points[0].confidence, Confidence::Percent(77));
        assert_eq!(points[0].satellite, "Aqua");
        assert_eq!(diag.examples[0].line, 3);
        assert_eq!(diag.examples[0].field.as_deref(), Some("confidence"));
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused() {
        let mut diag = Diagnostics::default();
        let err = read("lat,lon,date\n1,2,3\n".as_bytes(), "x.csv", &mut diag).unwrap_err();
        assert!(matches!(err, FormatError::BadHeader { .. }), "{err:?}");
        assert!(matches!(
            read("".as_bytes(), "x.csv", &mut diag).unwrap_err(),
            FormatError::Empty { .. }
        ));
    }

    #[test]
    fn hhmm_reads_every_spelling_and_refuses_impossible_times() {
        let cases = [
            ("0518", Some(318)),
            ("518", Some(318)),
            ("18", Some(18)),
            ("5", Some(5)),
            ("0000", Some(0)),
            ("2359", Some(1439)),
            ("05:18", Some(318)),
            ("2400", None),
            ("0560", None),
            ("", None),
            ("12345", None),
            ("-5", None),
            ("5:1", None),
        ];
        for (t, want) in cases {
            assert_eq!(parse_hhmm(t), want, "{t:?}");
        }
    }
}
