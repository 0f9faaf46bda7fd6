//! Rules over many people at once: the features rules read kept as columns ([`Columns`]), and
//! a rule compiled into filters over them ([`Compiled`]) that select a bitmap of rows.
//!
//! [`Rule::matches`](crate::Rule::matches) walks the rule for one person; a segment over a
//! million people walks it a million times, chasing each profile's pointers. Here a condition
//! on a column (a count, an amount, a time, the stage) is a loop over one vector writing 64
//! rows' answers per word, and `and`, `or` and `not` combine words. A condition no column
//! holds (bought X, a named session, a tag, `did`) is *residual*: it asks `Rule::matches` of
//! the rows still candidates only, after the column filters of its `and` have narrowed them.
//!
//! It is exact, not an approximation: the selection is the rows where `Rule::matches` holds.
//! Columns store what [`Metric::value`](crate::ast::Metric::value) gives (times as
//! nanoseconds), and a comparison becomes a range of stored values found by binary search
//! with the rule's own evaluation on a probe person, so units, rounding and windows are never
//! derived twice; a property test checks random rules on random people at random moments.
//!
//! ```
//! # use rekindle_rules::{parse, Subject, columnar::{Columns, Compiled}};
//! # fn example(subject: impl Fn(usize) -> Subject<'static>, people: usize) {
//! let mut columns = Columns::with_capacity(people);
//! for row in 0..people {
//!     columns.push(&subject(row)); // and `columns.set(row, &subject(row))` when they change
//! }
//! let rule = Compiled::new(&parse("orders >= 2 and days_since_order > 14").unwrap());
//! let selected = rule.select(&columns, chrono::Utc::now(), &subject);
//! println!("{} people", selected.count_ones(..));
//! # }
//! ```

mod columns;
mod kernel;
mod plan;
mod span;
#[cfg(test)]
mod tests;

pub use columns::Columns;
pub use fixedbitset::FixedBitSet;
pub use plan::Compiled;
