//! A tiny Falco plugin on the `falco_plugin` SDK that uses every capability, for the engine's
//! plugin host tests.
//!
//! The plugin type is generic over `STATIC` so that the same code is exported twice: as
//! `plugin_*` symbols for the `.so` (`Mini<false>`, name `mini`, ID 999) and as the SDK's static
//! vtable [`MINI_STATIC_API`] (`Mini<true>`, name `mini-static`, ID 998). The SDK forbids
//! exporting one type both ways, and two types keep the two `impl`s apart.
//!
//! Open params: comma-separated `key=value`: `count` (events, default from config),
//! `start` (first ts), `step` (ts step), `timeouts` (1: return TIMEOUT after every batch),
//! `fail` (1: fail to open), `maxts` (1: leave ts all-ones so the host stamps it).
//! Payload of event i: `ev<i>`.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{anyhow, Error};
use falco_event::events::{Event, EventMetadata};
use falco_plugin::async_event::{AsyncEventPlugin, AsyncHandler};
use falco_plugin::base::{Json, Metric, MetricLabel, MetricType, MetricValue, Plugin};
use falco_plugin::extract::{field, EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest};
use falco_plugin::listen::{CaptureListenInput, CaptureListenPlugin};
use falco_plugin::parse::{ParseInput, ParsePlugin};
use falco_plugin::source::{
    EventBatch, PluginEvent, ProgressInfo, SourcePlugin, SourcePluginInstance,
};
use falco_plugin::tables::TablesInput;
use falco_plugin::FailureReason;
use falco_plugin::{
    async_event_plugin, capture_listen_plugin, extract_plugin, parse_plugin, plugin, source_plugin,
    static_plugin,
};

/// Init config (a JSON object).
#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Events per open when the open params give no count.
    pub count: u64,
    /// Fail init with a message (to test init errors).
    pub fail_init: bool,
}

fn param(params: &str, key: &str) -> Option<u64> {
    params.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == key).then(|| v.trim().parse().ok()).flatten()
    })
}

macro_rules! mini_plugin {
    ($ty:ident, $inst:ident, $name:expr, $id:expr) => {
/// The plugin; see the crate docs.
pub struct $ty {
    default_count: u64,
    parsed: u64,
    routine_runs: Arc<AtomicU64>,
    routine: Option<falco_plugin::listen::Routine>,
    async_thread: Option<JoinHandle<()>>,
}

impl Plugin for $ty {
    const NAME: &'static CStr = $name;
    const PLUGIN_VERSION: &'static CStr = c"0.1.0";
    const DESCRIPTION: &'static CStr = c"mini test plugin";
    const CONTACT: &'static CStr = c"scapkit tests";
    type ConfigType = Json<Config>;

    fn new(_input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        if config.fail_init {
            return Err(anyhow!("init refused as asked by failInit"));
        }
        log::info!("mini plugin initialised");
        Ok(Self {
            default_count: if config.count == 0 { 3 } else { config.count },
            parsed: 0,
            routine_runs: Arc::new(AtomicU64::new(0)),
            routine: None,
            async_thread: None,
        })
    }

    fn set_config(&mut self, Json(config): Self::ConfigType) -> Result<(), Error> {
        if config.fail_init {
            return Err(anyhow!("set_config refused as asked by failInit"));
        }
        if config.count != 0 {
            self.default_count = config.count;
        }
        Ok(())
    }

    fn get_metrics(&mut self) -> impl IntoIterator<Item = Metric> {
        [MetricLabel::new(c"parsed", MetricType::Monotonic).with_value(MetricValue::U64(self.parsed))]
    }
}

/// One open capture.
pub struct $inst {
    next: u64,
    count: u64,
    start: u64,
    step: u64,
    timeouts: bool,
    timed_out: bool,
    maxts: bool,
}

impl SourcePlugin for $ty {
    type Instance = $inst;
    const EVENT_SOURCE: &'static CStr = c"mini";
    const PLUGIN_ID: u32 = $id;
    type Event<'a> = Event<PluginEvent<&'a [u8]>>;

    fn list_open_params(&mut self) -> Result<&CStr, Error> {
        Ok(c"[{\"value\":\"count=2\",\"desc\":\"two events\"},{\"value\":\"count=1,step=5\",\"separator\":\",\"}]")
    }

    fn open(&mut self, params: Option<&str>) -> Result<Self::Instance, Error> {
        let params = params.unwrap_or("");
        if param(params, "fail") == Some(1) {
            return Err(anyhow!("cannot open {params:?}: asked to fail"));
        }
        Ok($inst {
            next: 0,
            count: param(params, "count").unwrap_or(self.default_count),
            start: param(params, "start").unwrap_or(1000),
            step: param(params, "step").unwrap_or(10),
            timeouts: param(params, "timeouts") == Some(1),
            timed_out: false,
            maxts: param(params, "maxts") == Some(1),
        })
    }

    fn event_to_string(&mut self, event: &EventInput<Self::Event<'_>>) -> Result<CString, Error> {
        let ev = event.event()?;
        let text = String::from_utf8_lossy(ev.params.event_data);
        Ok(CString::new(format!("mini:{text}"))?)
    }
}

impl SourcePluginInstance for $inst {
    type Plugin = $ty;

    fn get_progress(&mut self) -> ProgressInfo<'_> {
        let pct = if self.count == 0 { 100.0 } else { self.next as f64 * 100.0 / self.count as f64 };
        ProgressInfo { value: pct, detail: None }
    }

    fn next_batch(&mut self, _plugin: &mut Self::Plugin, batch: &mut EventBatch) -> Result<(), Error> {
        if self.next >= self.count {
            return Err(anyhow!("done").context(FailureReason::Eof));
        }
        if self.timeouts && !self.timed_out {
            self.timed_out = true;
            return Err(anyhow!("nothing yet").context(FailureReason::Timeout));
        }
        self.timed_out = false;
        // Two events per batch.
        for _ in 0..2 {
            if self.next >= self.count {
                break;
            }
            let data = format!("ev{}", self.next);
            let ts = if self.maxts { u64::MAX } else { self.start + self.next * self.step };
            let event = Event {
                metadata: EventMetadata { ts, tid: 42 },
                params: PluginEvent { plugin_id: 0, event_data: data.as_bytes() },
            };
            batch.add(event)?;
            self.next += 1;
        }
        Ok(())
    }
}

impl $ty {
    fn payload<'a>(req: &ExtractRequest<'_, '_, 'a, '_, Self>) -> Result<&'a [u8], Error> {
        Ok(req.event.event()?.params.event_data)
    }

    fn x_payload(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        Ok(CString::new(Self::payload(&req)?)?)
    }

    fn x_len(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(Self::payload(&req)?.len() as u64)
    }

    fn x_even(&mut self, req: ExtractRequest<Self>) -> Result<bool, Error> {
        Ok(Self::payload(&req)?.last().is_some_and(|c| (c - b'0') % 2 == 0))
    }

    fn x_chars(&mut self, req: ExtractRequest<Self>) -> Result<Vec<CString>, Error> {
        Ok(Self::payload(&req)?.iter().map(|c| CString::new(vec![*c]).unwrap_or_default()).collect())
    }

    fn x_char(&mut self, req: ExtractRequest<Self>, idx: u64) -> Result<CString, Error> {
        let p = Self::payload(&req)?;
        let c = usize::try_from(idx).ok().and_then(|i| p.get(i)).ok_or_else(|| anyhow!("no char {idx}"))?;
        Ok(CString::new(vec![*c])?)
    }

    fn x_kv(&mut self, _req: ExtractRequest<Self>, key: &CStr) -> Result<CString, Error> {
        Ok(CString::new(format!("key={}", key.to_string_lossy()))?)
    }

    fn x_ip(&mut self, _req: ExtractRequest<Self>) -> Result<IpAddr, Error> {
        Ok(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)))
    }

    fn x_reltime(&mut self, _req: ExtractRequest<Self>) -> Result<Duration, Error> {
        Ok(Duration::from_nanos(1500))
    }

    fn x_parsed(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.parsed)
    }

    fn x_routine(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.routine_runs.load(Ordering::SeqCst))
    }
}

impl ExtractPlugin for $ty {
    type Event<'a> = Event<PluginEvent<&'a [u8]>>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("mini.payload", &Self::x_payload).with_description("the payload").add_output(),
        field("mini.len", &Self::x_len).with_display("Length"),
        field("mini.even", &Self::x_even),
        field("mini.chars", &Self::x_chars),
        field("mini.char", &Self::x_char),
        field("mini.kv", &Self::x_kv),
        field("mini.ip", &Self::x_ip),
        field("mini.reltime", &Self::x_reltime),
        field("mini.parsed", &Self::x_parsed),
        field("mini.routine", &Self::x_routine),
    ];
}

impl ParsePlugin for $ty {
    type Event<'a> = Event<PluginEvent<&'a [u8]>>;

    fn parse_event(&mut self, event: &EventInput<Self::Event<'_>>, _input: &ParseInput) -> Result<(), Error> {
        event.event()?;
        self.parsed += 1;
        Ok(())
    }
}

impl AsyncEventPlugin for $ty {
    const ASYNC_EVENTS: &'static [&'static str] = &["mini_async"];
    const EVENT_SOURCES: &'static [&'static str] = &[];

    fn start_async(&mut self, handler: AsyncHandler) -> Result<(), Error> {
        self.stop_async()?;
        // Emits one event the host must refuse (unlisted name), then one it must accept.
        self.async_thread = Some(std::thread::spawn(move || {
            let bad = handler.emit(Self::async_event(c"bogus", b"x"));
            let note: &[u8] = if bad.is_err() { b"refused" } else { b"accepted" };
            let _ = handler.emit(Self::async_event(c"mini_async", note));
        }));
        Ok(())
    }

    fn stop_async(&mut self) -> Result<(), Error> {
        if let Some(t) = self.async_thread.take() {
            t.join().map_err(|_| anyhow!("async thread panicked"))?;
        }
        Ok(())
    }

    fn dump_state(&mut self, handler: AsyncHandler) -> Result<(), Error> {
        handler.emit(Self::async_event(c"mini_async", b"state"))
    }
}

impl CaptureListenPlugin for $ty {
    fn capture_open(&mut self, input: &CaptureListenInput) -> Result<(), Error> {
        let runs = Arc::clone(&self.routine_runs);
        // Runs three times, then unsubscribes itself.
        self.routine = Some(input.thread_pool.subscribe(move || {
            if runs.fetch_add(1, Ordering::SeqCst) + 1 >= 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?);
        Ok(())
    }

    fn capture_close(&mut self, input: &CaptureListenInput) -> Result<(), Error> {
        if let Some(r) = self.routine.take() {
            // The routine may have ended by itself already; that is fine.
            let _ = input.thread_pool.unsubscribe(&r);
        }
        Ok(())
    }
}


    };
}

mini_plugin!(Mini, MiniInstance, c"mini", 999);
mini_plugin!(MiniStatic, MiniStaticInstance, c"mini-static", 998);

plugin!(Mini);
source_plugin!(Mini);
extract_plugin!(Mini);
parse_plugin!(Mini);
async_event_plugin!(Mini);
capture_listen_plugin!(Mini);

static_plugin!(pub MINI_STATIC_API = MiniStatic);
