//! The `threads` table plugins see mirrors the engine's state.

#![allow(clippy::unwrap_used)]

use engine::plugin::{StateValue, ThreadTable};
use engine::session::{EventCtx, Session, Sink};
use engine::state::table::{new_table, Mirror};

struct Sync(Mirror, u64);

impl Sink for Sync {
    type Error = std::convert::Infallible;
    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        self.0.saw(ctx.event.event_type(), ctx.state);
        self.0.sync(ctx.state);
        self.1 += 1;
        Ok(true)
    }
}

#[test]
fn mirror_follows_the_state() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample.scap");
    let caps = [scap::Capture::open(path).unwrap()];
    let table = new_table();
    let mut sink = Sync(Mirror::new(table.clone()), 0);
    // Stop right after cat's execve (event 129): bash's child is now `cat`.
    let mut limited = Limit(&mut sink, 129);
    Session::new(&caps).run(&mut limited, None).unwrap();
    let t = table.lock().unwrap();
    assert!(t.len() >= 4);
    assert_eq!(t.read(1200, "comm"), Some(StateValue::Str("bash".into())));
    assert_eq!(t.read(1201, "comm"), Some(StateValue::Str("cat".into())));
    assert_eq!(t.read(1201, "ptid"), Some(StateValue::I64(1200)));
    assert_eq!(
        t.read(1201, "cwd"),
        Some(StateValue::Str("/home/alice/".into()))
    );
    drop(t);
    // Plugin-added fields survive a refresh.
    table
        .lock()
        .unwrap()
        .add_field("x.seen", engine::plugin::StateType::U64)
        .unwrap();
    table
        .lock()
        .unwrap()
        .write(1200, "x.seen", StateValue::U64(7))
        .unwrap();
    let state_less = Session::new(&caps);
    let mut again = Limit(&mut sink, 200);
    state_less.run(&mut again, None).unwrap();
    assert_eq!(
        table.lock().unwrap().read(1200, "x.seen"),
        Some(StateValue::U64(7))
    );
}

struct Limit<'a>(&'a mut Sync, u64);

impl Sink for Limit<'_> {
    type Error = std::convert::Infallible;
    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        self.0.event(ctx)?;
        Ok(ctx.num < self.1)
    }
}
