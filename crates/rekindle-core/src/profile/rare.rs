//! What most people never have: refunds, questions, tickets, a birthday, an invitation, a
//! member level. Kept behind one pointer, allocated on the first write, so the many who have
//! none of it pay eight bytes rather than the hundred and fifty its fields take inline.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::{Asked, IdHash, MonthDay, Text};
use crate::referral::Invitation;

/// The rarely set part of a [`super::Profile`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rare {
    /// Refunded amount by order id hash.
    pub refunds_fen: Box<[(IdHash, i64)]>,
    /// Questions asked in live rooms (`Live Commented` with `is_question` and a `comment_id`)
    /// and their first answers (`Live Replied`), by comment id hash.
    pub questions: Box<[(IdHash, Asked)]>,
    /// When each ticket was first opened, by ticket id hash.
    pub tickets_opened: Box<[(IdHash, DateTime<Utc>)]>,
    /// When each resolved ticket was first resolved, by ticket id hash.
    pub tickets_resolved: Box<[(IdHash, DateTime<Utc>)]>,
    /// The birthday the person last gave (in an `identify`), with when they gave it.
    pub birthday: Option<(DateTime<Utc>, MonthDay)>,
    /// The earliest invitation the person carries (docs/referral.md), boxed: few have one.
    pub invitation: Option<Box<Invitation>>,
    /// The referral rewards already written to the log (`Referral Qualified`), one bit per
    /// [`crate::referral::Occasion`].
    pub referral_qualified: u8,
    /// The member level the last `Level Changed` gave (its `level`), and when.
    pub level: Option<(DateTime<Utc>, Text)>,
}

/// The rare part of someone without any.
pub(super) static NONE: LazyLock<Rare> = LazyLock::new(Rare::default);

/// The rare part, or nothing. Compared by content, so an allocated part left empty equals
/// none: the fold's outcome must not depend on which events happened to allocate it.
#[derive(Debug, Clone, Default)]
pub struct RarePart(Option<Box<Rare>>);

impl RarePart {
    pub(super) fn get(&self) -> &Rare {
        self.0.as_deref().unwrap_or(&NONE)
    }

    pub(super) fn get_mut(&mut self) -> &mut Rare {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for RarePart {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RarePart {}
