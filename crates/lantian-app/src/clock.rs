//! The one clock: the system's, or a fixed instant for demos and tests. What it reads is an
//! instant; everything a person sees of it goes through `lantian_core::cst` (Beijing time).

use lantian_core::{Date, cst};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The operating system's clock.
    #[default]
    System,
    /// Always this instant (milliseconds since the Unix epoch).
    Fixed { unix_ms: i64 },
}

impl Clock {
    /// Milliseconds since the Unix epoch, now.
    pub fn now_ms(self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            Clock::Fixed { unix_ms } => unix_ms,
        }
    }

    /// Now, in CST seconds (`lantian_core::cst`).
    pub fn now_cst(self) -> i64 {
        cst::from_unix_ms(self.now_ms())
    }

    /// Today's date in Beijing.
    pub fn today(self) -> Date {
        cst::today(self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_reads_beijing_time() {
        // 2026-11-09T16:30:00Z is 00:30 on 10 November in Beijing.
        let c = Clock::Fixed {
            unix_ms: (20_766 * 86_400 + 16 * 3600 + 1800) * 1000,
        };
        assert_eq!(c.today(), Date::new(2026, 11, 10).unwrap());
        assert_eq!(cst::format_minute(c.now_cst()), "2026-11-10 00:30");
        assert!(
            Clock::System.now_ms() > c.now_ms(),
            "the system clock is past 2026-11-10"
        );
    }
}
