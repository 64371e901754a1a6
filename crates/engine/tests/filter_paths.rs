//! The evaluator's shortcuts (a scalar field tested where it lies, `evt.type` decided from
//! the event code) must give the answers of the general path (values extracted into the
//! scratch, names compared): on every event of every capture, through a spread of filters.

#![allow(clippy::unwrap_used)]

mod common;

use engine::fields::catalog::EventSource;
use engine::fields::{Field, Scratch};
use engine::filter::{FieldSource, ValueSink};
use engine::query::EventFilter;
use engine::session::{EventCtx, Session, Sink};
use scap::Capture;

/// The engine's source with every shortcut turned down: only `extract`.
struct General<'c, 'e>(EventSource<'c, 'e>);

impl FieldSource for General<'_, '_> {
    type Field = Field;
    fn extract(&mut self, field: &Field, out: &mut ValueSink<'_>) {
        self.0.extract(field, out)
    }
}

const FILTERS: &[&str] = &[
    "proc.name=etcd",
    "proc.name != bash and fd.type=ipv4",
    "fd.name contains /etc",
    "fd.type in (ipv4, ipv6, unix)",
    "fd.name pmatch (/etc, /usr/lib)",
    "proc.name startswith k and not fd.name endswith .so",
    "evt.type=open or evt.type in (read, write, pselect6)",
    "evt.type != switch and fd.num > 2",
    "fd.sport >= 1024 or fd.cip=127.0.0.1",
    "user.name=root and proc.cmdline contains -",
    "evt.arg.fd = 3",
    "fd.net=172.16.0.0/12",
];

struct Compare {
    filters: Vec<EventFilter>,
    fields: Scratch,
    scratch: engine::filter::Scratch,
    checked: u64,
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
                &mut General(EventSource::new(ctx, &mut self.fields)),
                &mut self.scratch,
            );
            if quick != general {
                return Err(format!(
                    "{}: event {}: {quick} vs {general}",
                    FILTERS[k], ctx.num
                ));
            }
            self.checked += 1;
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
        };
        Session::new(std::slice::from_ref(&cap))
            .run(&mut sink, None)
            .map_err(|e| format!("{}: {e}", path.display()))
            .unwrap();
        checked += sink.checked;
    }
    assert!(checked > 500_000, "{checked}");
}
