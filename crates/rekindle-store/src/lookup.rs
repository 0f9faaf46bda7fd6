//! Finding a person from what an operator typed: a person id, `kind:value`, or a bare value.

use rekindle_core::{FieldError, Identifier, IdentifierKind, PersonId, WorkspaceId};

use crate::{Person, PersonRef, Result, Store};

/// The references a typed text may mean, in the order to try them. A bare value is tried as
/// every identifier kind it can be (a phone only when it reads as one), in precedence order.
pub fn candidates(text: &str) -> Result<Vec<PersonRef>, FieldError> {
    let text = text.trim();
    if let Ok(id) = text.parse::<PersonId>() {
        return Ok(vec![PersonRef::Id(id)]);
    }
    if let Some(qualified) = Identifier::parse_qualified(text) {
        return Ok(vec![PersonRef::Identifier(qualified?)]);
    }
    let refs: Vec<PersonRef> = IdentifierKind::ALL
        .into_iter()
        .filter(|k| *k != IdentifierKind::PreviousId)
        .filter_map(|k| Identifier::parse(k, text, "identifier").ok())
        .map(PersonRef::Identifier)
        .collect();
    if refs.is_empty() {
        return Err(FieldError::new("identifier", "not a person id or an identifier"));
    }
    Ok(refs)
}

/// The first person any candidate names.
pub async fn find_person(store: &dyn Store, ws: WorkspaceId, refs: &[PersonRef]) -> Result<Option<Person>> {
    for r in refs {
        if let Some(p) = store.person(ws, r).await? {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_becomes_candidates() {
        assert!(matches!(candidates("0196b0a0-0000-7000-8000-000000000000").unwrap()[..], [PersonRef::Id(_)]));
        let phone = candidates("phone:138 1234 5678").unwrap();
        assert_eq!(
            phone,
            [PersonRef::Identifier(Identifier { kind: IdentifierKind::Phone, value: "+8613812345678".into() })]
        );
        assert!(candidates("phone:nope").is_err());
        let bare = candidates("13812345678").unwrap();
        assert!(bare.contains(&PersonRef::Identifier(Identifier {
            kind: IdentifierKind::Phone,
            value: "+8613812345678".into()
        })));
        assert!(bare.contains(&PersonRef::Identifier(Identifier {
            kind: IdentifierKind::UserId,
            value: "13812345678".into()
        })));
    }
}
