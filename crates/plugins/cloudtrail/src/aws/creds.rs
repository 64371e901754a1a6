//! Credentials, region and endpoints, found the way the AWS SDKs find them
//! (environment first, then the shared `credentials`/`config` files).
//! Instance-role (IMDS) and SSO credentials are not supported.

use anyhow::{anyhow, Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;

/// Static credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token for temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// Plugin-config overrides (`aws.profile`, `aws.region`, `aws.config`,
/// `aws.credentials`); empty strings mean "not set".
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Profile name.
    pub profile: String,
    /// Region.
    pub region: String,
    /// Path of the shared config file.
    pub config: String,
    /// Path of the shared credentials file.
    pub credentials: String,
}

/// Everything needed to talk to S3/SQS.
#[derive(Debug, Clone)]
pub struct AwsEnv {
    /// Credentials.
    pub creds: Credentials,
    /// Region.
    pub region: String,
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`.
    pub s3_endpoint: Option<String>,
    /// `AWS_ENDPOINT_URL_SQS` or `AWS_ENDPOINT_URL`.
    pub sqs_endpoint: Option<String>,
}

/// Parse an INI-style AWS file into section → key → value. Section names are
/// kept as written inside the brackets (`default`, `profile x`); comments
/// (`#`, `;`) and continuation lines are ignored.
pub fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.clone()).or_default();
            cur = Some(name);
            continue;
        }
        // Indented lines continue a nested setting (e.g. `s3 =` blocks).
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let (Some(sec), Some((k, v))) = (&cur, t.split_once('=')) {
            out.entry(sec.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// Resolve credentials and region. `env` reads an environment variable and
/// `home` is the home directory (both injected for tests).
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
    ov: &Overrides,
) -> Result<AwsEnv> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let profile = nonempty(&ov.profile)
        .or_else(|| var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    let aws_dir = home.map(|h| h.join(".aws"));
    let file = |over: &str, var_name: &str, default: &str| -> Option<PathBuf> {
        nonempty(over)
            .or_else(|| var(var_name))
            .map(PathBuf::from)
            .or_else(|| aws_dir.as_ref().map(|d| d.join(default)))
    };
    let read = |p: Option<PathBuf>| -> Result<HashMap<String, HashMap<String, String>>> {
        match p {
            Some(p) if p.exists() => {
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("reading {}", p.display()))?;
                Ok(parse_ini(&text))
            }
            _ => Ok(HashMap::new()),
        }
    };
    let cred_file = read(file(
        &ov.credentials,
        "AWS_SHARED_CREDENTIALS_FILE",
        "credentials",
    ))?;
    let conf_file = read(file(&ov.config, "AWS_CONFIG_FILE", "config"))?;
    let conf_section = if profile == "default" {
        conf_file.get("default")
    } else {
        conf_file.get(&format!("profile {profile}"))
    };
    let cred_section = cred_file.get(&profile);

    let creds = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key), Some(secret_key)) => Credentials {
            access_key,
            secret_key,
            session_token: var("AWS_SESSION_TOKEN"),
        },
        _ => {
            let from = |s: Option<&HashMap<String, String>>| -> Option<Credentials> {
                let s = s?;
                Some(Credentials {
                    access_key: s.get("aws_access_key_id")?.clone(),
                    secret_key: s.get("aws_secret_access_key")?.clone(),
                    session_token: s.get("aws_session_token").cloned(),
                })
            };
            from(cred_section).or_else(|| from(conf_section)).ok_or_else(|| {
                anyhow!(
                    "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or add profile \
                     '{profile}' to the shared credentials file"
                )
            })?
        }
    };
    let region = nonempty(&ov.region)
        .or_else(|| var("AWS_REGION"))
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .or_else(|| conf_section.and_then(|s| s.get("region").cloned()))
        .unwrap_or_else(|| "us-east-1".to_string());
    let common = var("AWS_ENDPOINT_URL");
    Ok(AwsEnv {
        creds,
        region,
        s3_endpoint: var("AWS_ENDPOINT_URL_S3").or_else(|| common.clone()),
        sqs_endpoint: var("AWS_ENDPOINT_URL_SQS").or(common),
    })
}

/// [`resolve`] with the process environment and home directory.
pub fn from_process(ov: &Overrides) -> Result<AwsEnv> {
    resolve(
        &|k| std::env::var(k).ok(),
        std::env::var_os("HOME").map(PathBuf::from),
        ov,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn home_with(creds: &str, config: &str) -> tempdir::Dir {
        let d = tempdir::Dir::new();
        std::fs::create_dir_all(d.path().join(".aws")).unwrap();
        std::fs::write(d.path().join(".aws/credentials"), creds).unwrap();
        std::fs::write(d.path().join(".aws/config"), config).unwrap();
        d
    }

    mod tempdir {
        use std::path::{Path, PathBuf};
        pub struct Dir(PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "ct-creds-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    const CREDS: &str = "[default]\naws_access_key_id = AKDEF\naws_secret_access_key = sdef\n\n\
        # comment\n[dev]\naws_access_key_id=AKDEV\naws_secret_access_key=sdev\naws_session_token = tok\n";
    const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile dev]\nregion=ap-south-1\ns3 =\n  addressing_style = path\n";

    #[test]
    fn ini_parsing() {
        let ini = parse_ini(CONFIG);
        assert_eq!(ini["default"]["region"], "eu-west-1");
        assert_eq!(ini["profile dev"]["region"], "ap-south-1");
        assert!(!ini["profile dev"].contains_key("addressing_style"));
    }

    #[test]
    fn env_wins() {
        let h = home_with(CREDS, CONFIG);
        let e = resolve(
            &env_of(&[
                ("AWS_ACCESS_KEY_ID", "AKENV"),
                ("AWS_SECRET_ACCESS_KEY", "senv"),
                ("AWS_SESSION_TOKEN", "t"),
                ("AWS_DEFAULT_REGION", "us-west-2"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:6000"),
            ]),
            Some(h.path().to_path_buf()),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(e.creds.access_key, "AKENV");
        assert_eq!(e.creds.session_token.as_deref(), Some("t"));
        assert_eq!(e.region, "us-west-2");
        assert_eq!(e.s3_endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(e.sqs_endpoint.as_deref(), Some("http://127.0.0.1:6000"));
    }

    #[test]
    fn files_and_profiles() {
        let h = home_with(CREDS, CONFIG);
        let e = resolve(
            &env_of(&[]),
            Some(h.path().to_path_buf()),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(e.creds.access_key, "AKDEF");
        assert_eq!(e.creds.session_token, None);
        assert_eq!(e.region, "eu-west-1");
        let e = resolve(
            &env_of(&[("AWS_PROFILE", "dev")]),
            Some(h.path().to_path_buf()),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(e.creds.access_key, "AKDEV");
        assert_eq!(e.creds.session_token.as_deref(), Some("tok"));
        assert_eq!(e.region, "ap-south-1");
        // Plugin-config overrides beat the environment.
        let ov = Overrides {
            profile: "default".into(),
            region: "sa-east-1".into(),
            ..Overrides::default()
        };
        let e = resolve(
            &env_of(&[("AWS_PROFILE", "dev"), ("AWS_REGION", "x")]),
            Some(h.path().to_path_buf()),
            &ov,
        )
        .unwrap();
        assert_eq!(e.creds.access_key, "AKDEF");
        assert_eq!(e.region, "sa-east-1");
        let err = resolve(
            &env_of(&[("AWS_PROFILE", "nope")]),
            Some(h.path().to_path_buf()),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("'nope'"));
    }
}
