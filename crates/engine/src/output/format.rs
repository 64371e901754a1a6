//! Output format strings (`-p`, rule outputs), parsed once into parts.

use std::fmt;

use std::sync::Arc;

use crate::fields::catalog::Catalog;
use crate::fields::plugin::PluginField;
use crate::fields::{self, FieldDef};

/// One piece of a format string.
#[derive(Debug, Clone)]
pub enum Part {
    /// Text copied as is.
    Literal(String),
    /// A field, with its argument if any (`%evt.arg[1]`, `%proc.aname[2]`).
    Field {
        /// The registry entry.
        def: &'static FieldDef,
        /// Text between the brackets.
        arg: Option<String>,
        /// For a plugin field: the resolved plugin field.
        plugin: Option<Arc<PluginField>>,
    },
}

/// A parsed format string.
#[derive(Debug, Clone)]
pub struct Format {
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// `*` prefix: print the line even when some fields have no value (shown as `<NA>`).
    /// Without it, sysdig skips events where any field is unavailable.
    pub print_all: bool,
}

/// A format string that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Byte offset of the problem in the format string.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.offset + 1)
    }
}

impl std::error::Error for FormatError {}

/// The default sysdig line format (stdout not a TTY).
pub const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";
/// sysdig's line format for plugin events.
pub const PLUGIN_FORMAT: &str = "*%evt.num %evt.datetime.s [%evt.pluginname] %evt.plugininfo";

fn is_field_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'_'
}

impl Format {
    /// Parse a format string over the built-in fields.
    pub fn parse(text: &str) -> Result<Format, FormatError> {
        Format::parse_with(text, &Catalog::default())
    }

    /// Parse a format string; fields of the catalog's plugins are allowed too.
    pub fn parse_with(text: &str, catalog: &Catalog<'_>) -> Result<Format, FormatError> {
        let (print_all, body, base) = match text.strip_prefix('*') {
            Some(rest) => (true, rest, 1),
            None => (false, text, 0),
        };
        let bytes = body.as_bytes();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let Some(pos) = body.get(i..).and_then(|s| s.find('%')) else {
                lit.push_str(body.get(i..).unwrap_or_default());
                break;
            };
            lit.push_str(body.get(i..i + pos).unwrap_or_default());
            let start = i + pos + 1;
            let mut end = start;
            while end < bytes.len() && bytes.get(end).copied().is_some_and(is_field_char) {
                end += 1;
            }
            // Field names end with a letter or digit: a trailing '.' is punctuation.
            while end > start && bytes.get(end - 1) == Some(&b'.') {
                end -= 1;
            }
            if end == start {
                // A lone '%' is literal text.
                lit.push('%');
                i = start;
                continue;
            }
            let name = body.get(start..end).unwrap_or_default();
            let mut arg: Option<String> = None;
            i = end;
            if bytes.get(i) == Some(&b'[') {
                let close = body
                    .get(i..)
                    .and_then(|s| s.find(']'))
                    .ok_or_else(|| FormatError {
                        offset: base + i,
                        message: format!("unterminated argument of field '{name}'"),
                    })?;
                arg = Some(body.get(i + 1..i + close).unwrap_or_default().to_string());
                i += close + 1;
            }
            let part = match resolve(name) {
                Some((def, from_name)) => Part::Field {
                    def,
                    arg: arg.or(from_name),
                    plugin: None,
                },
                None => match catalog.resolve_plugin(name, arg.as_deref()) {
                    Some(Ok(field)) => Part::Field {
                        def: field.def,
                        arg,
                        plugin: field.plugin,
                    },
                    Some(Err(msg)) => {
                        return Err(FormatError {
                            offset: base + start,
                            message: msg,
                        })
                    }
                    None => {
                        return Err(FormatError {
                            offset: base + start,
                            message: format!("unknown field '{name}'{}", suggest(name)),
                        })
                    }
                },
            };
            if !lit.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut lit)));
            }
            parts.push(part);
        }
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        Ok(Format { parts, print_all })
    }

    /// True if a field of the format depends on thread or fd state (see
    /// [`fields::needs_state`]); plugin fields count as needing it.
    pub fn needs_state(&self) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Field { def, arg, plugin } => {
                plugin.is_some()
                    || fields::needs_state(&fields::Field::builtin(
                        def,
                        arg.as_deref().map(Into::into),
                    ))
            }
            Part::Literal(_) => false,
        })
    }

    /// The fields used, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static FieldDef> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Field { def, .. } => Some(*def),
            Part::Literal(_) => None,
        })
    }
}

/// Resolve a field name (see [`fields::registry::resolve_name`]).
fn resolve(name: &str) -> Option<(&'static FieldDef, Option<String>)> {
    fields::registry::resolve_name(name).map(|(d, a)| (d, a.map(str::to_string)))
}

fn suggest(name: &str) -> String {
    match fields::did_you_mean(name) {
        Some(s) => format!("; did you mean '{s}'?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_star_fields_and_literals() {
        let f = Format::parse("*%evt.num %evt.rawtime (%thread.tid) 100%").unwrap();
        assert!(f.print_all);
        let names: Vec<_> = f.fields().map(|d| d.name).collect();
        assert_eq!(names, ["evt.num", "evt.rawtime", "thread.tid"]);
        assert!(matches!(f.parts.last(), Some(Part::Literal(l)) if l == ") 100%"));
    }

    #[test]
    fn unknown_field_points_at_it() {
        let e = Format::parse("%evt.num %evt.nmu").unwrap_err();
        assert_eq!(e.offset, 10);
        assert!(e.message.contains("evt.num"), "{}", e.message);
    }
}
