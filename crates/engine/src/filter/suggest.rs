//! "Did you mean" for unknown field names.

/// The closest candidate to `name` by edit distance, if it is close enough to be a typo
/// (at most a third of the name's length, and at least 1).
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    let mut row = Vec::new();
    for c in candidates {
        let d = levenshtein(name, c, &mut row);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance (insert, delete, substitute) over chars, with one reused row.
fn levenshtein(a: &str, b: &str, row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..=b.chars().count());
    for (i, ca) in a.chars().enumerate() {
        let mut diag = i;
        let mut left = i + 1;
        for (j, cb) in b.chars().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let cost = diag + usize::from(ca != cb);
            let cur = cost.min(up.saturating_add(1)).min(left + 1);
            diag = up;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = cur;
            }
            left = cur;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        let mut r = Vec::new();
        assert_eq!(levenshtein("kitten", "sitting", &mut r), 3);
        assert_eq!(levenshtein("", "abc", &mut r), 3);
        assert_eq!(levenshtein("proc.nme", "proc.name", &mut r), 1);
    }

    #[test]
    fn picks_closest() {
        let names = ["proc.name", "proc.pname", "fd.name"];
        assert_eq!(closest("proc.nme", names), Some("proc.name"));
        assert_eq!(closest("xyz.abc", names), None);
    }
}
