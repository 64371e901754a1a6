//! Rendering timestamps as local time, as sysdig does (it honours `TZ`).

use chrono::{Local, Offset, TimeZone};

/// Seconds covered by one cached UTC offset: time-zone changes happen on quarter hours.
const OFFSET_SPAN: i64 = 900;

/// Formats nanosecond timestamps as local time; caches the UTC offset so that rendering
/// millions of events costs no time-zone lookup per event.
#[derive(Debug, Default)]
pub struct TimeFormatter {
    /// `(span start in s, offset in s)`.
    cached: Option<(i64, i64)>,
    /// The last second rendered by [`TimeFormatter::clock`], as text: consecutive events
    /// mostly fall in the same second, so it is formatted once per second.
    clock: Clock,
}

/// Text of one whole second: `HH:MM:SS`, or `YYYY-MM-DD HH:MM:SS` when `date`.
#[derive(Debug, Default)]
struct Clock {
    /// `(ts / 10^9, date)` of the text; `None` before the first use.
    key: Option<(u64, bool)>,
    text: Vec<u8>,
}

/// Broken-down local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day, 1-31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
    /// Nanoseconds.
    pub nanos: u32,
    /// Offset from UTC in seconds.
    pub offset: i64,
}

impl TimeFormatter {
    /// The local time of day of `ts` (ns since the epoch) to the second, as `HH:MM:SS`, or
    /// `YYYY-MM-DD HH:MM:SS` when `date`.
    #[inline]
    pub fn clock(&mut self, ts: u64, date: bool) -> &[u8] {
        let key = (ts / 1_000_000_000, date);
        if self.clock.key != Some(key) {
            self.fill_clock(ts, date);
            self.clock.key = Some(key);
        }
        &self.clock.text
    }

    #[cold]
    fn fill_clock(&mut self, ts: u64, date: bool) {
        let lt = self.local(ts);
        let t = &mut self.clock.text;
        t.clear();
        if date {
            push_padded(t, lt.year.max(0) as u64, 4);
            t.push(b'-');
            push_padded(t, u64::from(lt.month), 2);
            t.push(b'-');
            push_padded(t, u64::from(lt.day), 2);
            t.push(b' ');
        }
        push_padded(t, u64::from(lt.hour), 2);
        t.push(b':');
        push_padded(t, u64::from(lt.min), 2);
        t.push(b':');
        push_padded(t, u64::from(lt.sec), 2);
    }

    /// Local time of `ts` (ns since the epoch).
    pub fn local(&mut self, ts: u64) -> LocalTime {
        let secs = i64::try_from(ts / 1_000_000_000).unwrap_or(i64::MAX);
        let nanos = u32::try_from(ts % 1_000_000_000).unwrap_or(0);
        let span = secs.div_euclid(OFFSET_SPAN);
        let offset = match self.cached {
            Some((s, off)) if s == span => off,
            _ => {
                let off = Local
                    .timestamp_opt(secs, 0)
                    .single()
                    .map_or(0, |dt| i64::from(dt.offset().fix().local_minus_utc()));
                self.cached = Some((span, off));
                off
            }
        };
        let local = secs.saturating_add(offset);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            min: (rem % 3600 / 60) as u32,
            sec: (rem % 60) as u32,
            nanos,
            offset,
        }
    }
}

/// `n` in decimal, zero-padded to `width`.
fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    use std::io::Write as _;
    let _ = write!(out, "{n:0width$}");
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's method).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(17_748), (2018, 8, 5));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
