//! Path handling as libsinsp does it: joining relative names to a directory, then
//! removing `.`, `..` and repeated slashes.

/// `dir` joined with `name` (unless `name` is absolute), normalised, into `out`.
pub fn resolve(dir: &[u8], name: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if name.first() == Some(&b'/') || dir.is_empty() {
        normalize_into(name, out);
        return;
    }
    // Most names are plain relative paths under a clean directory: nothing to normalise.
    if dir.first() == Some(&b'/')
        && dir.last() == Some(&b'/')
        && name.last() != Some(&b'/')
        && is_clean(dir)
        && is_clean(name)
    {
        out.extend_from_slice(dir);
        out.extend_from_slice(name);
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

/// True when no component of `path` (leading and trailing `/` aside) is empty, `.` or `..`:
/// normalising it changes nothing but a trailing `/`.
fn is_clean(path: &[u8]) -> bool {
    let inner = path.strip_prefix(b"/").unwrap_or(path);
    let inner = inner.strip_suffix(b"/").unwrap_or(inner);
    let (Some(&first), Some(&last), Some(rest)) = (inner.first(), inner.last(), inner.get(1..))
    else {
        return false;
    };
    // An empty, `.` or `..` component needs a `/` at either end, a `//`, a `/.`, or a `.`
    // first. Looking for those is a branch-free pass over byte pairs (every opened path
    // comes here); only a path that has one is split into its components.
    let odd_pair = inner.iter().zip(rest).fold(false, |acc, (&a, &b)| {
        acc | ((a == b'/') & ((b == b'/') | (b == b'.')))
    });
    if !odd_pair && first != b'.' && first != b'/' && last != b'/' {
        return true;
    }
    inner
        .split(|&b| b == b'/')
        .all(|c| !matches!(c, b"" | b"." | b".."))
}

/// Normalise `path`: collapse `//`, drop `.`, apply `..` (never above the root).
fn normalize_into(path: &[u8], out: &mut Vec<u8>) {
    // An absolute path that is already normal (the usual case) is copied as it is.
    if path.first() == Some(&b'/') && path.len() > 1 && path.last() != Some(&b'/') && is_clean(path)
    {
        out.extend_from_slice(path);
        return;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn res(dir: &str, name: &str) -> String {
        let mut out = Vec::new();
        resolve(dir.as_bytes(), name.as_bytes(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn resolves_like_libsinsp() {
        // The quick paths (clean input) and the general one agree.
        assert_eq!(res("/home/u/", "notes.txt"), "/home/u/notes.txt");
        assert_eq!(res("/home/u/", "a/b"), "/home/u/a/b");
        assert_eq!(res("/home/u/", "a/b/"), "/home/u/a/b");
        assert_eq!(res("/home/u/", ""), "/home/u");
        assert_eq!(res("/home/u/", "./x"), "/home/u/x");
        assert_eq!(res("/home/u/", "../x"), "/home/x");
        assert_eq!(res("/home/u/", "a//b"), "/home/u/a/b");
        assert_eq!(res("/", "etc"), "/etc");
        assert_eq!(res("/a/./b/", "c"), "/a/b/c");
        assert_eq!(res("/x/", "/etc/passwd"), "/etc/passwd");
        assert_eq!(res("/x/", "/etc//passwd/"), "/etc/passwd");
        assert_eq!(res("/x/", "/../etc"), "/etc");
        assert_eq!(res("/x/", "/"), "/");
        assert_eq!(res("", "rel/../y"), "y");
        assert_eq!(res("/x/", "/a/.."), "/");
        assert_eq!(res("/x/", "/a/."), "/a");
        assert_eq!(res("/x/", "//a"), "/a");
        assert_eq!(res("/x/", "/a//"), "/a");
        assert_eq!(res("/x/", "/.a/b.c/..d"), "/.a/b.c/..d");
        assert_eq!(res("/x/", "/a/./b"), "/a/b");
        assert_eq!(res("/x/", "/a/b/../c"), "/a/c");
        assert_eq!(res("/x/", "/a/b/.."), "/a");
    }

    #[test]
    fn clean_check_matches_components() {
        // Every path over a small alphabet: the quick check agrees with the plain one.
        let alphabet = [b'/', b'.', b'a'];
        for len in 1..=6 {
            for mut n in 0..3usize.pow(len) {
                let mut p = Vec::new();
                for _ in 0..len {
                    p.push(alphabet[n % 3]);
                    n /= 3;
                }
                let inner = p.strip_prefix(b"/").unwrap_or(&p);
                let inner = inner.strip_suffix(b"/").unwrap_or(inner);
                let plain = !inner.is_empty()
                    && inner
                        .split(|&b| b == b'/')
                        .all(|c| !matches!(c, b"" | b"." | b".."));
                assert_eq!(is_clean(&p), plain, "{}", String::from_utf8_lossy(&p));
            }
        }
    }
}
