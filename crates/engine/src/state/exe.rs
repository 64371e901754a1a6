//! What the kernel reports about a process's executable and capabilities (libs ≥ 0.10:
//! PL_V9 tails and the execve exit's `flags`, `cap_*` and `exe_ino*` parameters).

/// `PPM_EXE_*` bits of the execve exit's `flags` parameter.
const EXE_WRITABLE: u64 = 1;
const EXE_UPPER_LAYER: u64 = 2;
const EXE_FROM_MEMFD: u64 = 4;
const EXE_LOWER_LAYER: u64 = 8;

/// Executable and capability facts of a thread; 0/false when the capture does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExeInfo {
    /// Inheritable capabilities (bit n = capability n).
    pub cap_inheritable: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Inode of the executable (0 = unknown).
    pub ino: u64,
    /// ctime of the executable's inode, ns since the epoch.
    pub ino_ctime: u64,
    /// mtime of the executable's inode, ns since the epoch.
    pub ino_mtime: u64,
    /// Clone time minus the executable's ctime, wrapping as libsinsp computes it (0 = none).
    pub ctime_duration_clone_ts: u64,
    /// The executable's ctime minus the pid namespace start, when the namespace is older.
    pub ctime_duration_pidns_start: u64,
    /// Start of the thread's pid namespace, ns since the epoch (0 = unknown).
    pub pidns_init_start_ts: u64,
    /// Writable by the user that runs it.
    pub writable: bool,
    /// In an overlayfs upper layer.
    pub upper_layer: bool,
    /// In an overlayfs lower layer.
    pub lower_layer: bool,
    /// Run from a memfd.
    pub from_memfd: bool,
}

impl ExeInfo {
    /// The facts of a process-list entry.
    pub fn from_list(t: &scap::meta::ThreadInfo<'_>) -> ExeInfo {
        let mut e = ExeInfo {
            cap_inheritable: t.cap_inheritable,
            cap_permitted: t.cap_permitted,
            cap_effective: t.cap_effective,
            ino: t.exe_ino,
            ino_ctime: t.exe_ino_ctime,
            ino_mtime: t.exe_ino_mtime,
            pidns_init_start_ts: t.pidns_init_start_ts,
            writable: t.exe_writable,
            upper_layer: t.exe_upper_layer,
            lower_layer: t.exe_lower_layer,
            from_memfd: t.exe_from_memfd,
            ..ExeInfo::default()
        };
        e.update_pidns_duration();
        e
    }

    /// Apply the execve exit's `flags` parameter.
    pub fn set_flags(&mut self, flags: u64) {
        self.writable = flags & EXE_WRITABLE != 0;
        self.upper_layer = flags & EXE_UPPER_LAYER != 0;
        self.from_memfd = flags & EXE_FROM_MEMFD != 0;
        self.lower_layer = flags & EXE_LOWER_LAYER != 0;
    }

    /// Recompute the ctime durations after an execve; `clone_ts` is the thread's clone time.
    pub fn update_durations(&mut self, clone_ts: u64) {
        self.ctime_duration_clone_ts = if clone_ts != 0 && self.ino_ctime != 0 {
            clone_ts.wrapping_sub(self.ino_ctime)
        } else {
            0
        };
        self.update_pidns_duration();
    }

    fn update_pidns_duration(&mut self) {
        let (ns, ctime) = (self.pidns_init_start_ts, self.ino_ctime);
        self.ctime_duration_pidns_start = if ns != 0 && ctime > ns { ctime - ns } else { 0 };
    }
}

/// Names of the capabilities, by bit number, as libsinsp prints them.
const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Write the capability set `caps` as space-separated names (`CAP_CHOWN CAP_KILL`); unknown
/// bits are left out, as libsinsp does.
pub fn write_caps(caps: u64, out: &mut Vec<u8>) {
    let start = out.len();
    for (bit, name) in CAP_NAMES.iter().enumerate() {
        if caps & (1u64 << bit) != 0 {
            if out.len() > start {
                out.push(b' ');
            }
            out.extend_from_slice(name.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_render_as_names() {
        let mut out = Vec::new();
        write_caps(0, &mut out);
        assert!(out.is_empty());
        write_caps(1 | (1 << 21) | (1 << 40) | (1 << 63), &mut out);
        assert_eq!(out, b"CAP_CHOWN CAP_SYS_ADMIN CAP_CHECKPOINT_RESTORE");
    }

    #[test]
    fn durations_wrap_like_libsinsp() {
        let mut e = ExeInfo {
            ino_ctime: 100,
            ..ExeInfo::default()
        };
        e.update_durations(90);
        assert_eq!(e.ctime_duration_clone_ts, u64::MAX - 9);
        e.update_durations(0);
        assert_eq!(e.ctime_duration_clone_ts, 0);
    }
}
