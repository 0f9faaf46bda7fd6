//! Personal identifiers masked for roles without `pii.read` (see `rekindle_core::access`).
//! Every view that can carry one implements [`Redact`]; handlers pass what they answer
//! through [`for_role`].

use rekindle_core::IdentifierKind;
use rekindle_core::access::{is_personal, mask, mask_payload, mask_traits};

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
    if access.reveals_pii() || !is_personal(kind) { value } else { mask(kind, &value) }
}

fn redact_value(kind: &str, value: &mut String) {
    if let Ok(kind) = kind.parse::<IdentifierKind>()
        && is_personal(kind)
    {
        *value = mask(kind, value);
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self) {
        self.iter_mut().for_each(Redact::redact);
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
        mask_traits(&mut self.traits);
    }
}

impl Redact for PersonSummary {
    fn redact(&mut self) {
        self.identities.redact();
        if let Some(phone) = &mut self.phone {
            redact_value("phone", phone);
        }
    }
}

impl Redact for EventView {
    fn redact(&mut self) {
        mask_payload(&mut self.payload);
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
