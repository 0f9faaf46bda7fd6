//! Which order lines each `bought` term names, worked out once per item text for a whole
//! audience. `Item::is` compares a SKU and a category and searches the product's name; at a
//! refresh of a million people against dozens of `bought` terms, that text work was a tenth of
//! the refresh. Item texts are interned, so each (term, text) answer is computed once and then
//! found by the text's address.

use std::collections::HashMap;

use rekindle_core::profile::{Item, ItemText};
use rustc_hash::FxHashMap;

use crate::ast::Rule;

/// The answers, by term, by text address.
#[derive(Debug, Default)]
pub struct Bought {
    by_what: HashMap<String, FxHashMap<usize, bool>>,
}

impl Bought {
    /// For every `bought` term of `rules`, over the item texts interned so far. Texts interned
    /// later (by events folded after this) are judged by `Item::is` when they come up.
    pub fn of<'r>(rules: impl IntoIterator<Item = &'r Rule>) -> Self {
        let mut terms = Vec::new();
        for rule in rules {
            terms_of(rule, &mut terms);
        }
        if terms.is_empty() {
            return Self::default();
        }
        let texts = ItemText::all();
        let by_what = terms
            .into_iter()
            .map(|what| {
                let answers = texts.iter().map(|t| (address(t), Item { text: t, units: 0 }.is(&what))).collect();
                (what, answers)
            })
            .collect();
        Self { by_what }
    }

    /// Whether `item` is what `what` names, as [`Item::is`] answers.
    pub fn names(&self, what: &str, item: &Item) -> bool {
        match self.by_what.get(what).and_then(|answers| answers.get(&address(item.text))) {
            Some(known) => *known,
            None => item.is(what),
        }
    }
}

fn address(text: &'static ItemText) -> usize {
    std::ptr::from_ref(text) as usize
}

fn terms_of(rule: &Rule, out: &mut Vec<String>) {
    match rule {
        Rule::And(a, b) | Rule::Or(a, b) => {
            terms_of(a, out);
            terms_of(b, out);
        }
        Rule::Not(a) => terms_of(a, out),
        Rule::Bought { what, .. } if !out.contains(what) => out.push(what.clone()),
        _ => {}
    }
}
