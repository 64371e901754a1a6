//! CloudTrail log files → records, exactly as the official plugin cuts them
//! (spec `cloudtrail-json.md` §3).
//!
//! Splitting is a byte scan, not a JSON parse: it tracks string literals and
//! `{`/`}` depth, and every object that starts while exactly one object is open
//! becomes a candidate record. Candidates that are not valid JSON, lack an
//! RFC 3339 `eventTime` or a string `eventType`, or are Insight events are
//! dropped. Unlike upstream we count every drop and describe file-level
//! problems (gzip errors, truncation, invalid records) in [`Parsed::problems`],
//! each message naming the file, so the glue can log them.

use crate::json::{Doc, Kind};
use std::io::Read;
use std::ops::Range;

/// Largest decompressed size accepted for one log file (CloudTrail files are
/// far smaller; this bounds memory on a hostile `.json.gz`).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// One accepted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Byte range of the record object inside the file content.
    pub span: Range<usize>,
    /// `eventTime` in ns since the Unix epoch.
    pub ts: u64,
}

/// The result of reading one log file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The (decompressed) file content; record spans index into it.
    pub content: Vec<u8>,
    /// Accepted records, in file order.
    pub records: Vec<Record>,
    /// Candidates dropped because they were not valid JSON.
    pub invalid_json: usize,
    /// Candidates dropped for a missing/invalid `eventTime` or `eventType`,
    /// or because they are Insight events.
    pub not_events: usize,
    /// Human-readable problems, each naming the file.
    pub problems: Vec<String>,
}

impl Parsed {
    /// The bytes of record `r`.
    pub fn bytes(&self, r: &Record) -> &[u8] {
        self.content.get(r.span.clone()).unwrap_or_default()
    }
}

/// Whether a name is a CloudTrail log candidate: extension `.json`, or ending
/// in `.json.gz`.
pub fn is_log_name(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".json.gz")
}

/// Parse one log file. `name` decides gunzipping (`.json.gz`) and is quoted in
/// problems. A gzip error yields no records and one problem.
pub fn parse_file(name: &str, raw: Vec<u8>) -> Parsed {
    let content = if name.ends_with(".json.gz") {
        let mut out = Vec::new();
        let dec = flate2::read::MultiGzDecoder::new(raw.as_slice());
        match dec.take(MAX_FILE_BYTES + 1).read_to_end(&mut out) {
            Ok(n) if n as u64 > MAX_FILE_BYTES => {
                return Parsed {
                    problems: vec![format!(
                        "{name}: decompressed size exceeds {MAX_FILE_BYTES} bytes; file skipped"
                    )],
                    ..Parsed::default()
                };
            }
            Ok(_) => out,
            Err(e) => {
                return Parsed {
                    problems: vec![format!(
                        "{name}: gzip decompression failed: {e}; file skipped"
                    )],
                    ..Parsed::default()
                };
            }
        }
    } else {
        raw
    };
    parse_content(name, content)
}

/// Parse already-decompressed content (see [`parse_file`]).
pub fn parse_content(name: &str, content: Vec<u8>) -> Parsed {
    let mut out = Parsed::default();
    let split = split_records(&content);
    match content.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => out.problems.push(format!(
            "{name}: top-level value is not a JSON object (a CloudTrail log is {{\"Records\":[...]}}); \
             only objects nested one level deep are read"
        )),
        None => out.problems.push(format!("{name}: file is empty")),
    }
    if let Some(at) = split.unterminated_at {
        out.problems.push(format!(
            "{name}: truncated or malformed: JSON not closed (record opened at byte {at} is incomplete); \
             {} complete candidate(s) before it were kept",
            split.spans.len()
        ));
    }
    for span in split.spans {
        let Some(bytes) = content.get(span.clone()) else {
            continue;
        };
        let doc = match Doc::parse(bytes) {
            Ok(doc) => doc,
            Err(e) => {
                out.invalid_json += 1;
                out.problems.push(format!(
                    "{name}: record at byte {} is not valid JSON ({e}); skipped",
                    span.start
                ));
                continue;
            }
        };
        match record_time(&doc, bytes) {
            Some(ts) => out.records.push(Record { span, ts }),
            None => out.not_events += 1,
        }
    }
    out.content = content;
    out
}

/// Output of [`split_records`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// Candidate record spans, in order.
    pub spans: Vec<Range<usize>>,
    /// Start of a depth-2 object still open at end of input, if any.
    pub unterminated_at: Option<usize>,
}

/// The upstream record splitter (see the module docs).
pub fn split_records(content: &[u8]) -> Split {
    let mut out = Split::default();
    let mut depth: usize = 0;
    let mut in_str = false;
    let mut esc = false;
    let mut start: Option<usize> = None;
    for (i, &b) in content.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' => {
                if depth == 1 {
                    start = Some(i);
                }
                depth += 1;
            }
            b'}' => {
                // A stray `}` at depth 0 is ignored rather than wrapping.
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    if let Some(s) = start.take() {
                        out.spans.push(s..i + 1);
                    }
                }
            }
            _ => {}
        }
    }
    if depth > 1 {
        out.unterminated_at = start;
    } else if depth == 1 && out.unterminated_at.is_none() && start.is_none() {
        // The outer object is unclosed but every record completed: still a
        // truncated file, report it at the end.
        out.unterminated_at = Some(content.len());
    }
    out
}

/// The event timestamp if the record is an event the plugin emits.
fn record_time(doc: &Doc, bytes: &[u8]) -> Option<u64> {
    let root = doc.root(bytes)?;
    if root.kind() != Kind::Object {
        return None;
    }
    let ts = parse_rfc3339(&root.get("eventTime")?.as_str()?)?;
    let ty = root.get("eventType")?.as_str()?;
    if ty == "AwsCloudTrailInsight" {
        return None;
    }
    Some(ts)
}

/// Parse an RFC 3339 time the way Go's `time.Parse(time.RFC3339, …)` does:
/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, fields range-checked (day against
/// the month), fraction of any length. Returns ns since the epoch; times before
/// 1970 wrap like Go's `uint64(t.UnixNano())`.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        let mut v = 0i64;
        for &c in d {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let lit = |i: usize, c: u8| b.get(i) == Some(&c);
    let year = num(0..4)?;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let min = num(14..16)?;
    let sec = num(17..19)?;
    if !(lit(4, b'-') && lit(7, b'-') && lit(10, b'T') && lit(13, b':') && lit(16, b':')) {
        return None;
    }
    if !(1..=12).contains(&month) || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        let fs = i;
        let mut scale = 100_000_000i64;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == fs {
            return None;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') if b.len() == i + 1 => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && lit(i + 3, b':') => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    let ns = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    // Go's UnixNano is only defined within i64; wrap like its uint64 cast.
    Some(ns as i64 as u64)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// well-known civil-date algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(s: &str) -> Vec<&str> {
        split_records(s.as_bytes())
            .spans
            .into_iter()
            .map(|r| &s[r])
            .collect()
    }

    // The five upstream splitter cases (source_test.go), re-stated.
    #[test]
    fn splitter_upstream_cases() {
        assert_eq!(
            cut(r#"{"Records":[{"a":"}{"},{"b":"{"}]}"#),
            [r#"{"a":"}{"}"#, r#"{"b":"{"}"#]
        );
        assert_eq!(
            cut(r#"{"Records":[{"a":"x\"}\\"},{"b":"\\\"{"}]}"#),
            [r#"{"a":"x\"}\\"}"#, r#"{"b":"\\\"{"}"#]
        );
        assert_eq!(
            cut(r#"{"Records":[{"a":{"b":[{"c":1}]},"d":[1,[2]]}]}"#),
            [r#"{"a":{"b":[{"c":1}]},"d":[1,[2]]}"#]
        );
        assert!(cut(r#"{"Records":[]}"#).is_empty());
        let s = split_records(br#"{"Records":[{"a":1},{"b":"#);
        assert_eq!(s.spans, vec![12..19]);
        assert_eq!(s.unterminated_at, Some(20));
    }

    #[test]
    fn splitter_quirks() {
        // Objects under other top-level keys are candidates too.
        assert_eq!(
            cut(r#"{"Records":[{"a":1}],"meta":{"m":2}}"#),
            [r#"{"a":1}"#, r#"{"m":2}"#]
        );
        // A bare array yields the records' sub-objects.
        assert_eq!(cut(r#"[{"a":{"x":1},"b":2}]"#), [r#"{"x":1}"#]);
        let s = split_records(br#"{"Records":[{"a":1}]"#);
        assert_eq!(s.unterminated_at, Some(20));
        assert_eq!(split_records(br#"{"Records":[]}"#).unterminated_at, None);
    }

    #[test]
    fn rfc3339_like_go() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2021-01-29T08:27:50Z"),
            Some(1_611_908_870_000_000_000)
        );
        assert_eq!(
            parse_rfc3339("2021-01-29T09:27:50.123+01:00"),
            Some(1_611_908_870_123_000_000)
        );
        assert_eq!(
            parse_rfc3339("2020-02-29T00:00:00Z"),
            Some(1_582_934_400_000_000_000)
        );
        for bad in [
            "2021-02-29T00:00:00Z",
            "2021-01-29 08:27:50Z",
            "2021-01-29T08:27:50",
            "2021-01-29T24:00:00Z",
            "2021-01-29T08:27:60Z",
            "2021-01-29T08:27:50.Z",
            "2021-01-29T08:27:50z",
            "2021-01-29T08:27:50+0100",
            "2021-01-29T08:27:50Zx",
            "2021-1-29T08:27:50Z",
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_roundtrip() {
        for z in [-800_000, -1, 0, 1, 11_016, 18_686, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn record_filtering() {
        let f = br#"{"Records":[
            {"eventTime":"2021-01-01T00:00:00Z","eventType":"AwsApiCall","n":1},
            {"eventTime":"2021-01-01 00:00:00","eventType":"AwsApiCall"},
            {"eventTime":"2021-01-01T00:00:00Z"},
            {"eventTime":"2021-01-01T00:00:00Z","eventType":"AwsCloudTrailInsight"},
            {"eventTime":"2021-01-01T00:00:00Z","eventType":5},
            {"eventTime":"2020-01-01T00:00:00Z","eventType":"AwsServiceEvent", bad}
        ]}"#;
        let p = parse_content("x.json", f.to_vec());
        assert_eq!(p.records.len(), 1);
        assert!(p.bytes(&p.records[0]).ends_with(br#""n":1}"#));
        assert_eq!(p.not_events, 4);
        assert_eq!(p.invalid_json, 1);
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].starts_with("x.json: record at byte"));
    }

    #[test]
    fn gzip_errors_name_the_file() {
        let p = parse_file("a/b.json.gz", b"{\"Records\":[]}".to_vec());
        assert!(p.records.is_empty());
        assert!(p.problems[0].starts_with("a/b.json.gz: gzip decompression failed"));
    }
}
