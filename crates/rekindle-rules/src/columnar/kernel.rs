//! Filters over one column: a tight loop per 64 rows writing a word of the selection.
//!
//! The words are `FixedBitSet`'s blocks, written directly: a filter produces 64 answers at
//! once, and only the words with a candidate left are computed at all, so a condition after
//! a selective one costs little.

use super::span::Span;

const W: usize = usize::BITS as usize;
const _: () = assert!(W == 64, "words of 64 rows");

/// `out[w]`: the candidates of word `w` for which `f` holds.
#[inline]
pub(crate) fn fill<T: Copy>(col: &[T], cand: &[usize], out: &mut [usize], f: impl Fn(T) -> bool) {
    for ((o, &c), chunk) in out.iter_mut().zip(cand).zip(col.chunks(W)) {
        if c == 0 {
            *o = 0;
            continue;
        }
        // Answers as bytes first (a loop the compiler vectorises), then packed eight at a
        // time: the multiply moves byte k's low bit to bit 56 + k.
        let mut bytes = [0u8; W];
        for (b, &x) in bytes.iter_mut().zip(chunk) {
            *b = u8::from(f(x));
        }
        let mut word = 0usize;
        for (j, eight) in bytes.chunks_exact(8).enumerate() {
            let v = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
            word |= ((v.wrapping_mul(0x0102_0408_1020_4080) >> 56) as usize) << (8 * j);
        }
        *o = word & c;
    }
}

/// A stored integer a span can be compared with.
pub(crate) trait Cell: Copy + PartialOrd + Into<i64> + TryFrom<i64> {
    const MIN: i64;
    const MAX: i64;
}

macro_rules! cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            const MIN: i64 = <$t>::MIN as i64;
            const MAX: i64 = <$t>::MAX as i64;
        }
    )*};
}
cell!(i64, i32, u32, u8);

/// Rows whose value is in the span; rows holding `none` (a column's "no value") get
/// `none_holds` instead. The span lies within the column's values (see [`super::span`]).
pub(crate) fn range<T: Cell>(col: &[T], span: Span, none: Option<(T, bool)>, cand: &[usize], out: &mut [usize]) {
    let clamp = |x: i64| T::try_from(x.clamp(T::MIN, T::MAX)).ok().expect("clamped");
    if span.lo > span.hi || span.lo > T::MAX || span.hi < T::MIN {
        // An empty span: every row is outside it.
        let outside = span.negate;
        return match none {
            None => fill(col, cand, out, |_| outside),
            Some((n, holds)) => fill(col, cand, out, |x| if x == n { holds } else { outside }),
        };
    }
    let (lo, hi, negate) = (clamp(span.lo), clamp(span.hi), span.negate);
    match none {
        None => fill(col, cand, out, |x| ((x >= lo) & (x <= hi)) != negate),
        Some((n, holds)) => fill(col, cand, out, |x| {
            let inside = ((x >= lo) & (x <= hi)) != negate;
            // A select, not a branch, so the loop stays straight.
            let is_none = x == n;
            (inside & !is_none) | (holds & is_none)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_writes_each_word_and_skips_words_without_candidates() {
        let col: Vec<i64> = (0..200).collect();
        let mut cand = vec![usize::MAX; 4];
        cand[1] = 0;
        let mut out = vec![7; 4];
        range(&col, Span { lo: 10, hi: 140, negate: false }, Some((100, false)), &cand, &mut out);
        let rows: Vec<usize> = (0..200).filter(|r| out[r / W] >> (r % W) & 1 == 1).collect();
        let want: Vec<usize> = (10..=140).filter(|r| !(64..128).contains(r) && *r != 100).collect();
        assert_eq!(rows, want);
    }
}
