//! How an `identify` changes a person's traits. Segment's identify sets them; Sensors Data's
//! profile records also set a trait only once, unset, append to a list, add to a number, or
//! delete them all. The sender names the change with the identify's `traitsUpdate` key.

use serde_json::{Map, Number, Value};

use crate::FieldError;

/// The payload key naming how an identify's `traits` change the person's.
pub const KEY: &str = "traitsUpdate";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraitsUpdate {
    /// Write each trait over the person's (Segment's identify; Sensors `profile_set`).
    Set,
    /// Write a trait only where the person has none (`profile_set_once`).
    SetOnce,
    /// Remove the named traits; the values are ignored (`profile_unset`).
    Unset,
    /// Add values to a list trait, each value at most once (`profile_append`).
    Append,
    /// Add a number to a numeric trait (`profile_increment`).
    Increment,
    /// Remove every trait the person has (`profile_delete`). Identifiers and events stay.
    Delete,
}

impl TraitsUpdate {
    pub const ALL: [TraitsUpdate; 6] =
        [Self::Set, Self::SetOnce, Self::Unset, Self::Append, Self::Increment, Self::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::SetOnce => "set_once",
            Self::Unset => "unset",
            Self::Append => "append",
            Self::Increment => "increment",
            Self::Delete => "delete",
        }
    }

    /// Read the `traitsUpdate` key of a payload: absent or `null` means [`TraitsUpdate::Set`].
    pub fn read(payload: &Map<String, Value>) -> Result<Self, FieldError> {
        match payload.get(KEY) {
            None | Some(Value::Null) => Ok(Self::Set),
            Some(Value::String(s)) => Self::ALL
                .into_iter()
                .find(|u| u.as_str() == s)
                .ok_or_else(|| FieldError::new(KEY, "must be one of set, set_once, unset, append, increment, delete")),
            Some(_) => Err(FieldError::new(KEY, "must be a string")),
        }
    }

    /// Check that `traits` can be applied this way, naming the first trait that cannot.
    pub fn check(self, traits: &Map<String, Value>) -> Result<(), FieldError> {
        for (key, value) in traits {
            let ok = match self {
                Self::Increment => value.is_number(),
                Self::Append => match value {
                    Value::Array(items) => items.iter().all(is_scalar),
                    v => is_scalar(v),
                },
                _ => true,
            };
            if !ok {
                let reason = if self == Self::Increment {
                    "increment needs a number"
                } else {
                    "append needs a string, number, boolean, or a list of them"
                };
                return Err(FieldError::new(format!("traits.{key}"), reason));
            }
        }
        Ok(())
    }

    /// Apply `traits` to a person's `kept` traits. Checked values only ([`TraitsUpdate::check`]);
    /// anything else is skipped rather than corrupting what is kept.
    pub fn apply<'a>(self, kept: &mut Map<String, Value>, traits: impl IntoIterator<Item = (&'a String, &'a Value)>) {
        match self {
            Self::Delete => kept.clear(),
            // A value sent again unchanged (the sender's `context.traits`, on every event) is
            // compared, not copied: this runs in every append's transaction.
            Self::Set => {
                for (k, v) in traits {
                    match kept.get_mut(k) {
                        Some(old) if old == v => {}
                        Some(old) => *old = v.clone(),
                        None => {
                            kept.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            Self::SetOnce => {
                for (k, v) in traits {
                    match kept.get_mut(k) {
                        Some(old) if !old.is_null() => {}
                        Some(old) => *old = v.clone(),
                        None => {
                            kept.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            Self::Unset => traits.into_iter().for_each(|(k, _)| {
                kept.remove(k);
            }),
            Self::Append => {
                for (k, v) in traits {
                    let list = kept.entry(k.clone()).or_insert_with(|| Value::Array(Vec::new()));
                    if !list.is_array() {
                        // A scalar kept before becomes the list's first value.
                        let first = std::mem::take(list);
                        *list = Value::Array(if first.is_null() { Vec::new() } else { vec![first] });
                    }
                    let Value::Array(list) = list else { unreachable!("made a list above") };
                    let added: &[Value] = match v {
                        Value::Array(items) => items,
                        one => std::slice::from_ref(one),
                    };
                    for item in added.iter().filter(|i| is_scalar(i)) {
                        if !list.contains(item) {
                            list.push(item.clone());
                        }
                    }
                }
            }
            Self::Increment => {
                for (k, v) in traits {
                    let Value::Number(by) = v else { continue };
                    let sum = match kept.get(k) {
                        Some(Value::Number(old)) => add(old, by),
                        _ => Some(by.clone()),
                    };
                    if let Some(sum) = sum {
                        kept.insert(k.clone(), Value::Number(sum));
                    }
                }
            }
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// Whole numbers add exactly; otherwise as floating point. `None` when the sum is not finite.
fn add(a: &Number, b: &Number) -> Option<Number> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64())
        && let Some(sum) = a.checked_add(b)
    {
        return Some(sum.into());
    }
    Number::from_f64(a.as_f64()? + b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn applied(update: TraitsUpdate, kept: Value, traits: Value) -> Value {
        let mut kept = map(kept);
        let traits = map(traits);
        update.check(&traits).unwrap();
        update.apply(&mut kept, &traits);
        Value::Object(kept)
    }

    #[test]
    fn each_update_changes_traits_its_way() {
        let kept = json!({"name": "小王", "tags": ["鲜果"], "visits": 2, "empty": null});
        assert_eq!(
            applied(TraitsUpdate::Set, kept.clone(), json!({"name": "王先生"})),
            json!({"name": "王先生", "tags": ["鲜果"], "visits": 2, "empty": null})
        );
        assert_eq!(
            applied(TraitsUpdate::SetOnce, kept.clone(), json!({"name": "王先生", "city": "杭州", "empty": 1})),
            json!({"name": "小王", "tags": ["鲜果"], "visits": 2, "empty": 1, "city": "杭州"})
        );
        assert_eq!(
            applied(TraitsUpdate::Unset, kept.clone(), json!({"name": true, "absent": true})),
            json!({"tags": ["鲜果"], "visits": 2, "empty": null})
        );
        assert_eq!(
            applied(TraitsUpdate::Append, kept.clone(), json!({"tags": ["鲜果", "粮油"], "new": "a", "name": "b"})),
            json!({"name": ["小王", "b"], "tags": ["鲜果", "粮油"], "visits": 2, "empty": null, "new": ["a"]})
        );
        assert_eq!(
            applied(TraitsUpdate::Increment, kept.clone(), json!({"visits": 3, "spent": 1.5, "name": 1})),
            json!({"name": 1, "tags": ["鲜果"], "visits": 5, "empty": null, "spent": 1.5})
        );
        assert_eq!(applied(TraitsUpdate::Delete, kept, json!({})), json!({}));
    }

    #[test]
    fn values_an_update_cannot_apply_are_refused_by_name() {
        let e = TraitsUpdate::Increment.check(&map(json!({"visits": "3"}))).unwrap_err();
        assert_eq!(e.field, "traits.visits");
        let e = TraitsUpdate::Append.check(&map(json!({"tags": [{"a": 1}]}))).unwrap_err();
        assert_eq!(e.field, "traits.tags");
        assert!(TraitsUpdate::Set.check(&map(json!({"x": {"deep": [1]}}))).is_ok());
        assert_eq!(TraitsUpdate::read(&map(json!({KEY: "increment"}))), Ok(TraitsUpdate::Increment));
        assert_eq!(TraitsUpdate::read(&map(json!({}))), Ok(TraitsUpdate::Set));
        assert_eq!(TraitsUpdate::read(&map(json!({KEY: "merge"}))).unwrap_err().field, KEY);
        assert_eq!(TraitsUpdate::read(&map(json!({KEY: 1}))).unwrap_err().field, KEY);
    }

    #[test]
    fn an_increment_past_the_integers_is_added_as_a_float_and_never_lost() {
        let out = applied(TraitsUpdate::Increment, json!({"n": i64::MAX}), json!({"n": 1}));
        assert!(out["n"].as_f64().unwrap() > 9.2e18);
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i32>().prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from)
        ]
    }

    proptest! {
        /// Appending is idempotent (a resent record changes nothing) and never drops a value.
        #[test]
        fn append_twice_is_append_once(kept in prop::collection::vec(scalar(), 0..4), added in prop::collection::vec(scalar(), 0..4)) {
            let traits = map(json!({"l": added.clone()}));
            let mut once = map(json!({"l": kept.clone()}));
            TraitsUpdate::Append.apply(&mut once, &traits);
            let mut twice = once.clone();
            TraitsUpdate::Append.apply(&mut twice, &traits);
            prop_assert_eq!(&once, &twice);
            let list = once["l"].as_array().unwrap();
            for v in kept.iter().chain(&added) {
                prop_assert!(list.contains(v));
            }
        }

        /// Whole-number increments add exactly, in any order.
        #[test]
        fn increments_commute(start in -1000i64..1000, steps in prop::collection::vec(-1000i64..1000, 0..6)) {
            let mut forward = map(json!({"n": start}));
            let mut backward = forward.clone();
            for s in &steps { TraitsUpdate::Increment.apply(&mut forward, &map(json!({"n": s}))); }
            for s in steps.iter().rev() { TraitsUpdate::Increment.apply(&mut backward, &map(json!({"n": s}))); }
            prop_assert_eq!(&forward, &backward);
            prop_assert_eq!(forward["n"].as_i64(), Some(start + steps.iter().sum::<i64>()));
        }
    }
}
