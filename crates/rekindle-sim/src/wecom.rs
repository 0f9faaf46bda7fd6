//! WeCom staff members, channel QR codes (渠道活码) and each customer's friendships with staff
//! (docs/simulator.md, "Staff, channel codes and friendships").
//!
//! The store's WeCom has a fixed roster — six 导购 (`guide-1..6`, one per store), three hosts
//! (`host-1..3`, the schedule's 小鹿, 阿杰 and 果果) and three 团长 (`leader-1..3`) — the same for
//! every seed. `guide-6` leaves two thirds into the window: from then on nobody new adds them,
//! and nothing happens to their friendships (no removal names them) until Rekindle transfers
//! them (离职继承).
//!
//! A customer added through WeCom comes from a [`Source`]: a live session's code (the session's
//! host), a parcel card's code (guides in turn), a store's code (the store's guide), an ad's
//! code (a guide at random), a referral (the inviter's staff member, by shared card) or offline
//! (searching a guide's phone). About a fifth later add a second staff member (a 团长, or the
//! host of a later live); some of those remove one of the two, or are removed by one (rarely),
//! and stay reachable through the other.
//!
//! The value of a source is planted ([`SourceLtv`]): a customer from a store's or a live's code
//! stays longer than one from an ad, so spends more over their life.
//!
//! All of it draws from the person's own stream for WeCom (stream 5 of their key): adding it
//! moved no draw of anything else; only the planted value changes lives, and only of people
//! whose source is worth other than 1.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime, NaiveTime};
use serde::Serialize;

use crate::world::{SimConfig, Truth};

/// What a staff member does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 导购: a store's guide; parcel, store, ad and offline contacts add one.
    Guide,
    /// 主播: hosts live sessions; a live session's code adds its host.
    Host,
    /// 团长: a community group-buy leader; customers add one by shared card, later.
    Leader,
}

/// The store's WeCom roster: userid, role and display name. Hosts carry the name the live
/// sessions give (`LiveSession::host`).
pub const ROSTER: [(&str, Role, &str); 12] = [
    ("guide-1", Role::Guide, "导购 1 号店"),
    ("guide-2", Role::Guide, "导购 2 号店"),
    ("guide-3", Role::Guide, "导购 3 号店"),
    ("guide-4", Role::Guide, "导购 4 号店"),
    ("guide-5", Role::Guide, "导购 5 号店"),
    ("guide-6", Role::Guide, "导购 6 号店"),
    ("host-1", Role::Host, "小鹿"),
    ("host-2", Role::Host, "阿杰"),
    ("host-3", Role::Host, "果果"),
    ("leader-1", Role::Leader, "团长 阳光小区"),
    ("leader-2", Role::Leader, "团长 滨江花园"),
    ("leader-3", Role::Leader, "团长 梧桐里"),
];

/// The guides, store `N`'s guide being `guide-N`.
pub(crate) const GUIDES: [&str; 6] = ["guide-1", "guide-2", "guide-3", "guide-4", "guide-5", "guide-6"];
pub(crate) const LEADERS: [&str; 3] = ["leader-1", "leader-2", "leader-3"];

/// The staff member who leaves during the window.
pub const DEPARTING: &str = "guide-6";

/// When [`DEPARTING`] leaves: two thirds into the window, at 18:00 local time.
pub fn departure(config: &SimConfig) -> NaiveDateTime {
    let day = config.start + Duration::days(i64::from(config.days) * 2 / 3);
    day.and_time(NaiveTime::MIN) + Duration::hours(18)
}

/// The host staff member for a live session's host name.
pub fn host_staff(name: &str) -> Option<&'static str> {
    ROSTER.iter().find(|(_, role, n)| *role == Role::Host && *n == name).map(|(id, _, _)| *id)
}

/// The role of a roster member.
pub fn role_of(staff: &str) -> Option<Role> {
    ROSTER.iter().find(|(id, _, _)| *id == staff).map(|(_, role, _)| *role)
}

/// A staff member as the truth records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    /// WeCom userid.
    pub id: String,
    pub role: Role,
    pub name: String,
    /// When they left the company (local time), if they did within the window.
    pub departed_at: Option<String>,
}

/// The roster, with the departure.
pub fn roster(config: &SimConfig) -> Vec<Staff> {
    ROSTER
        .iter()
        .map(|(id, role, name)| Staff {
            id: (*id).into(),
            role: *role,
            name: (*name).into(),
            departed_at: (*id == DEPARTING).then(|| crate::messages::local(departure(config))),
        })
        .collect()
}

/// Where a contact came from: the `source` of `Contact Added`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A live session's code (`live-YYYYMMDD`, the session's id): adds the session's host.
    Live,
    /// A parcel card's code (`parcel-a`, `parcel-b`, … a new card every 30 days): guides in turn.
    Parcel,
    /// A store's code (`store-N`): the store's guide.
    Store,
    /// An ad's code (`ads-moments`, `ads-douyin`): a guide at random.
    Ads,
    /// A friend's shared card: the inviter's staff member; no code.
    Referral,
    /// Searched a guide's phone in a store or at an event; no code.
    Offline,
}

impl Source {
    pub const ALL: [Source; 6] =
        [Source::Live, Source::Parcel, Source::Store, Source::Ads, Source::Referral, Source::Offline];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Live => "live",
            Source::Parcel => "parcel",
            Source::Store => "store",
            Source::Ads => "ads",
            Source::Referral => "referral",
            Source::Offline => "offline",
        }
    }
}

/// WeCom's `add_way` of an add: how the customer came to add the staff member.
pub mod add_way {
    pub const UNKNOWN: u8 = 0;
    /// Scanned a QR code (a channel code).
    pub const QR_CODE: u8 = 1;
    /// Searched the staff member's phone number.
    pub const PHONE: u8 = 2;
    /// A shared business card.
    pub const CARD: u8 = 3;
}

/// The planted value of each source: a customer whose first friendship came from it leaves
/// the store after each order `1 / value` times as often as their own chance says (capped at
/// certain), so over a long enough life they place about `value` times as many orders and
/// spend about `value` times as much. People added otherwise (groups, live rooms without a
/// friendship) are worth 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SourceLtv {
    pub live: f64,
    pub parcel: f64,
    pub store: f64,
    pub ads: f64,
    pub referral: f64,
    pub offline: f64,
}

impl Default for SourceLtv {
    fn default() -> Self {
        Self { live: 1.2, parcel: 1.1, store: 1.3, ads: 0.7, referral: 1.0, offline: 1.0 }
    }
}

impl SourceLtv {
    pub fn of(&self, source: Source) -> f64 {
        match source {
            Source::Live => self.live,
            Source::Parcel => self.parcel,
            Source::Store => self.store,
            Source::Ads => self.ads,
            Source::Referral => self.referral,
            Source::Offline => self.offline,
        }
    }
}

/// Who ended a friendship: the `by` of `Contact Removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedBy {
    /// The customer deleted the staff member (WeCom `del_follow_user`).
    Customer,
    /// The staff member deleted the customer (`del_external_contact`).
    Staff,
}

impl RemovedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovedBy::Customer => "customer",
            RemovedBy::Staff => "staff",
        }
    }
}

/// One friendship of a customer with a staff member, as the events tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffLink {
    /// The staff member's WeCom userid.
    pub staff: String,
    /// When the customer added them (local time), the `Contact Added`'s time. None for the
    /// one kind of friendship the store never hears added: a customer who came through a group
    /// or a live room and whose WeCom identity the store knows, and who later left the store,
    /// gets a `Contact Removed` naming the group's 团长 or a host without any `Contact Added`
    /// (as the simulator did before it knew staff); such a link is never reachable.
    pub added_at: Option<String>,
    /// The add's source, channel code and `add_way` (none for a link never added).
    pub source: Option<Source>,
    pub code: Option<String>,
    pub add_way: u8,
    /// When the friendship ended (local time), and who ended it.
    pub removed_at: Option<String>,
    pub removed_by: Option<RemovedBy>,
}

/// A local time as the truth writes it (`2026-01-05T10:12:00+08:00`).
pub fn parse_local(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.get(..19)?, "%Y-%m-%dT%H:%M:%S").ok()
}

impl StaffLink {
    /// A friend at `at` (local time): added by then and not removed by then.
    pub fn friend_at(&self, at: NaiveDateTime) -> bool {
        let added = self.added_at.as_deref().and_then(parse_local).is_some_and(|t| t <= at);
        let removed = self.removed_at.as_deref().and_then(parse_local).is_some_and(|t| t <= at);
        added && !removed
    }

    /// A friend at the window's end: added and never removed.
    pub fn friend_at_end(&self) -> bool {
        self.added_at.is_some() && self.removed_at.is_none()
    }
}

impl Truth {
    /// The staff members the person is a friend of at `at` (local time): whom a WeCom message
    /// could go through then.
    pub fn reachable_staff(&self, at: NaiveDateTime) -> Vec<&str> {
        self.staff.iter().filter(|l| l.friend_at(at)).map(|l| l.staff.as_str()).collect()
    }

    /// The staff members the person is a friend of at the window's end.
    pub fn reachable_staff_at_end(&self) -> Vec<&str> {
        self.staff.iter().filter(|l| l.friend_at_end()).map(|l| l.staff.as_str()).collect()
    }

    /// Whether the person ended a friendship with one staff member while remaining the friend
    /// of another: the customer a profile comparing only the latest add with the latest removal
    /// wrongly thinks gone.
    pub fn removed_one_kept_another(&self) -> bool {
        let removed = self.staff.iter().any(|l| l.added_at.is_some() && l.removed_at.is_some());
        removed && self.staff.iter().any(StaffLink::friend_at_end)
    }
}

/// Per staff member, how many people are their friends at the window's end (every roster
/// member appears, with 0 if nobody is).
pub fn reachable_per_staff<'a>(truths: impl IntoIterator<Item = &'a Truth>) -> BTreeMap<String, u64> {
    let mut per: BTreeMap<String, u64> = ROSTER.iter().map(|(id, _, _)| ((*id).to_string(), 0)).collect();
    for t in truths {
        for s in t.reachable_staff_at_end() {
            *per.entry(s.to_string()).or_default() += 1;
        }
    }
    per
}

/// People and their spend by the source of their first friendship.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SourceSpend {
    pub people: u64,
    /// Fen over the window.
    pub spend: i64,
    pub orders: u64,
}

impl SourceSpend {
    /// Mean spend per person, in fen.
    pub fn mean(&self) -> f64 {
        if self.people == 0 { 0.0 } else { self.spend as f64 / self.people as f64 }
    }
}

/// Spend over the window by acquisition source (people with no friendship left out).
pub fn spend_by_source<'a>(truths: impl IntoIterator<Item = &'a Truth>) -> BTreeMap<Source, SourceSpend> {
    let mut by: BTreeMap<Source, SourceSpend> = BTreeMap::new();
    for t in truths {
        let Some(source) = t.source else { continue };
        let s = by.entry(source).or_default();
        s.people += 1;
        s.spend += t.spend;
        s.orders += u64::from(t.orders);
    }
    by
}
