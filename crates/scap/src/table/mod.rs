//! The event schema: every event code, its parameters, and the name tables needed to
//! print parameter values.
//!
//! The data lives in generated modules (`current.rs`, `sysdig029.rs`), written by
//! `cargo run -p tablegen` from `shared/spec/event-table.json` and
//! `shared/spec/event-table-0.29.json`. Those JSON files hold facts read from
//! falcosecurity/libs (see their headers). The build never needs `shared/`.
//!
//! Two tables exist because the format evolved: [`CURRENT`] (libs 2026, 454 codes) decides how
//! bytes are laid out (length width, parameter count inference); [`SYSDIG_0_29`] (libs 2022,
//! 336 codes) is what Debian's sysdig 0.29.3 prints, and the engine uses it where output must
//! match that reference byte for byte.

mod current;
mod sysdig029;

/// The schema of libs at commit 48dfd53 (July 2026): 454 event codes.
pub static CURRENT: &Table = &current::TABLE;
/// The schema of libs at commit e5c53d6 (March 2022), used by sysdig 0.29.3: 336 event codes.
pub static SYSDIG_0_29: &Table = &sysdig029::TABLE;

/// One version of the event schema plus the name tables used for printing.
#[derive(Debug)]
pub struct Table {
    /// Short label of the libs version this table was generated from.
    pub label: &'static str,
    /// Indexed by event code; `events.len()` is `PPM_EVENT_MAX`.
    pub events: &'static [EventInfo],
    /// Syscall names for `PT_SYSCALLID` values (ppm_sc codes), indexed by code.
    pub syscalls: &'static [&'static str],
    /// `(errno value, name)`, e.g. `(2, "ENOENT")`.
    pub errnos: &'static [(u32, &'static str)],
    /// `(signal number, name)`, e.g. `(9, "SIGKILL")`.
    pub signals: &'static [(u32, &'static str)],
    /// The character printed inside `<>` for an fd of each scap fd type, indexed by type.
    pub fd_type_chars: &'static [char],
}

impl Table {
    /// The schema of event `code`, if this table knows it.
    #[inline]
    pub fn event(&self, code: u16) -> Option<&'static EventInfo> {
        self.events.get(usize::from(code))
    }

    /// Number of event codes (`PPM_EVENT_MAX`).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Always false: a table has at least one code.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Name of syscall `id` (`PT_SYSCALLID`), if known.
    pub fn syscall_name(&self, id: u16) -> Option<&'static str> {
        self.syscalls
            .get(usize::from(id))
            .copied()
            .filter(|s| !s.is_empty())
    }

    /// Name of errno `value` (positive), if known.
    pub fn errno_name(&self, value: u32) -> Option<&'static str> {
        self.errnos
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, n)| *n)
    }

    /// Name of signal `value`, if known.
    pub fn signal_name(&self, value: u32) -> Option<&'static str> {
        self.signals
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, n)| *n)
    }

    /// Every event code whose display name is `name` (all versions of a syscall share one).
    pub fn codes_named<'t>(&'t self, name: &'t str) -> impl Iterator<Item = u16> + 't {
        self.events
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.name == name && !e.is_unused())
            .filter_map(|(i, _)| u16::try_from(i).ok())
    }
}

/// Direction of an event, from the parity of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Even code, printed `>`.
    Enter,
    /// Odd code, printed `<`.
    Exit,
}

impl Direction {
    /// The direction of event `code`: even codes enter, odd codes exit.
    #[inline]
    pub fn of(code: u16) -> Direction {
        if code & 1 == 0 {
            Direction::Enter
        } else {
            Direction::Exit
        }
    }

    /// sysdig's one-character rendering.
    pub fn as_char(self) -> char {
        match self {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }
}

/// Schema of one event code.
#[derive(Debug)]
pub struct EventInfo {
    /// Display name (`evt.type`), shared by every version of an event.
    pub name: &'static str,
    /// The `PPME_*` identifier.
    pub ident: &'static str,
    /// `ppm_event_category` value (low bits: class; high bits: [`ec`] flags).
    pub category: u32,
    /// `ppm_event_flags` bits, see [`ef`].
    pub flags: u32,
    /// Declared parameters, in order.
    pub params: &'static [ParamInfo],
}

impl EventInfo {
    /// True for placeholder slots (`EF_UNUSED`).
    #[inline]
    pub fn is_unused(&self) -> bool {
        self.flags & ef::UNUSED != 0
    }

    /// True when parameter lengths are u32 (`EF_LARGE_PAYLOAD`).
    #[inline]
    pub fn is_large(&self) -> bool {
        self.flags & ef::LARGE_PAYLOAD != 0
    }

    /// True for superseded versions (`EF_OLD_VERSION`).
    #[inline]
    pub fn is_old_version(&self) -> bool {
        self.flags & ef::OLD_VERSION != 0
    }

    /// True for `EC_INTERNAL` events, which sysdig hides unless `-D`.
    #[inline]
    pub fn is_internal(&self) -> bool {
        self.category & ec::INTERNAL != 0
    }

    /// Width in bytes of one entry of the parameter length array.
    #[inline]
    pub fn len_width(&self) -> usize {
        if self.is_large() {
            4
        } else {
            2
        }
    }
}

/// Schema of one parameter.
#[derive(Debug)]
pub struct ParamInfo {
    /// Parameter name (`evt.arg.NAME`).
    pub name: &'static str,
    /// On-disk type.
    pub ty: ParamType,
    /// How integers are printed.
    pub fmt: PrintFormat,
    /// Extra information for flags, dynamic and relative-path parameters.
    pub info: ParamExtra,
}

/// The `info` of a parameter.
#[derive(Debug)]
pub enum ParamExtra {
    /// Nothing extra.
    None,
    /// Flag/enum/mode names, in source order (order matters when printing).
    Flags(&'static FlagTable),
    /// Alternatives of a `PT_DYN` parameter, indexed by the payload's first byte.
    Dyn(&'static [DynParam]),
    /// For `PT_FSRELPATH`: index of the parameter holding the directory fd.
    DirFd(u8),
}

/// A named table of flag or enum values.
#[derive(Debug)]
pub struct FlagTable {
    /// Table name, e.g. `file_flags`.
    pub name: &'static str,
    /// `(name, value)` in source order.
    pub entries: &'static [(&'static str, u32)],
}

/// One alternative of a dynamic parameter.
#[derive(Debug)]
pub struct DynParam {
    /// Name of the value.
    pub name: &'static str,
    /// Type of the bytes after the index byte.
    pub ty: ParamType,
    /// Print format.
    pub fmt: PrintFormat,
}

macro_rules! c_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $n:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $v = $n,)* }
        impl $name {
            /// The value with numeric id `n`, if any.
            pub fn from_u8(n: u8) -> Option<$name> {
                match n { $($n => Some($name::$v),)* _ => None }
            }
        }
    };
}

c_enum! {
    /// `ppm_param_type`.
    ParamType {
        /// No payload.
        None = 0,
        /// i8.
        Int8 = 1,
        /// i16.
        Int16 = 2,
        /// i32.
        Int32 = 3,
        /// i64.
        Int64 = 4,
        /// u8.
        Uint8 = 5,
        /// u16.
        Uint16 = 6,
        /// u32.
        Uint32 = 7,
        /// u64.
        Uint64 = 8,
        /// NUL-terminated string.
        Charbuf = 9,
        /// Raw bytes.
        Bytebuf = 10,
        /// i64 return value, negative = -errno.
        Errno = 11,
        /// Socket address.
        Sockaddr = 12,
        /// Socket tuple.
        Socktuple = 13,
        /// File descriptor (i64).
        Fd = 14,
        /// Process id (i64).
        Pid = 15,
        /// List of (fd, flags).
        Fdlist = 16,
        /// Path.
        Fspath = 17,
        /// ppm_sc syscall id (u16).
        Syscallid = 18,
        /// Signal number (u8).
        Sigtype = 19,
        /// Relative time in ns (u64).
        Reltime = 20,
        /// Absolute time in ns since epoch (u64).
        Abstime = 21,
        /// Port (u16).
        Port = 22,
        /// Layer-4 protocol (u8).
        L4proto = 23,
        /// Socket family (u8).
        Sockfamily = 24,
        /// Boolean (u32).
        Bool = 25,
        /// IPv4 address, network order.
        Ipv4addr = 26,
        /// Dynamic type: index byte + value.
        Dyn = 27,
        /// 8-bit flags.
        Flags8 = 28,
        /// 16-bit flags.
        Flags16 = 29,
        /// 32-bit flags.
        Flags32 = 30,
        /// User id (u32).
        Uid = 31,
        /// Group id (u32).
        Gid = 32,
        /// f64.
        Double = 33,
        /// Signal set (u32).
        Sigset = 34,
        /// Array of strings.
        Charbufarray = 35,
        /// Array of string pairs.
        CharbufPairArray = 36,
        /// IPv4 network (filters).
        Ipv4net = 37,
        /// IPv6 address.
        Ipv6addr = 38,
        /// IPv6 network (filters).
        Ipv6net = 39,
        /// IPv4 or IPv6 address.
        Ipaddr = 40,
        /// IP network (filters).
        Ipnet = 41,
        /// File mode bits (u32).
        Mode = 42,
        /// Path relative to a dirfd.
        Fsrelpath = 43,
        /// 8-bit enum.
        Enumflags8 = 44,
        /// 16-bit enum.
        Enumflags16 = 45,
        /// 32-bit enum.
        Enumflags32 = 46,
        /// i32 fd.
        Fd32 = 47,
        /// i32 pid.
        Pid32 = 48,
    }
}

c_enum! {
    /// `ppm_print_format`.
    PrintFormat {
        /// Not applicable.
        Na = 0,
        /// Decimal.
        Dec = 1,
        /// Hexadecimal.
        Hex = 2,
        /// Zero-padded decimal (fractional ns).
        PaddedDec = 3,
        /// An id.
        Id = 4,
        /// A direction.
        Dir = 5,
        /// Octal.
        Oct = 6,
    }
}

impl ParamType {
    /// Size in bytes of a fixed-size type, `None` for variable-size types.
    pub fn fixed_size(self) -> Option<usize> {
        use ParamType::*;
        Some(match self {
            Int8 | Uint8 | Sigtype | L4proto | Sockfamily | Flags8 | Enumflags8 => 1,
            Int16 | Uint16 | Syscallid | Port | Flags16 | Enumflags16 => 2,
            Int32 | Uint32 | Bool | Ipv4addr | Flags32 | Uid | Gid | Sigset | Mode
            | Enumflags32 | Fd32 | Pid32 => 4,
            Int64 | Uint64 | Errno | Fd | Pid | Reltime | Abstime | Double => 8,
            Ipv6addr => 16,
            _ => return Option::None,
        })
    }
}

/// `ppm_event_flags` bits.
pub mod ef {
    /// Creates an fd.
    pub const CREATES_FD: u32 = 1;
    /// Destroys an fd.
    pub const DESTROYS_FD: u32 = 2;
    /// Uses an fd.
    pub const USES_FD: u32 = 4;
    /// Reads from an fd.
    pub const READS_FROM_FD: u32 = 8;
    /// Writes to an fd.
    pub const WRITES_TO_FD: u32 = 16;
    /// Modifies thread/fd state.
    pub const MODIFIES_STATE: u32 = 32;
    /// Placeholder slot.
    pub const UNUSED: u32 = 64;
    /// Waits.
    pub const WAITS: u32 = 128;
    /// Skip parse reset.
    pub const SKIPPARSERESET: u32 = 256;
    /// Superseded version.
    pub const OLD_VERSION: u32 = 512;
    /// u32 parameter lengths.
    pub const LARGE_PAYLOAD: u32 = 2048;
    /// Rewritten by the libs converter.
    pub const CONVERTER_MANAGED: u32 = 4096;
}

/// `ppm_event_category` flag bits (the low bits hold the class).
pub mod ec {
    /// Mask of the class bits.
    pub const CLASS_MASK: u32 = 63;
    /// Waits.
    pub const WAIT: u32 = 64;
    /// Scheduler.
    pub const SCHEDULER: u32 = 128;
    /// Internal, hidden by sysdig unless `-D`.
    pub const INTERNAL: u32 = 256;
    /// Syscall.
    pub const SYSCALL: u32 = 512;
    /// Tracepoint.
    pub const TRACEPOINT: u32 = 1024;
    /// Plugin.
    pub const PLUGIN: u32 = 2048;
    /// Meta event.
    pub const METAEVENT: u32 = 4096;
    /// Kernel iterator.
    pub const ITER: u32 = 8192;
}

/// Event codes the codec itself needs to know.
pub mod code {
    /// `PPME_PLUGINEVENT_E`.
    pub const PLUGINEVENT_E: u16 = 322;
    /// `PPME_CONTAINER_E` (old 4-parameter container event).
    pub const CONTAINER_E: u16 = 228;
    /// `PPME_CONTAINER_JSON_E`.
    pub const CONTAINER_JSON_E: u16 = 272;
    /// `PPME_CONTAINER_JSON_2_E`.
    pub const CONTAINER_JSON_2_E: u16 = 324;
    /// `PPME_NOTIFICATION_E`.
    pub const NOTIFICATION_E: u16 = 280;
    /// `PPME_INFRASTRUCTURE_EVENT_E`.
    pub const INFRASTRUCTURE_EVENT_E: u16 = 286;
    /// `PPME_USER_ADDED_E`.
    pub const USER_ADDED_E: u16 = 354;
    /// `PPME_USER_DELETED_E`.
    pub const USER_DELETED_E: u16 = 356;
    /// `PPME_GROUP_ADDED_E`.
    pub const GROUP_ADDED_E: u16 = 358;
    /// `PPME_GROUP_DELETED_E`.
    pub const GROUP_DELETED_E: u16 = 360;
    /// `PPME_ASYNCEVENT_E`.
    pub const ASYNCEVENT_E: u16 = 402;
}

/// Maximum number of parameters of one event type (`PPM_MAX_EVENT_PARAMS`).
pub const MAX_PARAMS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_flags() {
        assert_eq!(CURRENT.len(), 454);
        assert_eq!(SYSDIG_0_29.len(), 336);
        for t in [CURRENT, SYSDIG_0_29] {
            assert!(t.event(code::PLUGINEVENT_E).is_some_and(|e| e.is_large()));
            assert!(t
                .event(code::CONTAINER_JSON_2_E)
                .is_some_and(|e| e.is_large()));
            assert!(t
                .event(code::CONTAINER_JSON_E)
                .is_some_and(|e| !e.is_large()));
            for e in t.events {
                assert!(e.params.len() <= MAX_PARAMS);
            }
        }
        assert!(CURRENT
            .event(code::ASYNCEVENT_E)
            .is_some_and(|e| e.is_large()));
        assert_eq!(CURRENT.event(2).map(|e| e.name), Some("open"));
        assert_eq!(SYSDIG_0_29.event(196).map(|e| e.name), Some("sysdigevent"));
        assert_eq!(CURRENT.event(196).map(|e| e.name), Some("scapevent"));
        assert_eq!(CURRENT.errno_name(2), Some("ENOENT"));
        assert_eq!(CURRENT.signal_name(9), Some("SIGKILL"));
    }
}
