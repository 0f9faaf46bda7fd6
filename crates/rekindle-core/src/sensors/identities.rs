//! Who a record is about: `distinct_id`, `login_id`, `anonymous_id` and the `identities` of
//! Sensors' ID-Mapping 3, mapped onto OneID's identifier kinds.

use serde_json::{Map, Value};

use crate::{FieldError, Identifier, IdentifierKind};

/// The identities that name a device or a browser, most lasting first: the first one present
/// is the message's `anonymousId` (a message carries one).
const DEVICE_KEYS: [&str; 9] = [
    "$identity_anonymous_id",
    "$identity_cookie_id",
    "$identity_distinct_id",
    "$identity_android_uuid",
    "$identity_android_id",
    "$identity_android_oaid",
    "$identity_idfv",
    "$identity_idfa",
    "$identity_mp_id",
];

/// The identities that are one of OneID's person-naming identifiers, carried as
/// `context.traits` the way Segment senders carry them.
const TRAIT_KEYS: [(&str, IdentifierKind); 7] = [
    ("$identity_mobile", IdentifierKind::Phone),
    ("$identity_phone", IdentifierKind::Phone),
    ("$identity_mp_openid", IdentifierKind::WechatOpenid),
    ("$identity_mp_wx_openid", IdentifierKind::WechatOpenid),
    ("$identity_mp_unionid", IdentifierKind::WechatUnionid),
    ("$identity_mp_wx_unionid", IdentifierKind::WechatUnionid),
    ("$identity_wecom_external_userid", IdentifierKind::WecomExternalUserid),
];

pub(super) const LOGIN_KEY: &str = "$identity_login_id";

#[derive(Debug, Default)]
pub(super) struct Ids {
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// `phone`, `wechat_openid`… as identify traits.
    pub traits: Map<String, Value>,
}

/// Read the identifiers of a record of type `kind`. A signup's `distinct_id` is the login id it
/// signs up. An unbinding names the identity it separates: it is attributed by `distinct_id`
/// alone and links nothing.
pub(super) fn read(
    record: &Map<String, Value>,
    properties: &Map<String, Value>,
    kind: &str,
) -> Result<Ids, FieldError> {
    let unbind = kind == "track_id_unbind";
    let none = Map::new();
    let identities = match record.get("identities") {
        None | Some(Value::Null) => &none,
        Some(Value::Object(o)) => {
            for (k, v) in o {
                if !v.is_null() && scalar(v).is_none() {
                    return Err(FieldError::new(format!("identities.{k}"), "must be a string or a number"));
                }
            }
            o
        }
        Some(_) => return Err(FieldError::new("identities", "must be an object")),
    };
    let field = |key: &str| -> Result<Option<String>, FieldError> {
        match record.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => scalar(v).map(Some).ok_or_else(|| FieldError::new(key, "must be a string or a number")),
        }
    };
    let distinct = field("distinct_id")?;
    // An unbinding's distinct_id is whoever is signed in, unless it names an identity
    // (`$identity_cookie_id+…`, as server SDKs write it).
    let login_flag = kind == "track_signup"
        || properties.get("$is_login_id") == Some(&Value::Bool(true))
        || (unbind && distinct.as_deref().is_some_and(|d| !d.starts_with("$identity_")));
    let identity = |key: &str| if unbind { None } else { identities.get(key).and_then(scalar) };

    let user_id = identity(LOGIN_KEY)
        .or(if unbind { None } else { field("login_id")? })
        .or_else(|| distinct.clone().filter(|_| login_flag));
    let anonymous_id = if unbind { None } else { field("anonymous_id")? }
        .or_else(|| DEVICE_KEYS.iter().find_map(|k| identity(k)))
        .or_else(|| distinct.clone().filter(|d| user_id.as_ref() != Some(d)));
    let mut ids = Ids { user_id, anonymous_id, traits: Map::new() };
    if !unbind {
        for (key, kind) in TRAIT_KEYS {
            if let Some(raw) = identity(key) {
                let id = Identifier::parse(kind, &raw, &format!("identities.{key}"))?;
                ids.traits.entry(kind.as_str()).or_insert(Value::String(id.value));
            }
        }
    }
    if ids.user_id.is_none() && ids.anonymous_id.is_none() {
        return Err(FieldError::new("distinct_id", "is required"));
    }
    Ok(ids)
}

/// An id as text: a non-empty string, or a number written bare.
pub(super) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
