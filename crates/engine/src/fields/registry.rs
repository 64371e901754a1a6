//! The one field registry: every field's name, type, argument kind and description.
//!
//! Each field class (`evt`, `proc`, `fd`, ...) lives in its own module and declares its
//! fields once with `field_class!`; the macro derives the class's id enum and table from
//! that one list, so names, ids and extractors cannot drift apart. `scapkit fields`, the
//! filter compiler, `-p` formats and autocomplete all read [`all`].

use super::value::FieldType;
use super::{container, evt, fd, fspath, k8s, thread, user};

/// What a field accepts between brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// No argument.
    None,
    /// A required argument: a parameter name or an index (`evt.arg[1]`, `evt.arg.fd`).
    Required,
    /// An optional numeric index (`proc.aname[2]`).
    OptionalIndex,
    /// An optional key.
    OptionalKey,
}

/// Identifies one field; resolved once, used on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldId {
    /// `evt.*`.
    Evt(evt::Id),
    /// A field of a loaded plugin (see [`super::plugin`]).
    Plugin,
    /// `thread.*`, `proc.*`.
    Thread(thread::Id),
    /// `fd.*`.
    Fd(fd::Id),
    /// `user.*`, `group.*`.
    User(user::Id),
    /// `container.*`.
    Container(container::Id),
    /// `k8s.*`.
    K8s(k8s::Id),
    /// `fs.path.*`.
    FsPath(fspath::Id),
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

/// Declare a field class: `field_class!(Variant; Id { X "cls.x" U64 None "desc"; ... })`
/// defines `pub enum Id` and `pub static FIELDS: &[FieldDef]`.
macro_rules! field_class {
    ($variant:ident; $( $id:ident $name:literal $ty:ident $arg:ident $desc:literal; )*) => {
        /// Fields of this class.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum Id { $($id,)* }

        /// The class's fields, in listing order.
        pub static FIELDS: &[$crate::fields::FieldDef] = &[
            $($crate::fields::FieldDef {
                id: $crate::fields::FieldId::$variant(Id::$id),
                name: $name,
                ty: $crate::fields::FieldType::$ty,
                arg: $crate::fields::ArgKind::$arg,
                desc: $desc,
            },)*
        ];
    };
}
pub(crate) use field_class;

/// Every class's table, in listing order.
static CLASSES: &[&[FieldDef]] = &[
    evt::FIELDS,
    thread::FIELDS,
    fd::FIELDS,
    user::FIELDS,
    container::FIELDS,
    k8s::FIELDS,
    fspath::FIELDS,
];

/// One-line descriptions of the field classes (the part of a name before the first dot).
pub static CLASS_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "evt",
        "the event itself: number, time, type, direction, arguments",
    ),
    ("proc", "the process that generated the event"),
    ("thread", "the thread that generated the event"),
    (
        "fd",
        "the file descriptor the event acts on: files, sockets, pipes, ...",
    ),
    ("fs", "paths of filesystem events"),
    ("user", "the user of the thread that generated the event"),
    ("group", "the group of the thread that generated the event"),
    (
        "container",
        "the container the event happened in ('host' outside any)",
    ),
    (
        "k8s",
        "Kubernetes pod and namespace of the event's container, from its labels",
    ),
];

/// Description of field class `class`.
pub fn class_description(class: &str) -> &'static str {
    CLASS_DESCRIPTIONS
        .iter()
        .find(|(c, _)| *c == class)
        .map_or("", |(_, d)| d)
}

/// Every field.
pub fn all() -> impl Iterator<Item = &'static FieldDef> {
    CLASSES.iter().flat_map(|c| c.iter())
}

/// Resolve a field as written in a filter or a format: an exact name, or the longest
/// registered name that takes an argument followed by `.ARG` (`evt.arg.fd` is `evt.arg`
/// with argument `fd`, as libsinsp accepts it).
pub fn resolve_name(name: &str) -> Option<(&'static FieldDef, Option<&str>)> {
    if let Some(def) = lookup(name) {
        return Some((def, None));
    }
    let mut best: Option<(&'static FieldDef, Option<&str>)> = None;
    for def in all().filter(|d| d.arg != ArgKind::None) {
        if let Some(rest) = name
            .strip_prefix(def.name)
            .and_then(|r| r.strip_prefix('.'))
        {
            if best.is_none_or(|(b, _)| def.name.len() > b.name.len()) {
                best = Some((def, Some(rest)));
            }
        }
    }
    best
}

/// Look a field up by its exact name.
pub fn lookup(name: &str) -> Option<&'static FieldDef> {
    all().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = all().map(|f| f.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate field names");
    }
}
