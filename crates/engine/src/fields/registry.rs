//! The one field registry: every field's name, type, argument kind and description.
//!
//! `scapkit fields`, the filter compiler, `-p` formats and autocomplete all read [`FIELDS`].
//! The list is written once, in the `fields!` invocation below; the macro derives the
//! [`FieldId`] enum and the table from it, so the two cannot drift apart.

use super::value::FieldType;

/// What a field accepts between brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// No argument.
    None,
    /// A required argument: a parameter name or an index (`evt.arg[1]`, `evt.arg.fd`).
    Required,
    /// An optional numeric index (`proc.aname[2]`).
    OptionalIndex,
}

/// The static description of one field.
#[derive(Debug)]
pub struct FieldDef {
    /// Which field.
    pub id: FieldId,
    /// Full name, e.g. `evt.num`.
    pub name: &'static str,
    /// Value type.
    pub ty: FieldType,
    /// Argument kind.
    pub arg: ArgKind,
    /// One-line description, as `scapkit fields` prints it.
    pub desc: &'static str,
}

impl FieldDef {
    /// The field class: the part of the name before the first dot.
    pub fn class(&self) -> &'static str {
        self.name.split('.').next().unwrap_or(self.name)
    }
}

macro_rules! fields {
    ($( $id:ident $name:literal $ty:ident $arg:ident $desc:literal; )*) => {
        /// Identifies one field of the registry; resolved once, used on the hot path.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum FieldId { $($id,)* }

        /// Every field, in the order `scapkit fields` lists them.
        pub static FIELDS: &[FieldDef] = &[
            $(FieldDef {
                id: FieldId::$id,
                name: $name,
                ty: FieldType::$ty,
                arg: ArgKind::$arg,
                desc: $desc,
            },)*
        ];
    };
}

fields! {
    EvtNum "evt.num" U64 None "event number, counting every event delivered from the capture (including hidden ones)";
    EvtTime "evt.time" AbsTime None "event timestamp as local time HH:MM:SS.nnnnnnnnn";
    EvtTimeS "evt.time.s" AbsTime None "event timestamp as local time HH:MM:SS";
    EvtTimeIso "evt.time.iso8601" AbsTime None "event timestamp in ISO 8601 with nanoseconds and time zone";
    EvtDatetime "evt.datetime" AbsTime None "event timestamp as local date and time YYYY-MM-DD HH:MM:SS.nnnnnnnnn";
    EvtDatetimeS "evt.datetime.s" AbsTime None "event timestamp as local date and time YYYY-MM-DD HH:MM:SS";
    EvtRawtime "evt.rawtime" AbsTime None "event timestamp in nanoseconds since the epoch";
    EvtRawtimeS "evt.rawtime.s" U64 None "integer seconds part of the event timestamp";
    EvtRawtimeNs "evt.rawtime.ns" U64 None "fractional nanoseconds part of the event timestamp";
    EvtOutputtime "evt.outputtime" AbsTime None "event timestamp in the format chosen with -t (default: evt.time)";
    EvtReltime "evt.reltime" RelTime None "nanoseconds since the first event of the capture";
    EvtReltimeS "evt.reltime.s" U64 None "integer seconds part of evt.reltime";
    EvtReltimeNs "evt.reltime.ns" U64 None "fractional nanoseconds part of evt.reltime";
    EvtDeltatime "evt.deltatime" RelTime None "nanoseconds since the previous event shown";
    EvtDir "evt.dir" Str None "event direction: '>' for enter events, '<' for exit events";
    EvtType "evt.type" Str None "event type name, e.g. 'open'; generic syscalls show the syscall name";
    EvtTypeCode "evt.rawtype" U64 None "numeric event type code";
    EvtCpu "evt.cpu" U64 None "number of the CPU where the event happened";
    EvtIsEnter "evt.is_enter" Bool None "true for enter events";
    EvtNparams "evt.nparams" U64 None "number of parameters the event carries";
    EvtBlockOffset "evt.offset" U64 None "byte offset of the event block in the (decompressed) capture";
    ThreadTid "thread.tid" I64 None "thread id that generated the event";
}

/// Look a field up by its exact name.
pub fn lookup(name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The registry entry of `id`.
pub fn def(id: FieldId) -> &'static FieldDef {
    // The macro lists entries in enum order, so the discriminant is the index.
    &FIELDS[id as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_the_table() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(f.id as usize, i);
            assert!(std::ptr::eq(def(f.id), f));
        }
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len(), "duplicate field names");
    }
}
