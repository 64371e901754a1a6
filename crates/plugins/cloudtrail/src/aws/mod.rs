//! A small blocking S3/SQS client: SigV4-signed requests over `ureq`.
//!
//! Only what the plugin needs: S3 `ListObjectsV2` (paginated) and
//! `GetObject`; SQS `GetQueueUrl`, `ReceiveMessage` and `DeleteMessage` over
//! the JSON protocol. Custom endpoints (`AWS_ENDPOINT_URL…`) use path-style
//! S3 addressing.

pub mod creds;
pub mod sigv4;
pub mod xml;

use anyhow::{bail, Context, Result};
use creds::AwsEnv;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest response body read (a CloudTrail object is far smaller).
const MAX_BODY: u64 = 1 << 30;

/// One S3/SQS client.
#[derive(Debug)]
pub struct Client {
    env: AwsEnv,
    agent: ureq::Agent,
}

/// An SQS message.
#[derive(Debug, Clone)]
pub struct Message {
    /// The body text.
    pub body: String,
    /// Handle for `DeleteMessage`.
    pub receipt_handle: String,
}

/// Split `scheme://host[:port][/base]` into (scheme+authority, host header, base path).
fn split_endpoint(url: &str) -> Result<(String, String, String)> {
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("invalid endpoint URL {url:?}"))?;
    let (auth, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i..).unwrap_or("")),
        None => (rest, ""),
    };
    if auth.is_empty() {
        bail!("invalid endpoint URL {url:?}");
    }
    // The Host header omits default ports, as HTTP clients send it.
    let host = match (scheme, auth.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => auth.to_string(),
    };
    Ok((
        format!("{scheme}://{auth}"),
        host,
        path.trim_end_matches('/').to_string(),
    ))
}

/// Minimal JSON string literal.
fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

impl Client {
    /// A client for the given environment.
    pub fn new(env: AwsEnv) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        Client { env, agent }
    }

    /// The region in use.
    pub fn region(&self) -> &str {
        &self.env.region
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        service: &str,
        method: &str,
        base: &str,
        host: &str,
        path: &str,
        query: &[(String, String)],
        extra: &[(String, String)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>)> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let amz_date = sigv4::amz_date(now);
        let payload_hash = sigv4::sha256_hex(body);
        let mut headers = vec![
            ("host".to_string(), host.to_string()),
            ("x-amz-date".to_string(), amz_date.clone()),
            ("x-amz-content-sha256".to_string(), payload_hash.clone()),
        ];
        if let Some(tok) = &self.env.creds.session_token {
            headers.push(("x-amz-security-token".to_string(), tok.clone()));
        }
        headers.extend_from_slice(extra);
        let auth = sigv4::authorization(
            &sigv4::Request {
                method,
                path,
                query,
                headers: &headers,
                payload_hash: &payload_hash,
            },
            &self.env.creds.access_key,
            &self.env.creds.secret_key,
            &amz_date,
            &self.env.region,
            service,
        );
        let qs = sigv4::canonical_query(query);
        let url = if qs.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{qs}")
        };
        let mut resp = if method == "POST" {
            let mut req = self.agent.post(&url).header("authorization", &auth);
            for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
                req = req.header(k, v);
            }
            req.send(body)
        } else {
            let mut req = self.agent.get(&url).header("authorization", &auth);
            for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
                req = req.header(k, v);
            }
            req.call()
        }
        .with_context(|| format!("{method} {url}"))?;
        let status = resp.status().as_u16();
        let data = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .with_context(|| format!("reading the response of {method} {url}"))?;
        Ok((status, data))
    }

    /// (base URL, host header, path prefix) for a bucket.
    fn s3_target(&self, bucket: &str) -> Result<(String, String, String)> {
        match &self.env.s3_endpoint {
            Some(ep) => {
                let (base, host, path) = split_endpoint(ep)?;
                Ok((
                    base,
                    host,
                    format!("{path}/{}", sigv4::uri_encode(bucket, false)),
                ))
            }
            None if !bucket.contains('.') => {
                let host = format!("{bucket}.s3.{}.amazonaws.com", self.env.region);
                Ok((format!("https://{host}"), host, String::new()))
            }
            None => {
                let host = format!("s3.{}.amazonaws.com", self.env.region);
                Ok((
                    format!("https://{host}"),
                    host,
                    format!("/{}", sigv4::uri_encode(bucket, false)),
                ))
            }
        }
    }

    /// All keys under `prefix`, in listing order (ListObjectsV2, paginated).
    pub fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<String>> {
        let (base, host, bpath) = self.s3_target(bucket)?;
        let path = if bpath.is_empty() {
            "/".to_string()
        } else {
            bpath
        };
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![
                ("list-type".to_string(), "2".to_string()),
                ("prefix".to_string(), prefix.to_string()),
            ];
            if let Some(t) = &token {
                q.push(("continuation-token".to_string(), t.clone()));
            }
            let (status, body) = self.send("s3", "GET", &base, &host, &path, &q, &[], b"")?;
            let text = String::from_utf8_lossy(&body);
            if status != 200 {
                bail!(
                    "S3 ListObjectsV2 s3://{bucket}/{prefix}: HTTP {status}: {}",
                    xml::error_text(&text)
                );
            }
            keys.extend(xml::all_in(&text, "Contents", "Key"));
            let truncated = xml::first(&text, "IsTruncated").as_deref() == Some("true");
            token = xml::first(&text, "NextContinuationToken");
            if !truncated || token.is_none() {
                return Ok(keys);
            }
        }
    }

    /// The bytes of one object.
    pub fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        let (base, host, bpath) = self.s3_target(bucket)?;
        let path = format!("{bpath}/{}", sigv4::uri_encode(key, true));
        let (status, body) = self.send("s3", "GET", &base, &host, &path, &[], &[], b"")?;
        if status != 200 {
            bail!(
                "S3 GetObject s3://{bucket}/{key}: HTTP {status}: {}",
                xml::error_text(&String::from_utf8_lossy(&body))
            );
        }
        Ok(body)
    }

    fn sqs(&self, action: &str, body: String) -> Result<Vec<u8>> {
        let ep = match &self.env.sqs_endpoint {
            Some(ep) => ep.clone(),
            None => format!("https://sqs.{}.amazonaws.com", self.env.region),
        };
        let (base, host, path) = split_endpoint(&ep)?;
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        let extra = [
            (
                "content-type".to_string(),
                "application/x-amz-json-1.0".to_string(),
            ),
            ("x-amz-target".to_string(), format!("AmazonSQS.{action}")),
        ];
        let (status, resp) = self.send(
            "sqs",
            "POST",
            &base,
            &host,
            &path,
            &[],
            &extra,
            body.as_bytes(),
        )?;
        if status != 200 {
            bail!(
                "SQS {action}: HTTP {status}: {}",
                String::from_utf8_lossy(&resp)
            );
        }
        Ok(resp)
    }

    /// Resolve a queue name (optionally owned by another account) to its URL.
    pub fn queue_url(&self, name: &str, owner: &str) -> Result<String> {
        let mut body = format!("{{\"QueueName\":{}", json_str(name));
        if !owner.is_empty() {
            body.push_str(&format!(",\"QueueOwnerAWSAccountId\":{}", json_str(owner)));
        }
        body.push('}');
        let resp = self.sqs("GetQueueUrl", body)?;
        let doc =
            crate::json::Doc::parse(&resp).context("SQS GetQueueUrl: invalid JSON response")?;
        doc.root(&resp)
            .and_then(|r| r.get("QueueUrl"))
            .and_then(|v| v.as_str())
            .map(|s| s.into_owned())
            .context("SQS GetQueueUrl: no QueueUrl in the response")
    }

    /// Receive up to 10 messages, long-polling up to `wait_secs`.
    pub fn receive(&self, queue_url: &str, wait_secs: u32) -> Result<Vec<Message>> {
        let body = format!(
            "{{\"QueueUrl\":{},\"MaxNumberOfMessages\":10,\"WaitTimeSeconds\":{wait_secs}}}",
            json_str(queue_url)
        );
        let resp = self.sqs("ReceiveMessage", body)?;
        let doc =
            crate::json::Doc::parse(&resp).context("SQS ReceiveMessage: invalid JSON response")?;
        let Some(msgs) = doc.root(&resp).and_then(|r| r.get("Messages")) else {
            return Ok(Vec::new());
        };
        Ok(msgs
            .children()
            .filter_map(|m| {
                Some(Message {
                    body: m.get("Body")?.as_str()?.into_owned(),
                    receipt_handle: m.get("ReceiptHandle")?.as_str()?.into_owned(),
                })
            })
            .collect())
    }

    /// Delete a received message.
    pub fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<()> {
        let body = format!(
            "{{\"QueueUrl\":{},\"ReceiptHandle\":{}}}",
            json_str(queue_url),
            json_str(receipt_handle)
        );
        self.sqs("DeleteMessage", body).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            split_endpoint("http://127.0.0.1:5000").unwrap(),
            (
                "http://127.0.0.1:5000".into(),
                "127.0.0.1:5000".into(),
                "".into()
            )
        );
        assert_eq!(
            split_endpoint("https://x.example:443/base/").unwrap(),
            (
                "https://x.example:443".into(),
                "x.example".into(),
                "/base".into()
            )
        );
        assert!(split_endpoint("nope").is_err());
    }

    #[test]
    fn json_strings() {
        assert_eq!(json_str("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
