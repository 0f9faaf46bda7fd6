//! What a walk needs to know about one person: rules they match, how to reach them, whether
//! anything forbids marketing to them now.

use std::collections::HashSet;

use rekindle_core::contacts::{Relationships, SenderRule};
use rekindle_core::journey::Facts;
use rekindle_core::outreach::{ChannelKind, Skip};
use rekindle_core::{IdentifierKind, PersonId, WorkspaceId};
use rekindle_store::{EventQuery, Person, PersonRef, Store};

use chrono::{DateTime, Utc};
use rekindle_rules::History;

use super::catalog::Catalog;
use super::occasion::Occasion;
use rekindle_core::events;
use rekindle_engine::Audience;

/// Friendship changes read per person: far more than anyone makes.
const CONTACT_EVENTS: u32 = 200;

/// The person as of the last audience; someone too new to be in it matches no rule that needs
/// a profile (as an empty profile would).
pub struct PersonFacts<'a> {
    pub audience: Option<&'a Audience>,
    pub person: PersonId,
    pub catalog: &'a Catalog,
    /// Their events for `did` terms (read when the journey's rules ask), and the walk's time.
    pub history: Option<&'a History>,
    pub now: DateTime<Utc>,
    /// What the trigger said, for waits until `trigger.…` dates.
    pub occasion: Option<&'a Occasion>,
}

impl<'a> PersonFacts<'a> {
    pub fn new(audience: Option<&'a Audience>, person: PersonId, catalog: &'a Catalog, now: DateTime<Utc>) -> Self {
        Self { audience, person, catalog, history: None, now, occasion: None }
    }
}

impl Facts for PersonFacts<'_> {
    fn matches(&self, rule: &str) -> bool {
        let Some(rule) = self.catalog.rule(rule) else { return false };
        match self.audience.and_then(|a| Some((a, a.member(self.person)?))) {
            // `did` is judged at the walk's time; the rest as of the audience's refresh.
            Some((audience, member)) if rule.uses_history() => {
                audience.matches_with(member, &rule, self.history, self.now)
            }
            Some((audience, member)) => audience.matches(member, &rule),
            None => false,
        }
    }

    fn date(&self, field: &str) -> Option<DateTime<Utc>> {
        if let Some(name) = field.strip_prefix("trigger.") {
            return self.occasion?.date(name, self.catalog.tz);
        }
        let profile = &self.audience?.member(self.person)?.profile;
        match field {
            "last_order" => profile.last_order(),
            "first_order" => profile.first_order(),
            "birthday" => {
                let (_, day) = profile.birthday()?;
                let today = rekindle_core::outreach::local_day(self.now, self.catalog.tz);
                let next = (0..=366).map(|d| today + chrono::Days::new(d)).find(|d| day.falls_on(*d))?;
                rekindle_core::outreach::resolve_local(next, chrono::NaiveTime::MIN, self.catalog.tz)
            }
            _ => None,
        }
    }
}

/// What a journey's rules ask of a person's history (`Catalog::asked`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Asked {
    /// Event names of `did` terms.
    pub events: Vec<String>,
    /// A `reachable` term: the person's record is read.
    pub reach: bool,
}

impl Asked {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && !self.reach
    }
}

/// Channels `reachable` can name.
const REACHABLE: [ChannelKind; 3] = [ChannelKind::Wecom, ChannelKind::Sms, ChannelKind::Miniprogram];

/// What the rules asked: the latest time of each event named, and the channels a marketing
/// message would reach the person on (nothing read for what was not asked).
pub async fn history(
    store: &dyn Store,
    ws: WorkspaceId,
    person: PersonId,
    asked: &Asked,
    entered_at: Option<DateTime<Utc>>,
) -> rekindle_store::Result<History> {
    let mut last = std::collections::HashMap::new();
    for name in &asked.events {
        let query = EventQuery { person: Some(person), name: Some(name.clone()), limit: 1, ..Default::default() };
        if let Some(e) = store.events(ws, &query).await?.first() {
            last.insert(name.clone(), e.timestamp);
        }
    }
    let mut reachable = Vec::new();
    if asked.reach {
        let reach = Reach::load(store, ws, person).await?;
        reachable = REACHABLE.into_iter().filter(|c| reach.address(*c, false, &SenderRule::Owner).is_ok()).collect();
    }
    Ok(History { last, entered_at, reachable })
}

/// The person's record, read once per walk that sends.
pub struct Reach {
    pub person: Option<Person>,
    pub opted_out: Vec<ChannelKind>,
    pub open_ticket: bool,
    /// The WeCom staff members they are (or were) a friend of.
    pub contacts: Relationships,
}

/// A person's WeCom friendships as of the log now (the audience may be a refresh behind).
pub async fn contacts_of(
    store: &dyn Store,
    ws: WorkspaceId,
    person: PersonId,
) -> rekindle_store::Result<Relationships> {
    let mut contacts = Relationships::default();
    for name in [events::CONTACT_ADDED, events::CONTACT_REMOVED] {
        let query =
            EventQuery { person: Some(person), name: Some(name.into()), limit: CONTACT_EVENTS, ..Default::default() };
        for e in store.events(ws, &query).await? {
            contacts.apply(name, e.timestamp, e.properties());
        }
    }
    Ok(contacts)
}

impl Reach {
    pub async fn load(store: &dyn Store, ws: WorkspaceId, person: PersonId) -> rekindle_store::Result<Self> {
        let record = store.person(ws, &PersonRef::Id(person)).await?;
        let opted_out = store.opted_out(ws, person).await?;
        let recent =
            |name: &str| EventQuery { person: Some(person), name: Some(name.into()), limit: 20, ..Default::default() };
        let id_of = |e: &rekindle_store::StoredEvent| {
            e.payload.pointer("/properties/ticket_id").map(|v| v.to_string()).unwrap_or_else(|| e.message_id.clone())
        };
        let opened = store.events(ws, &recent(events::TICKET_OPENED)).await?;
        let open_ticket = if opened.is_empty() {
            false
        } else {
            let resolved: HashSet<String> =
                store.events(ws, &recent(events::TICKET_RESOLVED)).await?.iter().map(id_of).collect();
            opened.iter().any(|e| !resolved.contains(&id_of(e)))
        };
        let contacts = contacts_of(store, ws, person).await?;
        Ok(Self { person: record, opted_out, open_ticket, contacts })
    }

    pub fn nickname(&self) -> Option<String> {
        self.person.as_ref().and_then(Person::nickname)
    }

    /// Where a channel reaches the person, or why it cannot; on WeCom, the staff member the
    /// `sender` rule picks among their friends sends. Webhooks address the person by id.
    pub fn address(
        &self,
        channel: ChannelKind,
        transactional: bool,
        sender: &SenderRule,
    ) -> Result<(String, Option<String>), Skip> {
        if self.opted_out.contains(&channel) {
            return Err(Skip::OptedOut);
        }
        if self.open_ticket && !transactional && channel.reaches_person() {
            return Err(Skip::OpenTicket);
        }
        let Some(person) = &self.person else { return Err(Skip::NoAddress) };
        let identifier = |kind: IdentifierKind| {
            person.identities.iter().rev().find(|i| i.identifier.kind == kind).map(|i| i.identifier.value.clone())
        };
        let found = match channel {
            ChannelKind::Sms => identifier(IdentifierKind::Phone).map(|p| (p, None)),
            ChannelKind::Miniprogram => identifier(IdentifierKind::WechatOpenid).map(|o| (o, None)),
            ChannelKind::Wecom => {
                let external = identifier(IdentifierKind::WecomExternalUserid).ok_or(Skip::NoAddress)?;
                // No friendship on record (an id from an import, say): WeCom decides. An empty
                // staff id: the friendship names nobody (older integrations).
                if self.contacts.is_empty() {
                    return Ok((external, None));
                }
                let staff = sender.choose(&self.contacts).ok_or(Skip::NotFriend)?;
                Some((external, Some(staff.to_owned()).filter(|s| !s.is_empty())))
            }
            ChannelKind::Webhook => Some((person.id.to_string(), None)),
        };
        found.ok_or(Skip::NoAddress)
    }
}
