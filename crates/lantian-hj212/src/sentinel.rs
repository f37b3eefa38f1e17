//! "Not computable" values of HJ 212-2025 (§8.1.1 d, as the public implementations quote
//! it): a value that cannot be computed is sent as its data type's maximum (e.g. `9999.99`).
//! Such a value is not a measurement: a receiver never stores it as data and never judges
//! it against a limit.
//!
//! The exact maxima depend on each field's data type, which the standard's tables give and
//! Lantian does not hold; the default rule is therefore a pattern, configurable: a value
//! made only of the digit 9 with at least [`Sentinel::nines_min`] of them, optionally with
//! one decimal point (`9999`, `9999.99`, `99999.999`).

/// The rule that tells a "not computable" value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sentinel {
    /// Whether the rule applies at all.
    pub enabled: bool,
    /// Fewest 9s in a sentinel (4 by default: `999.9` stays a value).
    pub nines_min: usize,
}

impl Default for Sentinel {
    fn default() -> Sentinel {
        Sentinel {
            enabled: true,
            nines_min: 4,
        }
    }
}

impl Sentinel {
    /// Whether `value` (as sent) is a "not computable" marker.
    pub fn matches(&self, value: &str) -> bool {
        if !self.enabled {
            return false;
        }
        let v = value.trim();
        let (mut nines, mut points) = (0, 0);
        for b in v.bytes() {
            match b {
                b'9' => nines += 1,
                b'.' => points += 1,
                _ => return false,
            }
        }
        points <= 1 && nines >= self.nines_min.max(1) && !v.starts_with('.') && !v.ends_with('.')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nines_with_enough_of_them_are_sentinels() {
        let s = Sentinel::default();
        for (v, want) in [
            ("9999.99", true),
            ("9999", true),
            ("99999.999", true),
            ("99.99", true),
            ("999.9", true),
            ("999", false),
            ("99.9", false),
            ("9998.99", false),
            ("-9999", false),
            ("9999..9", false),
            ("9999.", false),
            ("", false),
            ("12.5", false),
        ] {
            assert_eq!(s.matches(v), want, "{v:?}");
        }
        let five = Sentinel { nines_min: 5, ..s };
        assert!(!five.matches("9999") && five.matches("999.99"));
        let off = Sentinel {
            enabled: false,
            ..s
        };
        assert!(!off.matches("9999.99"));
    }
}
