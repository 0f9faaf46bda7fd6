//! Interned texts of order lines and live sessions. A store sells a catalogue and runs a
//! schedule of sessions, so the distinct texts are few while the references to them are
//! many: each is stored once, for the life of the process, and profiles point at it.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::{LazyLock, Mutex, OnceLock};

use super::Item;

/// What an order line says about the product.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemText {
    pub category: Option<Box<str>>,
    pub sku: Option<Box<str>>,
    pub name: Option<Box<str>>,
}

static ITEMS: LazyLock<Mutex<HashSet<&'static ItemText>>> = LazyLock::new(Mutex::default);

pub fn item(category: Option<&str>, sku: Option<&str>, name: Option<&str>) -> &'static ItemText {
    let key = ItemText { category: category.map(Into::into), sku: sku.map(Into::into), name: name.map(Into::into) };
    let mut items = ITEMS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = items.get(&key) {
        return found;
    }
    let leaked: &'static ItemText = Box::leak(Box::new(key));
    items.insert(leaked);
    leaked
}

impl ItemText {
    /// Every item text interned so far: what a caller can work out once per text (which
    /// `bought` terms name it) and then find by address.
    pub fn all() -> Vec<&'static ItemText> {
        ITEMS.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect()
    }
}

/// An order's lines, interned like their texts: a person's orders repeat the catalogue's
/// usual baskets, so an order holds one thin pointer rather than a slice of its own.
/// Compared, ordered and hashed by the lines, as the slice it stands for.
#[derive(Clone, Copy)]
pub struct Lines(&'static Thin);

/// A boxed slice behind a thin reference: `&[Item]` would take two words.
type Thin = Box<[Item]>;

static LINES: LazyLock<Mutex<HashMap<&'static [Item], &'static Thin>>> = LazyLock::new(Mutex::default);

impl Lines {
    pub fn new(items: Vec<Item>) -> Self {
        let mut lines = LINES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = lines.get(items.as_slice()) {
            return Self(found);
        }
        let leaked: &'static Thin = Box::leak(Box::new(items.into_boxed_slice()));
        lines.insert(leaked, leaked);
        Self(leaked)
    }
}

impl Default for Lines {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl From<Vec<Item>> for Lines {
    fn from(items: Vec<Item>) -> Self {
        Self::new(items)
    }
}

impl std::ops::Deref for Lines {
    type Target = [Item];

    fn deref(&self) -> &[Item] {
        self.0
    }
}

impl<'a> IntoIterator for &'a Lines {
    type Item = &'a Item;
    type IntoIter = std::slice::Iter<'a, Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl PartialEq for Lines {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Lines {}

impl PartialOrd for Lines {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Lines {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl std::hash::Hash for Lines {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A short text (a live session id, a staff id, a source, a level), interned and named by
/// its number: four bytes where a `&'static str` takes sixteen, and profiles hold millions.
/// Equal numbers are equal texts; ordered by the text, as the `&str` it stands for, so folds
/// that keep the smaller of two come out the same in every process.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text(NonZeroU32);

/// The numbers given out, by text.
static NUMBERS: LazyLock<Mutex<HashMap<&'static str, Text>>> = LazyLock::new(Mutex::default);

/// The texts, by number: bucket `b` holds numbers `2^b ..= 2^(b+1) - 1`. A bucket is
/// allocated when its first number is given out and never moves, so reading a text back
/// takes no lock (rules compare session ids in their hot loops).
static TEXTS: [OnceLock<Box<[OnceLock<&'static str>]>>; 32] = [const { OnceLock::new() }; 32];

impl Text {
    pub fn new(s: &str) -> Self {
        let mut numbers = NUMBERS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = numbers.get(s) {
            return *found;
        }
        let n = u32::try_from(numbers.len() + 1).ok().and_then(NonZeroU32::new).expect("fewer than 2^32 texts");
        let (bucket, slot) = place(n);
        let leaked: &'static str = Box::leak(s.into());
        let slots = TEXTS[bucket].get_or_init(|| (0..1usize << bucket).map(|_| OnceLock::new()).collect());
        slots[slot].set(leaked).expect("each number is given out once");
        numbers.insert(leaked, Self(n));
        Self(n)
    }

    pub fn as_str(self) -> &'static str {
        let (bucket, slot) = place(self.0);
        TEXTS[bucket].get().and_then(|slots| slots[slot].get()).expect("a number is given out after its text is kept")
    }
}

/// The bucket and slot of a number.
fn place(n: NonZeroU32) -> (usize, usize) {
    let bucket = n.ilog2();
    (bucket as usize, (n.get() - (1 << bucket)) as usize)
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other { std::cmp::Ordering::Equal } else { self.as_str().cmp(other.as_str()) }
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_text_is_the_same_reference() {
        let a = super::item(Some("水果"), Some("kiwi"), None);
        let b = super::item(Some("水果"), Some("kiwi"), None);
        assert!(std::ptr::eq(a, b));
        assert!(!std::ptr::eq(a, super::item(Some("水果"), Some("kiwi-12"), None)));
        let (s1, s2) = (super::Text::new("live-1"), super::Text::new("live-0"));
        assert_eq!((s1, s1.as_str()), (super::Text::new("live-1"), "live-1"));
        assert!(s2 < s1, "ordered by the text, not by when it was first seen");
        let place = |n| super::place(std::num::NonZeroU32::new(n).unwrap());
        assert_eq!([place(1), place(2), place(3), place(4)], [(0, 0), (1, 0), (1, 1), (2, 0)]);
        assert_eq!(place(u32::MAX), (31, (1 << 31) - 1));
        let line = super::Item { text: a, units: 2 };
        let (x, y) = (super::Lines::new(vec![line]), super::Lines::new(vec![line]));
        assert!(std::ptr::eq(x.0, y.0));
        assert_eq!(x, y);
        assert_ne!(x, super::Lines::default());
    }
}
