//! `scapkit read`: print events like `sysdig -r`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use engine::fields::catalog::Catalog;
use engine::filter::Macros;
use engine::output::{
    BufMode, BufferOpts, EventSummary, Format, JsonWriter, LineWriter, TimeMode, DEFAULT_FORMAT,
    PLUGIN_FORMAT,
};
use engine::query::{EventFilter, ThreadGate};
use engine::session::{EventCtx, Hidden, Session, Sink};

use crate::cli::{Cli, PluginArgs, ReadArgs, RecordArgs};
use crate::plugins::{self, Loaded};
use crate::progress::Bar;

/// Flush the output buffer past this size.
const FLUSH_AT: usize = 1 << 16;

/// Split sysdig-style arguments: with `-r`, every positional word is the filter; without,
/// the first positional is the file.
fn inputs(args: &ReadArgs) -> Result<(Vec<PathBuf>, String)> {
    let mut files = args.read.clone();
    let mut words = args.rest.iter();
    // With a source plugin (-I, or falco.yaml), positional words are all filter.
    let live = !args.plugins.inputs.is_empty() || args.plugins.config.is_some();
    if files.is_empty() && !live {
        match words.next() {
            Some(f) => files.push(PathBuf::from(f)),
            None => {
                bail!("no capture file given (use `scapkit read FILE`, `-r FILE` or `-I SOURCE`)")
            }
        }
    }
    let filter = words.map(String::as_str).collect::<Vec<_>>().join(" ");
    Ok((files, filter))
}

fn time_mode(t: Option<&str>) -> Result<TimeMode> {
    Ok(match t {
        None | Some("h") => TimeMode::Human,
        Some("a") => TimeMode::Absolute,
        Some("r") => TimeMode::Relative,
        Some("d") => TimeMode::Delta,
        Some("D") => TimeMode::DeltaShown,
        Some(other) => bail!("invalid -t value '{other}': expected h, a, r, d or D"),
    })
}

/// Buffer rendering chosen with -A/-x/-X/-b/-v.
fn buffer_opts(args: &ReadArgs) -> BufferOpts {
    let mode = if args.base64 {
        BufMode::Base64
    } else if args.hex_ascii {
        BufMode::HexAscii
    } else if args.hex {
        BufMode::Hex
    } else if args.ascii {
        BufMode::Ascii
    } else {
        BufMode::Dots
    };
    let mut opts = BufferOpts {
        mode,
        ..BufferOpts::default()
    };
    if args.verbose {
        opts.max_len = 0;
    }
    opts
}

struct Printer<W: Write> {
    /// Whether any field printed or filtered on depends on thread/fd state.
    stateful: bool,
    filter: Option<EventFilter>,
    summary: Option<EventSummary>,
    quiet: bool,
    json: Option<JsonWriter>,
    line: LineWriter,
    plugin_line: Option<LineWriter>,
    out: W,
    buf: Vec<u8>,
    debug: bool,
    shown: u64,
    limit: Option<u64>,
}

impl<W: Write> Sink for Printer<W> {
    type Error = io::Error;

    fn needs_state(&self) -> bool {
        self.stateful
    }

    fn event(&mut self, ctx: &EventCtx<'_>) -> io::Result<bool> {
        let shown_kind = match ctx.hidden {
            Hidden::No => true,
            Hidden::Internal => self.debug,
            _ => false,
        };
        let printing = shown_kind && !self.quiet;
        if self.summary.is_none() && !printing {
            return Ok(true);
        }
        // One evaluation serves both the summary and the printing.
        let matched = self.filter.as_mut().is_none_or(|f| f.matches(ctx));
        if let (Some(s), true) = (&mut self.summary, matched) {
            // sysdig counts every event that passes the filter, shown or not.
            s.add(ctx);
        }
        if !printing || !matched {
            return Ok(true);
        }
        let is_plugin = ctx.event.event_type() == scap::table::code::PLUGINEVENT_E;
        let shown = if let Some(j) = &mut self.json {
            j.write(ctx, &mut self.buf)
        } else {
            let writer = match (&mut self.plugin_line, is_plugin) {
                (Some(p), true) => p,
                _ => &mut self.line,
            };
            writer.write(ctx, &mut self.buf)
        };
        if shown {
            self.shown += 1;
        }
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(self.limit.is_none_or(|n| self.shown < n))
    }

    fn record(&mut self, input: usize, rec: &scap::Record<'_>) -> io::Result<()> {
        if let scap::Record::Unknown(block) = rec {
            warn_unknown(input, block);
        }
        Ok(())
    }

    fn wants_syscall(&self, id: u16) -> bool {
        self.summary.is_some()
            || self
                .filter
                .as_ref()
                .is_none_or(|f| f.program().may_match_generic(id))
    }

    fn thread_gate(&self) -> Option<ThreadGate> {
        self.filter.as_ref()?.thread_gate().cloned()
    }

    /// The early returns of `event`, decided without the event's context.
    fn wants(&self, ty: u16, hidden: Hidden) -> bool {
        if self.summary.is_some() {
            return true;
        }
        match hidden {
            Hidden::No => {}
            Hidden::Internal if self.debug => {}
            _ => return false,
        }
        !self.quiet
            && self
                .filter
                .as_ref()
                .is_none_or(|f| f.program().may_match_event(ty))
    }
}

/// Unknown blocks are skipped, never silently.
fn warn_unknown(input: usize, block: &scap::Block<'_>) {
    eprintln!(
        "warning: input {}: skipped unknown block 0x{:x} at offset {}",
        input + 1,
        block.block_type(),
        block.offset()
    );
}

/// `-w`: copies metadata and writes every event; events a filter rejects but that change
/// state are kept as STATE_ONLY (sysdig's -F), so the file reads back with the same names.
struct CaptureWriter<W: Write> {
    writer: scap::Writer<W>,
    filter: Option<EventFilter>,
    /// Last rejected enter event per thread: libsinsp reads an exit's fd and arguments from
    /// its enter event, so a kept exit brings its enter along (as STATE_ONLY).
    enters: std::collections::HashMap<u64, SavedEvent>,
    shown: u64,
    limit: Option<u64>,
    started: Vec<bool>,
}

impl<W: Write> Sink for CaptureWriter<W> {
    type Error = scap::write::WriteError;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        let keep = match &mut self.filter {
            Some(f) => f.matches(ctx),
            None => true,
        };
        let ev = &ctx.event;
        if keep {
            if ev.direction() == scap::table::Direction::Exit {
                if let Some(enter) = self.enters.get_mut(&ev.tid()) {
                    if enter.pending && enter.ty == ev.event_type() - 1 {
                        enter.write(&mut self.writer)?;
                    }
                    enter.pending = false;
                }
            }
            self.writer.write_event(ev)?;
            if ctx.hidden == Hidden::No {
                self.shown += 1;
            }
        } else if ev.direction() == scap::table::Direction::Enter && !changes_state(ctx) {
            self.enters.entry(ev.tid()).or_default().save(ev);
        } else if changes_state(ctx) {
            // Hidden from readers, but their state stays right: names read back the same.
            let parts: Vec<&[u8]> = ev.params().collect();
            let flags = ev.dump_flags() | scap::event::DF_STATE_ONLY;
            self.writer.write_event_parts(
                ev.ts(),
                ev.tid(),
                ev.cpu(),
                flags,
                ev.event_type(),
                &parts,
            )?;
        }
        Ok(self.limit.is_none_or(|n| self.shown < n))
    }

    fn record(&mut self, input: usize, rec: &scap::Record<'_>) -> Result<(), Self::Error> {
        match rec {
            scap::Record::Section(_) => {
                // The writer opened the first section; a later one in an input starts anew.
                let started = self.started.get(input).copied().unwrap_or(false);
                if started {
                    self.writer.new_section()?;
                }
                if let Some(s) = self.started.get_mut(input) {
                    *s = true;
                }
            }
            scap::Record::Meta(block) => self.writer.write_raw_block(block.raw())?,
            scap::Record::Unknown(block) => warn_unknown(input, block),
            scap::Record::Event(_) => {}
        }
        Ok(())
    }
}

/// A session over `captures` with the run's plugins (and their live sources when opened).
fn session_for<'c>(captures: &'c [scap::Capture], loaded: &'c Loaded, live: bool) -> Session<'c> {
    let session = Session::new(captures)
        .with_plugins(&loaded.manager)
        .with_thread_table(loaded.threads.clone());
    if live {
        session.with_live_sources()
    } else {
        session
    }
}

/// Where and how `-w` writes.
struct WriteOpts<'a> {
    out: &'a std::path::Path,
    compress: bool,
    limit: Option<u64>,
}

fn write_capture(
    cli: &Cli,
    session: &Session<'_>,
    opts: &WriteOpts<'_>,
    files: &[PathBuf],
    filter: Option<EventFilter>,
) -> Result<ExitCode> {
    let out = opts.out;
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let writer = scap::Writer::new(
        io::BufWriter::new(file),
        scap::write::Options {
            gzip: opts.compress,
        },
    )
    .with_context(|| format!("writing {}", out.display()))?;
    let mut sink = CaptureWriter {
        writer,
        filter,
        enters: Default::default(),
        shown: 0,
        limit: opts.limit,
        started: vec![false; files.len()],
    };
    let total = session.input_bytes();
    let bar = Bar::new(total, cli.no_progress || cli.quiet);
    let summary = session
        .run(&mut sink, bar.as_ref().map(|b| b as _))
        .with_context(|| format!("writing {}", out.display()))?;
    drop(bar);
    let mut inner = sink
        .writer
        .finish()
        .with_context(|| format!("writing {}", out.display()))?;
    inner
        .flush()
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(report_errors(&summary, files))
}

/// A copy of an event's parts, reused per thread.
#[derive(Default)]
struct SavedEvent {
    pending: bool,
    ts: u64,
    cpu: u16,
    flags: u32,
    tid: u64,
    ty: u16,
    data: Vec<u8>,
    lens: Vec<usize>,
}

impl SavedEvent {
    fn save(&mut self, ev: &scap::Event<'_>) {
        self.pending = true;
        (self.ts, self.cpu, self.flags, self.tid, self.ty) = (
            ev.ts(),
            ev.cpu(),
            ev.dump_flags(),
            ev.tid(),
            ev.event_type(),
        );
        self.data.clear();
        self.lens.clear();
        for p in ev.params() {
            self.data.extend_from_slice(p);
            self.lens.push(p.len());
        }
    }

    fn write<W: Write>(&self, w: &mut scap::Writer<W>) -> Result<(), scap::write::WriteError> {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(self.lens.len());
        let mut at = 0;
        for &n in &self.lens {
            parts.push(self.data.get(at..at + n).unwrap_or_default());
            at += n;
        }
        let flags = self.flags | scap::event::DF_STATE_ONLY;
        w.write_event_parts(self.ts, self.tid, self.cpu, flags, self.ty, &parts)
    }
}

/// Events that update thread or fd state (or carry initial state) must survive filtering.
fn changes_state(ctx: &EventCtx<'_>) -> bool {
    use scap::table::ef;
    ctx.hidden == Hidden::InitialState
        || ctx
            .event
            .info()
            .is_some_and(|i| i.flags & (ef::CREATES_FD | ef::DESTROYS_FD | ef::MODIFIES_STATE) != 0)
}

/// Print the errors that ended inputs early; exit 1 if there were any.
fn report_errors(summary: &engine::session::Summary, files: &[PathBuf]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for e in &summary.errors {
        let what = files
            .get(e.input)
            .map_or_else(|| "source plugins".to_string(), |p| p.display().to_string());
        eprintln!("scapkit: {what}: {}", e.error);
        code = ExitCode::from(1);
    }
    code
}

/// Run `scapkit record`: source plugins (and captures) into a capture file.
pub fn record(cli: &Cli, args: &RecordArgs) -> Result<ExitCode> {
    if args.plugins.inputs.is_empty() && args.plugins.config.is_none() && args.read.is_empty() {
        bail!("nothing to record: give a source with -I NAME[:OPEN_PARAMS] (or -c falco.yaml)");
    }
    let (loaded, live) = prepare_plugins(&args.plugins, false)?;
    let catalog = Catalog::with_plugins(&loaded.manager);
    let filter = compile_filter(&args.filter.join(" "), &catalog)?;
    let captures = args
        .read
        .iter()
        .map(|f| super::open_capture(f))
        .collect::<Result<Vec<_>>>()?;
    let session = session_for(&captures, &loaded, live);
    let opts = WriteOpts {
        out: &args.write,
        compress: args.compress,
        limit: args.numevents,
    };
    let code = write_capture(cli, &session, &opts, &args.read, filter)?;
    finish_plugins(&loaded, &args.plugins)?;
    Ok(code)
}

/// Compile the filter words; an empty filter keeps every event.
pub fn compile_filter(text: &str, catalog: &Catalog<'_>) -> Result<Option<EventFilter>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    EventFilter::compile_in(text, &Macros::new(), catalog)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("invalid filter: {e}"))
}

/// Load the plugins of a run and open its sources; `true` when sources are open.
pub fn prepare_plugins(args: &PluginArgs, with_captures: bool) -> Result<(Loaded, bool)> {
    let mut specs = match &args.config {
        Some(path) => plugins::from_falco_yaml(path)?,
        None => Vec::new(),
    };
    specs.extend(args.plugins.iter().map(|h| plugins::from_flag(h)));
    let loaded = plugins::load(&specs, !args.no_builtin_plugins)?;
    // falco.yaml's open_params start sources only when no capture is read, as in Falco.
    let opened = if !args.inputs.is_empty() || (args.config.is_some() && !with_captures) {
        loaded.open_sources(&args.inputs)? > 0
    } else {
        false
    };
    {
        let mut m = loaded.manager.borrow_mut();
        m.capture_open_all()?;
        // Async events join a live stream only, as in Falco's live captures.
        if opened && !args.no_async {
            m.start_async()?;
        }
    }
    Ok((loaded, opened))
}

/// After a run: close the capture for listening plugins and print metrics when asked.
pub fn finish_plugins(loaded: &Loaded, args: &PluginArgs) -> Result<()> {
    let mut m = loaded.manager.borrow_mut();
    m.capture_close_all()?;
    if args.plugin_metrics {
        for (plugin, metric) in m.metrics_all() {
            eprintln!("{plugin}: {} = {:?}", metric.name, metric.value);
        }
    }
    Ok(())
}

/// Run `scapkit read`.
pub fn run(cli: &Cli, args: &ReadArgs) -> Result<ExitCode> {
    let (files, filter_text) = inputs(args)?;
    let (loaded, live) = prepare_plugins(&args.plugins, !files.is_empty())?;
    let catalog = Catalog::with_plugins(&loaded.manager);
    let filter = compile_filter(&filter_text, &catalog)?;
    let custom = args.print.is_some();
    let format = Format::parse_with(args.print.as_deref().unwrap_or(DEFAULT_FORMAT), &catalog)
        .context("invalid output format (-p)")?;
    let mode = time_mode(args.timetype.as_deref())?;
    let bufopts = buffer_opts(args);
    let mut line = LineWriter::new(&format);
    line.time_mode = mode;
    line.scratch.opts = bufopts;
    let plugin_line = if custom {
        None
    } else {
        let mut p = LineWriter::new(&Format::parse_with(PLUGIN_FORMAT, &catalog)?);
        p.time_mode = mode;
        p.scratch.opts = bufopts;
        Some(p)
    };
    let json = args.json.then(|| {
        let mut j = JsonWriter::new(&format);
        // JSON never cuts buffers.
        j.scratch.opts = BufferOpts {
            max_len: 0,
            ..bufopts
        };
        j
    });
    let captures = files
        .iter()
        .map(|f| super::open_capture(f))
        .collect::<Result<Vec<_>>>()?;
    let session = session_for(&captures, &loaded, live);
    if let Some(out) = &args.write {
        let opts = WriteOpts {
            out,
            compress: args.compress,
            limit: args.numevents,
        };
        let code = write_capture(cli, &session, &opts, &files, filter)?;
        finish_plugins(&loaded, &args.plugins)?;
        return Ok(code);
    }
    let bar = Bar::new(session.input_bytes(), cli.no_progress || cli.quiet);
    let stdout = io::stdout();
    let stateful = filter.as_ref().is_some_and(EventFilter::needs_state) || format.needs_state();
    let mut printer = Printer {
        stateful,
        filter,
        summary: args.summary.then(EventSummary::default),
        quiet: cli.quiet,
        json,
        line,
        plugin_line,
        out: stdout.lock(),
        buf: Vec::with_capacity(FLUSH_AT * 2),
        debug: args.debug,
        shown: 0,
        limit: args.numevents,
    };
    let summary = session
        .run(&mut printer, bar.as_ref().map(|b| b as _))
        .context("writing output")?;
    printer
        .out
        .write_all(&printer.buf)
        .context("writing output")?;
    if let Some(s) = &printer.summary {
        s.write(&mut printer.out).context("writing output")?;
    }
    finish_plugins(&loaded, &args.plugins)?;
    printer.out.flush().context("writing output")?;
    drop(bar);
    Ok(report_errors(&summary, &files))
}
