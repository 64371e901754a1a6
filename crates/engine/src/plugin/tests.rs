//! Host tests with hand-written C-ABI plugins (bad input) and our own callbacks driven as a
//! plugin would drive them.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex};

use super::ffi::{self, testing, OwnerCtx, RawRc, Vtable};
use super::*;

extern "C-unwind" fn v3_12() -> *const c_char {
    c"3.12.0".as_ptr()
}
extern "C-unwind" fn v4() -> *const c_char {
    c"4.0.0".as_ptr()
}
extern "C-unwind" fn v0_3() -> *const c_char {
    c"0.3.0".as_ptr()
}
extern "C-unwind" fn v_future() -> *const c_char {
    c"3.13.0".as_ptr()
}
extern "C-unwind" fn ver() -> *const c_char {
    c"1.2.3".as_ptr()
}
extern "C-unwind" fn bad_ver() -> *const c_char {
    c"one".as_ptr()
}
extern "C-unwind" fn name() -> *const c_char {
    c"handmade".as_ptr()
}
extern "C-unwind" fn text() -> *const c_char {
    c"text".as_ptr()
}
extern "C-unwind" fn last_err(_s: *mut c_void) -> *const c_char {
    c"it broke".as_ptr()
}
extern "C-unwind" fn null_err(_s: *mut c_void) -> *const c_char {
    std::ptr::null()
}
extern "C-unwind" fn init_fail(_i: *const ffi::InitInput, _rc: *mut RawRc) -> *mut c_void {
    // rc stays FAILURE (the host's initial value); the state is non-NULL so the error can be read.
    Box::into_raw(Box::new(1u8)).cast()
}
extern "C-unwind" fn destroy(_s: *mut c_void) {}
extern "C-unwind" fn good_fields() -> *const c_char {
    cr#"[{"name":"h.f","type":"uint64","desc":"d"}]"#.as_ptr()
}
extern "C-unwind" fn bad_fields() -> *const c_char {
    cr#"[{"name":"h.f","type":"uint64","desc":"d"},{"name":"h.g"#.as_ptr()
}
extern "C-unwind" fn extract(
    _s: *mut c_void,
    _e: *const ffi::EventInput,
    _i: *const ffi::FieldExtractInput,
) -> RawRc {
    1
}
extern "C-unwind" fn open(_s: *mut c_void, _p: *const c_char, _rc: *mut RawRc) -> *mut c_void {
    std::ptr::null_mut()
}
extern "C-unwind" fn close(_s: *mut c_void, _i: *mut c_void) {}
extern "C-unwind" fn id7() -> u32 {
    7
}
extern "C-unwind" fn src_syscall() -> *const c_char {
    c"syscall".as_ptr()
}

fn base() -> Vtable {
    Vtable {
        get_required_api_version: Some(v3_12),
        get_version: Some(ver),
        get_last_error: Some(last_err),
        get_name: Some(name),
        get_description: Some(text),
        get_contact: Some(text),
        init: Some(init_fail),
        destroy: Some(destroy),
        get_fields: Some(good_fields),
        extract_fields: Some(extract),
        ..Vtable::default()
    }
}

fn load(vt: Vtable) -> Result<Plugin> {
    Plugin::from_vtable(vt, "handmade.so")
}

fn kind(vt: Vtable) -> ErrorKind {
    load(vt).unwrap_err().kind
}

#[test]
fn a_valid_handmade_plugin_loads() {
    let p = load(base()).unwrap();
    assert_eq!(p.name(), "handmade");
    assert!(p.capabilities().extraction && !p.capabilities().sourcing);
    assert_eq!(p.fields()[0].name, "h.f");
}

#[test]
fn api_versions() {
    for f in [
        v4 as extern "C-unwind" fn() -> *const c_char,
        v0_3,
        v_future,
        bad_ver,
    ] {
        let e = load(Vtable {
            get_required_api_version: Some(f),
            ..base()
        })
        .unwrap_err();
        assert!(matches!(e.kind, ErrorKind::ApiVersion { .. }), "{e}");
        assert_eq!(e.plugin, "handmade.so");
        assert!(e.to_string().contains("3.12.0"), "{e}");
    }
}

#[test]
fn missing_symbols() {
    assert_eq!(
        kind(Vtable {
            get_required_api_version: None,
            ..base()
        }),
        ErrorKind::MissingSymbol("get_required_api_version")
    );
    assert_eq!(
        kind(Vtable {
            get_last_error: None,
            ..base()
        }),
        ErrorKind::MissingSymbol("get_last_error")
    );
    assert_eq!(
        kind(Vtable {
            destroy: None,
            ..base()
        }),
        ErrorKind::MissingSymbol("destroy")
    );
    let e = load(Vtable {
        init: None,
        ..base()
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "plugin handmade.so: not a Falco plugin: missing required symbol plugin_init"
    );
}

#[test]
fn invalid_plugin_version() {
    let e = load(Vtable {
        get_version: Some(bad_ver),
        ..base()
    })
    .unwrap_err();
    assert_eq!(e.plugin, "handmade");
    assert_eq!(e.kind, ErrorKind::InvalidVersion("one".into()));
}

#[test]
fn malformed_fields_json() {
    let e = load(Vtable {
        get_fields: Some(bad_fields),
        ..base()
    })
    .unwrap_err();
    assert!(
        matches!(
            e.kind,
            ErrorKind::Json {
                what: "get_fields JSON",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("plugin handmade: invalid get_fields JSON"),
        "{e}"
    );
}

#[test]
fn broken_capabilities() {
    let caps = |vt| match kind(vt) {
        ErrorKind::Capabilities(m) => m,
        k => panic!("{k:?}"),
    };
    assert!(caps(Vtable {
        get_fields: None,
        ..base()
    })
    .contains("extract_fields without get_fields"));
    assert!(caps(Vtable {
        get_fields: None,
        extract_fields: None,
        ..base()
    })
    .contains("no capability"));
    assert!(caps(Vtable {
        open: Some(open),
        ..base()
    })
    .contains("incomplete sourcing"));
    // ID without a source.
    let src = Vtable {
        open: Some(open),
        close: Some(close),
        next_batch: None,
        ..base()
    };
    assert!(caps(src).contains("incomplete sourcing"));
}

extern "C-unwind" fn next_batch(
    _s: *mut c_void,
    _i: *mut c_void,
    _n: *mut u32,
    _e: *mut *mut *mut ffi::EventHeader,
) -> RawRc {
    2
}

#[test]
fn sourcing_identity_rules() {
    let src = Vtable {
        open: Some(open),
        close: Some(close),
        next_batch: Some(next_batch),
        ..base()
    };
    assert!(
        matches!(kind(Vtable { get_id: Some(id7), ..src }), ErrorKind::Capabilities(m) if m.contains("together"))
    );
    let e = kind(Vtable {
        get_id: Some(id7),
        get_event_source: Some(src_syscall),
        ..src
    });
    assert!(matches!(e, ErrorKind::Capabilities(m) if m.contains("reserved")));
    let p = load(Vtable {
        get_id: Some(id7),
        get_event_source: Some(text),
        ..src
    })
    .unwrap();
    assert_eq!(
        (p.info().id, p.info().event_source.as_deref()),
        (7, Some("text"))
    );
    // Own source joins the extract source set; types default to 322 only.
    assert!(
        p.extracts_from("text", 322)
            && !p.extracts_from("text", 3)
            && !p.extracts_from("syscall", 322)
    );
}

#[test]
fn init_failure_names_plugin_and_message() {
    let mut p = load(Vtable {
        init: Some(init_fail),
        ..base()
    })
    .unwrap();
    let e = p.init("").unwrap_err();
    assert_eq!(
        e.to_string(),
        "plugin handmade: init failed (FAILURE): it broke"
    );
    assert!(!p.is_initialised());
    assert!(matches!(
        p.extract(&event::PluginEvent::encode(1, 1, b""), 1, "x", &[]),
        Err(PluginError {
            kind: ErrorKind::NotInitialised,
            ..
        })
    ));
    // A NULL get_last_error is "no message", not a crash.
    let mut p = load(Vtable {
        init: Some(init_fail),
        get_last_error: Some(null_err),
        ..base()
    })
    .unwrap();
    assert!(p
        .init("")
        .unwrap_err()
        .to_string()
        .contains("no error message"));
}

#[test]
fn rc_mapping() {
    assert_eq!(Rc::from(0), Rc::Success);
    assert_eq!(Rc::from(-1), Rc::Timeout);
    assert_eq!(Rc::from(2), Rc::Eof);
    assert_eq!(Rc::from(3), Rc::NotSupported);
    assert_eq!(Rc::from(42), Rc::Other(42));
}

#[test]
fn not_a_plugin_so() {
    // libc is a shared object but exports no plugin_* symbol.
    let e = Plugin::load("libc.so.6").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingSymbol("get_required_api_version"));
    assert!(e.to_string().contains("libc.so.6"));
    let e = Plugin::load("/nonexistent/plugin.so").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Open(_)), "{e}");
}

fn tables() -> (testing::PluginView, Arc<Mutex<MapThreadTable>>) {
    let mut t = MapThreadTable::new(&[("comm", StateType::String), ("pid", StateType::I64)]);
    t.insert(
        10,
        &[
            ("comm", StateValue::Str("bash".into())),
            ("pid", StateValue::I64(10)),
        ],
    );
    t.insert(
        11,
        &[
            ("comm", StateValue::Str("ls".into())),
            ("pid", StateValue::I64(10)),
        ],
    );
    let t = Arc::new(Mutex::new(t));
    let dynt: Arc<Mutex<dyn ThreadTable>> = t.clone();
    let host = Tables::new(dynt).0;
    let owner = OwnerCtx::new("tabletest", vec![], Some(Arc::clone(&host)));
    (testing::PluginView { owner, host }, t)
}

#[test]
fn threads_table_through_the_c_vtables() {
    let (v, backing) = tables();
    assert_eq!(v.list_tables(), vec!["threads"]);
    assert!(v.table(c"nope", 4).is_null());
    assert_eq!(v.owner_error().as_deref(), Some("no table named 'nope'"));
    let t = v.table(c"threads", 4);
    assert!(!t.is_null());
    assert_eq!(v.size(t), 2);
    assert_eq!(v.count_entries(t), 2);
    let fields = v.list_fields(t);
    assert_eq!(fields[0], ("comm".into(), 9, true));
    // Wrong type -> no accessor.
    assert!(v.get_field(t, c"comm", 8).is_null());
    let comm = v.get_field(t, c"comm", 9);
    let e = v.entry(t, 10);
    assert_eq!(v.read_str(t, e, comm).as_deref(), Some("bash"));
    // A plugin-added field: writable, readable, visible to the engine.
    let mine = v.add_field(t, c"my.count", 8);
    assert!(!mine.is_null());
    assert!(v.write_u64(t, e, mine, 42));
    assert_eq!(v.read_u64(t, e, mine), Some(42));
    assert_eq!(
        backing.lock().unwrap().read(10, "my.count"),
        Some(StateValue::U64(42))
    );
    // Built-in fields are read-only.
    assert!(!v.write_u64(t, e, v.get_field(t, c"pid", 4), 1));
    v.release(t, e);
    assert!(v.entry(t, 99).is_null());
    v.owner.unregister();
}

#[test]
fn async_handler_checks_and_owner_registry() {
    let owner = OwnerCtx::new("asynctest", vec!["ok".into()], None);
    let good = event::encode_async(u64::MAX, u64::MAX, 0, "ok", b"d");
    // Disabled until the host installs the handler.
    assert_eq!(testing::emit_async(&owner, &good).0, 1);
    owner.set_async_enabled(true);
    assert_eq!(testing::emit_async(&owner, &good), (0, String::new()));
    let (rc, msg) = testing::emit_async(&owner, &event::encode_async(1, 1, 0, "nope", b""));
    assert_eq!(rc, 1);
    assert!(msg.contains("not declared"), "{msg}");
    assert_eq!(owner.async_rejected(), 1);
    assert_eq!(owner.drain_async(), vec![good]);
    // Foreign owner pointers are never dereferenced.
    assert_eq!(
        testing::emit_async_foreign(&event::encode_async(1, 1, 0, "ok", b"")),
        1
    );
    testing::log(&owner, c"hello from a test\n");
    owner.unregister();
    assert_eq!(
        testing::emit_async(&owner, &event::encode_async(1, 1, 0, "ok", b"")).0,
        1
    );
}
