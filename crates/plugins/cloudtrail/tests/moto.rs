//! S3 and SQS through the plugin's fetch modules against a real moto server
//! on loopback. Skipped (with a message) when `moto_server` is not installed;
//! CI installs it with `.ci/install-moto.sh`.

// Test helpers outside #[test] fns: the workspace test exemption applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cloudtrail::aws::creds::{resolve, Overrides};
use cloudtrail::fetch::{Feed, Poll};
use cloudtrail::records::parse_file;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn shared() -> Option<PathBuf> {
    let p = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared"))
        });
    p.join("cloudtrail").is_dir().then_some(p)
}

fn start() -> Option<(Server, String)> {
    let installed = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((server, format!("http://127.0.0.1:{port}")))
}

fn sqs_call(base: &str, action: &str, body: &str) -> String {
    let mut resp = ureq::post(base)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", &format!("AmazonSQS.{action}"))
        // moto routes by the credential scope's service; it does not verify
        // signatures, so a fixed one is enough for the set-up calls.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send(body)
        .unwrap();
    resp.body_mut().read_to_string().unwrap()
}

fn drain(feed: &mut Feed, want_files: usize, finite: bool) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match feed.next_file(Duration::from_millis(100)) {
            Poll::File(f) => {
                let name = f.name.clone();
                let p = parse_file(&f.name, f.data);
                assert!(p.problems.is_empty(), "{:?}", p.problems);
                out.push((name, p.records.len()));
                if !finite && out.len() == want_files {
                    return out;
                }
            }
            Poll::Error(e) => panic!("{e}"),
            Poll::Pending => assert!(Instant::now() < deadline, "timed out"),
            Poll::Done => {
                assert!(finite, "SQS feed ended");
                return out;
            }
        }
    }
}

#[test]
fn s3_and_sqs_against_moto() {
    let Some(shared) = shared() else {
        eprintln!("skipped: moto S3/SQS test (../shared not found)");
        return;
    };
    let Some((_server, base)) = start() else {
        eprintln!("skipped: moto S3/SQS test (moto_server not installed; run .ci/install-moto.sh)");
        return;
    };
    let lib = shared.join("cloudtrail/aws-cloudtrail-processing-library");
    let plain = std::fs::read(lib.join("SerializerTestFile.json")).unwrap();
    let gz = std::fs::read(lib.join("SerializerTestFileCompact.json.gz")).unwrap();
    let alice = std::fs::read(shared.join("cloudtrail/falco/alice_start_instances.json")).unwrap();

    // Set up through moto's unauthenticated API.
    ureq::put(&format!("{base}/trail-bucket"))
        .send_empty()
        .unwrap();
    for (key, data) in [
        ("logs/a/1.json", &plain),
        ("logs/b/2.json.gz", &gz),
        ("logs/readme.txt", &plain),
        ("other/3.json", &alice),
        ("logs/c d/4.json", &alice),
    ] {
        ureq::put(&format!("{base}/trail-bucket/{}", key.replace(' ', "%20")))
            .send(data.as_slice())
            .unwrap();
    }

    // Credentials and endpoint come from (injected) environment variables.
    let vars = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", base.as_str()),
    ];
    let env = resolve(
        &|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        },
        None,
        &Overrides::default(),
    )
    .unwrap();

    let mut feed = Feed::s3(env.clone(), "trail-bucket".into(), "logs/".into()).unwrap();
    let got = drain(&mut feed, 0, true);
    assert_eq!(
        got,
        [
            ("s3://trail-bucket/logs/a/1.json".to_string(), 6),
            ("s3://trail-bucket/logs/b/2.json.gz".to_string(), 6),
            ("s3://trail-bucket/logs/c d/4.json".to_string(), 1),
        ]
    );
    drop(feed);

    // SQS: a CloudTrail SNS notification naming two objects.
    let created = sqs_call(&base, "CreateQueue", r#"{"QueueName":"ct-queue"}"#);
    assert!(created.contains("ct-queue"), "{created}");
    let url = {
        let doc = cloudtrail::json::Doc::parse(created.as_bytes()).unwrap();
        doc.root(created.as_bytes())
            .unwrap()
            .get("QueueUrl")
            .unwrap()
            .as_str()
            .unwrap()
            .into_owned()
    };
    let inner = r#"{"s3Bucket":"trail-bucket","s3ObjectKey":["other/3.json","logs/b/2.json.gz"]}"#;
    let sns = format!(
        r#"{{"Type":"Notification","MessageId":"m1","Message":{}}}"#,
        serde_json::to_string(inner).unwrap()
    );
    let send = format!(
        r#"{{"QueueUrl":{},"MessageBody":{}}}"#,
        serde_json::to_string(&url).unwrap(),
        serde_json::to_string(&sns).unwrap()
    );
    sqs_call(&base, "SendMessage", &send);
    let mut feed = Feed::sqs(env, "ct-queue".into(), String::new(), true).unwrap();
    let got = drain(&mut feed, 2, false);
    assert_eq!(
        got,
        [
            ("s3://trail-bucket/other/3.json".to_string(), 1),
            ("s3://trail-bucket/logs/b/2.json.gz".to_string(), 6),
        ]
    );
    // The message was deleted: nothing more arrives for a while.
    let quiet_until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < quiet_until {
        match feed.next_file(Duration::from_millis(100)) {
            Poll::Pending => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let attrs = sqs_call(
        &base,
        "GetQueueAttributes",
        &format!(
            r#"{{"QueueUrl":{},"AttributeNames":["All"]}}"#,
            serde_json::to_string(&url).unwrap()
        ),
    );
    let attrs = attrs.replace(' ', "");
    assert!(
        attrs.contains(r#""ApproximateNumberOfMessages":"0""#),
        "{attrs}"
    );
    assert!(
        attrs.contains(r#""ApproximateNumberOfMessagesNotVisible":"0""#),
        "{attrs}"
    );
}
