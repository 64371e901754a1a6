//! Field metadata from `get_fields` (§9.1) and building extraction requests (§8.1).

use serde_json::Value;

/// A plugin field type; the codes equal libscap's `PT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `uint64` (8)
    U64,
    /// `string` (9)
    String,
    /// `reltime` (20), nanoseconds
    RelTime,
    /// `abstime` (21), nanoseconds since the epoch
    AbsTime,
    /// `bool` (25)
    Bool,
    /// `ipaddr` (40)
    IpAddr,
    /// `ipnet` (41)
    IpNet,
}

impl FieldType {
    /// The wire code.
    pub fn code(self) -> u32 {
        match self {
            Self::U64 => 8,
            Self::String => 9,
            Self::RelTime => 20,
            Self::AbsTime => 21,
            Self::Bool => 25,
            Self::IpAddr => 40,
            Self::IpNet => 41,
        }
    }

    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Self::U64 => "uint64",
            Self::String => "string",
            Self::RelTime => "reltime",
            Self::AbsTime => "abstime",
            Self::Bool => "bool",
            Self::IpAddr => "ipaddr",
            Self::IpNet => "ipnet",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "uint64" => Self::U64,
            "string" => Self::String,
            "reltime" => Self::RelTime,
            "abstime" => Self::AbsTime,
            "bool" => Self::Bool,
            "ipaddr" => Self::IpAddr,
            "ipnet" => Self::IpNet,
            _ => return None,
        })
    }
}

/// Which arguments a field takes (`name[ARG]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArgSpec {
    /// An argument must be given.
    pub required: bool,
    /// A numeric index is accepted.
    pub index: bool,
    /// A string key is accepted.
    pub key: bool,
}

impl ArgSpec {
    /// Whether the field accepts an argument at all.
    pub fn allowed(&self) -> bool {
        self.index || self.key
    }
}

/// One field a plugin can extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Position in the plugin's `get_fields` array (the request's `field_id`).
    pub id: u32,
    /// Name without argument, e.g. `ct.name`.
    pub name: String,
    /// Value type.
    pub ty: FieldType,
    /// Returns 0..N values.
    pub is_list: bool,
    /// Argument rules.
    pub arg: ArgSpec,
    /// Human label.
    pub display: Option<String>,
    /// Description.
    pub desc: String,
    /// Suggested for default output lines.
    pub add_output: bool,
    /// `properties` (`hidden`, `info`, `conversation`, …).
    pub properties: Vec<String>,
}

impl FieldInfo {
    /// Has the `hidden` property (omit from listings).
    pub fn is_hidden(&self) -> bool {
        self.properties.iter().any(|p| p == "hidden")
    }
}

/// A field argument, already classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldArg {
    /// No argument.
    None,
    /// A numeric index (`arg_index`).
    Index(u64),
    /// A key (`arg_key`).
    Key(String),
    /// Both an index and a key (a numeric argument to a field that takes both).
    IndexKey(u64, String),
}

fn opt_bool(obj: &serde_json::Map<String, Value>, key: &str, field: &str) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(format!("field {field:?}: {key} must be a bool, not {v}")),
    }
}

/// Parses the `get_fields` JSON; strict on wrong types, lenient on missing or null keys.
pub fn parse_fields(json: &str) -> Result<Vec<FieldInfo>, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let arr = v.as_array().ok_or("not a JSON array")?;
    if arr.is_empty() {
        return Err("no fields".into());
    }
    let mut out = Vec::new();
    for (i, f) in arr.iter().enumerate() {
        let obj = f
            .as_object()
            .ok_or_else(|| format!("entry {i} is not an object"))?;
        let name = match obj.get("name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(format!("entry {i} has no name")),
        };
        let ty = match obj.get("type") {
            Some(Value::String(s)) => FieldType::from_name(s)
                .ok_or_else(|| format!("field {name:?}: unknown type {s:?}"))?,
            _ => return Err(format!("field {name:?} has no type")),
        };
        let desc = match obj.get("desc") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(format!("field {name:?} has no description")),
        };
        let display = match obj.get("display") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => return Err(format!("field {name:?}: display must be a string, not {v}")),
        };
        let arg = match obj.get("arg") {
            None | Some(Value::Null) => ArgSpec::default(),
            Some(Value::Object(a)) => {
                let spec = ArgSpec {
                    required: opt_bool(a, "isRequired", &name)?,
                    index: opt_bool(a, "isIndex", &name)?,
                    key: opt_bool(a, "isKey", &name)?,
                };
                if spec.required && !spec.allowed() {
                    return Err(format!(
                        "field {name:?}: argument required but neither index nor key"
                    ));
                }
                spec
            }
            Some(v) => return Err(format!("field {name:?}: arg must be an object, not {v}")),
        };
        let properties = match obj.get("properties") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| format!("field {name:?}: non-string property"))
                })
                .collect::<Result<_, _>>()?,
            Some(v) => {
                return Err(format!(
                    "field {name:?}: properties must be an array, not {v}"
                ))
            }
        };
        if out.iter().any(|o: &FieldInfo| o.name == name) {
            return Err(format!("field {name:?} is defined twice"));
        }
        out.push(FieldInfo {
            id: u32::try_from(i).map_err(|_| "too many fields")?,
            is_list: opt_bool(obj, "isList", &name)?,
            add_output: opt_bool(obj, "addOutput", &name)?,
            name,
            ty,
            arg,
            display,
            desc,
            properties,
        });
    }
    Ok(out)
}

/// Whether `s` is a valid index: decimal digits, no leading zero unless it is `0`, fits u64.
pub fn parse_index(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Classifies `arg` for `field` (§8.1).
pub fn classify_arg(field: &FieldInfo, arg: Option<&str>) -> Result<FieldArg, String> {
    let Some(arg) = arg else {
        if field.arg.required {
            return Err(format!("field {} requires an argument", field.name));
        }
        return Ok(FieldArg::None);
    };
    if !field.arg.allowed() {
        return Err(format!("field {} takes no argument", field.name));
    }
    let index = if field.arg.index {
        parse_index(arg)
    } else {
        None
    };
    match (index, field.arg.key) {
        (Some(i), true) => Ok(FieldArg::IndexKey(i, arg.to_owned())),
        (Some(i), false) => Ok(FieldArg::Index(i)),
        (None, true) => Ok(FieldArg::Key(arg.to_owned())),
        (None, false) => Err(format!(
            "field {} needs a numeric index, not {arg:?}",
            field.name
        )),
    }
}

/// Parses a list of source names (§9.2): `""` or absent means empty; empty entries are dropped.
pub fn parse_sources(json: Option<&str>) -> Result<Vec<String>, String> {
    let Some(json) = json.filter(|s| !s.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let v: Vec<Value> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    v.into_iter()
        .filter_map(|e| match e {
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(Ok(s)),
            other => Some(Err(format!("not a string: {other}"))),
        })
        .collect()
}

/// One `list_open_params` suggestion (§9.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenParam {
    /// A valid `open()` parameter.
    pub value: String,
    /// Description.
    pub desc: String,
    /// Separator when `value` is several parameters joined.
    pub separator: Option<String>,
}

/// Parses `list_open_params`; an empty string means no suggestions.
pub fn parse_open_params(json: &str) -> Result<Vec<OpenParam>, String> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: Vec<serde_json::Map<String, Value>> =
        serde_json::from_str(json).map_err(|e| e.to_string())?;
    v.into_iter()
        .map(|o| {
            let value = o
                .get("value")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or("entry without value")?;
            Ok(OpenParam {
                value: value.to_owned(),
                desc: o
                    .get("desc")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                separator: o
                    .get("separator")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_sdk_shapes() {
        // Rust SDK shape.
        let rust = r#"[{"name":"a.b","type":"uint64","isList":false,"arg":null,"display":null,"desc":"d"},
                       {"name":"a.l","type":"string","isList":true,"arg":{"isIndex":true},"display":"L","desc":"d","addOutput":true}]"#;
        let f = parse_fields(rust).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].id, 1);
        assert!(f[1].is_list && f[1].arg.index && f[1].add_output);
        assert_eq!(f[1].display.as_deref(), Some("L"));
        // C++ SDK shape.
        let cpp = r#"[{"name":"c.x","type":"ipnet","arg":{"isIndex":false,"isKey":false,"isRequired":false},"properties":[],"addOutput":false,"desc":"d","display":"d"}]"#;
        let f = parse_fields(cpp).unwrap();
        assert_eq!(f[0].ty, FieldType::IpNet);
        assert!(!f[0].arg.allowed());
        // Go SDK: null properties; every type name.
        for t in [
            "uint64", "string", "reltime", "abstime", "bool", "ipaddr", "ipnet",
        ] {
            let j = format!(r#"[{{"name":"g.x","type":"{t}","desc":"d","properties":null}}]"#);
            assert_eq!(parse_fields(&j).unwrap()[0].ty.name(), t);
        }
        let f = parse_fields(
            r#"[{"name":"h","type":"bool","desc":"d","properties":["hidden","info"]}]"#,
        )
        .unwrap();
        assert!(f[0].is_hidden());
    }

    #[test]
    fn malformed_fields() {
        for (bad, want) in [
            ("{", "EOF"),
            ("{}", "not a JSON array"),
            ("[]", "no fields"),
            (r#"[{"type":"uint64","desc":"d"}]"#, "no name"),
            (
                r#"[{"name":"x","type":"float","desc":"d"}]"#,
                "unknown type",
            ),
            (r#"[{"name":"x","type":"uint64"}]"#, "no description"),
            (
                r#"[{"name":"x","type":"uint64","desc":""}]"#,
                "no description",
            ),
            (
                r#"[{"name":"x","type":"uint64","desc":"d","isList":"yes"}]"#,
                "isList must be a bool",
            ),
            (
                r#"[{"name":"x","type":"uint64","desc":"d","arg":{"isRequired":true}}]"#,
                "neither index nor key",
            ),
            (
                r#"[{"name":"x","type":"uint64","desc":"d","arg":5}]"#,
                "arg must be an object",
            ),
            (
                r#"[{"name":"x","type":"uint64","desc":"d","properties":"hidden"}]"#,
                "properties must be",
            ),
            (
                r#"[{"name":"x","type":"uint64","desc":"d"},{"name":"x","type":"uint64","desc":"d"}]"#,
                "twice",
            ),
        ] {
            let e = parse_fields(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn arguments() {
        let f = |index, key, required| FieldInfo {
            id: 0,
            name: "f".into(),
            ty: FieldType::String,
            is_list: false,
            arg: ArgSpec {
                required,
                index,
                key,
            },
            display: None,
            desc: "d".into(),
            add_output: false,
            properties: vec![],
        };
        assert_eq!(
            classify_arg(&f(false, false, false), None),
            Ok(FieldArg::None)
        );
        assert!(classify_arg(&f(false, false, false), Some("1")).is_err());
        assert!(classify_arg(&f(true, false, true), None).is_err());
        assert_eq!(
            classify_arg(&f(true, false, false), Some("12")),
            Ok(FieldArg::Index(12))
        );
        assert!(classify_arg(&f(true, false, false), Some("012")).is_err());
        assert!(classify_arg(&f(true, false, false), Some("99999999999999999999")).is_err());
        assert_eq!(
            classify_arg(&f(false, true, false), Some("12")),
            Ok(FieldArg::Key("12".into()))
        );
        assert_eq!(
            classify_arg(&f(true, true, false), Some("7")),
            Ok(FieldArg::IndexKey(7, "7".into()))
        );
        assert_eq!(
            classify_arg(&f(true, true, false), Some("k")),
            Ok(FieldArg::Key("k".into()))
        );
        assert_eq!(parse_index("0"), Some(0));
    }

    #[test]
    fn sources_and_open_params() {
        assert_eq!(parse_sources(None).unwrap(), Vec::<String>::new());
        assert_eq!(parse_sources(Some("")).unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_sources(Some(r#"["a","","syscall"]"#)).unwrap(),
            vec!["a", "syscall"]
        );
        assert!(parse_sources(Some("[1]")).is_err());
        assert_eq!(parse_open_params("").unwrap(), vec![]);
        let p = parse_open_params(r#"[{"value":"x","desc":"d"},{"value":"a;b","separator":";"}]"#)
            .unwrap();
        assert_eq!(p[1].separator.as_deref(), Some(";"));
        assert!(parse_open_params(r#"[{"desc":"d"}]"#).is_err());
    }
}
