//! Just enough XML for S3 responses: text of simple elements.
//!
//! S3 list responses are flat (`<Contents><Key>…</Key>…</Contents>`), so we
//! find elements by name and decode the five predefined entities and numeric
//! character references. Not a general XML parser.

/// Decode XML entities in element text.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i..).unwrap_or("");
        let Some(end) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let ent = after.get(1..end).unwrap_or("");
        let decoded = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(after.get(..=end).unwrap_or("")),
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Text of every `<tag>…</tag>` in `s`, in order (`<tag/>` gives "").
pub fn all(s: &str, tag: &str) -> Vec<String> {
    all_raw(s, tag).iter().map(|t| unescape(t)).collect()
}

fn all_raw(s: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let empty = format!("<{tag}/>");
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let o = rest.find(&open);
        let e = rest.find(&empty);
        match (o, e) {
            (Some(o), e) if e.is_none_or(|e| o < e) => {
                let from = o + open.len();
                let Some(len) = rest.get(from..).and_then(|r| r.find(&close)) else {
                    return out;
                };
                out.push(rest.get(from..from + len).unwrap_or("").to_string());
                rest = rest.get(from + len + close.len()..).unwrap_or("");
            }
            (_, Some(e)) => {
                out.push(String::new());
                rest = rest.get(e + empty.len()..).unwrap_or("");
            }
            _ => return out,
        }
    }
}

/// Text of `<inner>` inside each `<outer>` element.
pub fn all_in(s: &str, outer: &str, inner: &str) -> Vec<String> {
    all_raw(s, outer)
        .iter()
        .filter_map(|o| {
            let open = format!("<{inner}>");
            let close = format!("</{inner}>");
            let from = o.find(&open)? + open.len();
            let len = o.get(from..)?.find(&close)?;
            o.get(from..from + len).map(unescape)
        })
        .collect()
}

/// Text of the first `<tag>`.
pub fn first(s: &str, tag: &str) -> Option<String> {
    all(s, tag).into_iter().next()
}

/// `Code: Message` of an S3 error document, or the raw text.
pub fn error_text(s: &str) -> String {
    match (first(s, "Code"), first(s, "Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => s.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_response() {
        let x = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix/>
<Contents><Key>a/1.json</Key><Size>3</Size></Contents>
<Contents><Key>a/x&amp;y&#x20;z.json.gz</Key></Contents>
<IsTruncated>true</IsTruncated><NextContinuationToken>t&lt;1</NextContinuationToken></ListBucketResult>"#;
        assert_eq!(
            all_in(x, "Contents", "Key"),
            ["a/1.json", "a/x&y z.json.gz"]
        );
        assert_eq!(first(x, "IsTruncated").as_deref(), Some("true"));
        assert_eq!(first(x, "NextContinuationToken").as_deref(), Some("t<1"));
        assert_eq!(first(x, "Prefix").as_deref(), Some(""));
        assert_eq!(
            error_text("<Error><Code>NoSuchBucket</Code><Message>m</Message></Error>"),
            "NoSuchBucket: m"
        );
    }
}
