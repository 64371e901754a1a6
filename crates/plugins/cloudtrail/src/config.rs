//! Init config and open parameters.

use anyhow::{bail, Result};
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::PathBuf;

fn default_concurrency() -> i64 {
    32
}

fn yes() -> bool {
    true
}

/// AWS SDK overrides (`"aws": {…}` in the init config).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AwsConfig {
    /// Shared-config profile to use (default: `AWS_PROFILE` or `default`).
    pub profile: String,
    /// Region (default: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile).
    pub region: String,
    /// Path of the shared config file.
    pub config: String,
    /// Path of the shared credentials file.
    pub credentials: String,
}

/// The plugin's init config (JSON). Unknown keys are ignored.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Config {
    /// Parallel S3 downloads (accepted for compatibility; downloads are sequential). Must be >= 1.
    #[serde(default = "default_concurrency")]
    pub s3_download_concurrency: i64,
    /// Time interval of S3 log files to read (`5d`, `5d-2d`, RFC 3339 times); not implemented yet, must be empty.
    pub s3_interval: String,
    /// Delete SQS messages after reading them.
    #[serde(default = "yes")]
    pub sqs_delete: bool,
    /// Async extraction optimisation (no effect here).
    #[serde(default = "yes")]
    pub use_async: bool,
    /// SQS messages carry S3 event notifications (via SNS) instead of CloudTrail notifications.
    #[serde(rename = "useS3SNS")]
    pub use_s3_sns: bool,
    /// Comma-separated 12-digit account IDs for organisation trails.
    pub s3_account_list: String,
    /// Account that owns the SQS queue.
    pub sqs_owner_account: String,
    /// AWS SDK overrides.
    pub aws: AwsConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            s3_download_concurrency: default_concurrency(),
            s3_interval: String::new(),
            sqs_delete: true,
            use_async: true,
            use_s3_sns: false,
            s3_account_list: String::new(),
            sqs_owner_account: String::new(),
            aws: AwsConfig::default(),
        }
    }
}

impl Config {
    /// Reject values the open path cannot use.
    pub fn validate(&self) -> Result<()> {
        if self.s3_download_concurrency < 1 {
            bail!(
                "s3DownloadConcurrency must be at least 1 (got {})",
                self.s3_download_concurrency
            );
        }
        if !self.s3_interval.is_empty() {
            bail!(
                "s3Interval is not supported by this plugin yet (got {:?})",
                self.s3_interval
            );
        }
        for acct in self
            .s3_account_list
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            if acct.len() != 12 || !acct.bytes().all(|b| b.is_ascii_digit()) {
                bail!("s3AccountList: {acct:?} is not a 12-digit account ID");
            }
        }
        Ok(())
    }
}

/// What `open` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenParams {
    /// A file or directory.
    Local(PathBuf),
    /// `s3://bucket[/prefix]`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix (may be empty).
        prefix: String,
    },
    /// `sqs://queue-name`.
    Sqs {
        /// Queue name.
        queue: String,
    },
}

impl OpenParams {
    /// Parse the open string.
    pub fn parse(s: &str) -> Result<OpenParams> {
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                bail!("cloudtrail plugin error: missing bucket name in {s:?}");
            }
            return Ok(OpenParams::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            });
        }
        if let Some(queue) = s.strip_prefix("sqs://") {
            if queue.is_empty() || queue.contains('/') {
                bail!("cloudtrail plugin error: invalid queue name in {s:?}");
            }
            return Ok(OpenParams::Sqs {
                queue: queue.to_string(),
            });
        }
        if s.is_empty() {
            bail!("cloudtrail plugin error: missing input directory argument");
        }
        Ok(OpenParams::Local(PathBuf::from(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_params() {
        assert_eq!(
            OpenParams::parse("s3://b/AWSLogs/1/").unwrap(),
            OpenParams::S3 {
                bucket: "b".into(),
                prefix: "AWSLogs/1/".into()
            }
        );
        assert_eq!(
            OpenParams::parse("s3://b").unwrap(),
            OpenParams::S3 {
                bucket: "b".into(),
                prefix: "".into()
            }
        );
        assert_eq!(
            OpenParams::parse("sqs://q").unwrap(),
            OpenParams::Sqs { queue: "q".into() }
        );
        assert_eq!(
            OpenParams::parse("/x/y").unwrap(),
            OpenParams::Local("/x/y".into())
        );
        assert!(OpenParams::parse("")
            .unwrap_err()
            .to_string()
            .contains("missing input directory"));
        assert!(OpenParams::parse("s3://")
            .unwrap_err()
            .to_string()
            .contains("\"s3://\""));
        assert!(OpenParams::parse("sqs://").is_err());
    }

    #[test]
    fn config_defaults_and_keys() {
        let c: Config = serde_json::from_str("{}").unwrap();
        assert_eq!(c.s3_download_concurrency, 32);
        assert!(c.sqs_delete && c.use_async && !c.use_s3_sns);
        let c: Config = serde_json::from_str(
            r#"{"sqsDelete":false,"useS3SNS":true,"aws":{"profile":"p"},"unknown":1,"s3AccountList":"123456789012"}"#,
        )
        .unwrap();
        assert!(!c.sqs_delete && c.use_s3_sns);
        assert_eq!(c.aws.profile, "p");
        assert!(c.validate().is_ok());
        let c: Config = serde_json::from_str(r#"{"s3DownloadConcurrency":0}"#).unwrap();
        assert!(c.validate().is_err());
        let c: Config = serde_json::from_str(r#"{"s3AccountList":"12,123456789012"}"#).unwrap();
        assert!(c.validate().is_err());
    }
}
