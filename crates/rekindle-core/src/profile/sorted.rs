//! Small maps and sets kept as sorted boxed slices. A person has a handful of orders,
//! sessions and active days: a boxed slice is two words where a `Vec` is three, and holds no
//! spare capacity. Growing by one reallocates, which the allocator mostly does in place, and
//! happens once per new key, not per event.

/// The entry for `key` in a slice sorted by key, inserted with `default` if absent.
pub(crate) fn entry<K: Ord + Copy, V>(v: &mut Box<[(K, V)]>, key: K, default: impl FnOnce() -> V) -> &mut V {
    let i = match v.binary_search_by(|(k, _)| k.cmp(&key)) {
        Ok(i) => i,
        Err(i) => {
            insert(v, i, (key, default()));
            i
        }
    };
    &mut v[i].1
}

/// Insert into a sorted slice of distinct values.
pub(crate) fn insert_sorted<T: Ord>(v: &mut Box<[T]>, x: T) {
    if let Err(i) = v.binary_search(&x) {
        insert(v, i, x);
    }
}

/// Insert at `i`, growing the slice by exactly one.
pub(crate) fn insert<T>(v: &mut Box<[T]>, i: usize, x: T) {
    let mut grown = std::mem::take(v).into_vec();
    grown.reserve_exact(1);
    grown.insert(i, x);
    *v = grown.into_boxed_slice();
}

#[cfg(test)]
mod tests {
    #[test]
    fn inserts_keep_the_slice_sorted_and_exact() {
        let mut days: Box<[i32]> = Box::default();
        for d in [5, 1, 3, 1, 5] {
            super::insert_sorted(&mut days, d);
        }
        assert_eq!(&*days, [1, 3, 5]);
        let mut seconds: Box<[(u8, u32)]> = Box::default();
        *super::entry(&mut seconds, 2, || 0) += 10;
        *super::entry(&mut seconds, 1, || 7) += 1;
        *super::entry(&mut seconds, 2, || 0) += 5;
        assert_eq!(&*seconds, [(1, 8), (2, 15)]);
    }
}
