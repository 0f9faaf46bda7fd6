//! A customer's friendships with the store's WeCom staff (`crate::wecom`): whom they add first
//! and through which channel code, whether they add a second staff member later, and which
//! friendship ends and by whom.
//!
//! Everything here draws from the person's WeCom stream (stream 5 of their key): the first add
//! from its first draws (so a referral's inviter's staff member can be worked out from the
//! inviter's number alone), the second add and the removals of its own at the end of the life,
//! when the life's own removal (drawn on the main stream, as before) is known.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rekindle_core::events;
use serde_json::{Value, json};

use super::PersonSim;
use crate::messages;
use crate::person::Channel;
use crate::schedule::LiveSession;
use crate::wecom::{self, GUIDES, LEADERS, RemovedBy, Role, Source, StaffLink, add_way};
use crate::world::{self, SimConfig};

/// Of the customers a staff member was added by, the share who add a second later (if the
/// window lasts and they have not removed the first by then).
const SECOND_SHARE: f64 = 0.36;
/// The second add comes this many days after the first, at most.
const SECOND_WITHIN_DAYS: i64 = 30;
/// A second staff member added is a live session's host rather than a 团长 this often (when
/// the first is a guide and a session was on by then).
const SECOND_HOST_SHARE: f64 = 0.4;
/// Of the customers with two friendships, the share who remove one of them, and the share one
/// of whose staff members removes them (WeCom's `del_external_contact`, rare).
const CUSTOMER_REMOVES_ONE: f64 = 0.3;
const STAFF_REMOVES_ONE: f64 = 0.04;

/// The first friendship: who, from where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Add {
    pub staff: &'static str,
    pub source: Source,
    pub code: Option<String>,
    pub add_way: u8,
}

/// A friendship as the simulation keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Tie {
    staff: &'static str,
    added: Option<NaiveDateTime>,
    source: Option<Source>,
    code: Option<String>,
    add_way: u8,
    removed: Option<(NaiveDateTime, RemovedBy)>,
}

impl Tie {
    fn truth(&self) -> StaffLink {
        StaffLink {
            staff: self.staff.into(),
            added_at: self.added.map(messages::local),
            source: self.source,
            code: self.code.clone(),
            add_way: self.add_way,
            removed_at: self.removed.map(|(t, _)| messages::local(t)),
            removed_by: self.removed.map(|(_, by)| by),
        }
    }
}

/// The person's WeCom side: its stream, friendships and the ids of the messages it adds.
pub(crate) struct Ties {
    rng: ChaCha8Rng,
    links: Vec<Tie>,
    seq: u32,
}

impl Ties {
    pub(crate) fn new(rng: ChaCha8Rng) -> Self {
        Self { rng, links: Vec::new(), seq: 0 }
    }

    /// The first friendship's source and code, if the person added anyone.
    pub(crate) fn origin(&self) -> Option<(Source, Option<String>)> {
        self.links.iter().find(|t| t.added.is_some()).and_then(|t| t.source.map(|s| (s, t.code.clone())))
    }

    pub(crate) fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    pub(crate) fn truth(&self) -> Vec<StaffLink> {
        self.links.iter().map(Tie::truth).collect()
    }
}

/// The guides a customer can be given at `at`: all six until `guide-6` leaves, then five.
fn guides_at(config: &SimConfig, at: NaiveDateTime) -> &'static [&'static str] {
    if at >= wecom::departure(config) { &GUIDES[..GUIDES.len() - 1] } else { &GUIDES }
}

fn departed(config: &SimConfig, staff: &str, at: NaiveDateTime) -> bool {
    staff == wecom::DEPARTING && at >= wecom::departure(config)
}

/// The session whose code a customer added at `at` scanned: the latest to start by then.
fn session_before(sessions: &[LiveSession], at: NaiveDateTime) -> Option<&LiveSession> {
    sessions.iter().rev().find(|s| s.start <= at)
}

/// Person `i`'s first friendship, from the first draws of their WeCom stream `rng`: people
/// who came through WeCom spread over the channel codes and offline, referrals add their
/// inviter's staff member; people who came through a group or a live room add nobody.
pub(crate) fn first_add(
    config: &SimConfig,
    sessions: &[LiveSession],
    i: u64,
    channel: Channel,
    acquired: NaiveDateTime,
    inviter: Option<u64>,
    rng: &mut ChaCha8Rng,
) -> Option<Add> {
    let guides = guides_at(config, acquired);
    // Guides in turn, as a code that shows one staff member and moves on after each add.
    let in_turn = guides[(i % guides.len() as u64) as usize];
    match channel {
        Channel::Group | Channel::Live => None,
        Channel::Referral => {
            let staff = inviter
                .and_then(|j| inviters_staff(config, sessions, j))
                .filter(|s| !departed(config, s, acquired))
                .unwrap_or(in_turn);
            Some(Add { staff, source: Source::Referral, code: None, add_way: add_way::CARD })
        }
        Channel::Wecom => {
            let add = match rng.random_range(0..100) {
                0..30 => match session_before(sessions, acquired) {
                    Some(s) => Add {
                        staff: wecom::host_staff(s.host).unwrap_or("host-1"),
                        source: Source::Live,
                        code: Some(s.id.clone()),
                        add_way: add_way::QR_CODE,
                    },
                    // Before the window's first session: a session of the fortnight before it.
                    None => {
                        let day = config.start - Duration::days(rng.random_range(1..=14));
                        let host = ["host-1", "host-2", "host-3"][rng.random_range(0..3)];
                        let code = Some(format!("live-{}", day.format("%Y%m%d")));
                        Add { staff: host, source: Source::Live, code, add_way: add_way::QR_CODE }
                    }
                },
                30..50 => {
                    // A new parcel card every 30 days.
                    let card = ((acquired.date() - config.start).num_days().max(0) / 30).min(25) as u8;
                    let code = Some(format!("parcel-{}", char::from(b'a' + card)));
                    Add { staff: in_turn, source: Source::Parcel, code, add_way: add_way::QR_CODE }
                }
                50..70 => {
                    // Store N's code adds its guide; store 6's was pointed at guide 1 when its
                    // guide left.
                    let n = rng.random_range(0..GUIDES.len());
                    let staff = if departed(config, GUIDES[n], acquired) { GUIDES[0] } else { GUIDES[n] };
                    Add {
                        staff,
                        source: Source::Store,
                        code: Some(format!("store-{}", n + 1)),
                        add_way: add_way::QR_CODE,
                    }
                }
                70..85 => {
                    let code = ["ads-moments", "ads-douyin"][rng.random_range(0..2)];
                    let staff = guides[rng.random_range(0..guides.len())];
                    Add { staff, source: Source::Ads, code: Some(code.into()), add_way: add_way::QR_CODE }
                }
                _ => {
                    let staff = guides[rng.random_range(0..guides.len())];
                    Add { staff, source: Source::Offline, code: None, add_way: add_way::PHONE }
                }
            };
            Some(add)
        }
    }
}

/// The staff member an earlier person `j` first added, if anyone: worked out from their
/// number alone (their origin on their main stream, their first add on their WeCom stream).
fn inviters_staff(config: &SimConfig, sessions: &[LiveSession], j: u64) -> Option<&'static str> {
    let mut main = world::stream(config.seed, j, 0);
    let (traits, acquired, inviter) = super::origin(config, j, &mut main);
    let mut ties = world::stream(config.seed, j, world::WECOM_STREAM);
    first_add(config, sessions, j, traits.channel, acquired, inviter, &mut ties).map(|a| a.staff)
}

impl PersonSim<'_> {
    /// The person's first add, announced with `Contact Added` (with the message id it always
    /// had). Returns the source, which sets what they are worth.
    pub(super) fn add_first(&mut self, add: Add, at: NaiveDateTime) -> Source {
        let mut props = json!({
            "channel": "wecom", "staff_id": add.staff, "source": add.source.as_str(), "add_way": add.add_way,
            "via": "callback",
        });
        if let Some(code) = &add.code {
            props["code"] = json!(code);
        }
        let id = self.next_id();
        let m = messages::track(id, &self.wecom(), at, events::CONTACT_ADDED, props, "rekindle-sim-wecom");
        self.push(m);
        self.ties.links.push(Tie {
            staff: add.staff,
            added: Some(at),
            source: Some(add.source),
            code: add.code,
            add_way: add.add_way,
            removed: None,
        });
        add.source
    }

    /// The staff member the person's leaving removes, recorded: the first friendship's, or for a
    /// person who never added anyone (a group's or a live room's, whose WeCom identity the
    /// store knows) the group's 团长 or a host, as a friendship the store never heard added.
    /// None when that staff member has left the company: nothing happens to their friendships.
    pub(super) fn leaving_removes(&mut self, at: NaiveDateTime) -> Option<&'static str> {
        if let Some(first) = self.ties.links.iter_mut().find(|t| t.added.is_some()) {
            if departed(self.config, first.staff, at) || first.removed.is_some() {
                return None;
            }
            first.removed = Some((at, RemovedBy::Customer));
            return Some(first.staff);
        }
        let staff = match self.traits.channel {
            Channel::Group => LEADERS[((self.i % 12) % 3) as usize],
            _ => ["host-1", "host-2", "host-3"][(self.i % 3) as usize],
        };
        self.ties.links.push(Tie {
            staff,
            added: None,
            source: None,
            code: None,
            add_way: add_way::UNKNOWN,
            removed: Some((at, RemovedBy::Customer)),
        });
        Some(staff)
    }

    fn tie_id(&mut self) -> String {
        self.ties.seq += 1;
        format!("sim{}-{}-w{}", self.config.seed, self.i, self.ties.seq)
    }

    fn tie_event(&mut self, at: NaiveDateTime, name: &str, props: Value) {
        let id = self.tie_id();
        let m = messages::track(id, &self.wecom(), at, name, props, "rekindle-sim-wecom");
        self.push(m);
    }

    /// At the end of the life: the second add and the removals of the WeCom stream's own, in
    /// the window and consistent with the life's own removal. Draws the same whatever happens.
    pub(super) fn settle_ties(&mut self) {
        let rng = &mut self.ties.rng;
        let second = rng.random_bool(SECOND_SHARE);
        let after = Duration::minutes(rng.random_range(24 * 60..SECOND_WITHIN_DAYS * 24 * 60));
        let host = rng.random_bool(SECOND_HOST_SHARE);
        let leader = LEADERS[rng.random_range(0..LEADERS.len())];
        let removal: f64 = rng.random();
        let first_goes = rng.random_bool(0.5);
        let when: f64 = rng.random();

        let Some(first) = self.ties.links.first().filter(|t| t.added.is_some()).cloned() else { return };
        let Some(added) = first.added else { return };
        let at = added + after;
        // Within the window, while still a customer and the first staff member's friend.
        let left = self.dropped.is_some_and(|d| d <= at) || first.removed.is_some_and(|(t, _)| t <= at);
        if !second || at >= self.end || left {
            return;
        }
        let by_session = session_before(self.sessions, at)
            .filter(|_| host && wecom::role_of(first.staff) == Some(Role::Guide))
            .and_then(|s| wecom::host_staff(s.host).map(|h| (h, s.id.clone())));
        let (staff, source, code, way) = match by_session {
            Some((h, code)) => (h, Source::Live, Some(code), add_way::QR_CODE),
            // A 团长's shared card.
            None => (leader, Source::Offline, None, add_way::CARD),
        };
        let mut props = json!({"channel": "wecom", "staff_id": staff, "source": source.as_str(), "add_way": way, "via": "callback"});
        if let Some(code) = &code {
            props["code"] = json!(code);
        }
        self.tie_event(at, events::CONTACT_ADDED, props);
        self.ties.links.push(Tie { staff, added: Some(at), source: Some(source), code, add_way: way, removed: None });

        // One of the two ends, if the life's own removal did not end the first: the other
        // stays, so they remain reachable.
        let by = if removal < CUSTOMER_REMOVES_ONE {
            RemovedBy::Customer
        } else if removal < CUSTOMER_REMOVES_ONE + STAFF_REMOVES_ONE {
            RemovedBy::Staff
        } else {
            return;
        };
        if first.removed.is_some() {
            return;
        }
        let span = (self.end - at).num_minutes();
        let ends = at + Duration::minutes(1 + ((span - 2).max(0) as f64 * when) as i64);
        let k = if first_goes { 0 } else { self.ties.links.len() - 1 };
        let gone = self.ties.links[k].staff;
        if ends >= self.end || departed(self.config, gone, ends) {
            return;
        }
        self.ties.links[k].removed = Some((ends, by));
        let props = json!({"channel": "wecom", "staff_id": gone, "by": by.as_str(), "via": "callback"});
        self.tie_event(ends, events::CONTACT_REMOVED, props);
    }
}
