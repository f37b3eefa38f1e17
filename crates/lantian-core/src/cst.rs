//! China Standard Time (北京时间, UTC+8): the one calendar of Lantian. Instants, hours and
//! days as every crate counts them, and the text a person reads. Pure: the instant is an
//! argument, never read from a clock here.
//!
//! * **Times** are seconds since 1970-01-01T00:00 CST ("CST seconds"), what the store keeps;
//!   instants from the operating system are milliseconds since the Unix epoch (UTC).
//! * **The hour** starting at `HH:00` is stored under its start and is the hour the standards
//!   label by its end (CNEMC, spec §2.4): 15:00–16:00 is "the value labelled 16:00".
//! * **The day** `D` is the natural day (GB 3095 §3): the 24 hours starting 00:00 … 23:00 of
//!   `D`, labelled 01:00 … 24:00 (CNEMC writes the last one as 00:00 of `D + 1`). An
//!   [`crate::series::HourlySeries`] keeps them in slots 0 … 23, slot `h` being the hour that
//!   starts at `h:00`; the store's rollups and every daily value use the same 24 hours.

use crate::date::Date;

/// China Standard Time is UTC+8 all year (no daylight saving since 1991).
pub const OFFSET_S: i64 = 8 * 3600;
pub const MINUTE_S: i64 = 60;
pub const HOUR_S: i64 = 3600;
pub const DAY_S: i64 = 86_400;

/// CST seconds of an instant given in milliseconds since the Unix epoch.
pub fn from_unix_ms(unix_ms: i64) -> i64 {
    unix_ms.div_euclid(1000) + OFFSET_S
}

/// Milliseconds since the Unix epoch of a CST time.
pub fn to_unix_ms(cst_s: i64) -> i64 {
    (cst_s - OFFSET_S) * 1000
}

/// The date (in Beijing) of a CST time.
pub fn date_of(cst_s: i64) -> Date {
    Date::from_days_since_epoch(cst_s.div_euclid(DAY_S))
}

/// The date in Beijing of an instant in Unix milliseconds: "today" for a clock's reading.
pub fn today(unix_ms: i64) -> Date {
    date_of(from_unix_ms(unix_ms))
}

/// The start of the hour containing a CST time.
pub fn hour_start(cst_s: i64) -> i64 {
    cst_s - cst_s.rem_euclid(HOUR_S)
}

/// 00:00 of a date, in CST seconds.
pub fn day_start(d: Date) -> i64 {
    d.days_since_epoch() * DAY_S
}

/// The day and slot (0 … 23) of the hour that starts at `start` (CST seconds).
pub fn slot_of(start: i64) -> (Date, u32) {
    (date_of(start), (start.rem_euclid(DAY_S) / HOUR_S) as u32)
}

/// The start (CST seconds) of the hour in `slot` (0 … 23) of day `d`.
pub fn start_of(d: Date, slot: u32) -> i64 {
    day_start(d) + i64::from(slot) * HOUR_S
}

/// The day and slot of the hour labelled `label` (0 … 24, its end) on `d`: CNEMC's hour 0 of
/// a date is the last hour of the day before, and 24:00 is the last hour of `d` itself.
pub fn slot_of_label(d: Date, label: u32) -> (Date, u32) {
    slot_of(day_start(d) + i64::from(label) * HOUR_S - HOUR_S)
}

/// `YYYY-MM-DD HH:MM` of a CST time: how a person reads a time (add "北京时间" in the UI).
pub fn format_minute(cst_s: i64) -> String {
    let d = date_of(cst_s);
    let s = cst_s.rem_euclid(DAY_S);
    format!("{d} {:02}:{:02}", s / HOUR_S, s % HOUR_S / MINUTE_S)
}

/// `YYYY-MM-DD HH:MM` in Beijing time of an instant in Unix milliseconds.
pub fn format_unix_ms(unix_ms: i64) -> String {
    format_minute(from_unix_ms(unix_ms))
}

/// Parses `YYYY-MM-DD HH:MM` (or with `T`, optional `:SS` of zero) as a CST time.
pub fn parse_minute(text: &str) -> Option<i64> {
    let t = text.trim();
    let (d, rest) = t.split_at_checked(10)?;
    let date = Date::parse(d)?;
    let rest = rest.strip_prefix([' ', 'T'])?;
    let mut parts = rest.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s_ok = parts
        .next()
        .is_none_or(|s| s.parse::<u32>().ok() == Some(0));
    ((0..=24).contains(&h)
        && (0..60).contains(&m)
        && (h < 24 || m == 0)
        && s_ok
        && parts.next().is_none())
    .then(|| day_start(date) + h * HOUR_S + m * MINUTE_S)
}

/// Parses a moment as gate and import systems write it: `YYYY-MM-DD HH:MM[:SS]`, with `/`
/// for `-` and `T` for the space allowed, as a CST time to the second.
pub fn parse_moment(text: &str) -> Option<i64> {
    let t = text.trim().replace('/', "-");
    let (d, rest) = t.split_once([' ', 'T'])?;
    let mut ymd = d.split('-');
    let date = Date::new(
        ymd.next()?.parse().ok()?,
        ymd.next()?.parse().ok()?,
        ymd.next()?.parse().ok()?,
    )?;
    if ymd.next().is_some() {
        return None;
    }
    let mut parts = rest.trim().split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: i64 = match parts.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    ((0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s) && parts.next().is_none())
        .then(|| day_start(date) + h * HOUR_S + m * MINUTE_S + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn an_instant_reads_eight_hours_ahead_of_utc() {
        // 2026-11-30T14:00:00Z is 22:00 in Beijing.
        let unix_ms = (d("2026-11-30").days_since_epoch() * DAY_S + 14 * HOUR_S) * 1000;
        assert_eq!(format_unix_ms(unix_ms), "2026-11-30 22:00");
        assert_eq!(to_unix_ms(from_unix_ms(unix_ms)), unix_ms);
        // 2026-11-30T16:30Z is already the 1st of December in Beijing.
        assert_eq!(today(unix_ms + 150 * 60_000), d("2026-12-01"));
    }

    #[test]
    fn moments_are_read_with_seconds_and_either_separator() {
        let base = day_start(d("2026-11-05"));
        for (text, want) in [
            (
                "2026-11-05 08:30:15",
                Some(base + 8 * HOUR_S + 30 * MINUTE_S + 15),
            ),
            ("2026/11/5 08:30", Some(base + 8 * HOUR_S + 30 * MINUTE_S)),
            ("2026-11-05T23:59:59.5", Some(base + DAY_S - 1)),
            ("2026-11-05 24:00", None),
            ("2026-11-31 08:00", None),
            ("2026-11-05", None),
            ("08:30 2026-11-05", None),
        ] {
            assert_eq!(parse_moment(text), want, "{text}");
        }
    }

    #[test]
    fn the_day_is_the_hours_starting_0_to_23_labelled_1_to_24() {
        let day = d("2019-01-01");
        assert_eq!(slot_of(day_start(day)), (day, 0));
        assert_eq!(slot_of(start_of(day, 23)), (day, 23));
        // CNEMC's "2019-01-01 00:00" ends the hour 23:00–24:00 of 2018-12-31.
        assert_eq!(slot_of_label(day, 0), (d("2018-12-31"), 23));
        assert_eq!(slot_of_label(day, 1), (day, 0));
        assert_eq!(slot_of_label(day, 24), (day, 23));
        assert_eq!(hour_start(start_of(day, 5) + 1799), start_of(day, 5));
        assert_eq!(slot_of(-1), (d("1969-12-31"), 23), "before the epoch");
    }

    #[test]
    fn times_are_written_and_read_back() {
        for text in ["2026-11-30 22:00", "1969-12-31 23:59", "2024-02-29 00:01"] {
            assert_eq!(format_minute(parse_minute(text).unwrap()), text);
        }
        assert_eq!(
            parse_minute("2026-11-30 24:00"),
            parse_minute("2026-12-01T00:00:00")
        );
        for bad in [
            "2026-11-30 24:30",
            "2026-11-30 7:60",
            "2026-11-30",
            "2026-11-30 22:00:05",
        ] {
            assert_eq!(parse_minute(bad), None, "{bad}");
        }
    }
}
