//! `scapkit_test`: a Falco plugin that uses every capability of the plugin API, for the
//! integration tests of our plugin host. Everything below is a contract: host tests rely on it.
//!
//! # Identity
//!
//! | item | value |
//! |---|---|
//! | name / version | `scapkit_test` / `0.1.0`; required API version `3.11.0` (SDK 0.5.1) |
//! | capabilities | sourcing, extraction, parsing, async events, capture listening (+ metrics, `set_config`, tables) |
//! | plugin ID / event source | **999** / **`scapkit_test`** |
//! | extract and parse sources / types | `get_*_event_sources` = `[]` (the host adds the own source, so: `scapkit_test` only); types = `[322]` |
//! | async events / async sources | `["scapkit_test_async"]` / `[]` (any source) |
//! | init schema | JSON (type 1), a JSON Schema object with one property `tid` (integer, default 1). An empty config fails init: pass `{}` |
//!
//! # Config
//!
//! `{"tid": <i64>}` (default `{"tid": 1}`): the thread whose `threads` table entry the plugin
//! reads and writes. `set_config` accepts the same JSON and replaces it; invalid JSON → rc
//! FAILURE.
//!
//! # Source
//!
//! * `list_open_params` → a JSON array of three objects with `value` and `desc`:
//!   `"5"` (the default), `"1"`, `"1000"`.
//! * `open(params)`: an empty string opens 5 events; otherwise a decimal count 0–1000000
//!   (surrounding blanks allowed). Anything else fails with the last error
//!   `invalid open params "<params>": expected an event count from 0 to 1000000`.
//! * `next_batch`: one event per call. With N events the calls return, in order,
//!   `floor(N/2)` × SUCCESS (1 event), then **one** TIMEOUT (0 events) if N ≥ 2, then the
//!   remaining events one per call, then EOF (0 events) on this and every later call.
//!   E.g. N = 5: E1, E2, TIMEOUT, E3, E4, E5, EOF. N = 1: E1, EOF. N = 0: EOF.
//! * Event `n` (1-based) is a type 322 event with plugin_id 999, timestamp
//!   `1_700_000_000_000_000_000 + n × 1_000_000` ns (n ms after 2023-11-14T22:13:20Z), tid as
//!   set by the SDK (the host forces −1), and payload (no trailing NUL, no whitespace)
//!   `{"n":<n>,"msg":"hello <n>","even":<true if n is even, else false>}`,
//!   so the payload starts at byte 38 of the event.
//! * `event_to_string` → `scapkit_test event n=<n> msg=hello <n>`; on a payload the plugin
//!   did not write: rc FAILURE / NULL.
//! * `get_progress`: pct = 10000 × emitted / N (10000 when N = 0), string `"<emitted>/<N> events"`.
//!
//! # Fields
//!
//! For the event with number `n` as above (fields on any other payload fail: rc FAILURE):
//!
//! | id | field | type | arg | value |
//! |---|---|---|---|---|
//! | 0 | `test.n` | uint64 | – | `n` |
//! | 1 | `test.msg` | string, **addOutput** | – | `hello <n>`; byte range: offset `51 + digits(n)` from the event start, length `6 + digits(n)` |
//! | 2 | `test.even` | bool | – | `n` is even |
//! | 3 | `test.reltime` | reltime | – | `n × 1000` ns |
//! | 4 | `test.abstime` | abstime | – | the event's `ts` |
//! | 5 | `test.ipv4` | ipaddr | – | `192.168.0.<n mod 256>` (4 bytes) |
//! | 6 | `test.ipv6` | ipaddr | – | `2001:db8::<n mod 65536>` (16 bytes) |
//! | 7 | `test.net` | ipnet | – | `10.<n mod 256>.0.0` (4 bytes; read as `/16` by convention) |
//! | 8 | `test.list` | string, list | – | `item1` … `item<min(n,8)>` |
//! | 9 | `test.list_u64` | uint64, list | – | `[n, 2n, 3n]` |
//! | 10 | `test.list_empty` | uint64, list | – | always 0 values (rc SUCCESS, `res_len` 0) |
//! | 11 | `test.mul` | uint64 | index, optional | no arg: `n`; `[i]`: `n × i` (saturating) |
//! | 12 | `test.echo` | string | key, optional | no arg: `n=<n>`; `[k]`: `<k>=<n>` |
//! | 13 | `test.item` | string | index, **required** | element `i` (0-based) of `test.list`; no value when out of range |
//! | 14 | `test.json` | string | key, **required** | payload member as text: `[n]` → `<n>`, `[msg]` → `hello <n>`, `[even]` → `true`/`false`; other keys: no value |
//! | 15 | `test.parsed` | uint64 | – | events parsed so far by this plugin state (see Parsing) |
//! | 16 | `test.captures` | uint64 | – | `capture_open` calls so far |
//! | 17 | `test.thread.comm` | string | index, optional | `comm` of `threads[i]` (default: config `tid`); no value without the table or the entry |
//! | 18 | `test.thread.seen` | uint64 | – | the plugin's own `scapkit_test.seen` field of `threads[tid]`; no value if unavailable |
//! | 19 | `test.absent` | string | – | never a value (rc SUCCESS, `res_len` 0) |
//! | 20 | `test.fail` | string | – | always rc FAILURE, last error `test.fail always fails` |
//!
//! Every field but `test.msg` reports no byte range (`value_offsets` entries `{0, 0}` for
//! computed values, or the SDK's invalid-range marker when no field of the request has one).
//!
//! # Parsing
//!
//! Each parsed event (own source, type 322) adds 1 to the parse counter (`test.parsed`, metric
//! `scapkit_test.events_parsed`). If the `threads` table was found at init, the plugin then
//! sets its field `scapkit_test.seen` (uint64) of the entry `threads[tid]` to the counter;
//! a missing entry or a failing table call is logged at debug level and is not an error.
//!
//! # Tables
//!
//! At init, if the host passes tables: `get_table("threads", key int64)`, `get_table_field
//! ("comm", string)` and `add_table_field("scapkit_test.seen", uint64)`. Any failure is logged
//! as a warning (`threads table unavailable: …`) and the plugin runs without it (init still
//! succeeds, the `test.thread.*` fields have no value).
//!
//! # Async events
//!
//! `set_async_event_handler(handler)` starts a thread that emits **one** async event (type
//! 402, plugin_id 0, name `scapkit_test_async`, data `{"async":<k>}` where k counts the
//! handler installations, from 1) and ends. Setting NULL (or a new handler) joins it first.
//! `dump_state` synchronously emits one event named `scapkit_test_async` with data
//! `{"dump":<parse counter>}`.
//!
//! # Capture listening
//!
//! `capture_open` counts opens (`test.captures`), increments the gauge and subscribes one
//! routine that runs once (it returns "stop" on its first call). `capture_close` decrements the
//! gauge and unsubscribes the routine if it has not run yet.
//!
//! # Metrics
//!
//! `get_metrics` → exactly two: `scapkit_test.events_parsed` (monotonic, u64: the parse
//! counter) and `scapkit_test.captures_open` (non-monotonic, u64: opens − closes).
//!
//! # Linking
//!
//! As for `json`: the `.so` exports the `plugin_*` symbols; with the cargo feature `static`
//! the crate instead defines `SCAPKIT_PLUGIN_TEST`, a `#[no_mangle] pub static` of type
//! `falco_plugin::api::plugin_api`.

#![deny(missing_docs)]

pub mod logic;

use falco_event::types::{IpNet, SystemTime as AbsTime};
use falco_plugin::anyhow::{self, Context, Error};
use falco_plugin::async_event::{AsyncEventPlugin, AsyncHandler};
use falco_plugin::base::{Json, Metric, MetricLabel, MetricType, MetricValue, Plugin};
use falco_plugin::event::events::Event;
use falco_plugin::extract::{
    field, ExtractByteRange, ExtractFieldInfo, ExtractPlugin, ExtractRequest,
};
use falco_plugin::listen::{CaptureListenInput, CaptureListenPlugin, Routine};
use falco_plugin::parse::{EventInput, ParseInput, ParsePlugin};
use falco_plugin::schemars::JsonSchema;
use falco_plugin::serde::Deserialize;
use falco_plugin::source::{
    serialize_open_params, EventBatch, OpenParam, PluginEvent, ProgressInfo, SourcePlugin,
    SourcePluginInstance,
};
use falco_plugin::tables::import::{Field, RuntimeEntry, Table};
use falco_plugin::tables::{TableReader, TableWriter, TablesInput};
use falco_plugin::FailureReason;
use logic::{Schedule, Step};
use std::ffi::{CStr, CString};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Init config.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(crate = "falco_plugin::serde", default)]
#[schemars(crate = "falco_plugin::schemars")]
pub struct Config {
    /// The thread id whose `threads` entry the plugin reads and writes.
    pub tid: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self { tid: 1 }
    }
}

/// Tag type for entries of the host's `threads` table.
#[derive(Debug)]
pub struct ThreadTag;
type ThreadEntry = RuntimeEntry<ThreadTag>;

/// The host's `threads` table and the fields the plugin uses.
struct Threads {
    table: Table<i64, ThreadEntry>,
    comm: Field<CStr, ThreadEntry>,
    seen: Field<u64, ThreadEntry>,
}

impl Threads {
    fn import(input: &TablesInput) -> Result<Self, Error> {
        let table: Table<i64, ThreadEntry> = input.get_table(c"threads")?;
        let comm = table.get_field(input, c"comm").context("field comm")?;
        let seen = table
            .add_field(input, c"scapkit_test.seen")
            .context("adding field scapkit_test.seen")?;
        Ok(Self { table, comm, seen })
    }
}

/// The plugin state.
pub struct TestPlugin {
    config: Config,
    threads: Option<Threads>,
    parsed: u64,
    captures_opened: u64,
    captures_open: u64,
    open_params: CString,
    async_starts: u64,
    async_thread: Option<JoinHandle<Result<(), Error>>>,
    routine: Option<(Routine, Arc<AtomicBool>)>,
}

impl std::fmt::Debug for TestPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPlugin")
            .field("config", &self.config)
            .field("threads", &self.threads.is_some())
            .field("parsed", &self.parsed)
            .finish_non_exhaustive()
    }
}

/// The async event name.
pub const ASYNC_NAME: &CStr = c"scapkit_test_async";

impl Plugin for TestPlugin {
    const NAME: &'static CStr = c"scapkit_test";
    const PLUGIN_VERSION: &'static CStr = c"0.1.0";
    const DESCRIPTION: &'static CStr = c"scapkit host test plugin: every capability and field type";
    const CONTACT: &'static CStr = c"https://example.invalid/scapkit";
    type ConfigType = Json<Config>;

    fn new(input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        let threads = match input.map(Threads::import) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                log::warn!("threads table unavailable: {e:#}");
                None
            }
            None => {
                log::warn!("threads table unavailable: the host passed no tables");
                None
            }
        };
        Ok(Self {
            config,
            threads,
            parsed: 0,
            captures_opened: 0,
            captures_open: 0,
            open_params: CString::default(),
            async_starts: 0,
            async_thread: None,
            routine: None,
        })
    }

    fn set_config(&mut self, Json(config): Self::ConfigType) -> Result<(), Error> {
        self.config = config;
        Ok(())
    }

    fn get_metrics(&mut self) -> impl IntoIterator<Item = Metric> {
        [
            MetricLabel::new(c"scapkit_test.events_parsed", MetricType::Monotonic)
                .with_value(MetricValue::U64(self.parsed)),
            MetricLabel::new(c"scapkit_test.captures_open", MetricType::NonMonotonic)
                .with_value(MetricValue::U64(self.captures_open)),
        ]
    }
}

/// An open capture.
#[derive(Debug)]
pub struct TestInstance {
    schedule: Schedule,
    detail: CString,
}

impl SourcePluginInstance for TestInstance {
    type Plugin = TestPlugin;

    fn next_batch(
        &mut self,
        _plugin: &mut TestPlugin,
        batch: &mut EventBatch,
    ) -> Result<(), Error> {
        match self.schedule.next_step() {
            Step::Event(n) => {
                let data = logic::payload(n);
                let mut event = Self::plugin_event(data.as_bytes());
                event.metadata.ts = logic::timestamp(n);
                batch.add(event)?;
                Ok(())
            }
            Step::Timeout => Err(anyhow::anyhow!("no event yet").context(FailureReason::Timeout)),
            Step::Eof => Err(anyhow::anyhow!("all events emitted").context(FailureReason::Eof)),
        }
    }

    fn get_progress(&mut self) -> ProgressInfo<'_> {
        self.detail = CString::new(self.schedule.detail()).unwrap_or_default();
        ProgressInfo {
            value: self.schedule.percent(),
            detail: Some(self.detail.as_c_str()),
        }
    }
}

type OwnEvent<'a> = Event<PluginEvent<&'a [u8]>>;

/// The decoded payload of an own event.
fn decoded(event: &OwnEvent<'_>) -> Result<logic::Decoded, Error> {
    logic::decode(event.params.event_data)
        .ok_or_else(|| anyhow::anyhow!("not a scapkit_test payload"))
}

impl SourcePlugin for TestPlugin {
    type Instance = TestInstance;
    const EVENT_SOURCE: &'static CStr = c"scapkit_test";
    const PLUGIN_ID: u32 = 999;
    type Event<'a> = OwnEvent<'a>;

    fn list_open_params(&mut self) -> Result<&CStr, Error> {
        let params = [
            OpenParam::Item {
                value: "5",
                desc: "five events (the default)",
            },
            OpenParam::Item {
                value: "1",
                desc: "one event",
            },
            OpenParam::Item {
                value: "1000",
                desc: "a thousand events",
            },
        ];
        serialize_open_params(&params, &mut self.open_params)
    }

    fn open(&mut self, params: Option<&str>) -> Result<TestInstance, Error> {
        let total = logic::parse_open_params(params)?;
        Ok(TestInstance {
            schedule: Schedule::new(total),
            detail: CString::default(),
        })
    }

    fn event_to_string(&mut self, event: &EventInput<OwnEvent<'_>>) -> Result<CString, Error> {
        let d = decoded(&event.event()?)?;
        Ok(CString::new(logic::describe(d.n))?)
    }
}

fn text(s: String) -> Result<CString, Error> {
    Ok(CString::new(s)?)
}

impl TestPlugin {
    fn n(req: &ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(decoded(&req.event.event()?)?.n)
    }

    fn x_n(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Self::n(&req)
    }

    fn x_msg(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        let d = decoded(&req.event.event()?)?;
        if *req.offset == ExtractByteRange::Requested {
            *req.offset = ExtractByteRange::in_plugin_data(d.msg);
        }
        text(format!("hello {}", d.n))
    }

    fn x_even(&mut self, req: ExtractRequest<Self>) -> Result<bool, Error> {
        Ok(Self::n(&req)? % 2 == 0)
    }

    fn x_reltime(&mut self, req: ExtractRequest<Self>) -> Result<Duration, Error> {
        Ok(Duration::from_nanos(logic::reltime_ns(Self::n(&req)?)))
    }

    fn x_abstime(&mut self, req: ExtractRequest<Self>) -> Result<AbsTime, Error> {
        Self::n(&req)?;
        Ok(AbsTime(req.event.event()?.metadata.ts))
    }

    fn x_ipv4(&mut self, req: ExtractRequest<Self>) -> Result<IpAddr, Error> {
        Ok(logic::ipv4(Self::n(&req)?))
    }

    fn x_ipv6(&mut self, req: ExtractRequest<Self>) -> Result<IpAddr, Error> {
        Ok(logic::ipv6(Self::n(&req)?))
    }

    fn x_net(&mut self, req: ExtractRequest<Self>) -> Result<IpNet, Error> {
        Ok(IpNet(logic::net(Self::n(&req)?)))
    }

    fn x_list(&mut self, req: ExtractRequest<Self>) -> Result<Vec<CString>, Error> {
        logic::list(Self::n(&req)?).into_iter().map(text).collect()
    }

    fn x_list_u64(&mut self, req: ExtractRequest<Self>) -> Result<Vec<u64>, Error> {
        Ok(logic::list_u64(Self::n(&req)?))
    }

    fn x_list_empty(&mut self, req: ExtractRequest<Self>) -> Result<Vec<u64>, Error> {
        Self::n(&req)?;
        Ok(Vec::new())
    }

    fn x_mul(&mut self, req: ExtractRequest<Self>, arg: Option<u64>) -> Result<u64, Error> {
        let n = Self::n(&req)?;
        Ok(arg.map_or(n, |i| n.saturating_mul(i)))
    }

    fn x_echo(&mut self, req: ExtractRequest<Self>, arg: Option<&CStr>) -> Result<CString, Error> {
        let n = Self::n(&req)?;
        match arg {
            None => text(format!("n={n}")),
            Some(k) => text(format!("{}={n}", k.to_string_lossy())),
        }
    }

    fn x_item(&mut self, req: ExtractRequest<Self>, arg: u64) -> Result<Option<CString>, Error> {
        let n = Self::n(&req)?;
        let item = usize::try_from(arg)
            .ok()
            .and_then(|i| logic::list(n).into_iter().nth(i));
        item.map(text).transpose()
    }

    fn x_json(&mut self, req: ExtractRequest<Self>, arg: &CStr) -> Result<Option<CString>, Error> {
        let n = Self::n(&req)?;
        logic::member(n, arg.to_bytes()).map(text).transpose()
    }

    fn x_parsed(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Self::n(&req)?;
        Ok(self.parsed)
    }

    fn x_captures(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Self::n(&req)?;
        Ok(self.captures_opened)
    }

    fn x_thread_comm(
        &mut self,
        req: ExtractRequest<Self>,
        arg: Option<u64>,
    ) -> Result<Option<CString>, Error> {
        Self::n(&req)?;
        let tid = match arg {
            Some(i) => i64::try_from(i).context("tid out of range")?,
            None => self.config.tid,
        };
        let Some(t) = &self.threads else {
            return Ok(None);
        };
        let comm = t
            .table
            .get_entry(req.table_reader, &tid)
            .and_then(|e| Ok(e.read_field(req.table_reader, &t.comm)?.to_owned()));
        match comm {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                log::debug!("threads[{tid}].comm: {e:#}");
                Ok(None)
            }
        }
    }

    fn x_thread_seen(&mut self, req: ExtractRequest<Self>) -> Result<Option<u64>, Error> {
        Self::n(&req)?;
        let Some(t) = &self.threads else {
            return Ok(None);
        };
        let tid = self.config.tid;
        let seen = t
            .table
            .get_entry(req.table_reader, &tid)
            .and_then(|e| e.read_field(req.table_reader, &t.seen));
        match seen {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                log::debug!("threads[{tid}].scapkit_test.seen: {e:#}");
                Ok(None)
            }
        }
    }

    fn x_absent(&mut self, req: ExtractRequest<Self>) -> Result<Option<CString>, Error> {
        Self::n(&req)?;
        Ok(None)
    }

    fn x_fail(&mut self, _req: ExtractRequest<Self>) -> Result<CString, Error> {
        Err(anyhow::anyhow!("test.fail always fails"))
    }

    /// Writes the parse counter into `threads[tid].scapkit_test.seen`.
    fn mark_thread(
        &self,
        reader: &impl TableReader,
        writer: &impl TableWriter,
    ) -> Result<(), Error> {
        let Some(t) = &self.threads else {
            return Ok(());
        };
        let entry = t.table.get_entry(reader, &self.config.tid)?;
        entry.write_field(writer, &t.seen, &self.parsed)
    }
}

impl ExtractPlugin for TestPlugin {
    type Event<'a> = OwnEvent<'a>;
    type ExtractContext = ();

    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("test.n", &Self::x_n).with_description("event number n"),
        field("test.msg", &Self::x_msg)
            .with_description("message text (a byte range into the payload)")
            .add_output(),
        field("test.even", &Self::x_even).with_description("n is even"),
        field("test.reltime", &Self::x_reltime).with_description("n microseconds"),
        field("test.abstime", &Self::x_abstime).with_description("the event timestamp"),
        field("test.ipv4", &Self::x_ipv4).with_description("192.168.0.<n mod 256>"),
        field("test.ipv6", &Self::x_ipv6).with_description("2001:db8::<n mod 65536>"),
        field("test.net", &Self::x_net).with_description("10.<n mod 256>.0.0/16"),
        field("test.list", &Self::x_list).with_description("item1..item<min(n,8)>"),
        field("test.list_u64", &Self::x_list_u64).with_description("[n, 2n, 3n]"),
        field("test.list_empty", &Self::x_list_empty).with_description("an empty list"),
        field("test.mul", &Self::x_mul).with_description("n, or n times the index argument"),
        field("test.echo", &Self::x_echo).with_description("n=<n>, or <key>=<n>"),
        field("test.item", &Self::x_item).with_description("element i of test.list"),
        field("test.json", &Self::x_json).with_description("payload member as text"),
        field("test.parsed", &Self::x_parsed).with_description("events parsed so far"),
        field("test.captures", &Self::x_captures).with_description("captures opened so far"),
        field("test.thread.comm", &Self::x_thread_comm)
            .with_description("comm of threads[tid] (default: the config tid)"),
        field("test.thread.seen", &Self::x_thread_seen)
            .with_description("the plugin's scapkit_test.seen field of threads[tid]"),
        field("test.absent", &Self::x_absent).with_description("never has a value"),
        field("test.fail", &Self::x_fail).with_description("always fails"),
    ];
}

impl ParsePlugin for TestPlugin {
    type Event<'a> = OwnEvent<'a>;

    fn parse_event(
        &mut self,
        _event: &EventInput<OwnEvent<'_>>,
        input: &ParseInput,
    ) -> Result<(), Error> {
        self.parsed += 1;
        if let Err(e) = self.mark_thread(&input.reader, &input.writer) {
            log::debug!("threads[{}] not updated: {e:#}", self.config.tid);
        }
        Ok(())
    }
}

impl AsyncEventPlugin for TestPlugin {
    const ASYNC_EVENTS: &'static [&'static str] = &["scapkit_test_async"];
    const EVENT_SOURCES: &'static [&'static str] = &[];

    fn start_async(&mut self, handler: AsyncHandler) -> Result<(), Error> {
        self.stop_async()?;
        self.async_starts += 1;
        let data = format!(r#"{{"async":{}}}"#, self.async_starts);
        self.async_thread = Some(std::thread::spawn(move || {
            handler.emit(Self::async_event(ASYNC_NAME, data.as_bytes()))
        }));
        Ok(())
    }

    fn stop_async(&mut self) -> Result<(), Error> {
        let Some(thread) = self.async_thread.take() else {
            return Ok(());
        };
        match thread.join() {
            Ok(res) => res.context("emitting the async event"),
            Err(_) => Err(anyhow::anyhow!("the async event thread panicked")),
        }
    }

    fn dump_state(&mut self, handler: AsyncHandler) -> Result<(), Error> {
        let data = format!(r#"{{"dump":{}}}"#, self.parsed);
        handler.emit(Self::async_event(ASYNC_NAME, data.as_bytes()))
    }
}

impl CaptureListenPlugin for TestPlugin {
    fn capture_open(&mut self, input: &CaptureListenInput) -> Result<(), Error> {
        self.captures_opened += 1;
        self.captures_open += 1;
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let routine = input.thread_pool.subscribe(move || {
            flag.store(true, Ordering::SeqCst);
            ControlFlow::Break(())
        })?;
        if let Some((old, old_done)) = self.routine.replace((routine, done)) {
            if !old_done.load(Ordering::SeqCst) {
                input.thread_pool.unsubscribe(&old)?;
            }
        }
        Ok(())
    }

    fn capture_close(&mut self, input: &CaptureListenInput) -> Result<(), Error> {
        self.captures_open = self.captures_open.saturating_sub(1);
        if let Some((routine, done)) = self.routine.take() {
            if !done.load(Ordering::SeqCst) {
                input.thread_pool.unsubscribe(&routine)?;
            }
        }
        Ok(())
    }
}

impl Drop for TestPlugin {
    fn drop(&mut self) {
        if let Err(e) = self.stop_async() {
            log::warn!("{e:#}");
        }
    }
}

/// Static linking (feature `static`): one `#[no_mangle] pub static SCAPKIT_PLUGIN_TEST:
/// falco_plugin::api::plugin_api` from the SDK's `static_plugin!`.
#[cfg(feature = "static")]
#[allow(missing_docs)]
mod static_api {
    use falco_plugin::static_plugin;
    static_plugin!(pub SCAPKIT_PLUGIN_TEST = super::TestPlugin);
}
#[cfg(feature = "static")]
pub use static_api::SCAPKIT_PLUGIN_TEST;

/// Dynamic linking (the default): the `plugin_*` C symbols of the `.so`.
#[cfg(not(feature = "static"))]
mod dynamic_api {
    use falco_plugin::{
        async_event_plugin, capture_listen_plugin, extract_plugin, parse_plugin, plugin,
        source_plugin,
    };
    plugin!(super::TestPlugin);
    source_plugin!(super::TestPlugin);
    extract_plugin!(super::TestPlugin);
    parse_plugin!(super::TestPlugin);
    async_event_plugin!(super::TestPlugin);
    capture_listen_plugin!(super::TestPlugin);
}
