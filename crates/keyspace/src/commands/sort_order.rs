//! How SORT orders its elements (sort.c's `sortCompare()`), and the partial
//! quicksort (pqsort.c) Redis uses when BY and LIMIT select part of the result.
//!
//! Both matter for exact replies: elements that compare equal keep the order
//! redis-server leaves them in. A full sort is glibc's `qsort()`, a merge sort and so
//! stable (Debian 12's glibc 2.36), which `slice::sort_by` also is; the partial sort
//! is Bentley and McIlroy's quicksort that skips the parts outside the range, which
//! permutes equal elements in its own way, reproduced step for step below.

use std::cmp::Ordering;

use bytes::Bytes;

/// One element to sort (Redis's `redisSortObject`).
#[derive(Debug, Clone)]
pub(super) struct Item {
    /// The element itself.
    pub(super) obj: Bytes,
    /// Its numeric weight (0 when the BY key is missing).
    pub(super) score: f64,
    /// Its ALPHA weight from a BY key; `None` when missing (or not looked up).
    pub(super) weight: Option<Bytes>,
}

/// The comparison `sortCompare()` makes under the command's options.
#[derive(Debug, Clone, Copy)]
pub(super) struct Order {
    pub(super) desc: bool,
    pub(super) alpha: bool,
    /// A BY pattern was given (its weights decide an ALPHA sort).
    pub(super) by: bool,
    /// STORE was given: ALPHA compares bytes rather than collating.
    pub(super) store: bool,
}

impl Order {
    pub(super) fn cmp(&self, a: &Item, b: &Item) -> Ordering {
        let ord = if !self.alpha {
            // Equal scores fall back to the elements' bytes, so the result does
            // not depend on the input order.
            match a.score.partial_cmp(&b.score) {
                Some(Ordering::Equal) | None => a.obj.cmp(&b.obj),
                Some(o) => o,
            }
        } else if self.by {
            match (&a.weight, &b.weight) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => self.text_cmp(x, y),
            }
        } else {
            self.text_cmp(&a.obj, &b.obj)
        };
        if self.desc {
            ord.reverse()
        } else {
            ord
        }
    }

    /// `compareStringObjects()` (bytes, then length) when storing, `strcoll()`
    /// otherwise: C strings, so up to the first NUL byte, and byte order in the C
    /// and C.UTF-8 locales Debian's redis-server runs under.
    fn text_cmp(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.store {
            a.cmp(b)
        } else {
            c_str(a).cmp(c_str(b))
        }
    }
}

/// The bytes a C function sees: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or_default()
}

/// Redis's `pqsort(v, n, cmp, lo, hi)`: sorts enough of `v` that positions `lo..=hi`
/// hold what a full sort would put there, leaving equal elements where its
/// quicksort leaves them.
pub(super) fn pqsort<T>(v: &mut [T], lo: i64, hi: i64, cmp: &impl Fn(&T, &T) -> Ordering) {
    partial(v, 0, lo, hi, cmp);
}

/// `_pqsort()` on `v`, which starts at position `base` of the whole array.
fn partial<T>(mut v: &mut [T], mut base: i64, lo: i64, hi: i64, cmp: &impl Fn(&T, &T) -> Ordering) {
    // Whether the part `[first, last]` (whole-array positions) lies entirely on one
    // side of the wanted range, as pqsort.c tests it.
    let outside = |first: i64, last: i64| (lo < first && hi < first) || (lo > last && hi > last);
    loop {
        let n = v.len();
        if n < 7 {
            for m in 1..n {
                let mut l = m;
                while l > 0 && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut pm = n / 2;
        if n > 7 {
            let mut pl = 0;
            let mut pn = n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(0, pm);
        // Bentley-McIlroy three-way partition around v[0]: equal elements gather
        // at both ends ([1, pa) and (pd, n)), then move to the middle.
        let (mut pa, mut pb) = (1usize, 1usize);
        let (mut pc, mut pd) = (n as isize - 1, n as isize - 1);
        loop {
            while pb as isize <= pc {
                let r = cmp(&v[pb], &v[0]);
                if r == Ordering::Greater {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb as isize <= pc {
                let r = cmp(&v[pc as usize], &v[0]);
                if r == Ordering::Less {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(pc as usize, pd as usize);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb as isize > pc {
                break;
            }
            v.swap(pb, pc as usize);
            pb += 1;
            pc -= 1;
        }
        let (pc, pd) = (pc as usize, pd as usize);
        let r = pa.min(pb - pa);
        vecswap(v, 0, pb - r, r);
        let r = (pd - pc).min(n - pd - 1);
        vecswap(v, pb, n - r, r);
        let left = pb - pa;
        if left > 1 && !outside(base, base + left as i64 - 1) {
            partial(&mut v[..left], base, lo, hi, cmp);
        }
        let right = pd - pc;
        if right <= 1 {
            return;
        }
        // The right part: iterate rather than recurse, as pqsort.c does.
        let first = base + (n - right) as i64;
        if outside(first, first + right as i64 - 1) {
            return;
        }
        v = &mut v[n - right..];
        base = first;
    }
}

/// The median of three positions, by pqsort.c's exact sequence of comparisons.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

/// Swaps `n` elements from `a` with `n` elements from `b`, pairwise.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(obj: &str, score: f64, weight: Option<&str>) -> Item {
        Item {
            obj: Bytes::copy_from_slice(obj.as_bytes()),
            score,
            weight: weight.map(|w| Bytes::copy_from_slice(w.as_bytes())),
        }
    }

    #[test]
    fn numeric_ties_fall_back_to_bytes() {
        let order = Order {
            desc: false,
            alpha: false,
            by: false,
            store: false,
        };
        assert_eq!(
            order.cmp(&item("b", 1.0, None), &item("a", 1.0, None)),
            Ordering::Greater
        );
        assert_eq!(
            order.cmp(&item("b", 1.0, None), &item("a", 2.0, None)),
            Ordering::Less
        );
        let desc = Order {
            desc: true,
            ..order
        };
        assert_eq!(
            desc.cmp(&item("b", 1.0, None), &item("a", 2.0, None)),
            Ordering::Greater
        );
    }

    #[test]
    fn alpha_collates_c_strings_unless_storing() {
        let order = Order {
            desc: false,
            alpha: true,
            by: false,
            store: false,
        };
        let (x, y) = (item("a\0z", 0.0, None), item("a\0b", 0.0, None));
        assert_eq!(order.cmp(&x, &y), Ordering::Equal);
        let store = Order {
            store: true,
            ..order
        };
        assert_eq!(store.cmp(&x, &y), Ordering::Greater);
        let by = Order { by: true, ..order };
        assert_eq!(
            by.cmp(&item("a", 0.0, None), &item("b", 0.0, Some(""))),
            Ordering::Less
        );
        assert_eq!(
            by.cmp(&item("a", 0.0, None), &item("b", 0.0, None)),
            Ordering::Equal
        );
    }

    /// Ties keep the places pqsort leaves them in: the orders redis-server 7.0.15
    /// gave for `SORT l BY nokey_* ALPHA LIMIT ...` (every weight missing, so all
    /// equal) on the list 5 3 9 1 7 2 8 6 4 0 11 15 13 12 14 10.
    #[test]
    fn partial_sort_permutes_ties_like_redis() {
        let list = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0, 11, 15, 13, 12, 14, 10];
        let run = |lo: i64, hi: i64| {
            let mut v = list.to_vec();
            pqsort(&mut v, lo, hi, &|_, _| Ordering::Equal);
            v[lo as usize..=hi as usize].to_vec()
        };
        assert_eq!(run(0, 4), vec![10, 3, 9, 1, 7]);
        assert_eq!(run(3, 9), vec![1, 7, 2, 8, 6, 4, 0]);
    }

    #[test]
    fn partial_sort_sorts_the_range() {
        let mut seed = 12345u64;
        for n in [0usize, 1, 5, 7, 8, 40, 41, 200, 1000] {
            let v: Vec<u32> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 40) as u32 % 50
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            for (lo, hi) in [
                (0, 3),
                (5, 9),
                (n as i64 / 2, n as i64 - 1),
                (0, n as i64 - 1),
            ] {
                if hi < lo || hi >= n as i64 {
                    continue;
                }
                let mut w = v.clone();
                pqsort(&mut w, lo, hi, &|a: &u32, b: &u32| a.cmp(b));
                assert_eq!(
                    w[lo as usize..=hi as usize],
                    sorted[lo as usize..=hi as usize],
                    "n={n} {lo}..={hi}"
                );
            }
        }
    }
}
