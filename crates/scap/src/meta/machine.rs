//! Machine info (`MI`): one fixed 180-byte record.

use crate::block::id;
use crate::cursor::Cursor;
use crate::error::Result;
use crate::frame::{write_block, PutLe};

/// Size of the machine-info record.
pub const MACHINE_INFO_LEN: usize = 180;
/// Size of the NUL-padded hostname field.
pub const HOSTNAME_LEN: usize = 128;

/// The machine the capture was taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Physical memory in bytes.
    pub memory_size_bytes: u64,
    /// Largest pid (`/proc/sys/kernel/pid_max`).
    pub max_pid: u64,
    /// The hostname field as stored: NUL-padded; see [`MachineInfo::hostname`].
    pub hostname_raw: [u8; HOSTNAME_LEN],
    /// Boot time, ns since the epoch (0 in older captures).
    pub boot_ts_epoch: u64,
    /// Flags (0 in older captures).
    pub flags: u64,
    /// Reserved.
    pub reserved3: u64,
    /// Reserved.
    pub reserved4: u64,
}

impl Default for MachineInfo {
    fn default() -> MachineInfo {
        MachineInfo {
            num_cpus: 0,
            memory_size_bytes: 0,
            max_pid: 0,
            hostname_raw: [0; HOSTNAME_LEN],
            boot_ts_epoch: 0,
            flags: 0,
            reserved3: 0,
            reserved4: 0,
        }
    }
}

impl MachineInfo {
    /// The hostname: the stored bytes up to the first NUL.
    pub fn hostname(&self) -> &[u8] {
        let end = self
            .hostname_raw
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(HOSTNAME_LEN);
        self.hostname_raw.get(..end).unwrap_or_default()
    }

    /// Set the hostname, cut to 127 bytes so a terminating NUL always fits.
    pub fn set_hostname(&mut self, name: &[u8]) {
        self.hostname_raw = [0; HOSTNAME_LEN];
        let n = name.len().min(HOSTNAME_LEN - 1);
        for (d, s) in self.hostname_raw.iter_mut().zip(name.iter().take(n)) {
            *d = *s;
        }
    }
}

/// Decode the record; like libscap, only the first 180 bytes of the body are read.
pub(crate) fn decode(mut cur: Cursor<'_>) -> Result<MachineInfo> {
    Ok(MachineInfo {
        num_cpus: cur.read_u32()?,
        memory_size_bytes: cur.read_u64()?,
        max_pid: cur.read_u64()?,
        hostname_raw: cur.read_array()?,
        boot_ts_epoch: cur.read_u64()?,
        flags: cur.read_u64()?,
        reserved3: cur.read_u64()?,
        reserved4: cur.read_u64()?,
    })
}

/// Append a machine-info block (`MI`, 192 bytes).
pub fn write_machine_info(out: &mut Vec<u8>, mi: &MachineInfo) -> Result<()> {
    write_block(out, id::MI, |o| {
        o.put_u32(mi.num_cpus);
        o.put_u64(mi.memory_size_bytes);
        o.put_u64(mi.max_pid);
        o.extend_from_slice(&mi.hostname_raw);
        o.put_u64(mi.boot_ts_epoch);
        o.put_u64(mi.flags);
        o.put_u64(mi.reserved3);
        o.put_u64(mi.reserved4);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::meta::testutil::*;
    use crate::meta::{parse, Meta};

    fn sample() -> MachineInfo {
        let mut mi = MachineInfo {
            num_cpus: 4,
            memory_size_bytes: 8 << 30,
            max_pid: 32768,
            boot_ts_epoch: 1_600_000_000_000_000_000,
            flags: 1,
            ..MachineInfo::default()
        };
        mi.set_hostname(b"host-1");
        mi
    }

    #[test]
    fn round_trip() {
        let mi = sample();
        let mut out = Vec::new();
        write_machine_info(&mut out, &mi).unwrap();
        assert_eq!(out.len(), 192);
        let b = block(&out, 0);
        b.check_trailer().unwrap();
        let Meta::Machine(got) = parse(&b).unwrap() else {
            panic!("not MI")
        };
        assert_eq!(got, mi);
        assert_eq!(got.hostname(), b"host-1");
    }

    #[test]
    fn hostname_without_nul_and_long_names() {
        let mut mi = MachineInfo {
            hostname_raw: [b'x'; HOSTNAME_LEN],
            ..MachineInfo::default()
        };
        assert_eq!(mi.hostname().len(), HOSTNAME_LEN);
        mi.set_hostname(&[b'y'; 300]);
        assert_eq!(mi.hostname().len(), HOSTNAME_LEN - 1);
    }

    #[test]
    fn short_record_is_truncated() {
        let data = frame(id::MI_INT, &[0; 100]);
        let e = parse(&block(&data, 1000)).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        assert_eq!(e.block_type(), Some(id::MI_INT));
        // The hostname (offset 20) is the first field that does not fit.
        assert_eq!(e.offset().0, 1000 + 8 + 20);
    }
}
