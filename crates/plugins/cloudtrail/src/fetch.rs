//! Where log files come from: local paths, S3 listings, SQS notifications.
//!
//! Local files are read on the caller's thread, one per call. S3 and SQS run
//! on a background thread that feeds a bounded channel, so the caller never
//! waits longer than the timeout it passes to [`Feed::next_file`].

use crate::aws::{creds::AwsEnv, Client};
use crate::records::is_log_name;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::Duration;

/// Files buffered between the network thread and the reader.
const QUEUE_DEPTH: usize = 4;

/// One downloaded or read log file.
#[derive(Debug)]
pub struct LogFile {
    /// Path or `s3://bucket/key` (decides gunzipping by suffix).
    pub name: String,
    /// Raw bytes as stored.
    pub data: Vec<u8>,
}

/// Outcome of one [`Feed::next_file`] call.
#[derive(Debug)]
pub enum Poll {
    /// A file.
    File(LogFile),
    /// A failure that skipped one file or request; reading continues.
    Error(String),
    /// Nothing yet (network sources).
    Pending,
    /// No more files, ever.
    Done,
}

/// Every log file under `root`: the file itself, or a recursive walk in
/// lexical order per directory (like Go's `filepath.Walk`). Only `.json` and
/// `.json.gz` names are kept.
pub fn list_local(root: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::symlink_metadata(root)
        .and_then(|m| {
            if m.file_type().is_symlink() {
                std::fs::metadata(root)
            } else {
                Ok(m)
            }
        })
        .with_context(|| format!("cloudtrail plugin error: cannot open {}", root.display()))?;
    let mut out = Vec::new();
    if meta.is_dir() {
        // Explicit stack of (sorted entries, next index) instead of recursion.
        let mut stack: Vec<std::vec::IntoIter<PathBuf>> = vec![read_sorted(root)?.into_iter()];
        while let Some(top) = stack.last_mut() {
            let Some(p) = top.next() else {
                stack.pop();
                continue;
            };
            let m = std::fs::symlink_metadata(&p)
                .with_context(|| format!("cloudtrail plugin error: cannot open {}", p.display()))?;
            if m.is_dir() {
                stack.push(read_sorted(&p)?.into_iter());
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_log_name)
            {
                out.push(p);
            }
        }
    } else if root
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_log_name)
    {
        out.push(root.to_path_buf());
    }
    if out.is_empty() {
        bail!(
            "cloudtrail plugin error: no json files found in {}",
            root.display()
        );
    }
    Ok(out)
}

fn read_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cloudtrail plugin error: cannot open {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cloudtrail plugin error: cannot read {}", dir.display()))?;
    v.sort();
    Ok(v)
}

/// Bucket/key pairs named by one SQS message body: an SNS `Notification`
/// whose `Message` is CloudTrail's `{"s3Bucket":…,"s3ObjectKey":[…]}` or an S3
/// event notification (`{"Records":[{"s3":{"bucket":{"name"},"object":{"key"}}}]}`).
/// As an extension, the inner document is also accepted without the SNS
/// envelope (S3 → SQS direct delivery). S3 event keys are URL-decoded.
pub fn parse_notification(body: &str) -> Result<Vec<(String, String)>> {
    use crate::json::Doc;
    let doc = Doc::parse(body.as_bytes()).context("SQS message body is not JSON")?;
    let root = doc
        .root(body.as_bytes())
        .context("empty SQS message body")?;
    let inner_text;
    let inner_doc;
    let msg = if root.get("Type").and_then(|t| t.as_str()).as_deref() == Some("Notification") {
        inner_text = root
            .get("Message")
            .and_then(|m| m.as_str())
            .context("SNS notification without a Message")?
            .into_owned();
        inner_doc = Doc::parse(inner_text.as_bytes()).context("SNS Message is not JSON")?;
        inner_doc
            .root(inner_text.as_bytes())
            .context("empty SNS Message")?
    } else {
        root
    };
    let mut out = Vec::new();
    if let Some(bucket) = msg.get("s3Bucket").and_then(|b| b.as_str()) {
        for key in msg
            .get("s3ObjectKey")
            .map(|k| k.children())
            .into_iter()
            .flatten()
        {
            if let Some(k) = key.as_str() {
                out.push((bucket.to_string(), k.into_owned()));
            }
        }
        return Ok(out);
    }
    if let Some(records) = msg.get("Records") {
        for r in records.children() {
            let b = r.path(&["s3", "bucket", "name"]).and_then(|v| v.as_str());
            let k = r.path(&["s3", "object", "key"]).and_then(|v| v.as_str());
            if let (Some(b), Some(k)) = (b, k) {
                out.push((b.into_owned(), url_decode(&k)));
            }
        }
        return Ok(out);
    }
    bail!("SQS message names no S3 object (neither a CloudTrail nor an S3 event notification)")
}

/// `application/x-www-form-urlencoded` decoding, as S3 event keys use.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Item = std::result::Result<LogFile, String>;

/// Sends items unless the reader is gone or asked us to stop.
struct Sender {
    tx: SyncSender<Item>,
    stop: Arc<AtomicBool>,
}

impl Sender {
    /// `false` when the thread should end.
    fn send(&self, item: Item) -> bool {
        !self.stop.load(Ordering::Relaxed) && self.tx.send(item).is_ok()
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

fn s3_worker(client: Client, bucket: String, prefix: String, out: Sender) {
    let keys = match client.list_objects(&bucket, &prefix) {
        Ok(k) => k,
        Err(e) => {
            out.send(Err(format!("{e:#}")));
            return;
        }
    };
    for key in keys.into_iter().filter(|k| is_log_name(k)) {
        if out.stopped() {
            return;
        }
        let item = client
            .get_object(&bucket, &key)
            .map(|data| LogFile {
                name: format!("s3://{bucket}/{key}"),
                data,
            })
            .map_err(|e| format!("{e:#}"));
        if !out.send(item) {
            return;
        }
    }
}

/// SQS long-poll wait; short so that a stop request is noticed quickly.
const SQS_WAIT_SECS: u32 = 2;

fn sqs_worker(client: Client, queue: String, owner: String, delete: bool, out: Sender) {
    let url = match client.queue_url(&queue, &owner) {
        Ok(u) => u,
        Err(e) => {
            out.send(Err(format!("{e:#}")));
            return;
        }
    };
    while !out.stopped() {
        let msgs = match client.receive(&url, SQS_WAIT_SECS) {
            Ok(m) => m,
            Err(e) => {
                if !out.send(Err(format!("{e:#}"))) {
                    return;
                }
                // Back off on errors instead of spinning.
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        for m in msgs {
            match parse_notification(&m.body) {
                Ok(objs) => {
                    for (b, k) in objs.into_iter().filter(|(_, k)| is_log_name(k)) {
                        let item = client
                            .get_object(&b, &k)
                            .map(|data| LogFile {
                                name: format!("s3://{b}/{k}"),
                                data,
                            })
                            .map_err(|e| format!("{e:#}"));
                        if !out.send(item) {
                            return;
                        }
                    }
                }
                Err(e) => {
                    if !out.send(Err(format!("sqs://{queue}: {e:#}"))) {
                        return;
                    }
                }
            }
            if delete {
                if let Err(e) = client.delete(&url, &m.receipt_handle) {
                    if !out.send(Err(format!("{e:#}"))) {
                        return;
                    }
                }
            }
        }
    }
}

/// A source of log files.
#[derive(Debug)]
pub enum Feed {
    /// Local files, read in order.
    Local {
        /// All files.
        files: Vec<PathBuf>,
        /// Next to read.
        next: usize,
    },
    /// A background network thread.
    Remote {
        /// Its output.
        rx: Receiver<Item>,
        /// Set on drop to stop the thread.
        stop: Arc<AtomicBool>,
        /// Whether the thread ending means EOF (S3) or not (SQS never ends).
        finite: bool,
    },
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Feed::Remote { stop, .. } = self {
            // The thread notices at its next send or request; dropping the
            // receiver also unblocks a pending send.
            stop.store(true, Ordering::Relaxed);
        }
    }
}

fn spawn(name: &str, finite: bool, work: impl FnOnce(Sender) + Send + 'static) -> Result<Feed> {
    let (tx, rx) = sync_channel(QUEUE_DEPTH);
    let stop = Arc::new(AtomicBool::new(false));
    let s = Sender {
        tx,
        stop: stop.clone(),
    };
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || work(s))
        .context("cannot start the fetch thread")?;
    Ok(Feed::Remote { rx, stop, finite })
}

impl Feed {
    /// Local files under `path`.
    pub fn local(path: &Path) -> Result<Feed> {
        Ok(Feed::Local {
            files: list_local(path)?,
            next: 0,
        })
    }

    /// Every log object under `s3://bucket/prefix`, then EOF.
    pub fn s3(env: AwsEnv, bucket: String, prefix: String) -> Result<Feed> {
        let client = Client::new(env);
        spawn("ct-s3", true, move |s| s3_worker(client, bucket, prefix, s))
    }

    /// Objects announced on an SQS queue, forever.
    pub fn sqs(env: AwsEnv, queue: String, owner: String, delete: bool) -> Result<Feed> {
        let client = Client::new(env);
        spawn("ct-sqs", false, move |s| {
            sqs_worker(client, queue, owner, delete, s)
        })
    }

    /// (files done, total) for progress reporting; total unknown for network feeds.
    pub fn progress(&self) -> Option<(usize, usize)> {
        match self {
            Feed::Local { files, next } => Some((*next, files.len())),
            Feed::Remote { .. } => None,
        }
    }

    /// The next file, waiting at most `wait` for a network source.
    pub fn next_file(&mut self, wait: Duration) -> Poll {
        match self {
            Feed::Local { files, next } => {
                let Some(p) = files.get(*next) else {
                    return Poll::Done;
                };
                *next += 1;
                let name = p.display().to_string();
                match std::fs::read(p) {
                    Ok(data) => Poll::File(LogFile { name, data }),
                    Err(e) => Poll::Error(format!("{name}: cannot read: {e}")),
                }
            }
            Feed::Remote { rx, finite, .. } => match rx.recv_timeout(wait) {
                Ok(Ok(f)) => Poll::File(f),
                Ok(Err(e)) => Poll::Error(e),
                Err(RecvTimeoutError::Timeout) => Poll::Pending,
                Err(RecvTimeoutError::Disconnected) if *finite => Poll::Done,
                // An SQS thread only ends on a fatal error (already sent).
                Err(RecvTimeoutError::Disconnected) => Poll::Done,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications() {
        let ct = r#"{"Type":"Notification","MessageId":"x","Message":"{\"s3Bucket\":\"b\",\"s3ObjectKey\":[\"k/1.json.gz\",\"k/2.json.gz\"]}"}"#;
        assert_eq!(
            parse_notification(ct).unwrap(),
            [
                ("b".to_string(), "k/1.json.gz".to_string()),
                ("b".to_string(), "k/2.json.gz".to_string())
            ]
        );
        let s3 = r#"{"Type":"Notification","Message":"{\"Records\":[{\"s3\":{\"bucket\":{\"name\":\"bb\"},\"object\":{\"key\":\"a+b%2Fc.json\"}}}]}"}"#;
        assert_eq!(
            parse_notification(s3).unwrap(),
            [("bb".to_string(), "a b/c.json".to_string())]
        );
        let direct = r#"{"Records":[{"s3":{"bucket":{"name":"d"},"object":{"key":"x.json"}}}]}"#;
        assert_eq!(
            parse_notification(direct).unwrap(),
            [("d".to_string(), "x.json".to_string())]
        );
        assert!(parse_notification("nope").is_err());
        assert!(parse_notification(r#"{"Type":"Notification","Message":"{}"}"#).is_err());
    }

    #[test]
    fn local_walk() {
        let d = std::env::temp_dir().join(format!("ct-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for f in [
            "b/z.json",
            "b/a.json.gz",
            "a.json",
            "c.log",
            "b/sub/m.json",
            "ba.json",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "{}").unwrap();
        }
        let got: Vec<String> = list_local(&d)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&d).unwrap().display().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "a.json",
                "b/a.json.gz",
                "b/sub/m.json",
                "b/z.json",
                "ba.json"
            ]
        );
        let e = list_local(&d.join("c.log")).unwrap_err().to_string();
        assert!(
            e.contains("no json files found in") && e.ends_with("c.log"),
            "{e}"
        );
        let e = list_local(&d.join("missing")).unwrap_err().to_string();
        assert!(e.starts_with("cloudtrail plugin error: cannot open"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
