//! What a walk needs to know about one person: rules they match, how to reach them, whether
//! anything forbids marketing to them now.

use std::collections::HashSet;

use rekindle_core::contacts::{Relationships, SenderRule};
use rekindle_core::journey::Facts;
use rekindle_core::outreach::{ChannelKind, Skip};
use rekindle_core::{IdentifierKind, PersonId, WorkspaceId};
use rekindle_store::{EventQuery, Person, PersonRef, Store};

use super::catalog::Catalog;
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
}

impl Facts for PersonFacts<'_> {
    fn matches(&self, rule: &str) -> bool {
        let Some(rule) = self.catalog.rule(rule) else { return false };
        match self.audience.and_then(|a| Some((a, a.member(self.person)?))) {
            Some((audience, member)) => audience.matches(member, &rule),
            None => false,
        }
    }
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
