//! HJ 212 timestamps: `YYYYMMDDhhmmss` (N14), and `YYYYMMDDhhmmsszzz` for QN.

use std::fmt;

/// A wall-clock timestamp as a device sends it (local time, no zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub millis: u16,
}

impl Timestamp {
    /// Parses 14 digits, or 17 with milliseconds. Ranges are checked (days up to 31).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if !(b.len() == 14 || b.len() == 17) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = |i: usize, len: usize| {
            b[i..i + len]
                .iter()
                .fold(0u16, |a, d| a * 10 + u16::from(d - b'0'))
        };
        let t = Timestamp {
            year: n(0, 4),
            month: n(4, 2) as u8,
            day: n(6, 2) as u8,
            hour: n(8, 2) as u8,
            minute: n(10, 2) as u8,
            second: n(12, 2) as u8,
            millis: if b.len() == 17 { n(14, 3) } else { 0 },
        };
        let ok = (1..=12).contains(&t.month)
            && (1..=31).contains(&t.day)
            && t.hour < 24
            && t.minute < 60
            && t.second < 61;
        ok.then_some(t)
    }

    /// `YYYYMMDDhhmmss`.
    pub fn n14(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYYYMMDDhhmmsszzz`, the form of QN.
    pub fn qn(&self) -> String {
        format!("{}{:03}", self.n14(), self.millis)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.millis != 0 {
            write!(f, ".{:03}", self.millis)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_lengths_and_rejects_impossible_times() {
        let t = Timestamp::parse("20160801084000").unwrap();
        assert_eq!(t.to_string(), "2016-08-01T08:40:00");
        assert_eq!(Timestamp::parse("20160801085857223").unwrap().millis, 223);
        assert_eq!(Timestamp::parse("20161301084000"), None);
        assert_eq!(Timestamp::parse("2016080108400"), None);
        assert_eq!(t.qn(), "20160801084000000");
    }
}
