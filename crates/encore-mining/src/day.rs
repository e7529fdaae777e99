//! Calendar days (UTC) that orders are dated by and windows are measured in.

use serde::{Deserialize, Serialize};

/// A day as the number of days since 1970-01-01 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub u32);

impl Day {
    /// The UTC day of an RFC 3339 timestamp such as Shopify's `created_at`
    /// ("2026-11-26T21:35:42-05:00" is 2026-11-27 in UTC). `None` for text that is not one,
    /// or a moment before 1970.
    pub fn from_rfc3339(text: &str) -> Option<Day> {
        let seconds = encore_engine::time::parse_rfc3339(text)?;
        u32::try_from(seconds.div_euclid(86_400)).ok().map(Day)
    }

    /// The calendar date (year, month, day) of this day, proleptic Gregorian, by the usual
    /// era-of-400-years arithmetic.
    pub fn ymd(self) -> (i64, u32, u32) {
        let z = i64::from(self.0) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    /// The first day of a window of `days` days that ends with (and includes) this day.
    pub fn window_start(self, days: u32) -> Day {
        Day(self.0.saturating_sub(days.saturating_sub(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_dated_by_its_utc_day() {
        assert_eq!(Day::from_rfc3339("1970-01-02T00:00:00Z"), Some(Day(1)));
        assert_eq!(Day::from_rfc3339("1970-01-01T23:59:59Z"), Some(Day(0)));
        assert_eq!(Day::from_rfc3339("1970-01-01T23:00:00-05:00"), Some(Day(1)));
        assert_eq!(Day::from_rfc3339("1969-12-31T23:59:59Z"), None);
        assert_eq!(Day::from_rfc3339("yesterday"), None);
    }

    #[test]
    fn a_day_has_its_calendar_date_and_reads_back_from_it() {
        assert_eq!(Day(0).ymd(), (1970, 1, 1));
        assert_eq!(Day(11_016).ymd(), (2000, 2, 29));
        assert_eq!(Day(20_783).ymd(), (2026, 11, 26));
        for day in [Day(59), Day(365), Day(20_000), Day(20_789)] {
            let (y, m, d) = day.ymd();
            let text = format!("{y:04}-{m:02}-{d:02}T12:00:00Z");
            assert_eq!(Day::from_rfc3339(&text), Some(day), "{text}");
        }
    }

    #[test]
    fn a_window_of_sixty_days_starts_fifty_nine_days_earlier() {
        assert_eq!(Day(100).window_start(60), Day(41));
        assert_eq!(Day(10).window_start(60), Day(0));
        assert_eq!(Day(10).window_start(1), Day(10));
    }
}
