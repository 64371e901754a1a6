//! A small field catalog and event source for the tests, with the fields and sample events of
//! the conformance table (spec §16).

use std::collections::HashMap;
use std::net::IpAddr;

use crate::fields::value::{FieldType, Value};
use crate::filter::{
    EventTypeSet, FieldCatalog, FieldSource, ResolveError, ResolvedField, ValueSink,
};

/// A field handle: the canonical `name[arg]` text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FakeField(pub String);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Required,
    Optional,
}

struct Def {
    name: &'static str,
    ty: FieldType,
    list: bool,
    arg: Arg,
    no_rhs: bool,
    no_tr: bool,
    evt_type: bool,
}

const fn def(name: &'static str, ty: FieldType) -> Def {
    Def {
        name,
        ty,
        list: false,
        arg: Arg::None,
        no_rhs: false,
        no_tr: false,
        evt_type: false,
    }
}

use FieldType as T;

const FIELDS: &[Def] = &[
    def("c.true", T::U64),
    def("c.false", T::U64),
    def("c.singlequote", T::Str),
    def("c.doublequote", T::Str),
    def("c.buffer", T::Bytes),
    def("evt.rawtime", T::AbsTime),
    def("evt.is_io", T::Bool),
    def("evt.buffer", T::Bytes),
    def("fd.name", T::Path),
    def("fd.directory", T::Path),
    def("thread.cpu", T::Double),
    Def {
        no_rhs: true,
        ..def("fd.ip", T::IpAddr)
    },
    Def {
        no_rhs: true,
        ..def("fd.net", T::IpNet)
    },
    def("fd.sip", T::IpAddr),
    def("fd.cip", T::IpAddr),
    def("fd.sport", T::Port),
    def("evt.source", T::Str),
    def("evt.plugininfo", T::Str),
    Def {
        evt_type: true,
        ..def("evt.type", T::Str)
    },
    def("evt.args", T::Str),
    def("syscall.type", T::Str),
    def("evt.is_wait", T::Bool),
    def("proc.name", T::Str),
    def("proc.pname", T::Str),
    Def {
        no_tr: true,
        ..def("evt.rawarg.res", T::I64)
    },
    def("evt.arg.flags", T::Str),
    def("evt.cpu", T::I64),
    def("proc.pid", T::I64),
    def("evt.failed", T::Bool),
    def("fd.num", T::I64),
    Def {
        arg: Arg::Required,
        no_rhs: true,
        ..def("proc.aname", T::Str)
    },
    def("proc.cmdline", T::Str),
    Def {
        list: true,
        ..def("proc.args", T::Str)
    },
    def("evt.dir", T::Str),
    def("ka.field", T::Str),
    Def {
        list: true,
        arg: Arg::Optional,
        ..def("ec2.imageids", T::Str)
    },
    Def {
        arg: Arg::Required,
        ..def("evt.arg", T::Str)
    },
    def("evt.latency", T::RelTime),
];

const EVENTS: &[(&str, &[u16])] = &[
    ("getcwd", &[1, 2]),
    ("open", &[10, 11, 12, 13]),
    ("openat", &[14, 15]),
    ("close", &[20, 21]),
    ("execve", &[30, 31]),
    ("connect", &[40, 41]),
    ("read", &[50, 51]),
    ("epoll_create", &[60, 61]),
    ("high", &[2000]),
];

/// The fake registry.
#[derive(Debug, Default)]
pub struct Catalog;

impl FieldCatalog for Catalog {
    type Field = FakeField;

    fn resolve(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField<FakeField>, ResolveError> {
        let d = FIELDS
            .iter()
            .find(|d| d.name == name)
            .ok_or(ResolveError::Unknown)?;
        let key = match (d.arg, arg) {
            (Arg::None, Some(a)) => {
                return Err(ResolveError::Invalid(format!(
                    "filter '{name}[{a}]': {name} does not allow nor require an argument but \
                     one is provided: {a}"
                )))
            }
            (Arg::Required, None) => {
                return Err(ResolveError::Invalid(format!(
                    "filter '{name}': {name} requires an argument but none provided"
                )))
            }
            (_, Some(a)) => format!("{name}[{a}]"),
            (_, None) => name.to_owned(),
        };
        Ok(ResolvedField {
            list: d.list,
            no_transformers: d.no_tr,
            no_rhs_field: d.no_rhs,
            event_type: d.evt_type,
            ..ResolvedField::new(FakeField(key), d.ty)
        })
    }

    fn for_each_field_name(&self, f: &mut dyn FnMut(&str)) {
        for d in FIELDS {
            f(d.name);
        }
    }

    fn event_codes(&self, name: &str, set: &mut EventTypeSet) -> bool {
        match EVENTS.iter().find(|(n, _)| *n == name) {
            Some((_, codes)) => {
                for c in *codes {
                    set.insert(*c);
                }
                true
            }
            None => false,
        }
    }

    fn service_port(&self, name: &str) -> Option<u16> {
        crate::filter::convert::service_in("http 80/tcp www\nssh 22/tcp\n", name)
    }
}

/// An owned value.
#[derive(Debug, Clone)]
pub enum V {
    S(&'static str),
    B(&'static [u8]),
    I(i64),
    U(u64),
    Bool(bool),
    D(f64),
    Ip(&'static str),
}

/// One event: field text → values.
#[derive(Debug, Default)]
pub struct Event {
    vals: HashMap<String, Vec<V>>,
    /// How many extractions were asked for (the per-event cache means once per field).
    pub calls: usize,
}

impl Event {
    pub fn new(fields: &[(&str, &[V])]) -> Event {
        Event {
            vals: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
                .collect(),
            calls: 0,
        }
    }
}

impl FieldSource for Event {
    type Field = FakeField;

    fn extract(&mut self, field: &FakeField, out: &mut ValueSink<'_>) {
        self.calls += 1;
        for v in self
            .vals
            .get(&field.0)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            match v {
                V::S(s) => out.push(Value::Bytes(s.as_bytes())),
                V::B(b) => out.push(Value::Bytes(b)),
                V::I(i) => out.push(Value::I64(*i)),
                V::U(u) => out.push(Value::U64(*u)),
                V::Bool(b) => out.push(Value::Bool(*b)),
                V::D(d) => out.push(Value::Double(*d)),
                V::Ip(s) => out.push(Value::Ip(s.parse::<IpAddr>().unwrap())),
            }
        }
    }
}

/// The sample events of the conformance table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ev {
    /// getcwd enter of the init thread.
    E1,
    /// open exit, `/tmp/file_to_run`.
    E2,
    /// open exit, `/opt/dir/subdir/file.txt`.
    E3,
    /// E3 as `filter_op_contains` builds it.
    E3Con,
    /// connect exit.
    E4,
    /// read exit with `hello`.
    E5,
    /// epoll_create exit on CPU 1, res -22.
    E6,
    /// Process `myexe`.
    E7,
    /// Mock fields.
    M,
    /// curl_google.scap event 229.
    S229,
}

pub fn event(e: Ev) -> Event {
    use V::*;
    match e {
        Ev::E1 => Event::new(&[
            ("evt.type", &[S("getcwd")]),
            ("syscall.type", &[S("getcwd")]),
            ("evt.source", &[S("syscall")]),
            ("proc.name", &[S("init")]),
            ("evt.args", &[S("")]),
            ("evt.is_wait", &[Bool(false)]),
            ("evt.dir", &[S(">")]),
        ]),
        Ev::E2 => Event::new(&[
            ("evt.type", &[S("open")]),
            ("fd.num", &[I(3)]),
            ("fd.name", &[S("/tmp/file_to_run")]),
            ("fd.directory", &[S("/tmp")]),
        ]),
        Ev::E3 => Event::new(&[
            ("evt.type", &[S("open")]),
            ("fd.name", &[S("/opt/dir/subdir/file.txt")]),
        ]),
        Ev::E3Con => Event::new(&[
            ("evt.type", &[S("open")]),
            ("fd.name", &[S("/opt/dir/SUBDIR/file.txt")]),
            ("evt.arg.flags", &[S("O_RDWR|O_CREAT")]),
        ]),
        Ev::E4 => Event::new(&[
            ("evt.type", &[S("connect")]),
            ("fd.sip", &[Ip("142.251.111.147")]),
            ("fd.cip", &[Ip("172.40.111.222")]),
            ("fd.ip", &[Ip("172.40.111.222"), Ip("142.251.111.147")]),
            ("fd.net", &[Ip("172.40.111.222"), Ip("142.251.111.147")]),
            ("fd.sport", &[U(443)]),
        ]),
        Ev::E5 => Event::new(&[("evt.type", &[S("read")]), ("evt.buffer", &[B(b"hello")])]),
        Ev::E6 => Event::new(&[
            ("evt.type", &[S("epoll_create")]),
            ("evt.cpu", &[I(1)]),
            ("evt.rawarg.res", &[I(-22)]),
        ]),
        Ev::E7 => Event::new(&[("proc.name", &[S("myexe")])]),
        Ev::M => Event::new(&[
            ("c.true", &[U(1)]),
            ("c.false", &[U(0)]),
            ("c.singlequote", &[S("hello 'quoted'")]),
            ("c.doublequote", &[S("hello \"quoted\"")]),
            ("c.buffer", &[B(b"\x12\x3a")]),
        ]),
        Ev::S229 => Event::new(&[
            ("evt.type", &[S("open")]),
            ("proc.name", &[S("curl")]),
            ("proc.pid", &[I(17497)]),
            ("proc.cmdline", &[S("curl -6 http://www.google.com")]),
            ("proc.aname[0]", &[S("curl")]),
            ("proc.aname[1]", &[S("bash")]),
            ("proc.pname", &[S("bash")]),
            (
                "fd.name",
                &[S("/usr/lib/x86_64-linux-gnu/libcurl-gnutls.so.4")],
            ),
            ("fd.num", &[I(3)]),
            ("evt.cpu", &[I(0)]),
            ("evt.failed", &[Bool(false)]),
        ]),
    }
}
