//! Path handling as libsinsp does it: joining relative names to a directory, then
//! removing `.`, `..` and repeated slashes.

/// `dir` joined with `name` (unless `name` is absolute), normalised, into `out`.
pub fn resolve(dir: &[u8], name: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if name.first() == Some(&b'/') || dir.is_empty() {
        normalize_into(name, out);
        return;
    }
    let mut joined = Vec::with_capacity(dir.len() + name.len() + 1);
    joined.extend_from_slice(dir);
    if joined.last() != Some(&b'/') {
        joined.push(b'/');
    }
    joined.extend_from_slice(name);
    normalize_into(&joined, out);
}

/// Normalise `path`: collapse `//`, drop `.`, apply `..` (never above the root).
fn normalize_into(path: &[u8], out: &mut Vec<u8>) {
    let absolute = path.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in path.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|p| *p != b"..") {
                    parts.pop();
                } else if !absolute {
                    parts.push(comp);
                }
            }
            _ => parts.push(comp),
        }
    }
    if absolute {
        out.push(b'/');
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(p);
    }
}

/// Append `/` unless `path` already ends with one (cwd is kept with a trailing slash).
pub fn ensure_trailing_slash(path: &mut Vec<u8>) {
    if path.last() != Some(&b'/') {
        path.push(b'/');
    }
}

/// The last component of `path` (`fd.filename`).
pub fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// Everything before the last `/` (`fd.directory`); `/` for files in the root.
pub fn directory(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => b"/",
        Some(i) => path.get(..i).unwrap_or_default(),
        None => path,
    }
}
