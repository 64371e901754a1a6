//! Two statically linked plugins in one binary: no symbol clash, and both work through their
//! `plugin_api` tables (a minimal host: no tables, no async handler).
// A plugin host calls C-ABI function pointers; that is unsafe by nature.
#![allow(unsafe_code)]
// Test helpers outside `#[test]` functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use falco_plugin::api::{
    plugin_api, ss_plugin_event, ss_plugin_event_input, ss_plugin_extract_field,
    ss_plugin_extract_value_offsets, ss_plugin_field_extract_input, ss_plugin_init_input,
    ss_plugin_owner_t, ss_plugin_t, ss_plugin_table_reader_vtable_ext,
};
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

const SUCCESS: i32 = 0;
const FAILURE: i32 = 1;
const TIMEOUT: i32 = -1;
const EOF: i32 = 2;

unsafe extern "C-unwind" fn owner_last_error(_o: *mut ss_plugin_owner_t) -> *const c_char {
    null()
}

unsafe extern "C-unwind" fn log_fn(
    _o: *mut ss_plugin_owner_t,
    _component: *const c_char,
    _msg: *const c_char,
    _sev: u32,
) {
}

fn cstr(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the plugin returns a NUL-terminated string valid until its next call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

struct Loaded {
    api: &'static plugin_api,
    state: *mut ss_plugin_t,
}

impl Loaded {
    fn init(api: &'static plugin_api, config: &CStr) -> Self {
        let input = ss_plugin_init_input {
            config: config.as_ptr(),
            owner: null_mut(),
            get_owner_last_error: Some(owner_last_error),
            tables: null(),
            log_fn: Some(log_fn),
        };
        let mut rc = FAILURE;
        // SAFETY: valid input and rc pointers for the duration of the call.
        let state = unsafe { api.init.unwrap()(&input, &mut rc) };
        assert_eq!(rc, SUCCESS);
        Self { api, state }
    }

    fn last_error(&self) -> String {
        // SAFETY: state comes from init.
        cstr(unsafe { self.api.get_last_error.unwrap()(self.state) })
    }

    /// Extracts one field; returns (rc, string values or u64 values as strings, offset range).
    fn extract(
        &self,
        evt: &[u8],
        id: u32,
        name: &CStr,
        key: Option<&CStr>,
        ftype: u32,
    ) -> (i32, Vec<String>, Option<(u32, u32)>) {
        let mut field = ss_plugin_extract_field {
            res: falco_plugin::api::ss_plugin_extract_field__bindgen_ty_1 { u64_: null_mut() },
            res_len: 0,
            field_id: id,
            field: name.as_ptr(),
            arg_key: key.map_or(null(), CStr::as_ptr),
            arg_index: 0,
            arg_present: u32::from(key.is_some()),
            ftype,
            flist: 0,
        };
        // SAFETY: an all-NULL vtable is a valid value (Option<fn> is nullable); it is only
        // dereferenced by table calls, which these fields do not make.
        let mut reader: ss_plugin_table_reader_vtable_ext = unsafe { std::mem::zeroed() };
        let mut offsets = ss_plugin_extract_value_offsets {
            start: null_mut(),
            length: null_mut(),
        };
        let input = ss_plugin_field_extract_input {
            owner: null_mut(),
            get_owner_last_error: Some(owner_last_error),
            num_fields: 1,
            fields: &mut field,
            // SAFETY: as above.
            table_reader: unsafe { std::mem::zeroed() },
            table_reader_ext: &mut reader,
            value_offsets: &mut offsets,
        };
        let ev = ss_plugin_event_input {
            evt: evt.as_ptr().cast::<ss_plugin_event>(),
            evtnum: 1,
            evtsrc: c"scapkit_test".as_ptr(),
        };
        // SAFETY: all pointers are valid for the call; results are read before the next call.
        unsafe {
            let rc = self.api.__bindgen_anon_2.extract_fields.unwrap()(self.state, &ev, &input);
            let n = field.res_len as usize;
            let vals = if rc != SUCCESS {
                Vec::new()
            } else if ftype == 9 {
                (0..n).map(|i| cstr(*field.res.str_.add(i))).collect()
            } else {
                (0..n)
                    .map(|i| (*field.res.u64_.add(i)).to_string())
                    .collect()
            };
            let range = (!offsets.start.is_null()).then(|| (*offsets.start, *offsets.length));
            (rc, vals, range)
        }
    }
}

impl Drop for Loaded {
    fn drop(&mut self) {
        // SAFETY: state comes from init and is destroyed once.
        unsafe { self.api.destroy.unwrap()(self.state) }
    }
}

#[test]
fn both_static_plugins_link_and_identify() {
    let json: &'static plugin_api = &json::SCAPKIT_PLUGIN_JSON;
    let test: &'static plugin_api = &testplugin::SCAPKIT_PLUGIN_TEST;
    // SAFETY: these take no arguments and return static strings.
    unsafe {
        assert_eq!(cstr(json.get_name.unwrap()()), "json");
        assert_eq!(cstr(test.get_name.unwrap()()), "scapkit_test");
        assert_eq!(cstr(json.get_required_api_version.unwrap()()), "3.11.0");
        assert_eq!(cstr(test.get_version.unwrap()()), "0.1.0");
        assert_eq!(test.__bindgen_anon_1.get_id.unwrap()(), 999);
        assert_eq!(
            cstr(test.__bindgen_anon_1.get_event_source.unwrap()()),
            "scapkit_test"
        );
        assert!(json.__bindgen_anon_1.open.is_none(), "json has no sourcing");
        assert!(json.__bindgen_anon_3.parse_event.is_none());
        assert_eq!(
            cstr(json.__bindgen_anon_2.get_extract_event_sources.unwrap()()),
            "[]"
        );
        assert!(test.__bindgen_anon_4.get_async_events.is_some());
        assert!(test.__bindgen_anon_5.capture_open.is_some());
    }
}

#[test]
fn events_from_one_static_plugin_extracted_by_the_other() {
    let test = Loaded::init(&testplugin::SCAPKIT_PLUGIN_TEST, c"{}");
    let json = Loaded::init(&json::SCAPKIT_PLUGIN_JSON, c"{}");

    // SAFETY: valid state, params and out-pointers; events are copied before the next call.
    let events = unsafe {
        let mut rc = FAILURE;
        let inst = test.api.__bindgen_anon_1.open.unwrap()(test.state, c"2".as_ptr(), &mut rc);
        assert_eq!(rc, SUCCESS);
        let mut got = Vec::new();
        let mut rcs = Vec::new();
        loop {
            let mut n = 0u32;
            let mut evts: *mut *mut ss_plugin_event = null_mut();
            let rc =
                test.api.__bindgen_anon_1.next_batch.unwrap()(test.state, inst, &mut n, &mut evts);
            rcs.push(rc);
            for i in 0..n as usize {
                let e = *evts.add(i) as *const u8;
                let len = u32::from_ne_bytes(
                    std::slice::from_raw_parts(e.add(16), 4).try_into().unwrap(),
                );
                got.push(std::slice::from_raw_parts(e, len as usize).to_vec());
            }
            if rc == EOF || rcs.len() > 10 {
                break;
            }
        }
        test.api.__bindgen_anon_1.close.unwrap()(test.state, inst);
        assert_eq!(rcs, [SUCCESS, TIMEOUT, SUCCESS, EOF]);
        got
    };
    assert_eq!(events.len(), 2);
    let e1 = &events[0];
    assert_eq!(u16::from_ne_bytes([e1[20], e1[21]]), 322);
    assert_eq!(&e1[38..], br#"{"n":1,"msg":"hello 1","even":false}"#);

    // The test plugin's own fields.
    let (rc, v, _) = test.extract(e1, 0, c"test.n", None, 8);
    assert_eq!((rc, v), (SUCCESS, vec!["1".to_owned()]));
    let (rc, v, r) = test.extract(e1, 1, c"test.msg", None, 9);
    assert_eq!(
        (rc, v, r),
        (SUCCESS, vec!["hello 1".to_owned()], Some((52, 7)))
    );
    assert_eq!(&e1[52..59], b"hello 1");
    let (rc, _, _) = test.extract(e1, 20, c"test.fail", None, 9);
    assert_eq!(rc, FAILURE);
    assert_eq!(test.last_error(), "test.fail always fails");

    // The json plugin on the same event.
    let (rc, v, r) = json.extract(e1, 0, c"json.value", Some(c"/msg"), 9);
    assert_eq!(
        (rc, v, r),
        (SUCCESS, vec!["hello 1".to_owned()], Some((52, 7)))
    );
    let (rc, v, _) = json.extract(e1, 3, c"jevt.value", Some(c"even"), 9);
    assert_eq!((rc, v), (SUCCESS, vec!["false".to_owned()]));
    let (rc, v, _) = json.extract(e1, 0, c"json.value", Some(c"/nope"), 9);
    assert_eq!((rc, v), (SUCCESS, Vec::<String>::new()));
    let (rc, v, _) = json.extract(e1, 2, c"json.rawtime", None, 9);
    assert_eq!((rc, v), (SUCCESS, vec!["1700000000001000000".to_owned()]));
    let (rc, v, _) = json.extract(&events[1], 1, c"json.obj", None, 9);
    assert_eq!(rc, SUCCESS);
    assert_eq!(
        v,
        ["{\n  \"n\": 2,\n  \"msg\": \"hello 2\",\n  \"even\": true\n}"]
    );

    // A payload that is not JSON: every json field fails.
    let mut bad = e1.clone();
    bad[38] = b'x';
    let (rc, _, _) = json.extract(&bad, 1, c"json.obj", None, 9);
    assert_eq!(rc, FAILURE);
    assert!(
        json.last_error().contains("invalid json format"),
        "{}",
        json.last_error()
    );

    let cfg = CString::new("{\"tid\": 7}").unwrap();
    let input = falco_plugin::api::ss_plugin_set_config_input {
        config: cfg.as_ptr(),
    };
    // SAFETY: valid state and input.
    assert_eq!(
        unsafe { test.api.set_config.unwrap()(test.state, &input) },
        SUCCESS
    );
}
