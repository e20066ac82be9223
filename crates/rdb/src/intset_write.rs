//! Builds intsets (layout in `intset.rs`): sorted, one width for all.

/// The intset blob of `values`, which are sorted and deduplicated here.
pub(crate) fn build(values: &mut Vec<i64>) -> Vec<u8> {
    values.sort_unstable();
    values.dedup();
    // The narrowest width holding both ends (`_intsetValueEncoding`).
    let (min, max) = (
        values.first().copied().unwrap_or(0),
        values.last().copied().unwrap_or(0),
    );
    let fits = |lo: i64, hi: i64| min >= lo && max <= hi;
    let width: usize = if fits(i16::MIN.into(), i16::MAX.into()) {
        2
    } else if fits(i32::MIN.into(), i32::MAX.into()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + values.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values.iter() {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::blob::run;
    use crate::intset::parse;

    #[test]
    fn widths_and_order() {
        for (values, width) in [
            (vec![3, -1, 2, 2], 2u8),
            (vec![70_000, 1], 4),
            (vec![i64::MIN, 0], 8),
            (vec![i64::from(i16::MIN), i64::from(i16::MAX)], 2),
        ] {
            let mut v = values.clone();
            let blob = build(&mut v);
            assert_eq!(blob[0], width);
            let mut want = values;
            want.sort();
            want.dedup();
            assert_eq!(run(&blob, 0, "intset", parse).unwrap(), want);
        }
    }
}
