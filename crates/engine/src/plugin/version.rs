//! Semantic versions as the plugin API compares them (§1.1).

/// The plugin API version this host implements.
pub const HOST_API_VERSION: Version = Version {
    major: 3,
    minor: 12,
    patch: 0,
};
/// The same, as text.
pub const HOST_API_VERSION_STR: &str = "3.12.0";

/// `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Incompatible changes.
    pub major: u32,
    /// Additions.
    pub minor: u32,
    /// Fixes.
    pub patch: u32,
}

impl Version {
    /// Parses `x.y.z` like a `%u.%u.%u` scan: three decimal numbers; trailing text after the
    /// patch number is tolerated (libsinsp does the same).
    pub fn parse(s: &str) -> Option<Self> {
        fn num(s: &str) -> Option<(u32, &str)> {
            let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            if end == 0 {
                return None;
            }
            Some((s.get(..end)?.parse().ok()?, s.get(end..)?))
        }
        let (major, rest) = num(s.trim_start())?;
        let (minor, rest) = num(rest.strip_prefix('.')?)?;
        let (patch, _) = num(rest.strip_prefix('.')?)?;
        Some(Self {
            major,
            minor,
            patch,
        })
    }

    /// Whether a provider at `self` satisfies a requirement of `required`: same major, and
    /// minor.patch at least the required one.
    pub fn satisfies(&self, required: &Version) -> bool {
        self.major == required.major && (self.minor, self.patch) >= (required.minor, required.patch)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_compare() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(
            v("3.11.0"),
            Version {
                major: 3,
                minor: 11,
                patch: 0
            }
        );
        assert_eq!(
            v("3.0.0-rc1"),
            Version {
                major: 3,
                minor: 0,
                patch: 0
            }
        );
        for bad in [
            "",
            "3",
            "3.1",
            "3..1",
            "a.b.c",
            "3.1.",
            "-3.1.0",
            "99999999999.0.0",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        let host = HOST_API_VERSION;
        assert!(host.satisfies(&v("3.12.0")));
        assert!(host.satisfies(&v("3.11.0")));
        assert!(host.satisfies(&v("3.0.0")));
        assert!(!host.satisfies(&v("3.12.1")));
        assert!(!host.satisfies(&v("3.13.0")));
        assert!(!host.satisfies(&v("2.0.0")));
        assert!(!host.satisfies(&v("4.0.0")));
        assert!(!host.satisfies(&v("0.3.0")));
    }
}
