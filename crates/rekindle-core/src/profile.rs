//! A person's profile: features folded from their events (DESIGN.md, Capabilities 2).
//!
//! The fold is built so that order does not matter: every field is a minimum, a maximum, a
//! sum, or a set keyed by an id the events carry (order ids, ticket ids, purchase days).
//! Applying events in any order, late ones included, and merging two people's profiles when
//! OneID merges them, gives the same profile as folding all the events from scratch. Features
//! that depend on "now" (spend in the last 30 days, days since the last order) are answered at
//! evaluation time from what is kept, so the profile never goes stale as time passes.

use std::collections::{BTreeMap, BTreeSet};

pub use birthday::MonthDay;
pub use interned::{ItemText, Lines, Text};
pub use questions::Asked;
pub use rare::{Rare, RarePart};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use crate::events;
use crate::money::{Amounts, total};
use sorted::{entry, insert_sorted};

/// One event, as the profile reads it.
#[derive(Debug, Clone, Copy)]
pub struct ProfileEvent<'a> {
    pub at: DateTime<Utc>,
    pub name: &'a str,
    /// The event's `properties` object (an `identify`'s `traits`; `Value::Null` when it has
    /// none).
    pub properties: &'a Value,
    /// How to read its amounts: parsed at ingestion, or fen in an event stored before that.
    pub amounts: Amounts<'a>,
}

/// An order, kept by (a hash of) its id so a resent `Order Completed` counts once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Order {
    pub at: DateTime<Utc>,
    pub revenue_fen: i64,
    /// Its lines, interned (see [`Lines`]).
    pub items: Lines,
    /// The live session it was placed in, if any (read through [`Order::session`]).
    pub session: Option<Text>,
}

impl Order {
    /// The live session it was placed in, if any.
    pub fn session(&self) -> Option<&'static str> {
        self.session.map(Text::as_str)
    }
}

/// One line of an order. The texts are interned (see [`interned`]): a store sells a
/// catalogue's worth of products, so a line costs a pointer, not three strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Item {
    pub text: &'static ItemText,
    pub units: i64,
}

impl Item {
    pub fn category(&self) -> Option<&'static str> {
        self.text.category.as_deref()
    }

    pub fn sku(&self) -> Option<&'static str> {
        self.text.sku.as_deref()
    }

    pub fn name(&self) -> Option<&'static str> {
        self.text.name.as_deref()
    }

    /// Whether `what` names this item: its SKU or category exactly, or a part of its name.
    pub fn is(&self, what: &str) -> bool {
        self.sku() == Some(what) || self.category() == Some(what) || self.name().is_some_and(|n| n.contains(what))
    }
}

/// What a person bought of one category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryHistory {
    /// Days (UTC) with an order containing the category: the purchase count and intervals
    /// count days, so two orders on one day are one purchase occasion.
    pub days: BTreeSet<NaiveDate>,
    pub last_purchase: Option<DateTime<Utc>>,
    pub units: i64,
}

impl CategoryHistory {
    pub fn purchases(&self) -> usize {
        self.days.len()
    }

    /// Median days between consecutive purchase days; `None` with fewer than two.
    pub fn median_interval_days(&self) -> Option<f64> {
        let days: Vec<NaiveDate> = self.days.iter().copied().collect();
        let mut gaps: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
        if gaps.is_empty() {
            return None;
        }
        gaps.sort_unstable();
        let n = gaps.len();
        Some(if n % 2 == 1 { gaps[n / 2] as f64 } else { (gaps[n / 2 - 1] + gaps[n / 2]) as f64 / 2.0 })
    }
}

/// Ids the events carry (orders, tickets), kept as 64-bit hashes: a profile lives in memory
/// only, and two ids of one person colliding is vanishingly unlikely.
pub type IdHash = u64;

/// Everything kept per person. Collections are boxed slices sorted by key rather than maps: a
/// person has a handful of orders and sessions, and a slice costs a fraction of the memory
/// (see [`sorted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Orders by order id hash.
    pub orders: Box<[(IdHash, Order)]>,
    pub live_watch_seconds: i64,
    /// Seconds watched per live session, by session (read through [`Profile::sessions`]). A
    /// `u32`, saturating: 136 years of one session, where a person watches hours; the total
    /// above stays exact.
    pub watched_by_session: Box<[(Text, u32)]>,
    /// The last time the person was in a live room (entered or watched).
    pub last_live: Option<DateTime<Utc>>,
    pub comments: u32,
    pub likes: u32,
    pub shares: u32,
    /// Told who they are in an `identify` (a phone, an openid or unionid, a WeCom contact).
    pub identified: bool,
    /// The last message Rekindle delivered, opened or clicked for this person.
    pub last_touch: Option<DateTime<Utc>>,
    /// Each WeCom staff member the person is or was a friend of (docs/relationships.md).
    pub contacts: crate::contacts::Relationships,
    /// The first live session the person was in (read through [`Profile::first_live`]).
    pub first_live: Option<(DateTime<Utc>, Text)>,
    /// What most people never have (refunds, questions, tickets, birthday, invitation, level):
    /// read through [`Profile::rare`], written through [`Profile::rare_mut`]. Public only so
    /// that `Profile { .., ..Profile::default() }` works outside this module.
    pub rare: RarePart,
    /// When messages were delivered to the person, sorted, each once.
    pub touches: Box<[DateTime<Utc>]>,
    /// The store's local days (days since 1970-01-01) with any event, sorted: marked by the
    /// folder, which knows the store's calendar (see [`Profile::active_on`]).
    pub active_days: Box<[i32]>,
}

fn id_hash(id: &str) -> IdHash {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

fn min(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| a.min(b)))
}

fn max(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// The `identify` traits that name a person rather than a device.
const IDENTITY_TRAITS: [&str; 4] = ["phone", "wechat_openid", "wechat_unionid", "wecom_external_userid"];

/// An id-like property as text: a string (empty means absent) or a number written bare.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Profile {
    /// Fold one event in.
    pub fn apply(&mut self, e: ProfileEvent) {
        self.first_seen = min(self.first_seen, e.at);
        self.last_seen = max(self.last_seen, e.at);
        let p = e.properties;
        if let Some(invitation) = crate::referral::Invitation::of(e.name, p, e.at) {
            crate::referral::Invitation::earliest(&mut self.rare_mut().invitation, invitation);
        }
        match e.name {
            events::ORDER_COMPLETED => self.apply_order(e),
            events::ORDER_REFUNDED => {
                if let Some(id) = text(p.get("order_id")) {
                    let refunded = entry(&mut self.rare_mut().refunds_fen, id_hash(&id), || 0);
                    *refunded = refunded.saturating_add(e.amounts.get("amount", p.get("amount")).get());
                }
            }
            events::LIVE_WATCHED => {
                let seconds = p.get("seconds").and_then(Value::as_i64).unwrap_or(0).max(0);
                self.live_watch_seconds += seconds;
                if let Some(session) = text(p.get("session_id")) {
                    let session = Text::new(&session);
                    let kept = entry(&mut self.watched_by_session, session, || 0);
                    *kept = kept.saturating_add(u32::try_from(seconds).unwrap_or(u32::MAX));
                    self.first_live = earliest(self.first_live, (e.at, session));
                }
                self.last_live = max(self.last_live, e.at);
            }
            events::LIVE_ENTERED => {
                // Entering counts as being in the room, with no time watched yet.
                if let Some(session) = text(p.get("session_id")) {
                    let session = Text::new(&session);
                    entry(&mut self.watched_by_session, session, || 0);
                    self.first_live = earliest(self.first_live, (e.at, session));
                }
                self.last_live = max(self.last_live, e.at)
            }
            events::LIVE_COMMENTED => {
                self.comments += 1;
                // A question without a comment id cannot be matched to its answer: not kept.
                if p.get("is_question") == Some(&Value::Bool(true))
                    && let Some(id) = text(p.get("comment_id"))
                {
                    let asked = entry(&mut self.rare_mut().questions, id_hash(&id), Asked::default);
                    questions::earliest(&mut asked.at, e.at);
                }
            }
            events::LIVE_REPLIED => {
                if let Some(id) = text(p.get("comment_id")) {
                    let asked = entry(&mut self.rare_mut().questions, id_hash(&id), Asked::default);
                    questions::earliest(&mut asked.answered, e.at);
                }
            }
            events::LIVE_LIKED => self.likes += 1,
            events::LIVE_SHARED => self.shares += 1,
            events::MESSAGE_DELIVERED | events::MESSAGE_OPENED | events::MESSAGE_CLICKED => {
                self.last_touch = max(self.last_touch, e.at);
                if e.name == events::MESSAGE_DELIVERED {
                    insert_sorted(&mut self.touches, e.at);
                }
            }
            events::TICKET_OPENED => {
                if let Some(id) = text(p.get("ticket_id")) {
                    let at = entry(&mut self.rare_mut().tickets_opened, id_hash(&id), || e.at);
                    *at = (*at).min(e.at);
                }
            }
            events::TICKET_RESOLVED => {
                if let Some(id) = text(p.get("ticket_id")) {
                    self.resolve(id_hash(&id), e.at);
                }
            }
            events::CONTACT_ADDED | events::CONTACT_REMOVED => {
                self.contacts.apply(e.name, e.at, p);
            }
            events::REFERRAL_QUALIFIED => {
                let occasion = p.get("occasion").and_then(Value::as_str).and_then(crate::referral::Occasion::parse);
                if let Some(occasion) = occasion {
                    self.rare_mut().referral_qualified |= occasion.bit();
                }
            }
            events::LEVEL_CHANGED => {
                // The latest wins; on a tie the larger name, so arrival order never matters.
                if let Some(level) = text(p.get("level")) {
                    let rare = self.rare_mut();
                    rare.level = rare.level.max(Some((e.at, Text::new(&level))));
                }
            }
            "identify" => {
                self.identified |= IDENTITY_TRAITS.iter().any(|k| text(p.get(*k)).is_some());
                // The latest one said wins; on a tie the larger, so arrival order never matters.
                if let Some(day) = p.get("birthday").and_then(MonthDay::parse) {
                    let rare = self.rare_mut();
                    rare.birthday = rare.birthday.max(Some((e.at, day)));
                }
            }
            _ => {}
        }
    }

    fn apply_order(&mut self, e: ProfileEvent) {
        let p = e.properties;
        // Ingestion refuses an order without an id; in events stored before it did, the event
        // time stands in for one: the same event resent is the same order, two orders at
        // different times are two.
        let id = text(p.get("order_id")).unwrap_or_else(|| format!("@{}", e.at.timestamp_millis()));
        let items = p
            .get("products")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|x| Item {
                        text: interned::item(
                            text(x.get("category")).as_deref(),
                            text(x.get("sku")).as_deref(),
                            text(x.get("name")).as_deref(),
                        ),
                        units: x.get("quantity").and_then(Value::as_i64).unwrap_or(1),
                    })
                    .collect::<Vec<Item>>()
            })
            .unwrap_or_default()
            .into();
        self.keep_order(
            id_hash(&id),
            Order {
                at: e.at,
                revenue_fen: e.amounts.get("revenue", p.get("revenue")).get(),
                items,
                session: text(p.get("session_id")).map(|s| Text::new(&s)),
            },
        );
    }

    /// Two reports of one order id keep the smaller, so the outcome is the same whichever
    /// arrives first.
    fn keep_order(&mut self, id: IdHash, order: Order) {
        match self.orders.binary_search_by(|(k, _)| k.cmp(&id)) {
            Ok(i) if self.orders[i].1 <= order => {}
            Ok(i) => self.orders[i].1 = order,
            Err(i) => sorted::insert(&mut self.orders, i, (id, order)),
        }
    }

    fn resolve(&mut self, ticket: IdHash, at: DateTime<Utc>) {
        let kept = entry(&mut self.rare_mut().tickets_resolved, ticket, || at);
        *kept = (*kept).min(at);
    }

    /// Mark a local day of the store's calendar as one with an event: the folder calls it
    /// beside [`Profile::apply`], as only it knows the calendar.
    pub fn active_on(&mut self, day: i32) {
        insert_sorted(&mut self.active_days, day);
    }

    /// What most people never have (refunds, questions, tickets, birthday, invitation,
    /// level): empty when the person has none of it.
    pub fn rare(&self) -> &Rare {
        self.rare.get()
    }

    /// The rare part to write to, allocated on the first write.
    pub fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_mut()
    }

    /// Refunded amount by order id hash.
    pub fn refunds_fen(&self) -> &[(IdHash, i64)] {
        &self.rare().refunds_fen
    }

    /// Questions asked in live rooms and their first answers, by comment id hash.
    pub fn questions(&self) -> &[(IdHash, Asked)] {
        &self.rare().questions
    }

    /// The birthday the person last gave (in an `identify`), with when they gave it.
    pub fn birthday(&self) -> Option<(DateTime<Utc>, MonthDay)> {
        self.rare().birthday
    }

    /// The earliest invitation the person carries (docs/referral.md).
    pub fn invitation(&self) -> Option<&crate::referral::Invitation> {
        self.rare().invitation.as_deref()
    }

    /// The referral rewards already written to the log, one bit per
    /// [`crate::referral::Occasion`].
    pub fn referral_qualified(&self) -> u8 {
        self.rare().referral_qualified
    }

    /// The member level the last `Level Changed` gave, and when.
    pub fn level(&self) -> Option<(DateTime<Utc>, &'static str)> {
        self.rare().level.map(|(at, level)| (at, level.as_str()))
    }

    /// Where the person first came from: the earliest `Contact Added`'s `source` (live,
    /// referral, offline, ads). Read from the friendships, which keep each one's first add.
    pub fn acquired(&self) -> Option<(DateTime<Utc>, &'static str)> {
        self.contacts.origin()
    }

    /// What erasing the person keeps: their orders and refunds, as nobody's (docs/privacy.md).
    pub fn purchases(&self) -> Profile {
        let mut kept = Profile { orders: self.orders.clone(), ..Profile::default() };
        if !self.refunds_fen().is_empty() {
            kept.rare_mut().refunds_fen = self.refunds_fen().into();
        }
        kept
    }

    /// Each ticket with when it opened and, if it was, when it was resolved.
    pub fn tickets(&self) -> impl Iterator<Item = (DateTime<Utc>, Option<DateTime<Utc>>)> + '_ {
        let rare = self.rare();
        rare.tickets_opened.iter().map(|(id, opened)| {
            let resolved = rare.tickets_resolved.binary_search_by(|(k, _)| k.cmp(id)).ok();
            (*opened, resolved.map(|i| rare.tickets_resolved[i].1))
        })
    }

    fn order_list(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().map(|(_, o)| o)
    }

    /// Seconds watched of one live session.
    pub fn watched(&self, session: &str) -> i64 {
        self.sessions().find(|(s, _)| *s == session).map_or(0, |(_, seconds)| seconds)
    }

    /// Each live session the person was in (entered or watched), with the seconds watched.
    pub fn sessions(&self) -> impl ExactSizeIterator<Item = (&'static str, i64)> + '_ {
        self.watched_by_session.iter().map(|(s, seconds)| (s.as_str(), i64::from(*seconds)))
    }

    /// Whether the person was in the live session (entered or watched).
    pub fn was_in(&self, session: &str) -> bool {
        self.sessions().any(|(s, _)| s == session)
    }

    /// The first live session the person was in, and when.
    pub fn first_live(&self) -> Option<(DateTime<Utc>, &'static str)> {
        self.first_live.map(|(at, s)| (at, s.as_str()))
    }

    /// Whether the person ordered in a live session (the named one, or any) in the `within`
    /// before `now` (at all when `None`).
    pub fn live_ordered(&self, session: Option<&str>, now: DateTime<Utc>, within: Option<Duration>) -> bool {
        self.order_list().any(|o| {
            o.session().is_some_and(|s| session.is_none_or(|want| want == s))
                && within.is_none_or(|w| o.at > now - w && o.at <= now)
        })
    }

    /// The longest a question of theirs waited for the host's first answer, by `now`, of those
    /// asked in the `within` before it (see [`questions::longest_wait`]).
    pub fn question_wait(&self, now: DateTime<Utc>, within: Option<Duration>) -> Option<Duration> {
        questions::longest_wait(self.questions(), now, within)
    }

    /// Whether any kept order had an item of `category`.
    pub fn bought_category(&self, category: &str) -> bool {
        self.order_list().any(|o| o.items.iter().any(|i| i.category() == Some(category)))
    }

    /// Purchase history per category, from the kept orders' line items.
    pub fn categories(&self) -> BTreeMap<String, CategoryHistory> {
        let mut out: BTreeMap<String, CategoryHistory> = BTreeMap::new();
        for order in self.order_list() {
            for item in &order.items {
                let Some(category) = item.category() else { continue };
                let c = out.entry(category.to_string()).or_default();
                c.days.insert(order.at.date_naive());
                c.last_purchase = max(c.last_purchase, order.at);
                c.units += item.units;
            }
        }
        out
    }

    /// Median days between consecutive orders; `None` with fewer than two orders.
    pub fn median_order_interval_days(&self) -> Option<f64> {
        let mut times: Vec<DateTime<Utc>> = self.order_list().map(|o| o.at).collect();
        times.sort();
        let mut gaps: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]).num_seconds() as f64 / 86_400.0).collect();
        if gaps.is_empty() {
            return None;
        }
        gaps.sort_by(f64::total_cmp);
        let n = gaps.len();
        Some(if n % 2 == 1 { gaps[n / 2] } else { (gaps[n / 2 - 1] + gaps[n / 2]) / 2.0 })
    }

    /// Whether their first order came on a friend's word: their first contact was a referral
    /// (`Contact Added` with source referral) or an invitation preceded the order. Unresolved
    /// invitations count: who invited them is the engine's question, that they were is theirs.
    pub fn referred(&self) -> bool {
        let Some(first) = self.first_order() else { return false };
        self.acquired().is_some_and(|(_, s)| s == "referral") || self.invitation().is_some_and(|i| i.precedes(first))
    }

    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    pub fn first_order(&self) -> Option<DateTime<Utc>> {
        self.order_list().map(|o| o.at).min()
    }

    /// The line of the latest order that bought `category` (any category when `None`): what a
    /// message names as "what you last bought".
    pub fn last_item(&self, category: Option<&str>) -> Option<&Item> {
        self.order_list()
            .filter(|o| category.is_none_or(|c| o.items.iter().any(|i| i.category() == Some(c))))
            .max_by_key(|o| o.at)
            .and_then(|o| o.items.iter().find(|i| category.is_none_or(|c| i.category() == Some(c))))
    }

    pub fn last_order(&self) -> Option<DateTime<Utc>> {
        self.order_list().map(|o| o.at).max()
    }

    /// Spend net of refunds, over all time. A refund counts against its own order and at most
    /// up to that order's revenue, so spend is never negative.
    pub fn spend_fen(&self) -> i64 {
        total(self.orders.iter().map(|(id, o)| o.revenue_fen.saturating_sub(self.refunded(*id).min(o.revenue_fen))))
    }

    /// The order with this id, if the person placed it.
    pub fn order(&self, id: &str) -> Option<&Order> {
        let key = id_hash(id);
        self.orders.binary_search_by(|(k, _)| k.cmp(&key)).ok().map(|i| &self.orders[i].1)
    }

    fn refunded(&self, order: IdHash) -> i64 {
        let refunds = self.refunds_fen();
        refunds.binary_search_by(|(k, _)| k.cmp(&order)).map_or(0, |i| refunds[i].1)
    }

    /// Spend on orders in the `days` before `now` (refunds not netted: they may come later).
    pub fn spend_within(&self, now: DateTime<Utc>, days: i64) -> i64 {
        let since = now - Duration::days(days);
        total(self.order_list().filter(|o| o.at > since && o.at <= now).map(|o| o.revenue_fen))
    }

    /// Average order value, in fen.
    pub fn aov_fen(&self) -> Option<i64> {
        let n = self.orders.len() as i64;
        (n > 0).then(|| total(self.order_list().map(|o| o.revenue_fen)) / n)
    }

    /// When each ticket opened and not resolved was opened.
    pub fn open_tickets(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.tickets().filter(|(_, resolved)| resolved.is_none()).map(|(opened, _)| opened)
    }

    /// Whether the person can be reached through WeCom: a friend of at least one staff member.
    pub fn reachable(&self) -> bool {
        self.contacts.reachable()
    }

    /// Known to OneID beyond a device: identified, a member who ordered, or a WeCom contact.
    pub fn known(&self) -> bool {
        self.identified || !self.orders.is_empty() || self.contacts.last_added().is_some()
    }

    /// Fold another person's profile in: what OneID does when it merges them into this one.
    pub fn merge(&mut self, other: &Profile) {
        if let Some(t) = other.first_seen {
            self.first_seen = min(self.first_seen, t);
        }
        if let Some(t) = other.last_seen {
            self.last_seen = max(self.last_seen, t);
        }
        for (id, order) in &other.orders {
            self.keep_order(*id, *order);
        }
        self.live_watch_seconds += other.live_watch_seconds;
        for (session, seconds) in &other.watched_by_session {
            let kept = entry(&mut self.watched_by_session, *session, || 0);
            *kept = kept.saturating_add(*seconds);
        }
        if let Some(t) = other.last_live {
            self.last_live = max(self.last_live, t);
        }
        self.comments += other.comments;
        self.likes += other.likes;
        self.shares += other.shares;
        self.identified |= other.identified;
        if let Some(t) = other.last_touch {
            self.last_touch = max(self.last_touch, t);
        }
        self.contacts.merge(&other.contacts);
        if *other.rare() != *rare::NONE {
            self.merge_rare(other.rare());
        }
        if let Some(l) = other.first_live {
            self.first_live = earliest(self.first_live, l);
        }
        for t in &other.touches {
            insert_sorted(&mut self.touches, *t);
        }
        for d in &other.active_days {
            insert_sorted(&mut self.active_days, *d);
        }
    }

    fn merge_rare(&mut self, other: &Rare) {
        let rare = self.rare_mut();
        for (id, amount) in &other.refunds_fen {
            let refunded = entry(&mut rare.refunds_fen, *id, || 0);
            *refunded = refunded.saturating_add(*amount);
        }
        questions::merge(&mut rare.questions, &other.questions);
        for (id, at) in &other.tickets_opened {
            let kept = entry(&mut rare.tickets_opened, *id, || *at);
            *kept = (*kept).min(*at);
        }
        for (id, at) in &other.tickets_resolved {
            let kept = entry(&mut rare.tickets_resolved, *id, || *at);
            *kept = (*kept).min(*at);
        }
        rare.birthday = rare.birthday.max(other.birthday);
        // The later change, as folding both people's events would keep (found missing: a
        // merge lost the absorbed person's level).
        rare.level = rare.level.max(other.level);
        rare.referral_qualified |= other.referral_qualified;
        if let Some(i) = &other.invitation {
            crate::referral::Invitation::earliest(&mut rare.invitation, (**i).clone());
        }
    }
}

/// The earlier of two (time, value) pairs; on a tie the smaller value, so arrival order never
/// matters.
fn earliest<T: Ord + Copy>(a: Option<(DateTime<Utc>, T)>, b: (DateTime<Utc>, T)) -> Option<(DateTime<Utc>, T)> {
    Some(a.map_or(b, |a| a.min(b)))
}

mod birthday;
pub(crate) mod interned;
pub mod questions;
mod rare;
pub(crate) mod sorted;
#[cfg(test)]
mod tests;
