//! The C ABI of the Falco plugin API 3.x and every `unsafe` line of the plugin host.
//!
//! Layouts follow `shared/spec/plugin-api.md` §5 and are checked at compile time. Plugin
//! functions are typed `extern "C-unwind"` (as the SDK exports them) so that a foreign unwind
//! is not undefined behaviour; callbacks we hand to plugins are `extern "C"` and catch every
//! panic, so they never unwind.
//!
//! Everything outside this module is safe code: it sees a [`Vtable`] of `Option<fn>`, owned
//! copies of plugin strings, and safe callback plumbing ([`OwnerCtx`], [`TablesHost`]).
#![allow(unsafe_code)]

use std::collections::VecDeque;
use std::ffi::{c_char, c_void, CStr, CString};
use std::mem::{offset_of, size_of};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::tables::{StateType, StateValue, ThreadTable};

// ---------------------------------------------------------------------------------------------
// Raw ABI types (§5)
// ---------------------------------------------------------------------------------------------

/// `ss_plugin_rc`.
pub type RawRc = i32;
/// `ss_plugin_bool`: 4 bytes, 0 = false.
pub type Bool32 = u32;
type Ptr = *mut c_void;

pub const RC_SUCCESS: RawRc = 0;
pub const RC_FAILURE: RawRc = 1;

/// `ss_plugin_event`: the 26-byte packed scap event header.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
pub struct EventHeader {
    pub ts: u64,
    pub tid: u64,
    pub len: u32,
    pub ty: u16,
    pub nparams: u32,
}

/// `ss_plugin_event_input`.
#[repr(C)]
pub struct EventInput {
    pub evt: *const EventHeader,
    pub evtnum: u64,
    pub evtsrc: *const c_char,
}

/// `ss_plugin_byte_buffer`.
#[repr(C)]
pub struct ByteBuffer {
    pub len: u32,
    pub ptr: *const c_void,
}

/// `ss_plugin_extract_field`.
#[repr(C)]
pub struct ExtractField {
    pub res: *mut c_void,
    pub res_len: u64,
    pub field_id: u32,
    pub field: *const c_char,
    pub arg_key: *const c_char,
    pub arg_index: u64,
    pub arg_present: Bool32,
    pub ftype: u32,
    pub flist: Bool32,
}

/// `ss_plugin_extract_value_offsets`.
#[repr(C)]
pub struct ValueOffsets {
    pub start: *mut u32,
    pub length: *mut u32,
}

type OwnerErrFn = unsafe extern "C" fn(Ptr) -> *const c_char;
type LogFn = unsafe extern "C" fn(Ptr, *const c_char, *const c_char, u32);
type AsyncHandlerFn = unsafe extern "C" fn(Ptr, *const EventHeader, *mut c_char) -> RawRc;
type RoutineFn = unsafe extern "C-unwind" fn(Ptr, Ptr) -> Bool32;
type IterFn = unsafe extern "C-unwind" fn(Ptr, Ptr) -> Bool32;

/// `ss_plugin_field_extract_input`.
#[repr(C)]
pub struct FieldExtractInput {
    pub owner: Ptr,
    pub get_owner_last_error: Option<OwnerErrFn>,
    pub num_fields: u32,
    pub fields: *mut ExtractField,
    pub table_reader: ReaderVtable,
    pub table_reader_ext: *const ReaderVtableExt,
    pub value_offsets: *mut ValueOffsets,
}

/// `ss_plugin_state_data`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union StateData {
    pub s8: i8,
    pub s16: i16,
    pub s32: i32,
    pub s64: i64,
    pub u8_: u8,
    pub u16_: u16,
    pub u32_: u32,
    pub u64_: u64,
    pub str_: *const c_char,
    pub b: Bool32,
    pub table: Ptr,
}

/// `ss_plugin_table_info`.
#[repr(C)]
pub struct TableInfo {
    pub name: *const c_char,
    pub key_type: u32,
}

/// `ss_plugin_table_fieldinfo`.
#[repr(C)]
pub struct TableFieldInfo {
    pub name: *const c_char,
    pub field_type: u32,
    pub read_only: Bool32,
}

/// Fields vtable (deprecated and `_ext` are identical).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FieldsVtable {
    pub list_table_fields: Option<unsafe extern "C" fn(Ptr, *mut u32) -> *const TableFieldInfo>,
    pub get_table_field: Option<unsafe extern "C" fn(Ptr, *const c_char, u32) -> Ptr>,
    pub add_table_field: Option<unsafe extern "C" fn(Ptr, *const c_char, u32) -> Ptr>,
}

/// Deprecated reader vtable (embedded by value).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ReaderVtable {
    pub get_table_name: Option<unsafe extern "C" fn(Ptr) -> *const c_char>,
    pub get_table_size: Option<unsafe extern "C" fn(Ptr) -> u64>,
    pub get_table_entry: Option<unsafe extern "C" fn(Ptr, *const StateData) -> Ptr>,
    pub read_entry_field: Option<unsafe extern "C" fn(Ptr, Ptr, Ptr, *mut StateData) -> RawRc>,
}

/// `_ext` reader vtable.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ReaderVtableExt {
    pub get_table_name: Option<unsafe extern "C" fn(Ptr) -> *const c_char>,
    pub get_table_size: Option<unsafe extern "C" fn(Ptr) -> u64>,
    pub get_table_entry: Option<unsafe extern "C" fn(Ptr, *const StateData) -> Ptr>,
    pub read_entry_field: Option<unsafe extern "C" fn(Ptr, Ptr, Ptr, *mut StateData) -> RawRc>,
    pub release_table_entry: Option<unsafe extern "C" fn(Ptr, Ptr)>,
    pub iterate_entries: Option<unsafe extern "C" fn(Ptr, Option<IterFn>, Ptr) -> Bool32>,
}

/// Writer vtable (deprecated and `_ext` are identical).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WriterVtable {
    pub clear_table: Option<unsafe extern "C" fn(Ptr) -> RawRc>,
    pub erase_table_entry: Option<unsafe extern "C" fn(Ptr, *const StateData) -> RawRc>,
    pub create_table_entry: Option<unsafe extern "C" fn(Ptr) -> Ptr>,
    pub destroy_table_entry: Option<unsafe extern "C" fn(Ptr, Ptr)>,
    pub add_table_entry: Option<unsafe extern "C" fn(Ptr, *const StateData, Ptr) -> Ptr>,
    pub write_entry_field: Option<unsafe extern "C" fn(Ptr, Ptr, Ptr, *const StateData) -> RawRc>,
}

/// `ss_plugin_table_input` (what a plugin hands to `add_table`).
#[repr(C)]
pub struct TableInput {
    pub name: *const c_char,
    pub key_type: u32,
    pub table: Ptr,
    pub reader: ReaderVtable,
    pub writer: WriterVtable,
    pub fields: FieldsVtable,
    pub reader_ext: *const ReaderVtableExt,
    pub writer_ext: *const WriterVtable,
    pub fields_ext: *const FieldsVtable,
}

/// `ss_plugin_init_tables_input`.
#[repr(C)]
pub struct InitTablesInput {
    pub list_tables: Option<unsafe extern "C" fn(Ptr, *mut u32) -> *const TableInfo>,
    pub get_table: Option<unsafe extern "C" fn(Ptr, *const c_char, u32) -> Ptr>,
    pub add_table: Option<unsafe extern "C" fn(Ptr, *const TableInput) -> RawRc>,
    pub fields: FieldsVtable,
    pub fields_ext: *const FieldsVtable,
    pub reader_ext: *const ReaderVtableExt,
    pub writer_ext: *const WriterVtable,
}

/// `ss_plugin_init_input`.
#[repr(C)]
pub struct InitInput {
    pub config: *const c_char,
    pub owner: Ptr,
    pub get_owner_last_error: Option<OwnerErrFn>,
    pub tables: *const InitTablesInput,
    pub log_fn: Option<LogFn>,
}

/// `ss_plugin_event_parse_input`.
#[repr(C)]
pub struct ParseInput {
    pub owner: Ptr,
    pub get_owner_last_error: Option<OwnerErrFn>,
    pub table_reader: ReaderVtable,
    pub table_writer: WriterVtable,
    pub table_reader_ext: *const ReaderVtableExt,
    pub table_writer_ext: *const WriterVtable,
}

/// `ss_plugin_routine_vtable`.
#[repr(C)]
pub struct RoutineVtable {
    pub subscribe: Option<unsafe extern "C" fn(Ptr, Option<RoutineFn>, Ptr) -> Ptr>,
    pub unsubscribe: Option<unsafe extern "C" fn(Ptr, Ptr) -> RawRc>,
}

/// `ss_plugin_capture_listen_input` (note its member order differs).
#[repr(C)]
pub struct CaptureListenInput {
    pub owner: Ptr,
    pub routine: *const RoutineVtable,
    pub table_reader_ext: *const ReaderVtableExt,
    pub table_writer_ext: *const WriterVtable,
    pub get_owner_last_error: Option<OwnerErrFn>,
}

/// `ss_plugin_set_config_input`.
#[repr(C)]
pub struct SetConfigInput {
    pub config: *const c_char,
}

/// `ss_plugin_metric`; the value union is read as raw bits.
#[repr(C)]
pub struct RawMetric {
    pub name: *const c_char,
    pub kind: u32,
    pub value: u64,
    pub value_type: u32,
}

// Compile-time layout checks against §5 (x86-64 numbers).
const _: () = {
    assert!(size_of::<EventHeader>() == 26);
    assert!(size_of::<EventInput>() == 24);
    assert!(size_of::<ByteBuffer>() == 16);
    assert!(size_of::<ExtractField>() == 64);
    assert!(offset_of!(ExtractField, field_id) == 16);
    assert!(offset_of!(ExtractField, field) == 24);
    assert!(offset_of!(ExtractField, arg_key) == 32);
    assert!(offset_of!(ExtractField, arg_index) == 40);
    assert!(offset_of!(ExtractField, arg_present) == 48);
    assert!(offset_of!(ExtractField, ftype) == 52);
    assert!(offset_of!(ExtractField, flist) == 56);
    assert!(size_of::<ValueOffsets>() == 16);
    assert!(size_of::<FieldExtractInput>() == 80);
    assert!(offset_of!(FieldExtractInput, num_fields) == 16);
    assert!(offset_of!(FieldExtractInput, fields) == 24);
    assert!(offset_of!(FieldExtractInput, table_reader) == 32);
    assert!(offset_of!(FieldExtractInput, table_reader_ext) == 64);
    assert!(offset_of!(FieldExtractInput, value_offsets) == 72);
    assert!(size_of::<InitInput>() == 40);
    assert!(offset_of!(InitInput, log_fn) == 32);
    assert!(size_of::<ParseInput>() == 112);
    assert!(offset_of!(ParseInput, table_writer) == 48);
    assert!(offset_of!(ParseInput, table_reader_ext) == 96);
    assert!(size_of::<CaptureListenInput>() == 40);
    assert!(offset_of!(CaptureListenInput, get_owner_last_error) == 32);
    assert!(size_of::<SetConfigInput>() == 8);
    assert!(size_of::<RoutineVtable>() == 16);
    assert!(size_of::<RawMetric>() == 32);
    assert!(offset_of!(RawMetric, value) == 16);
    assert!(offset_of!(RawMetric, value_type) == 24);
    assert!(size_of::<StateData>() == 8);
    assert!(size_of::<TableInfo>() == 16);
    assert!(size_of::<TableFieldInfo>() == 16);
    assert!(size_of::<FieldsVtable>() == 24);
    assert!(size_of::<ReaderVtable>() == 32);
    assert!(size_of::<ReaderVtableExt>() == 48);
    assert!(size_of::<WriterVtable>() == 48);
    assert!(size_of::<TableInput>() == 152);
    assert!(offset_of!(TableInput, reader) == 24);
    assert!(offset_of!(TableInput, writer) == 56);
    assert!(offset_of!(TableInput, fields) == 104);
    assert!(offset_of!(TableInput, reader_ext) == 128);
    assert!(offset_of!(TableInput, fields_ext) == 144);
    assert!(size_of::<InitTablesInput>() == 72);
    assert!(offset_of!(InitTablesInput, fields) == 24);
    assert!(offset_of!(InitTablesInput, fields_ext) == 48);
    assert!(offset_of!(InitTablesInput, writer_ext) == 64);
};

// ---------------------------------------------------------------------------------------------
// The symbol table: one `Option<fn>` per plugin function, filled by dlsym or the SDK's static vtable
// ---------------------------------------------------------------------------------------------

type StrFn = unsafe extern "C-unwind" fn() -> *const c_char;
type StateStrFn = unsafe extern "C-unwind" fn(Ptr) -> *const c_char;
type TypesFn = unsafe extern "C-unwind" fn(*mut u32, Ptr) -> *const u16;
type HandlerSetFn = unsafe extern "C-unwind" fn(Ptr, Ptr, Option<AsyncHandlerFn>) -> RawRc;
type ListenFn = unsafe extern "C-unwind" fn(Ptr, *const CaptureListenInput) -> RawRc;

/// Every resolvable plugin function (§4.7), each optional.
#[derive(Clone, Copy, Default)]
pub struct Vtable {
    pub get_required_api_version: Option<StrFn>,
    pub get_version: Option<StrFn>,
    pub get_last_error: Option<StateStrFn>,
    pub get_name: Option<StrFn>,
    pub get_description: Option<StrFn>,
    pub get_contact: Option<StrFn>,
    pub get_init_schema: Option<unsafe extern "C-unwind" fn(*mut u32) -> *const c_char>,
    pub init: Option<unsafe extern "C-unwind" fn(*const InitInput, *mut RawRc) -> Ptr>,
    pub destroy: Option<unsafe extern "C-unwind" fn(Ptr)>,
    pub get_id: Option<unsafe extern "C-unwind" fn() -> u32>,
    pub get_event_source: Option<StrFn>,
    pub open: Option<unsafe extern "C-unwind" fn(Ptr, *const c_char, *mut RawRc) -> Ptr>,
    pub close: Option<unsafe extern "C-unwind" fn(Ptr, Ptr)>,
    pub next_batch: Option<
        unsafe extern "C-unwind" fn(Ptr, Ptr, *mut u32, *mut *mut *mut EventHeader) -> RawRc,
    >,
    pub get_progress: Option<unsafe extern "C-unwind" fn(Ptr, Ptr, *mut u32) -> *const c_char>,
    pub list_open_params: Option<unsafe extern "C-unwind" fn(Ptr, *mut RawRc) -> *const c_char>,
    pub event_to_string:
        Option<unsafe extern "C-unwind" fn(Ptr, *const EventInput) -> *const c_char>,
    pub get_fields: Option<StrFn>,
    pub extract_fields: Option<
        unsafe extern "C-unwind" fn(Ptr, *const EventInput, *const FieldExtractInput) -> RawRc,
    >,
    pub get_extract_event_sources: Option<StrFn>,
    pub get_extract_event_types: Option<TypesFn>,
    pub get_parse_event_types: Option<TypesFn>,
    pub get_parse_event_sources: Option<StrFn>,
    pub parse_event:
        Option<unsafe extern "C-unwind" fn(Ptr, *const EventInput, *const ParseInput) -> RawRc>,
    pub get_async_event_sources: Option<StrFn>,
    pub get_async_events: Option<StrFn>,
    pub set_async_event_handler: Option<HandlerSetFn>,
    pub dump_state: Option<HandlerSetFn>,
    pub set_config: Option<unsafe extern "C-unwind" fn(Ptr, *const SetConfigInput) -> RawRc>,
    pub get_metrics: Option<unsafe extern "C-unwind" fn(Ptr, *mut u32) -> *const RawMetric>,
    pub capture_open: Option<ListenFn>,
    pub capture_close: Option<ListenFn>,
    pub get_required_event_schema_version: Option<StateStrFn>,
}

// SAFETY: the table holds only code pointers into a library that is never unloaded (or into
// the program itself); calling them is what needs care, not sharing the pointers.
unsafe impl Send for Vtable {}
// SAFETY: as above; the table is immutable.
unsafe impl Sync for Vtable {}

impl std::fmt::Debug for Vtable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vtable").finish_non_exhaustive()
    }
}

/// The SDK's static vtable type (`falco_plugin::static_plugin!` exports one of these).
pub type StaticPluginApi = falco_plugin_api::plugin_api;

impl Vtable {
    /// Copies the function pointers out of the SDK's static vtable.
    // Each target type comes from the field; some pairs happen to be identical, and one
    // uniform cast keeps the list readable.
    #[allow(clippy::useless_transmute, clippy::missing_transmute_annotations)]
    pub fn from_static(api: &'static StaticPluginApi) -> Self {
        // SAFETY: each pair of fn pointer types has the same ABI ("C-unwind"), the same number
        // of arguments, and arguments that are pointers or integers of identical size: our
        // structs mirror the SDK's bindgen structs (checked by the layout asserts above and
        // the cross-check test below). Transmuting `Option<fn>` keeps `None` as `None`.
        unsafe {
            use std::mem::transmute as t;
            Self {
                get_required_api_version: t(api.get_required_api_version),
                get_version: t(api.get_version),
                get_last_error: t(api.get_last_error),
                get_name: t(api.get_name),
                get_description: t(api.get_description),
                get_contact: t(api.get_contact),
                get_init_schema: t(api.get_init_schema),
                init: t(api.init),
                destroy: t(api.destroy),
                get_id: t(api.__bindgen_anon_1.get_id),
                get_event_source: t(api.__bindgen_anon_1.get_event_source),
                open: t(api.__bindgen_anon_1.open),
                close: t(api.__bindgen_anon_1.close),
                next_batch: t(api.__bindgen_anon_1.next_batch),
                get_progress: t(api.__bindgen_anon_1.get_progress),
                list_open_params: t(api.__bindgen_anon_1.list_open_params),
                event_to_string: t(api.__bindgen_anon_1.event_to_string),
                get_fields: t(api.__bindgen_anon_2.get_fields),
                extract_fields: t(api.__bindgen_anon_2.extract_fields),
                get_extract_event_sources: t(api.__bindgen_anon_2.get_extract_event_sources),
                get_extract_event_types: t(api.__bindgen_anon_2.get_extract_event_types),
                get_parse_event_types: t(api.__bindgen_anon_3.get_parse_event_types),
                get_parse_event_sources: t(api.__bindgen_anon_3.get_parse_event_sources),
                parse_event: t(api.__bindgen_anon_3.parse_event),
                get_async_event_sources: t(api.__bindgen_anon_4.get_async_event_sources),
                get_async_events: t(api.__bindgen_anon_4.get_async_events),
                set_async_event_handler: t(api.__bindgen_anon_4.set_async_event_handler),
                dump_state: t(api.__bindgen_anon_4.dump_state),
                set_config: t(api.set_config),
                get_metrics: t(api.get_metrics),
                capture_open: t(api.__bindgen_anon_5.capture_open),
                capture_close: t(api.__bindgen_anon_5.capture_close),
                // Not in the 3.11 static struct; absent means "3.0.0" (§1.3).
                get_required_event_schema_version: None,
            }
        }
    }

    /// Opens a shared object with `RTLD_NOW | RTLD_LOCAL`, resolves the 33 names, and leaks
    /// the handle: plugins are never unloaded (Go runtimes cannot be dlclosed).
    pub fn load(path: &Path) -> Result<Self, String> {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        // SAFETY: loading runs the library's initialisers; a plugin is trusted code by
        // definition (the user asked for it). RTLD_LOCAL keeps its symbols out of our namespace.
        let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }
            .map_err(|e| e.to_string())?;
        let lib: &'static Library = Box::leak(Box::new(lib));
        macro_rules! sym {
            ($name:ident) => {{
                let sym_name = concat!("plugin_", stringify!($name), "\0");
                // SAFETY: the type is the one §4 gives for this plugin_* name; the pointer
                // stays valid because the library is leaked above.
                unsafe {
                    lib.get(sym_name.as_bytes())
                        .ok()
                        .map(|s: libloading::os::unix::Symbol<_>| *s)
                }
            }};
        }
        Ok(Self {
            get_required_api_version: sym!(get_required_api_version),
            get_version: sym!(get_version),
            get_last_error: sym!(get_last_error),
            get_name: sym!(get_name),
            get_description: sym!(get_description),
            get_contact: sym!(get_contact),
            get_init_schema: sym!(get_init_schema),
            init: sym!(init),
            destroy: sym!(destroy),
            get_id: sym!(get_id),
            get_event_source: sym!(get_event_source),
            open: sym!(open),
            close: sym!(close),
            next_batch: sym!(next_batch),
            get_progress: sym!(get_progress),
            list_open_params: sym!(list_open_params),
            event_to_string: sym!(event_to_string),
            get_fields: sym!(get_fields),
            extract_fields: sym!(extract_fields),
            get_extract_event_sources: sym!(get_extract_event_sources),
            get_extract_event_types: sym!(get_extract_event_types),
            get_parse_event_types: sym!(get_parse_event_types),
            get_parse_event_sources: sym!(get_parse_event_sources),
            parse_event: sym!(parse_event),
            get_async_event_sources: sym!(get_async_event_sources),
            get_async_events: sym!(get_async_events),
            set_async_event_handler: sym!(set_async_event_handler),
            dump_state: sym!(dump_state),
            set_config: sym!(set_config),
            get_metrics: sym!(get_metrics),
            capture_open: sym!(capture_open),
            capture_close: sym!(capture_close),
            get_required_event_schema_version: sym!(get_required_event_schema_version),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Copying plugin memory
// ---------------------------------------------------------------------------------------------

/// Largest event we accept from a plugin (the header's `len` is plugin-provided).
pub const MAX_PLUGIN_EVENT_LEN: u32 = 64 << 20;

/// Copies a plugin-owned C string at once (plugins may reuse one buffer for several getters).
fn copy_str(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL strings returned by plugins are NUL-terminated and valid until the next
    // call of the same function (§3); we copy before making any other call.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Copies one event (header plus body) out of plugin memory into `out`.
fn copy_event(p: *const EventHeader, out: &mut Vec<u8>) -> Result<(), String> {
    if p.is_null() {
        return Err("NULL event pointer".into());
    }
    // SAFETY: the plugin gave us a pointer to at least a header; the header is packed (align
    // 1) so an unaligned read is the right way to look at it.
    let hdr = unsafe { std::ptr::read_unaligned(p) };
    let len = hdr.len;
    if !(26..=MAX_PLUGIN_EVENT_LEN).contains(&len) {
        return Err(format!("event length {len} out of range"));
    }
    out.clear();
    // SAFETY: the ABI says an event is `len` contiguous bytes starting at its header.
    out.extend_from_slice(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len as usize) });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Calls into the plugin: one function per symbol, returning owned data
// ---------------------------------------------------------------------------------------------

/// A plugin's vtable plus its state pointer. Methods return `None` when the symbol is absent.
pub struct Raw {
    pub vt: Vtable,
    state: Ptr,
    instance: Ptr,
}

// SAFETY: the plugin API lets a state be used from any thread as long as calls on it are not
// concurrent (§3 "Threading"); `Raw` is only used through `&mut`, which serialises calls.
unsafe impl Send for Raw {}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Raw")
            .field("initialised", &!self.state.is_null())
            .finish()
    }
}

/// One `next_batch` result, copied out of plugin memory.
pub struct Batch {
    pub rc: RawRc,
    pub count: u32,
}

impl Raw {
    pub fn new(vt: Vtable) -> Self {
        Self {
            vt,
            state: std::ptr::null_mut(),
            instance: std::ptr::null_mut(),
        }
    }

    pub fn has_state(&self) -> bool {
        !self.state.is_null()
    }

    pub fn has_instance(&self) -> bool {
        !self.instance.is_null()
    }

    /// Calls a `() -> const char*` getter and copies the string.
    pub fn get_str(&self, f: Option<StrFn>) -> Option<String> {
        // SAFETY: a getter with no arguments; the result is copied at once.
        f.and_then(|f| copy_str(unsafe { f() }))
    }

    pub fn get_id(&self) -> Option<u32> {
        // SAFETY: no arguments, returns a plain integer.
        self.vt.get_id.map(|f| unsafe { f() })
    }

    pub fn init_schema(&self) -> Option<(u32, String)> {
        let f = self.vt.get_init_schema?;
        let mut ty = 0u32;
        // SAFETY: `ty` is a valid out-pointer for the call's duration.
        let s = copy_str(unsafe { f(&mut ty) });
        Some((ty, s.unwrap_or_default()))
    }

    /// `get_last_error` on the current state; NULL means no message.
    pub fn last_error(&self) -> Option<String> {
        let f = self.vt.get_last_error?;
        if self.state.is_null() {
            return None;
        }
        // SAFETY: the state came from `init` and was not destroyed.
        copy_str(unsafe { f(self.state) }).filter(|s| !s.is_empty())
    }

    /// Calls `init`; keeps the state even on failure so the error can be read (§3).
    pub fn init(&mut self, config: &CStr, owner: &OwnerCtx, tables: Option<&TablesHost>) -> RawRc {
        let Some(f) = self.vt.init else {
            return RC_FAILURE;
        };
        let input = InitInput {
            config: config.as_ptr(),
            owner: owner.as_ptr(),
            get_owner_last_error: Some(owner_last_error),
            tables: tables.map_or(std::ptr::null(), |t| {
                &t.init_input as *const InitTablesInput
            }),
            log_fn: Some(log_fn),
        };
        let mut rc = RC_FAILURE;
        // SAFETY: `input` and everything it points to (the config, the boxed owner context,
        // the tables host with its static vtables) outlive the call; the owner and tables
        // outlive the state too, as the plugin may keep them.
        let state = unsafe { f(&input, &mut rc) };
        self.state = state;
        rc
    }

    pub fn destroy(&mut self) {
        if let (Some(f), false) = (self.vt.destroy, self.state.is_null()) {
            // SAFETY: the state came from `init` and is destroyed exactly once (we clear it).
            unsafe { f(self.state) };
        }
        self.state = std::ptr::null_mut();
    }

    pub fn required_event_schema_version(&self) -> Option<String> {
        let f = self.vt.get_required_event_schema_version?;
        // SAFETY: live state; string copied at once.
        copy_str(unsafe { f(self.state) })
    }

    pub fn set_config(&mut self, config: &CStr) -> Option<RawRc> {
        let f = self.vt.set_config?;
        let input = SetConfigInput {
            config: config.as_ptr(),
        };
        // SAFETY: live state; the input lives for the call.
        Some(unsafe { f(self.state, &input) })
    }

    /// Event type codes from `get_{extract,parse}_event_types` (called after init).
    pub fn event_types(&self, f: Option<TypesFn>) -> Option<Vec<u16>> {
        let f = f?;
        let mut n = 0u32;
        // SAFETY: live state passed second (§4.3 argument order); `n` is a valid out-pointer.
        let p = unsafe { f(&mut n, self.state) };
        if p.is_null() || n == 0 {
            return Some(Vec::new());
        }
        // SAFETY: the plugin returned an array of `n` u16 it owns until its next call.
        Some(unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec())
    }

    pub fn metrics(&mut self) -> Option<Vec<(String, u32, u64, u32)>> {
        let f = self.vt.get_metrics?;
        let mut n = 0u32;
        // SAFETY: live state; `n` is a valid out-pointer.
        let p = unsafe { f(self.state, &mut n) };
        if p.is_null() || n == 0 {
            return Some(Vec::new());
        }
        // SAFETY: an array of `n` metrics owned by the plugin until its next call; we copy.
        let raw = unsafe { std::slice::from_raw_parts(p, n as usize) };
        Some(
            raw.iter()
                .map(|m| {
                    (
                        copy_str(m.name).unwrap_or_default(),
                        m.kind,
                        m.value,
                        m.value_type,
                    )
                })
                .collect(),
        )
    }

    // --- sourcing ---------------------------------------------------------------------------

    pub fn open(&mut self, params: &CStr) -> RawRc {
        let Some(f) = self.vt.open else {
            return RC_FAILURE;
        };
        let mut rc = RC_FAILURE;
        // SAFETY: live state; params is a valid C string (never NULL, §3).
        let inst = unsafe { f(self.state, params.as_ptr(), &mut rc) };
        if rc == RC_SUCCESS && !inst.is_null() {
            self.instance = inst;
            rc
        } else {
            if !inst.is_null() {
                if let Some(close) = self.vt.close {
                    // SAFETY: the plugin returned an instance with a failure; free it.
                    unsafe { close(self.state, inst) };
                }
            }
            if rc == RC_SUCCESS {
                RC_FAILURE
            } else {
                rc
            }
        }
    }

    pub fn close(&mut self) {
        if self.instance.is_null() {
            return;
        }
        if let Some(f) = self.vt.close {
            // SAFETY: the instance came from `open` on this state and is closed once.
            unsafe { f(self.state, self.instance) };
        }
        self.instance = std::ptr::null_mut();
    }

    /// Calls `next_batch` and copies every event of the batch into `out` (the batch is
    /// plugin memory, valid only until the next call).
    pub fn next_batch(
        &mut self,
        out: &mut VecDeque<Vec<u8>>,
        spare: &mut Vec<Vec<u8>>,
    ) -> Result<Batch, String> {
        let f = self.vt.next_batch.ok_or("no next_batch")?;
        let mut n = 0u32;
        let mut evts: *mut *mut EventHeader = std::ptr::null_mut();
        // SAFETY: live state and instance; the out-pointers are valid for the call.
        let rc = unsafe { f(self.state, self.instance, &mut n, &mut evts) };
        if n > 0 && evts.is_null() {
            return Err(format!("next_batch returned {n} events and a NULL array"));
        }
        for i in 0..n as usize {
            // SAFETY: `evts` is an array of `n` event pointers (§7).
            let p = unsafe { *evts.add(i) };
            let mut buf = spare.pop().unwrap_or_default();
            copy_event(p, &mut buf).map_err(|e| format!("event {i} of the batch: {e}"))?;
            out.push_back(buf);
        }
        Ok(Batch { rc, count: n })
    }

    pub fn progress(&mut self) -> Option<(u32, Option<String>)> {
        let f = self.vt.get_progress?;
        if self.instance.is_null() {
            return None;
        }
        let mut pct = 0u32;
        // SAFETY: live state and instance; `pct` is a valid out-pointer.
        let s = copy_str(unsafe { f(self.state, self.instance, &mut pct) });
        Some((pct, s))
    }

    pub fn list_open_params(&mut self) -> Option<(RawRc, String)> {
        let f = self.vt.list_open_params?;
        let mut rc = RC_FAILURE;
        // SAFETY: live state; `rc` is a valid out-pointer.
        let s = copy_str(unsafe { f(self.state, &mut rc) });
        Some((rc, s.unwrap_or_default()))
    }

    pub fn event_to_string(&mut self, event: &[u8], evtnum: u64, source: &CStr) -> Option<String> {
        let f = self.vt.event_to_string?;
        let input = event_input(event, evtnum, source);
        // SAFETY: live state; the event (validated by the caller to be `len` bytes) and the
        // source string live for the call.
        copy_str(unsafe { f(self.state, &input) })
    }

    // --- extraction and parsing -------------------------------------------------------------

    /// Runs `extract_fields` on `reqs`; `on_value(i, value)` receives each result while the
    /// plugin memory is still valid.
    pub fn extract(
        &mut self,
        event: &[u8],
        evtnum: u64,
        source: &CStr,
        reqs: &mut [ExtractField],
        owner: &OwnerCtx,
        mut on_value: impl FnMut(usize, RawValue<'_>),
    ) -> RawRc {
        let Some(f) = self.vt.extract_fields else {
            return RC_FAILURE;
        };
        let input = event_input(event, evtnum, source);
        for r in reqs.iter_mut() {
            r.res = std::ptr::null_mut();
            r.res_len = 0;
        }
        let ext = FieldExtractInput {
            owner: owner.as_ptr(),
            get_owner_last_error: Some(owner_last_error),
            num_fields: u32::try_from(reqs.len()).unwrap_or(u32::MAX),
            fields: reqs.as_mut_ptr(),
            table_reader: READER,
            table_reader_ext: &READER_EXT,
            value_offsets: std::ptr::null_mut(),
        };
        // SAFETY: live state; the event, source, requests (with their name and key strings,
        // kept alive by the caller) and vtables all outlive the call.
        let rc = unsafe { f(self.state, &input, &ext) };
        if rc != RC_SUCCESS {
            return rc;
        }
        for (i, r) in reqs.iter().enumerate() {
            if r.res.is_null() || r.res_len == 0 {
                continue;
            }
            let n = usize::try_from(r.res_len).unwrap_or(0);
            // SAFETY: on success the plugin points `res` at `res_len` values of the type we
            // asked for (§8.3), valid until its next extract call; we consume them here.
            unsafe {
                match r.ftype {
                    8 | 20 | 21 => {
                        for v in std::slice::from_raw_parts(r.res as *const u64, n) {
                            on_value(i, RawValue::U64(*v));
                        }
                    }
                    25 => {
                        for v in std::slice::from_raw_parts(r.res as *const u32, n) {
                            on_value(i, RawValue::U64(u64::from(*v)));
                        }
                    }
                    9 => {
                        for p in std::slice::from_raw_parts(r.res as *const *const c_char, n) {
                            if !p.is_null() {
                                on_value(i, RawValue::Bytes(CStr::from_ptr(*p).to_bytes()));
                            }
                        }
                    }
                    40 | 41 => {
                        for b in std::slice::from_raw_parts(r.res as *const ByteBuffer, n) {
                            if !b.ptr.is_null() {
                                let bytes =
                                    std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len as usize);
                                on_value(i, RawValue::Bytes(bytes));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        rc
    }

    pub fn parse(&mut self, event: &[u8], evtnum: u64, source: &CStr, owner: &OwnerCtx) -> RawRc {
        let Some(f) = self.vt.parse_event else {
            return RC_FAILURE;
        };
        let input = event_input(event, evtnum, source);
        let parse = ParseInput {
            owner: owner.as_ptr(),
            get_owner_last_error: Some(owner_last_error),
            table_reader: READER,
            table_writer: WRITER,
            table_reader_ext: &READER_EXT,
            table_writer_ext: &WRITER,
        };
        // SAFETY: live state; inputs live for the call.
        unsafe { f(self.state, &input, &parse) }
    }

    // --- async and capture listening ---------------------------------------------------------

    /// Installs (`on = true`) or removes the async handler.
    pub fn set_async_handler(&mut self, owner: &OwnerCtx, on: bool) -> RawRc {
        let Some(f) = self.vt.set_async_event_handler else {
            return RC_FAILURE;
        };
        let handler: Option<AsyncHandlerFn> = if on { Some(async_handler) } else { None };
        // SAFETY: live state; the owner outlives the plugin; the handler is thread-safe.
        unsafe { f(self.state, owner.as_ptr(), handler) }
    }

    /// Calls `dump_state`, collecting the events the plugin pushes synchronously.
    pub fn dump_state(&mut self, owner: &OwnerCtx) -> Option<(RawRc, Vec<Vec<u8>>, Vec<String>)> {
        let f = self.vt.dump_state?;
        DUMP.with(|d| {
            *d.borrow_mut() = Some(DumpSink {
                names: owner.async_names.clone(),
                events: Vec::new(),
                errors: Vec::new(),
            })
        });
        // SAFETY: live state; the dump handler never dereferences `owner` (some SDKs pass a
        // foreign pointer, §10.4) and reads its context from a thread-local instead.
        let rc = unsafe { f(self.state, owner.as_ptr(), Some(dump_handler)) };
        let sink = DUMP.with(|d| d.borrow_mut().take()).unwrap_or_default();
        Some((rc, sink.events, sink.errors))
    }

    pub fn capture(&mut self, owner: &OwnerCtx, open: bool) -> Option<RawRc> {
        let f = if open {
            self.vt.capture_open?
        } else {
            self.vt.capture_close?
        };
        owner.set_plugin_state(self.state);
        let input = CaptureListenInput {
            owner: owner.as_ptr(),
            routine: &ROUTINES,
            table_reader_ext: &READER_EXT,
            table_writer_ext: &WRITER,
            get_owner_last_error: Some(owner_last_error),
        };
        // SAFETY: live state; the input lives for the call; the owner outlives the plugin.
        Some(unsafe { f(self.state, &input) })
    }
}

/// A value borrowed from plugin memory during an extraction.
#[derive(Debug, Clone, Copy)]
pub enum RawValue<'a> {
    /// uint64, reltime, abstime, or bool (as 0/1).
    U64(u64),
    /// A string (without its NUL) or an address byte buffer.
    Bytes(&'a [u8]),
}

fn event_input(event: &[u8], evtnum: u64, source: &CStr) -> EventInput {
    EventInput {
        evt: event.as_ptr().cast::<EventHeader>(),
        evtnum,
        evtsrc: source.as_ptr(),
    }
}

// ---------------------------------------------------------------------------------------------
// Owner context and the callbacks we give plugins
// ---------------------------------------------------------------------------------------------

/// Per-plugin context the plugin sees as its opaque `owner`.
#[derive(Debug)]
pub struct OwnerCtx {
    /// Plugin name, for log lines.
    pub name: String,
    /// Names accepted by the async handler.
    pub async_names: Vec<String>,
    last_error: Mutex<Option<CString>>,
    async_on: AtomicBool,
    async_queue: Mutex<VecDeque<Vec<u8>>>,
    async_rejected: AtomicUsize,
    plugin_state: AtomicUsize,
    routines: Mutex<Vec<Arc<RoutineHandle>>>,
    tables: Option<Arc<TablesHost>>,
}

/// Owner contexts currently alive; callbacks look the owner up here before using it.
static OWNERS: Mutex<Vec<(usize, Arc<OwnerCtx>)>> = Mutex::new(Vec::new());

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another callback panicked (and was caught); the data is
    // still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl OwnerCtx {
    /// Creates and registers a context.
    pub fn new(name: &str, async_names: Vec<String>, tables: Option<Arc<TablesHost>>) -> Arc<Self> {
        let ctx = Arc::new(Self {
            name: name.to_owned(),
            async_names,
            last_error: Mutex::new(None),
            async_on: AtomicBool::new(false),
            async_queue: Mutex::new(VecDeque::new()),
            async_rejected: AtomicUsize::new(0),
            plugin_state: AtomicUsize::new(0),
            routines: Mutex::new(Vec::new()),
            tables,
        });
        lock(&OWNERS).push((Arc::as_ptr(&ctx) as usize, Arc::clone(&ctx)));
        ctx
    }

    /// Unregisters the context (after `destroy`); later callbacks with it fail cleanly.
    pub fn unregister(&self) {
        let me = self as *const Self as usize;
        lock(&OWNERS).retain(|(p, _)| *p != me);
    }

    fn as_ptr(&self) -> Ptr {
        self as *const Self as Ptr
    }

    fn set_plugin_state(&self, s: Ptr) {
        self.plugin_state.store(s as usize, Ordering::SeqCst);
    }

    /// Records an error the plugin can read through `get_owner_last_error`.
    pub fn set_error(&self, msg: &str) {
        *lock(&self.last_error) = CString::new(msg.replace('\0', " ")).ok();
    }

    /// Lets the async handler accept events (or not).
    pub fn set_async_enabled(&self, on: bool) {
        self.async_on.store(on, Ordering::SeqCst);
    }

    /// Takes every queued async event.
    pub fn drain_async(&self) -> Vec<Vec<u8>> {
        lock(&self.async_queue).drain(..).collect()
    }

    /// How many async events the handler refused.
    pub fn async_rejected(&self) -> usize {
        self.async_rejected.load(Ordering::SeqCst)
    }

    /// Stops every routine and waits for the running ones (§10.5 "purge").
    pub fn purge_routines(&self) {
        let all: Vec<_> = lock(&self.routines).drain(..).collect();
        for r in &all {
            r.stop.store(true, Ordering::SeqCst);
        }
        for r in all {
            if let Some(j) = lock(&r.join).take() {
                if j.join().is_err() {
                    eprintln!("plugin {}: a routine thread panicked", self.name);
                }
            }
        }
    }
}

fn find_owner(p: Ptr) -> Option<Arc<OwnerCtx>> {
    let key = p as usize;
    lock(&OWNERS)
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, c)| Arc::clone(c))
}

/// Runs a callback body; a panic becomes `fallback` instead of unwinding into C.
fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

unsafe extern "C" fn owner_last_error(o: Ptr) -> *const c_char {
    guard(std::ptr::null(), || {
        let Some(ctx) = find_owner(o) else {
            return std::ptr::null();
        };
        // The string lives in the context until the next error replaces it (host-owned).
        let p = lock(&ctx.last_error)
            .as_ref()
            .map_or(std::ptr::null(), |s| s.as_ptr());
        p
    })
}

/// Severity names (§5.1), for log lines.
pub fn severity_name(sev: u32) -> &'static str {
    match sev {
        1 => "fatal",
        2 => "critical",
        3 => "error",
        4 => "warning",
        5 => "notice",
        6 => "info",
        7 => "debug",
        8 => "trace",
        _ => "log",
    }
}

unsafe extern "C" fn log_fn(o: Ptr, component: *const c_char, msg: *const c_char, sev: u32) {
    if sev > super::log_threshold() {
        return;
    }
    guard((), || {
        let name = find_owner(o)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "?".into());
        let component = copy_str(component).unwrap_or_else(|| name.clone());
        let msg = copy_str(msg).unwrap_or_default();
        super::log_line(&name, &component, severity_name(sev), msg.trim_end());
    })
}

/// Checks an async event (type 402, 3 params, a listed name) and copies it.
fn check_async(p: *const EventHeader, names: &[String]) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    copy_event(p, &mut buf)?;
    super::event::check_async_event(&buf, names)?;
    Ok(buf)
}

fn write_err(err: *mut c_char, msg: &str) {
    if err.is_null() {
        return;
    }
    let bytes = msg.as_bytes();
    let n = bytes.len().min(1023);
    // SAFETY: a non-NULL `err` is a plugin buffer of PLUGIN_MAX_ERRLEN (1024) bytes (§10.4);
    // we write at most 1023 bytes and a NUL.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), err.cast::<u8>(), n);
        *err.add(n) = 0;
    }
}

unsafe extern "C" fn async_handler(o: Ptr, evt: *const EventHeader, err: *mut c_char) -> RawRc {
    guard(RC_FAILURE, || {
        let Some(ctx) = find_owner(o) else {
            write_err(err, "unknown owner");
            return RC_FAILURE;
        };
        if !ctx.async_on.load(Ordering::SeqCst) {
            write_err(err, "async events are not enabled");
            return RC_FAILURE;
        }
        match check_async(evt, &ctx.async_names) {
            Ok(buf) => {
                lock(&ctx.async_queue).push_back(buf);
                RC_SUCCESS
            }
            Err(e) => {
                ctx.async_rejected.fetch_add(1, Ordering::SeqCst);
                write_err(err, &e);
                RC_FAILURE
            }
        }
    })
}

#[derive(Default)]
struct DumpSink {
    names: Vec<String>,
    events: Vec<Vec<u8>>,
    errors: Vec<String>,
}

thread_local! {
    static DUMP: std::cell::RefCell<Option<DumpSink>> = const { std::cell::RefCell::new(None) };
    static STR_SLOT: std::cell::RefCell<CString> = std::cell::RefCell::new(CString::default());
}

unsafe extern "C" fn dump_handler(_o: Ptr, evt: *const EventHeader, err: *mut c_char) -> RawRc {
    guard(RC_FAILURE, || {
        DUMP.with(|d| {
            let mut d = d.borrow_mut();
            let Some(sink) = d.as_mut() else {
                write_err(err, "no dump in progress");
                return RC_FAILURE;
            };
            match check_async(evt, &sink.names) {
                Ok(buf) => {
                    sink.events.push(buf);
                    RC_SUCCESS
                }
                Err(e) => {
                    write_err(err, &e);
                    sink.errors.push(e);
                    RC_FAILURE
                }
            }
        })
    })
}

// --- routines (capture listening) ---------------------------------------------------------

#[derive(Debug)]
struct RoutineHandle {
    stop: AtomicBool,
    join: Mutex<Option<JoinHandle<()>>>,
}

static ROUTINES: RoutineVtable = RoutineVtable {
    subscribe: Some(routine_subscribe),
    unsubscribe: Some(routine_unsubscribe),
};

unsafe extern "C" fn routine_subscribe(o: Ptr, f: Option<RoutineFn>, s: Ptr) -> Ptr {
    guard(std::ptr::null_mut(), || {
        let (Some(ctx), Some(f)) = (find_owner(o), f) else {
            return std::ptr::null_mut();
        };
        let handle = Arc::new(RoutineHandle {
            stop: AtomicBool::new(false),
            join: Mutex::new(None),
        });
        let h2 = Arc::clone(&handle);
        let state = ctx.plugin_state.load(Ordering::SeqCst);
        let arg = s as usize;
        let name = ctx.name.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("plugin-routine-{name}"))
            .spawn(move || {
                while !h2.stop.load(Ordering::SeqCst) {
                    // SAFETY: the plugin asked us to run `f(state, arg)` repeatedly until it
                    // returns false or is unsubscribed; the state stays alive until
                    // `capture_close` returns and we purge (join) routines before `destroy`.
                    let again =
                        catch_unwind(|| unsafe { f(state as Ptr, arg as Ptr) }).unwrap_or(0);
                    if again == 0 {
                        break;
                    }
                    std::thread::yield_now();
                }
            });
        match spawned {
            Ok(j) => {
                *lock(&handle.join) = Some(j);
                let p = Arc::as_ptr(&handle) as Ptr;
                lock(&ctx.routines).push(handle);
                p
            }
            Err(_) => std::ptr::null_mut(),
        }
    })
}

unsafe extern "C" fn routine_unsubscribe(o: Ptr, r: Ptr) -> RawRc {
    guard(RC_FAILURE, || {
        let Some(ctx) = find_owner(o) else {
            return RC_FAILURE;
        };
        let routines = lock(&ctx.routines);
        match routines.iter().find(|h| Arc::as_ptr(h) as Ptr == r) {
            // Only flag it: the routine itself may be the caller, so joining here could hang.
            Some(h) => {
                h.stop.store(true, Ordering::SeqCst);
                RC_SUCCESS
            }
            None => RC_FAILURE,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Tables: the host's `threads` table behind the C vtables (§10.3)
// ---------------------------------------------------------------------------------------------

/// A field accessor handed to plugins (boxed, so its address is stable).
#[derive(Debug)]
struct FieldAccessor {
    name: String,
    ty: StateType,
}

/// The host side of the tables API: the `threads` table plus its C vtables.
pub struct TablesHost {
    threads: Arc<Mutex<dyn ThreadTable>>,
    // Boxed: plugins hold accessor addresses, which must survive the Vec growing.
    #[allow(clippy::vec_box)]
    accessors: Mutex<Vec<Box<FieldAccessor>>>,
    field_infos: Mutex<(Vec<CString>, Vec<TableFieldInfo>)>,
    table_info: [TableInfo; 1],
    init_input: InitTablesInput,
    // The `threads` handle `get_table` returns. It must point to an `ss_plugin_table_input`
    // (as in libsinsp): the Rust SDK reads `key_type` through the handle before each lookup.
    // Boxed so its address, which is the handle, never moves.
    handle: Box<TableInput>,
}

impl TablesHost {
    /// Whether any plugin holds a field accessor of the table.
    pub(crate) fn in_use(&self) -> bool {
        self.accessors.lock().map(|a| !a.is_empty()).unwrap_or(true)
    }
}

impl std::fmt::Debug for TablesHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TablesHost").finish_non_exhaustive()
    }
}

// SAFETY: the raw pointers inside are to static strings and static vtables; the mutable
// state is behind mutexes.
unsafe impl Send for TablesHost {}
// SAFETY: as above.
unsafe impl Sync for TablesHost {}

/// Live table hosts; table callbacks check the handle here before using it.
static TABLES: Mutex<Vec<(usize, Arc<TablesHost>)>> = Mutex::new(Vec::new());

const THREADS: &CStr = c"threads";
const KEY_INT64: u32 = 4;

static FIELDS: FieldsVtable = FieldsVtable {
    list_table_fields: Some(t_list_fields),
    get_table_field: Some(t_get_field),
    add_table_field: Some(t_add_field),
};
static READER: ReaderVtable = ReaderVtable {
    get_table_name: Some(t_name),
    get_table_size: Some(t_size),
    get_table_entry: Some(t_get_entry),
    read_entry_field: Some(t_read),
};
static READER_EXT: ReaderVtableExt = ReaderVtableExt {
    get_table_name: Some(t_name),
    get_table_size: Some(t_size),
    get_table_entry: Some(t_get_entry),
    read_entry_field: Some(t_read),
    release_table_entry: Some(t_release),
    iterate_entries: Some(t_iterate),
};
static WRITER: WriterVtable = WriterVtable {
    clear_table: Some(t_clear),
    erase_table_entry: Some(t_erase),
    create_table_entry: Some(t_create),
    destroy_table_entry: Some(t_destroy),
    add_table_entry: Some(t_add_entry),
    write_entry_field: Some(t_write),
};

impl TablesHost {
    /// Wraps a thread table; the result is registered so table callbacks can find it.
    pub fn new(threads: Arc<Mutex<dyn ThreadTable>>) -> Arc<Self> {
        let mut handle = Box::new(TableInput {
            name: THREADS.as_ptr(),
            key_type: KEY_INT64,
            table: std::ptr::null_mut(),
            reader: READER,
            writer: WRITER,
            fields: FIELDS,
            reader_ext: &READER_EXT,
            writer_ext: &WRITER,
            fields_ext: &FIELDS,
        });
        // A plugin that forwards through `table` gets the same handle back.
        handle.table = std::ptr::from_mut::<TableInput>(&mut handle).cast();
        let host = Arc::new(Self {
            handle,
            threads,
            accessors: Mutex::new(Vec::new()),
            field_infos: Mutex::new((Vec::new(), Vec::new())),
            table_info: [TableInfo {
                name: THREADS.as_ptr(),
                key_type: KEY_INT64,
            }],
            init_input: InitTablesInput {
                list_tables: Some(t_list_tables),
                get_table: Some(t_get_table),
                add_table: Some(t_add_table),
                fields: FIELDS,
                fields_ext: &FIELDS,
                reader_ext: &READER_EXT,
                writer_ext: &WRITER,
            },
        });
        lock(&TABLES).push((host.as_ptr() as usize, Arc::clone(&host)));
        host
    }

    /// The table handle plugins get (and pass back to every table callback).
    fn as_ptr(&self) -> Ptr {
        std::ptr::from_ref::<TableInput>(&self.handle)
            .cast_mut()
            .cast()
    }
}

fn find_table(t: Ptr) -> Option<Arc<TablesHost>> {
    let key = t as usize;
    lock(&TABLES)
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, h)| Arc::clone(h))
}

/// Entry handles are boxed tids, freed by `release_table_entry`.
fn entry_tid(e: Ptr) -> Option<i64> {
    if e.is_null() {
        return None;
    }
    // SAFETY: non-NULL entry handles are only ever made by `t_get_entry` (a boxed i64) and
    // are valid until the plugin releases them.
    Some(unsafe { *(e as *const i64) })
}

fn accessor(f: Ptr) -> Option<&'static FieldAccessor> {
    if f.is_null() {
        return None;
    }
    // SAFETY: accessors are boxed and kept by their `TablesHost`, which lives as long as
    // any plugin that holds it (it is never unregistered while plugins run).
    Some(unsafe { &*(f as *const FieldAccessor) })
}

unsafe extern "C" fn t_list_tables(o: Ptr, n: *mut u32) -> *const TableInfo {
    guard(std::ptr::null(), || {
        let Some(ctx) = find_owner(o) else {
            return std::ptr::null();
        };
        let Some(t) = ctx.tables.as_ref() else {
            return std::ptr::null();
        };
        if !n.is_null() {
            // SAFETY: `n` is the plugin's out-pointer.
            unsafe { *n = 1 };
        }
        t.table_info.as_ptr()
    })
}

unsafe extern "C" fn t_get_table(o: Ptr, name: *const c_char, key_type: u32) -> Ptr {
    guard(std::ptr::null_mut(), || {
        let Some(ctx) = find_owner(o) else {
            return std::ptr::null_mut();
        };
        let name = copy_str(name).unwrap_or_default();
        match ctx.tables.as_ref() {
            Some(t) if name == "threads" && key_type == KEY_INT64 => t.as_ptr(),
            Some(_) if name == "threads" => {
                ctx.set_error("table 'threads' has key type int64");
                std::ptr::null_mut()
            }
            _ => {
                ctx.set_error(&format!("no table named '{name}'"));
                std::ptr::null_mut()
            }
        }
    })
}

unsafe extern "C" fn t_add_table(o: Ptr, _input: *const TableInput) -> RawRc {
    guard(RC_FAILURE, || {
        if let Some(ctx) = find_owner(o) {
            ctx.set_error("this host does not accept plugin-owned tables");
        }
        RC_FAILURE
    })
}

unsafe extern "C" fn t_list_fields(t: Ptr, n: *mut u32) -> *const TableFieldInfo {
    guard(std::ptr::null(), || {
        let Some(host) = find_table(t) else {
            return std::ptr::null();
        };
        let fields = lock(&host.threads).fields();
        let mut infos = lock(&host.field_infos);
        let names: Vec<CString> = fields
            .iter()
            .map(|f| CString::new(f.name.clone()).unwrap_or_default())
            .collect();
        let list: Vec<TableFieldInfo> = names
            .iter()
            .zip(&fields)
            .map(|(n, f)| TableFieldInfo {
                name: n.as_ptr(),
                field_type: f.ty as u32,
                read_only: u32::from(f.read_only),
            })
            .collect();
        if !n.is_null() {
            // SAFETY: `n` is the plugin's out-pointer.
            unsafe { *n = u32::try_from(list.len()).unwrap_or(0) };
        }
        // The array stays valid until the next call (host-owned).
        *infos = (names, list);
        infos.1.as_ptr()
    })
}

fn get_or_make_accessor(host: &TablesHost, name: &str, ty: StateType) -> Ptr {
    let mut acc = lock(&host.accessors);
    if let Some(a) = acc.iter().find(|a| a.name == name && a.ty == ty) {
        return &**a as *const FieldAccessor as Ptr;
    }
    let a = Box::new(FieldAccessor {
        name: name.to_owned(),
        ty,
    });
    let p = &*a as *const FieldAccessor as Ptr;
    acc.push(a);
    p
}

unsafe extern "C" fn t_get_field(t: Ptr, name: *const c_char, ty: u32) -> Ptr {
    guard(std::ptr::null_mut(), || {
        let (Some(host), Some(name), Some(ty)) =
            (find_table(t), copy_str(name), StateType::from_code(ty))
        else {
            return std::ptr::null_mut();
        };
        let known = lock(&host.threads)
            .fields()
            .iter()
            .any(|f| f.name == name && f.ty == ty);
        if known {
            get_or_make_accessor(&host, &name, ty)
        } else {
            std::ptr::null_mut()
        }
    })
}

unsafe extern "C" fn t_add_field(t: Ptr, name: *const c_char, ty: u32) -> Ptr {
    guard(std::ptr::null_mut(), || {
        let (Some(host), Some(name), Some(ty)) =
            (find_table(t), copy_str(name), StateType::from_code(ty))
        else {
            return std::ptr::null_mut();
        };
        if lock(&host.threads).add_field(&name, ty).is_err() {
            return std::ptr::null_mut();
        }
        get_or_make_accessor(&host, &name, ty)
    })
}

unsafe extern "C" fn t_name(t: Ptr) -> *const c_char {
    guard(std::ptr::null(), || {
        if find_table(t).is_some() {
            THREADS.as_ptr()
        } else {
            std::ptr::null()
        }
    })
}

unsafe extern "C" fn t_size(t: Ptr) -> u64 {
    guard(u64::MAX, || {
        find_table(t).map_or(u64::MAX, |h| lock(&h.threads).len())
    })
}

fn read_key(key: *const StateData) -> Option<i64> {
    if key.is_null() {
        return None;
    }
    // SAFETY: the key points at a state-data union holding the table's key type (int64).
    Some(unsafe { (*key).s64 })
}

unsafe extern "C" fn t_get_entry(t: Ptr, key: *const StateData) -> Ptr {
    guard(std::ptr::null_mut(), || {
        let (Some(host), Some(tid)) = (find_table(t), read_key(key)) else {
            return std::ptr::null_mut();
        };
        if lock(&host.threads).contains(tid) {
            Box::into_raw(Box::new(tid)) as Ptr
        } else {
            std::ptr::null_mut()
        }
    })
}

unsafe extern "C" fn t_release(_t: Ptr, e: Ptr) {
    guard((), || {
        if !e.is_null() {
            // SAFETY: `e` came from `t_get_entry` (Box<i64>) and is released once.
            drop(unsafe { Box::from_raw(e as *mut i64) });
        }
    })
}

unsafe extern "C" fn t_read(t: Ptr, e: Ptr, f: Ptr, out: *mut StateData) -> RawRc {
    guard(RC_FAILURE, || {
        let (Some(host), Some(tid), Some(acc)) = (find_table(t), entry_tid(e), accessor(f)) else {
            return RC_FAILURE;
        };
        if out.is_null() {
            return RC_FAILURE;
        }
        let Some(v) = lock(&host.threads).read(tid, &acc.name) else {
            return RC_FAILURE;
        };
        let data = match v {
            StateValue::I8(x) => StateData { s8: x },
            StateValue::I16(x) => StateData { s16: x },
            StateValue::I32(x) => StateData { s32: x },
            StateValue::I64(x) => StateData { s64: x },
            StateValue::U8(x) => StateData { u8_: x },
            StateValue::U16(x) => StateData { u16_: x },
            StateValue::U32(x) => StateData { u32_: x },
            StateValue::U64(x) => StateData { u64_: x },
            StateValue::Bool(b) => StateData { b: u32::from(b) },
            StateValue::Str(s) => {
                // Host-owned: valid until the next string read on this thread.
                let c = CString::new(s.replace('\0', " ")).unwrap_or_default();
                STR_SLOT.with(|slot| {
                    *slot.borrow_mut() = c;
                    StateData {
                        str_: slot.borrow().as_ptr(),
                    }
                })
            }
        };
        // SAFETY: `out` is the plugin's out-pointer.
        unsafe { *out = data };
        RC_SUCCESS
    })
}

unsafe extern "C" fn t_iterate(t: Ptr, it: Option<IterFn>, s: Ptr) -> Bool32 {
    guard(0, || {
        let (Some(host), Some(it)) = (find_table(t), it) else {
            return 0;
        };
        // Copy the keys first: the callback may call back into the table.
        let tids = lock(&host.threads).tids();
        for tid in tids {
            let mut boxed = tid;
            // SAFETY: the entry handle (a pointer to the tid) is valid for this call only,
            // as the API says for iteration.
            let go = unsafe { it(s, &mut boxed as *mut i64 as Ptr) };
            if go == 0 {
                return 0;
            }
        }
        1
    })
}

unsafe extern "C" fn t_clear(_t: Ptr) -> RawRc {
    RC_FAILURE
}

unsafe extern "C" fn t_erase(_t: Ptr, _k: *const StateData) -> RawRc {
    RC_FAILURE
}

unsafe extern "C" fn t_create(_t: Ptr) -> Ptr {
    std::ptr::null_mut()
}

unsafe extern "C" fn t_destroy(_t: Ptr, _e: Ptr) {}

unsafe extern "C" fn t_add_entry(_t: Ptr, _k: *const StateData, _e: Ptr) -> Ptr {
    std::ptr::null_mut()
}

unsafe extern "C" fn t_write(t: Ptr, e: Ptr, f: Ptr, v: *const StateData) -> RawRc {
    guard(RC_FAILURE, || {
        let (Some(host), Some(tid), Some(acc)) = (find_table(t), entry_tid(e), accessor(f)) else {
            return RC_FAILURE;
        };
        if v.is_null() {
            return RC_FAILURE;
        }
        // SAFETY: `v` points at a state-data union holding a value of the accessor's type.
        let d = unsafe { *v };
        // SAFETY: each arm reads the union member the accessor's type names.
        let value = unsafe {
            match acc.ty {
                StateType::I8 => StateValue::I8(d.s8),
                StateType::I16 => StateValue::I16(d.s16),
                StateType::I32 => StateValue::I32(d.s32),
                StateType::I64 => StateValue::I64(d.s64),
                StateType::U8 => StateValue::U8(d.u8_),
                StateType::U16 => StateValue::U16(d.u16_),
                StateType::U32 => StateValue::U32(d.u32_),
                StateType::U64 => StateValue::U64(d.u64_),
                StateType::Bool => StateValue::Bool(d.b != 0),
                StateType::String => StateValue::Str(copy_str(d.str_).unwrap_or_default()),
            }
        };
        let written = lock(&host.threads).write(tid, &acc.name, value);
        if written.is_ok() {
            RC_SUCCESS
        } else {
            RC_FAILURE
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Test helpers: drive our own callbacks as a plugin would
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// What a plugin would see through the init tables input, wrapped in safe calls.
    pub struct PluginView {
        pub owner: Arc<OwnerCtx>,
        pub host: Arc<TablesHost>,
    }

    impl PluginView {
        pub fn table(&self, name: &CStr, key: u32) -> Ptr {
            // SAFETY: calling our own callback with a registered owner.
            unsafe {
                (self.host.init_input.get_table.unwrap())(self.owner.as_ptr(), name.as_ptr(), key)
            }
        }
        pub fn owner_error(&self) -> Option<String> {
            // SAFETY: as above.
            copy_str(unsafe { owner_last_error(self.owner.as_ptr()) })
        }
        pub fn list_tables(&self) -> Vec<String> {
            let mut n = 0;
            // SAFETY: as above; the array has `n` entries.
            unsafe {
                let p = (self.host.init_input.list_tables.unwrap())(self.owner.as_ptr(), &mut n);
                std::slice::from_raw_parts(p, n as usize)
                    .iter()
                    .map(|i| copy_str(i.name).unwrap())
                    .collect()
            }
        }
        pub fn list_fields(&self, t: Ptr) -> Vec<(String, u32, bool)> {
            let mut n = 0;
            // SAFETY: the deprecated by-value fields vtable, as the libs test plugins use it.
            unsafe {
                let p = (self.host.init_input.fields.list_table_fields.unwrap())(t, &mut n);
                std::slice::from_raw_parts(p, n as usize)
                    .iter()
                    .map(|i| (copy_str(i.name).unwrap(), i.field_type, i.read_only != 0))
                    .collect()
            }
        }
        pub fn get_field(&self, t: Ptr, name: &CStr, ty: u32) -> Ptr {
            // SAFETY: via the `_ext` pointer.
            unsafe {
                ((*self.host.init_input.fields_ext).get_table_field.unwrap())(t, name.as_ptr(), ty)
            }
        }
        pub fn add_field(&self, t: Ptr, name: &CStr, ty: u32) -> Ptr {
            // SAFETY: as above.
            unsafe {
                ((*self.host.init_input.fields_ext).add_table_field.unwrap())(t, name.as_ptr(), ty)
            }
        }
        pub fn size(&self, t: Ptr) -> u64 {
            // SAFETY: our reader.
            unsafe { (READER_EXT.get_table_size.unwrap())(t) }
        }
        pub fn entry(&self, t: Ptr, tid: i64) -> Ptr {
            let key = StateData { s64: tid };
            // SAFETY: our reader.
            unsafe { (READER_EXT.get_table_entry.unwrap())(t, &key) }
        }
        pub fn release(&self, t: Ptr, e: Ptr) {
            // SAFETY: `e` came from `entry`.
            unsafe { (READER_EXT.release_table_entry.unwrap())(t, e) }
        }
        pub fn read_u64(&self, t: Ptr, e: Ptr, f: Ptr) -> Option<u64> {
            let mut out = StateData { u64_: 0 };
            // SAFETY: our reader.
            let rc = unsafe { (READER_EXT.read_entry_field.unwrap())(t, e, f, &mut out) };
            // SAFETY: the field is a u64 one.
            let v = unsafe { out.u64_ };
            (rc == RC_SUCCESS).then_some(v)
        }
        pub fn read_str(&self, t: Ptr, e: Ptr, f: Ptr) -> Option<String> {
            let mut out = StateData { u64_: 0 };
            // SAFETY: our reader.
            let rc = unsafe { (READER.read_entry_field.unwrap())(t, e, f, &mut out) };
            // SAFETY: the field is a string one.
            (rc == RC_SUCCESS).then(|| copy_str(unsafe { out.str_ }).unwrap_or_default())
        }
        pub fn write_u64(&self, t: Ptr, e: Ptr, f: Ptr, v: u64) -> bool {
            let d = StateData { u64_: v };
            // SAFETY: our writer.
            unsafe { (WRITER.write_entry_field.unwrap())(t, e, f, &d) == RC_SUCCESS }
        }
        pub fn count_entries(&self, t: Ptr) -> usize {
            unsafe extern "C-unwind" fn count(s: Ptr, _e: Ptr) -> Bool32 {
                // SAFETY: `s` is the &mut usize passed below.
                unsafe { *(s as *mut usize) += 1 };
                1
            }
            let mut n = 0usize;
            // SAFETY: our reader; the state is a live &mut usize.
            unsafe {
                (READER_EXT.iterate_entries.unwrap())(t, Some(count), &mut n as *mut usize as Ptr)
            };
            n
        }
    }

    /// Feeds an event to the async handler as a plugin thread would.
    pub fn emit_async(owner: &OwnerCtx, event: &[u8]) -> (RawRc, String) {
        let mut err = [0u8; 1024];
        // SAFETY: `event` is a complete event; `err` is a 1024-byte buffer.
        let rc = unsafe {
            async_handler(
                owner.as_ptr(),
                event.as_ptr().cast(),
                err.as_mut_ptr().cast(),
            )
        };
        let msg = CStr::from_bytes_until_nul(&err)
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default();
        (rc, msg)
    }

    /// Calls the async handler with an owner pointer we never gave out.
    pub fn emit_async_foreign(event: &[u8]) -> RawRc {
        let bogus = 0x1000usize as Ptr;
        // SAFETY: the handler must not dereference unknown owners.
        unsafe { async_handler(bogus, event.as_ptr().cast(), std::ptr::null_mut()) }
    }

    /// Calls the log callback.
    pub fn log(owner: &OwnerCtx, msg: &CStr) {
        // SAFETY: registered owner; NULL component means "plugin name".
        unsafe { log_fn(owner.as_ptr(), std::ptr::null(), msg.as_ptr(), 4) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_the_sdk_bindings() {
        use falco_plugin_api as api;
        assert_eq!(size_of::<api::ss_plugin_event>(), size_of::<EventHeader>());
        assert_eq!(
            size_of::<api::ss_plugin_event_input>(),
            size_of::<EventInput>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_extract_field>(),
            size_of::<ExtractField>()
        );
        assert_eq!(
            offset_of!(api::ss_plugin_extract_field, arg_present),
            offset_of!(ExtractField, arg_present)
        );
        assert_eq!(
            offset_of!(api::ss_plugin_extract_field, flist),
            offset_of!(ExtractField, flist)
        );
        assert_eq!(
            size_of::<api::ss_plugin_field_extract_input>(),
            size_of::<FieldExtractInput>()
        );
        assert_eq!(
            offset_of!(api::ss_plugin_field_extract_input, value_offsets),
            offset_of!(FieldExtractInput, value_offsets)
        );
        assert_eq!(
            size_of::<api::ss_plugin_init_input>(),
            size_of::<InitInput>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_event_parse_input>(),
            size_of::<ParseInput>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_capture_listen_input>(),
            size_of::<CaptureListenInput>()
        );
        assert_eq!(
            offset_of!(api::ss_plugin_capture_listen_input, get_owner_last_error),
            offset_of!(CaptureListenInput, get_owner_last_error)
        );
        assert_eq!(size_of::<api::ss_plugin_metric>(), size_of::<RawMetric>());
        assert_eq!(
            size_of::<api::ss_plugin_table_input>(),
            size_of::<TableInput>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_init_tables_input>(),
            size_of::<InitTablesInput>()
        );
        assert_eq!(
            offset_of!(api::ss_plugin_init_tables_input, writer_ext),
            offset_of!(InitTablesInput, writer_ext)
        );
        assert_eq!(
            size_of::<api::ss_plugin_table_reader_vtable_ext>(),
            size_of::<ReaderVtableExt>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_table_writer_vtable_ext>(),
            size_of::<WriterVtable>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_routine_vtable>(),
            size_of::<RoutineVtable>()
        );
        assert_eq!(
            size_of::<api::ss_plugin_byte_buffer>(),
            size_of::<ByteBuffer>()
        );
    }
}
