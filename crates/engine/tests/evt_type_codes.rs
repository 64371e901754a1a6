//! `evt.type` checks are decided from the event code where the code alone names the event
//! (filter `CheckProg::codes`): on every event of every capture, they must agree with comparing
//! the extracted name.

#![allow(clippy::unwrap_used)]

mod common;

use engine::fields::evt::event_type_name;
use engine::query::EventFilter;
use engine::session::{EventCtx, Session, Sink};
use scap::Capture;

/// (filter, expected verdict from the event's name)
type Case = (EventFilter, fn(&str) -> bool);

struct Check {
    cases: Vec<Case>,
    events: u64,
}

impl Sink for Check {
    type Error = String;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, String> {
        let name = event_type_name(&ctx.event);
        for (k, (f, want)) in self.cases.iter_mut().enumerate() {
            // The event-type set (libsinsp's: a negated syscall name also rules out generic
            // events) is another matter; here, only the check itself.
            if !f.program().may_match_event(ctx.event.event_type()) {
                continue;
            }
            if f.matches(ctx) != want(name) {
                return Err(format!(
                    "case {k}: evt.type {name} (code {})",
                    ctx.event.event_type()
                ));
            }
        }
        self.events += 1;
        Ok(true)
    }

    fn needs_state(&self) -> bool {
        false
    }
}

#[test]
fn evt_type_checks_agree_with_names() {
    let Some(scaps) = common::captures("evt.type by code") else {
        return;
    };
    let mut total = 0;
    for path in scaps {
        let cases: Vec<Case> = vec![
            (EventFilter::compile("evt.type=open").unwrap(), |n| {
                n == "open"
            }),
            (EventFilter::compile("evt.type!=switch").unwrap(), |n| {
                n != "switch"
            }),
            (
                EventFilter::compile("evt.type in (read, write, execve)").unwrap(),
                |n| matches!(n, "read" | "write" | "execve"),
            ),
            (
                EventFilter::compile("not evt.type in (close, futex)").unwrap(),
                |n| !matches!(n, "close" | "futex"),
            ),
            (EventFilter::compile("evt.type = 'connect'").unwrap(), |n| {
                n == "connect"
            }),
        ];
        let cap = Capture::open(&path).unwrap();
        let mut sink = Check { cases, events: 0 };
        let caps = std::slice::from_ref(&cap);
        Session::new(caps)
            .run(&mut sink, None)
            .map_err(|e| format!("{}: {e}", path.display()))
            .unwrap();
        total += sink.events;
    }
    assert!(total > 100_000);
}
