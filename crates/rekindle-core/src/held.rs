//! Writes held back so that many events' writes go to the store together.
//!
//! A follower of the log (the journey runner) that wrote once per event would wait its turn
//! for the store's writer once per event; under a busy store's ingestion that wait, not the
//! work, decides how far behind the log it falls. Holding a page's writes and making them in
//! one transaction keeps it up. The one rule that keeps this exact: what is held for a person
//! is written before that person's next event is handled, so every event reads the person as
//! if each earlier one had been written at once. (Different people's writes do not read each
//! other.) A follower that reads nothing of the store while it judges a page needs no such
//! rule: the points follower keeps the page's ledgers in memory.

use std::collections::HashSet;

use crate::PersonId;

/// Items held for writing, each for one person, in the order they were added.
#[derive(Debug)]
pub struct Held<T> {
    items: Vec<(PersonId, T)>,
    people: HashSet<PersonId>,
    most: usize,
}

impl<T> Held<T> {
    /// Held until taken; [`Held::must_write_before`] says to write once `most` are held.
    pub fn new(most: usize) -> Self {
        Self { items: Vec::new(), people: HashSet::new(), most: most.max(1) }
    }

    pub fn add(&mut self, person: PersonId, item: T) {
        self.people.insert(person);
        self.items.push((person, item));
    }

    /// Whether what is held must be written before an event of `person` is handled: some of
    /// it is that person's, or a transaction's worth is held.
    pub fn must_write_before(&self, person: PersonId) -> bool {
        self.items.len() >= self.most || self.people.contains(&person)
    }

    /// Everything held, in order, leaving nothing.
    pub fn take(&mut self) -> Vec<(PersonId, T)> {
        self.people.clear();
        std::mem::take(&mut self.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(n: u8) -> PersonId {
        PersonId(uuid::Uuid::from_bytes([n; 16]))
    }

    #[test]
    fn a_person_s_next_event_or_a_full_batch_asks_for_a_write() {
        let mut held = Held::new(3);
        assert!(!held.must_write_before(person(1)), "nothing held");
        held.add(person(1), "a");
        held.add(person(2), "b");
        assert!(held.must_write_before(person(1)));
        assert!(!held.must_write_before(person(3)));
        held.add(person(3), "c");
        assert!(held.must_write_before(person(4)), "three held: a transaction's worth");
        assert_eq!(held.take(), vec![(person(1), "a"), (person(2), "b"), (person(3), "c")]);
        assert_eq!(held.take(), vec![], "taken: nothing is held");
        assert!(!held.must_write_before(person(1)), "taken: the person is free again");
    }
}
