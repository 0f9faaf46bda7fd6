//! Interned texts of order lines and live sessions. A store sells a catalogue and runs a
//! schedule of sessions, so the distinct texts are few while the references to them are
//! many: each is stored once, for the life of the process, and profiles point at it.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

/// What an order line says about the product.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemText {
    pub category: Option<Box<str>>,
    pub sku: Option<Box<str>>,
    pub name: Option<Box<str>>,
}

static ITEMS: LazyLock<Mutex<HashSet<&'static ItemText>>> = LazyLock::new(Mutex::default);
static TEXTS: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);

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

pub fn text(s: &str) -> &'static str {
    let mut texts = TEXTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = texts.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.into());
    texts.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_text_is_the_same_reference() {
        let a = super::item(Some("水果"), Some("kiwi"), None);
        let b = super::item(Some("水果"), Some("kiwi"), None);
        assert!(std::ptr::eq(a, b));
        assert!(!std::ptr::eq(a, super::item(Some("水果"), Some("kiwi-12"), None)));
        assert!(std::ptr::eq(super::text("live-1"), super::text("live-1")));
    }
}
