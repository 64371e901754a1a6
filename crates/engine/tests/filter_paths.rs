//! The evaluator's shortcuts (a scalar field tested where it lies, `evt.type` decided from
//! the event code, the event's fd looked up once for all `fd.*` checks, the quick text
//! predicates) must give the answers of the general path (values extracted one field at a
//! time into the scratch, names compared): on every event of every capture, through a spread
//! of filters.

#![allow(clippy::unwrap_used)]

mod common;

use engine::fields::catalog::EventSource;
use engine::fields::{Field, FieldId, Scratch};
use engine::filter::{FieldSource, ValueSink};
use engine::query::EventFilter;
use engine::session::{EventCtx, Session, Sink};
use scap::Capture;

/// The engine's source with every shortcut turned down: only `extract`, each field on its
/// own (no lookup shared between fields).
struct General<'c, 'e> {
    ctx: &'c EventCtx<'e>,
    scratch: &'c mut Scratch,
}

impl FieldSource for General<'_, '_> {
    type Field = Field;
    fn extract(&mut self, field: &Field, out: &mut ValueSink<'_>) {
        // Plugin fields and fd.net give several values: the engine's own source knows how.
        let net = field.def.id == FieldId::Fd(engine::fields::fd::Id::Net);
        if field.plugin.is_some() || net {
            EventSource::new(self.ctx, self.scratch).extract(field, out);
        } else if let Some(v) = engine::fields::extract(self.ctx, field, self.scratch) {
            out.push(v);
        }
    }
}

const FILTERS: &[&str] = &[
    "proc.name=etcd",
    "proc.name=etcd and fd.type=ipv4",
    "proc.name != bash and fd.type=ipv4",
    "fd.name contains /etc",
    "fd.name contains /",
    "fd.name contains e",
    "fd.name contains 'docker/containers/'",
    "fd.name contains 127.0.0.1",
    "fd.name icontains /ETC/",
    "fd.name = /etc/ld.so.cache or fd.name = /dev/null",
    "fd.name startswith /etc or fd.name endswith .so",
    "fd.nameraw contains lib",
    "fd.directory contains lib and fd.filename contains .so",
    "fd.type=file and fd.name contains /proc and fd.typechar=f",
    "fd.type in (ipv4, ipv6, unix)",
    "proc.name in (etcd, kubelet, dockerd, containerd, bash, sshd)",
    "proc.name in (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, etcd, bash, sshd)",
    "fd.name in (/etc/ld.so.cache, /dev/null, '')",
    "fd.name pmatch (/etc, /usr/lib)",
    "proc.name startswith k and not fd.name endswith .so",
    "proc.name contains d and proc.cmdline contains -",
    "evt.type=open or evt.type in (read, write, pselect6)",
    "evt.type != switch and fd.num > 2",
    "fd.sport >= 1024 or fd.cip=127.0.0.1",
    "fd.l4proto=tcp and fd.sockfamily=ip and fd.is_server=true",
    "user.name=root and proc.cmdline contains -",
    "evt.arg.fd = 3",
    "evt.args contains 'fd='",
    "fd.net=172.16.0.0/12",
];

struct Compare {
    filters: Vec<EventFilter>,
    fields: Scratch,
    scratch: engine::filter::Scratch,
    checked: u64,
    /// Per filter: events it matched.
    matched: Vec<u64>,
}

impl Sink for Compare {
    type Error = String;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, String> {
        for (k, f) in self.filters.iter().enumerate() {
            let p = f.program();
            if !p.may_match_event(ctx.event.event_type()) {
                continue;
            }
            let quick = p.eval(
                &mut EventSource::new(ctx, &mut self.fields),
                &mut self.scratch,
            );
            let general = p.eval(
                &mut General {
                    ctx,
                    scratch: &mut self.fields,
                },
                &mut self.scratch,
            );
            if quick != general {
                return Err(format!(
                    "{}: event {}: {quick} vs {general}",
                    FILTERS[k], ctx.num
                ));
            }
            self.checked += 1;
            self.matched[k] += u64::from(quick);
        }
        Ok(true)
    }
}

#[test]
fn shortcuts_agree_with_the_general_path() {
    let Some(scaps) = common::captures("filter evaluation paths") else {
        return;
    };
    let mut checked = 0;
    let mut matched = vec![0; FILTERS.len()];
    for path in scaps {
        let cap = Capture::open(&path).unwrap();
        let mut sink = Compare {
            filters: FILTERS
                .iter()
                .map(|f| EventFilter::compile(f).unwrap())
                .collect(),
            fields: Scratch::default(),
            scratch: engine::filter::Scratch::new(),
            checked: 0,
            matched: vec![0; FILTERS.len()],
        };
        Session::new(std::slice::from_ref(&cap))
            .run(&mut sink, None)
            .map_err(|e| format!("{}: {e}", path.display()))
            .unwrap();
        checked += sink.checked;
        for (m, n) in matched.iter_mut().zip(&sink.matched) {
            *m += n;
        }
    }
    assert!(checked > 500_000, "{checked}");
    // The comparisons mean something only if the filters match somewhere.
    let never: Vec<_> = FILTERS
        .iter()
        .zip(&matched)
        .filter(|(_, &m)| m == 0)
        .map(|(f, _)| *f)
        .collect();
    assert!(never.is_empty(), "never matched: {never:?}");
}
