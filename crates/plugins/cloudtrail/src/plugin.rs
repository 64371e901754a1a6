//! SDK glue: the `Plugin`, `SourcePlugin` and `ExtractPlugin` impls. All
//! logic lives in the plain modules; this file only adapts types.

use crate::config::{Config, OpenParams};
use crate::fetch::{Feed, Poll};
use crate::fields::{self, FieldType, Value, FIELDS};
use crate::records::{self, Parsed as ParsedFile};
use anyhow::{anyhow, Context, Error};
use falco_plugin::base::{Json, Plugin};
use falco_plugin::event::events::Event;
use falco_plugin::event::PluginEvent;
use falco_plugin::extract::{field, ExtractFieldInfo, ExtractPlugin, ExtractRequest};
use falco_plugin::source::{
    EventBatch, EventInput, ProgressInfo, SourcePlugin, SourcePluginInstance,
};
use falco_plugin::tables::TablesInput;
use falco_plugin::FailureReason;
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::time::Duration;

/// Events handed to the framework per `next_batch` call at most.
const BATCH: usize = 512;
/// Longest a `next_batch` call waits for a network file.
const WAIT: Duration = Duration::from_millis(100);

/// The plugin state.
#[derive(Debug)]
pub struct CloudTrail {
    config: Config,
    /// The last parsed record, shared with extraction contexts, so that the
    /// one-field-per-call pattern of libsinsp parses each event once.
    last: Option<Arc<fields::Parsed>>,
}

impl Plugin for CloudTrail {
    const NAME: &'static CStr = c"cloudtrail";
    const PLUGIN_VERSION: &'static CStr = c"0.17.1";
    const DESCRIPTION: &'static CStr =
        c"reads cloudtrail JSON data saved to file in the directory specified in the settings";
    const CONTACT: &'static CStr = c"https://example.invalid/scapkit";
    type ConfigType = Json<Config>;

    fn new(_input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        config.validate()?;
        Ok(CloudTrail { config, last: None })
    }

    fn set_config(&mut self, Json(config): Self::ConfigType) -> Result<(), Error> {
        config.validate()?;
        self.config = config;
        Ok(())
    }
}

/// An open capture.
#[derive(Debug)]
pub struct Instance {
    feed: Feed,
    /// The file being emitted and the index of its next record.
    current: Option<(ParsedFile, usize)>,
    progress: CString,
}

impl Instance {
    fn report(problems: &[String]) {
        for p in problems {
            log::warn!("{p}");
        }
    }
}

impl SourcePluginInstance for Instance {
    type Plugin = CloudTrail;

    fn next_batch(
        &mut self,
        _plugin: &mut CloudTrail,
        batch: &mut EventBatch,
    ) -> Result<(), Error> {
        let mut added = 0usize;
        loop {
            if let Some((file, idx)) = &mut self.current {
                while added < BATCH {
                    let Some(rec) = file.records.get(*idx) else {
                        break;
                    };
                    *idx += 1;
                    let mut ev = Self::plugin_event(file.bytes(rec));
                    ev.metadata.ts = rec.ts;
                    batch.add(ev).context("adding an event to the batch")?;
                    added += 1;
                }
                if added >= BATCH {
                    return Ok(());
                }
                self.current = None;
            }
            // Return what we have before touching the next file, so one call
            // does at most one file read/parse.
            if added > 0 {
                return Ok(());
            }
            match self.feed.next_file(WAIT) {
                Poll::File(f) => {
                    let parsed = records::parse_file(&f.name, f.data);
                    Self::report(&parsed.problems);
                    if parsed.not_events > 0 {
                        log::debug!(
                            "{}: {} record(s) are not events (eventTime/eventType)",
                            f.name,
                            parsed.not_events
                        );
                    }
                    self.current = Some((parsed, 0));
                }
                Poll::Error(e) => {
                    log::warn!("{e}");
                    return Err(anyhow!("{e}").context(FailureReason::Timeout));
                }
                Poll::Pending => {
                    return Err(anyhow!("no new files").context(FailureReason::Timeout))
                }
                Poll::Done => return Err(anyhow!("no more files").context(FailureReason::Eof)),
            }
        }
    }

    fn get_progress(&mut self) -> ProgressInfo<'_> {
        match self.feed.progress() {
            Some((done, total)) if total > 0 => {
                let pct = done as f64 * 100.0 / total as f64;
                self.progress =
                    CString::new(format!("{pct:.2}% - {done}/{total} files")).unwrap_or_default();
                ProgressInfo {
                    value: pct,
                    detail: Some(self.progress.as_c_str()),
                }
            }
            _ => ProgressInfo {
                value: 0.0,
                detail: None,
            },
        }
    }
}

type CtEvent<'a> = Event<PluginEvent<&'a [u8]>>;

impl SourcePlugin for CloudTrail {
    type Instance = Instance;
    const EVENT_SOURCE: &'static CStr = c"aws_cloudtrail";
    const PLUGIN_ID: u32 = 2;
    type Event<'a> = CtEvent<'a>;

    fn open(&mut self, params: Option<&str>) -> Result<Instance, Error> {
        let params = OpenParams::parse(params.unwrap_or(""))?;
        let aws = || {
            let c = &self.config.aws;
            crate::aws::creds::from_process(&crate::aws::creds::Overrides {
                profile: c.profile.clone(),
                region: c.region.clone(),
                config: c.config.clone(),
                credentials: c.credentials.clone(),
            })
        };
        let feed = match params {
            OpenParams::Local(p) => Feed::local(&p)?,
            OpenParams::S3 { bucket, prefix } => Feed::s3(aws()?, bucket, prefix)?,
            OpenParams::Sqs { queue } => Feed::sqs(
                aws()?,
                queue,
                self.config.sqs_owner_account.clone(),
                self.config.sqs_delete,
            )?,
        };
        Ok(Instance {
            feed,
            current: None,
            progress: CString::default(),
        })
    }

    fn event_to_string(&mut self, event: &EventInput<CtEvent<'_>>) -> Result<CString, Error> {
        let parsed = self.parse(event.event()?.params.event_data)?;
        let rec = parsed.record().context("empty record")?;
        let s = rec
            .plugininfo()
            .map_err(|k| anyhow!("invalid cloudtrail event: {k} field missing"))?;
        Ok(CString::new(s.replace('\0', ""))?)
    }
}

fn cstring(s: String) -> Result<CString, Error> {
    // A `\u0000` escape can put NUL in a value; C strings cannot hold it.
    Ok(CString::new(s.replace('\0', ""))?)
}

impl CloudTrail {
    /// The parse of `payload`, reusing the last one when it is the same record.
    fn parse(&mut self, payload: &[u8]) -> Result<Arc<fields::Parsed>, Error> {
        if let Some(p) = self.last.as_ref().filter(|p| p.is_for(payload)) {
            return Ok(p.clone());
        }
        let p =
            Arc::new(fields::Parsed::new(payload).context("event payload is not a JSON record")?);
        self.last = Some(p.clone());
        Ok(p)
    }

    fn value(
        &mut self,
        req: &mut ExtractRequest<'_, '_, '_, '_, Self>,
        i: usize,
        index: Option<u64>,
    ) -> Result<Option<Value>, Error> {
        let payload = req.event.event()?.params.event_data;
        let parsed = match req.context.as_ref().filter(|p| p.is_for(payload)) {
            Some(p) => p.clone(),
            None => {
                let p = self.parse(payload)?;
                *req.context = Some(p.clone());
                p
            }
        };
        let def = FIELDS.get(i).context("field index out of range")?;
        Ok(parsed
            .record()
            .and_then(|r| fields::extract(def, &r, index)))
    }

    fn ex_str<const I: usize>(
        &mut self,
        mut req: ExtractRequest<Self>,
    ) -> Result<Option<CString>, Error> {
        match self.value(&mut req, I, None)? {
            Some(Value::Str(s)) => Ok(Some(cstring(s)?)),
            _ => Ok(None),
        }
    }

    fn ex_u64<const I: usize>(
        &mut self,
        mut req: ExtractRequest<Self>,
    ) -> Result<Option<u64>, Error> {
        match self.value(&mut req, I, None)? {
            Some(Value::U64(n)) => Ok(Some(n)),
            _ => Ok(None),
        }
    }

    fn ex_list<const I: usize>(
        &mut self,
        mut req: ExtractRequest<Self>,
        index: Option<u64>,
    ) -> Result<Option<Vec<CString>>, Error> {
        match self.value(&mut req, I, index)? {
            Some(Value::List(v)) => Ok(Some(v.into_iter().map(cstring).collect::<Result<_, _>>()?)),
            _ => Ok(None),
        }
    }
}

/// The SDK field entry for `FIELDS[I]`, picking the extractor by type.
const fn entry<const I: usize>() -> ExtractFieldInfo<CloudTrail> {
    let def = &FIELDS[I];
    let info = match def.ty {
        FieldType::Str => field(def.name, &CloudTrail::ex_str::<I>),
        FieldType::U64 => field(def.name, &CloudTrail::ex_u64::<I>),
        FieldType::StrList => field(def.name, &CloudTrail::ex_list::<I>),
    };
    info.with_description(def.desc)
}

macro_rules! entries {
    ($($i:literal)*) => { &[$(entry::<$i>()),*] };
}

impl ExtractPlugin for CloudTrail {
    type Event<'a> = CtEvent<'a>;
    type ExtractContext = Option<Arc<fields::Parsed>>;
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = entries!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
        30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
        60 61 62 63 64 65 66 67 68 69 70 71 72
    );
}

// Keep the SDK table and ours the same length (a new field must be listed above).
const _: () = assert!(CloudTrail::EXTRACT_FIELDS.len() == FIELDS.len());
