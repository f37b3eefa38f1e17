//! A proleptic Gregorian calendar date and a calendar month, without time zones or a clock.
//! Hours, days and Beijing time are in [`crate::cst`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar date. Construct with [`Date::new`]; the fields are always a valid date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Returns the date, or `None` when the month or day is out of range.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// A date written in the code (a rule table's edition date): the caller guarantees
    /// that it exists.
    pub(crate) const fn from_ymd_unchecked(year: i32, month: u32, day: u32) -> Date {
        Date {
            year,
            month: month as u8,
            day: day as u8,
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::days_since_epoch`].
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date `n` days later (earlier for negative `n`).
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + n)
    }

    /// Parses `YYYY-MM-DD` or `YYYYMMDD`.
    pub fn parse(text: &str) -> Option<Date> {
        let t = text.trim();
        let (y, m, d) = match t.len() {
            8 if t.bytes().all(|b| b.is_ascii_digit()) => (&t[0..4], &t[4..6], &t[6..8]),
            10 if t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' => {
                (&t[0..4], &t[5..7], &t[8..10])
            }
            _ => return None,
        };
        Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Date, String> {
        s.parse()
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse(s).ok_or_else(|| format!("not a date (YYYY-MM-DD): {s:?}"))
    }
}

/// A calendar month, written `YYYY-MM` (a report's month, a target's month).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month {
            year,
            month: month as u8,
        })
    }

    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let t = text.trim();
        let (y, m) = t.split_once('-')?;
        if y.len() != 4
            || m.len() != 2
            || !t.bytes().filter(|b| *b != b'-').all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }

    pub fn n_days(self) -> u32 {
        days_in_month(self.year, self.month())
    }

    pub fn of(d: Date) -> Month {
        Month {
            year: d.year,
            month: d.month,
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

impl TryFrom<String> for Month {
    type Error = String;
    fn try_from(s: String) -> Result<Month, String> {
        s.parse()
    }
}

impl std::str::FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Month, String> {
        Month::parse(s).ok_or_else(|| format!("not a month (YYYY-MM): {s:?}"))
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

pub fn days_in_year(year: i32) -> u32 {
    if is_leap_year(year) { 366 } else { 365 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_written_yyyy_mm() {
        let m = Month::parse("2024-02").unwrap();
        assert_eq!(
            (m.to_string(), m.n_days(), m.first_day()),
            ("2024-02".to_owned(), 29, Date::new(2024, 2, 1).unwrap())
        );
        for bad in ["2024-13", "2024-2", "24-02", "2024-0a", "2024-02-01", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_round_trips_over_four_centuries() {
        let start = Date::new(1900, 1, 1).unwrap().days_since_epoch();
        for n in start..start + 146_097 {
            assert_eq!(Date::from_days_since_epoch(n).days_since_epoch(), n);
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(
            Date::new(2026, 3, 1).unwrap().add_days(-1),
            Date::new(2026, 2, 28).unwrap()
        );
    }

    #[test]
    fn parse_accepts_both_layouts_and_rejects_impossible_dates() {
        assert_eq!(Date::parse("20190131"), Date::new(2019, 1, 31));
        assert_eq!(Date::parse("2016-02-29"), Date::new(2016, 2, 29));
        assert_eq!(Date::parse("2015-02-29"), None);
        assert_eq!(Date::parse("2015-13-01"), None);
        assert_eq!(Date::parse("x"), None);
    }
}
