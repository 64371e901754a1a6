//! The unstable sort of libstdc++ (`std::sort`: introsort, median-of-three pivot, final
//! insertion sort), reimplemented from its documented algorithm.
//!
//! Why: sysdig prints some tables in the order `std::sort` leaves equal elements; to print
//! the same bytes we must move elements exactly as that algorithm does.

/// Elements below which introsort leaves a range to the final insertion sort.
const THRESHOLD: usize = 16;

/// Sort `v` with `less` as libstdc++'s `std::sort(begin, end, less)` would.
pub fn sort_by<T: Clone>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let depth = 2 * (usize::BITS - 1 - n.leading_zeros()) as usize;
    introsort_loop(v, 0, n, depth, &less);
    final_insertion_sort(v, &less);
}

fn lt<T>(v: &[T], a: usize, b: usize, less: &impl Fn(&T, &T) -> bool) -> bool {
    match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => less(x, y),
        _ => false,
    }
}

fn introsort_loop<T: Clone>(
    v: &mut [T],
    first: usize,
    mut last: usize,
    mut depth: usize,
    less: &impl Fn(&T, &T) -> bool,
) {
    // Recursion only on the right part, with a depth bounded by 2*log2(n) as in libstdc++.
    while last - first > THRESHOLD {
        if depth == 0 {
            heap_sort(v, first, last, less);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, less);
        introsort_loop(v, cut, last, depth, less);
        last = cut;
    }
}

fn move_median_to_first<T>(
    v: &mut [T],
    result: usize,
    a: usize,
    b: usize,
    c: usize,
    less: &impl Fn(&T, &T) -> bool,
) {
    let pick = if lt(v, a, b, less) {
        if lt(v, b, c, less) {
            b
        } else if lt(v, a, c, less) {
            c
        } else {
            a
        }
    } else if lt(v, a, c, less) {
        a
    } else if lt(v, b, c, less) {
        c
    } else {
        b
    };
    v.swap(result, pick);
}

fn partition_pivot<T>(
    v: &mut [T],
    first: usize,
    last: usize,
    less: &impl Fn(&T, &T) -> bool,
) -> usize {
    let mid = first + (last - first) / 2;
    move_median_to_first(v, first, first + 1, mid, last - 1, less);
    // Unguarded partition of [first+1, last) around v[first].
    let pivot = first;
    let (mut lo, mut hi) = (first + 1, last);
    loop {
        while lt(v, lo, pivot, less) {
            lo += 1;
        }
        hi -= 1;
        while lt(v, pivot, hi, less) {
            hi -= 1;
        }
        if lo >= hi {
            return lo;
        }
        v.swap(lo, hi);
        lo += 1;
    }
}

fn final_insertion_sort<T: Clone>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let n = v.len();
    if n > THRESHOLD {
        insertion_sort(v, 0, THRESHOLD, less);
        for i in THRESHOLD..n {
            linear_insert(v, i, less);
        }
    } else {
        insertion_sort(v, 0, n, less);
    }
}

fn insertion_sort<T: Clone>(
    v: &mut [T],
    first: usize,
    last: usize,
    less: &impl Fn(&T, &T) -> bool,
) {
    for i in first + 1..last {
        if lt(v, i, first, less) {
            // Rotate v[first..=i] right by one: the element goes to the front.
            if let Some(s) = v.get_mut(first..=i) {
                s.rotate_right(1);
            }
        } else {
            linear_insert(v, i, less);
        }
    }
}

fn linear_insert<T: Clone>(v: &mut [T], mut last: usize, less: &impl Fn(&T, &T) -> bool) {
    let Some(val) = v.get(last).cloned() else {
        return;
    };
    while last > 0 && v.get(last - 1).is_some_and(|p| less(&val, p)) {
        v.swap(last, last - 1);
        last -= 1;
    }
    if let Some(slot) = v.get_mut(last) {
        *slot = val;
    }
}

/// libstdc++'s `__partial_sort(first, last, last)`: make a max-heap, then pop it.
fn heap_sort<T: Clone>(v: &mut [T], first: usize, last: usize, less: &impl Fn(&T, &T) -> bool) {
    let len = last - first;
    if len < 2 {
        return;
    }
    // make_heap
    let mut parent = (len - 2) / 2;
    loop {
        if let Some(val) = v.get(first + parent).cloned() {
            adjust_heap(v, first, parent, len, val, less);
        }
        if parent == 0 {
            break;
        }
        parent -= 1;
    }
    // sort_heap
    let mut end = last;
    while end - first > 1 {
        end -= 1;
        if let Some(val) = v.get(end).cloned() {
            v.swap(first, end);
            // After the swap v[end] holds the old top; re-insert val from the root.
            adjust_heap(v, first, 0, end - first, val, less);
        }
    }
}

fn adjust_heap<T: Clone>(
    v: &mut [T],
    first: usize,
    mut hole: usize,
    len: usize,
    val: T,
    less: &impl Fn(&T, &T) -> bool,
) {
    let top = hole;
    let mut child = hole;
    while child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if lt(v, first + child, first + child - 1, less) {
            child -= 1;
        }
        v.swap(first + hole, first + child);
        hole = child;
    }
    if len % 2 == 0 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v.swap(first + hole, first + child - 1);
        hole = child - 1;
    }
    // push_heap of val from hole up to top.
    let mut parent = hole.saturating_sub(1) / 2;
    while hole > top && v.get(first + parent).is_some_and(|p| less(p, &val)) {
        v.swap(first + hole, first + parent);
        hole = parent;
        parent = hole.saturating_sub(1) / 2;
    }
    if let Some(slot) = v.get_mut(first + hole) {
        *slot = val;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_any_sort() {
        let mut seed = 12345u64;
        for n in [0usize, 1, 2, 5, 16, 17, 40, 300, 1000] {
            let mut v: Vec<u64> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 33) % 50
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable_by(|a, b| b.cmp(a));
            sort_by(&mut v, |a, b| a > b);
            assert_eq!(v, want);
        }
    }

    #[test]
    fn heap_fallback_sorts() {
        let mut v: Vec<u32> = (0..100).map(|i| (i * 37) % 101).collect();
        let mut want = v.clone();
        want.sort_unstable();
        heap_sort(&mut v, 0, 100, &|a: &u32, b: &u32| a < b);
        assert_eq!(v, want);
    }
}
