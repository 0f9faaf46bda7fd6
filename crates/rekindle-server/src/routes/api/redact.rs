//! Personal data masked for roles without `pii.read` (see `rekindle_core::access` and
//! `rekindle_core::masking`). Every view that can carry some implements [`Redact`]; handlers
//! pass what they answer through [`for_role`]. Identifiers are masked by kind (all kinds:
//! phones, WeChat ids, user, anonymous and previous ids); free-form documents (traits, event
//! payloads) by key and by what each value looks like; free text (nicknames, message text) by
//! what it contains.

use rekindle_core::IdentifierKind;
use rekindle_core::access::mask;
use rekindle_core::masking::{mask_document, mask_map, mask_personal, mask_text};

use super::person_activity::OrderView;
use super::person_messages::MessageView;
use super::segment_members::{MemberRow, PersonRow};
use super::{ConflictView, EventPage, EventView, IdentityView, MergeView, PersonSummary, PersonView};
use crate::auth::Access;

pub trait Redact {
    fn redact(&mut self);
}

/// `value` as the caller's role may see it.
pub fn for_role<T: Redact>(mut value: T, access: &Access) -> T {
    if !access.reveals_pii() {
        value.redact();
    }
    value
}

/// One identifier as the caller's role may see it.
pub fn shown(access: &Access, kind: IdentifierKind, value: String) -> String {
    if access.reveals_pii() { value } else { mask(kind, &value) }
}

/// Free text (a nickname) as the caller's role may see it.
pub fn shown_text(access: &Access, text: String) -> String {
    if access.reveals_pii() { text } else { mask_text(&text).into_owned() }
}

/// The name a person goes by, as the caller's role may see it (none for someone gone).
pub async fn shown_name(
    state: &crate::state::AppState,
    access: &Access,
    person: rekindle_core::PersonId,
) -> Result<Option<String>, crate::error::ApiError> {
    let p = state.store.person(access.ws(), &rekindle_store::PersonRef::Id(person)).await?;
    Ok(p.and_then(|p| p.nickname()).map(|n| shown_text(access, n)))
}

/// An identifier stored with its kind as text; an unknown kind is masked as personal.
fn redact_value(kind: &str, value: &mut String) {
    *value = match kind.parse::<IdentifierKind>() {
        Ok(kind) => mask(kind, value),
        Err(_) => mask_personal(value),
    };
}

fn redact_text(text: &mut String) {
    if let std::borrow::Cow::Owned(masked) = mask_text(text) {
        *text = masked;
    }
}

/// A report's only text from events is a cohort's key (a `source`, a live session id, a
/// category): masked by what it contains, as a nickname is. The table is built from the answer.
impl Redact for rekindle_engine::measure::Answer {
    fn redact(&mut self) {
        if let rekindle_engine::measure::Answer::Cohorts(c) = self {
            c.cohorts.iter_mut().for_each(|c| redact_text(&mut c.key));
        }
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self) {
        self.iter_mut().for_each(Redact::redact);
    }
}

impl<T: Redact> Redact for Option<T> {
    fn redact(&mut self) {
        if let Some(v) = self {
            v.redact();
        }
    }
}

impl Redact for String {
    fn redact(&mut self) {
        redact_text(self);
    }
}

impl Redact for IdentityView {
    fn redact(&mut self) {
        redact_value(&self.kind, &mut self.value);
    }
}

impl Redact for PersonView {
    fn redact(&mut self) {
        self.identities.redact();
        mask_map(&mut self.traits);
    }
}

impl Redact for PersonSummary {
    fn redact(&mut self) {
        self.identities.redact();
        if let Some(phone) = &mut self.phone {
            redact_value("phone", phone);
        }
        self.name.redact();
    }
}

impl Redact for super::people_list::ListedPerson {
    fn redact(&mut self) {
        if let Some(phone) = &mut self.phone {
            redact_value("phone", phone);
        }
        self.name.redact();
    }
}

impl Redact for EventView {
    fn redact(&mut self) {
        mask_document(&mut self.payload);
        self.name.redact();
    }
}

impl Redact for EventPage {
    fn redact(&mut self) {
        self.events.redact();
    }
}

impl Redact for MergeView {
    fn redact(&mut self) {
        redact_value(&self.via_kind, &mut self.via_value);
    }
}

impl Redact for ConflictView {
    fn redact(&mut self) {
        redact_value(&self.identifier_kind, &mut self.identifier_value);
    }
}

impl Redact for PersonRow {
    fn redact(&mut self) {
        self.name.redact();
    }
}

impl Redact for MemberRow {
    fn redact(&mut self) {
        self.person.redact();
    }
}

impl Redact for OrderView {
    fn redact(&mut self) {
        self.order_id.redact();
        self.coupon.redact();
        self.session_id.redact();
        for item in &mut self.items {
            item.sku.redact();
            item.name.redact();
        }
    }
}

/// The live monitor: askers' questions and viewers' names are free text.
impl Redact for rekindle_core::live::monitor::Monitor {
    fn redact(&mut self) {
        for w in &mut self.waiting {
            w.text.redact();
            w.name.redact();
        }
        self.loyal.iter_mut().for_each(|l| l.name.redact());
    }
}

impl Redact for MessageView {
    fn redact(&mut self) {
        self.text.redact();
        self.error_message.redact();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identifier_kind_is_masked_and_unknown_kinds_too() {
        let mut v = "13812345678".to_string();
        redact_value("phone", &mut v);
        assert_eq!(v, "138****5678");
        let mut v = "shop-user-000123".to_string();
        redact_value("user_id", &mut v);
        assert_eq!(v, "shop****0123");
        let mut v = "someone@example.com".to_string();
        redact_value("something_new", &mut v);
        assert_eq!(v, "s***@example.com");
    }

    #[test]
    fn free_text_keeps_what_is_not_personal() {
        let mut name = Some("李姐 13812345678".to_string());
        name.redact();
        assert_eq!(name.as_deref(), Some("李姐 138****5678"));
        let mut name = Some("小李".to_string());
        name.redact();
        assert_eq!(name.as_deref(), Some("小李"));
    }
}
