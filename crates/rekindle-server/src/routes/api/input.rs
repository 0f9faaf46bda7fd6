//! Checks shared by the routes that take operators' text: names, descriptions, rules; and who
//! is acting, for version histories.

use rekindle_rules::{Rule, parse};

use crate::auth::{Access, Principal};
use crate::error::{ApiError, ErrorCode};

/// A rule as typed, checked: it must parse (the parser caps its length and nesting).
pub fn checked_rule(field: &str, text: &str, lang: super::Lang) -> Result<(String, Rule), ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::field(ErrorCode::InvalidField, field, "a rule is required"));
    }
    let rule = parse(text).map_err(|e| ApiError::rule(field, &e, lang.rules()))?;
    // Segments and tags are judged over profiles, which keep no event history: `did` is a
    // journey's term (its walk reads the person's events).
    if rule.uses_history() {
        let reason = match lang.rules() {
            rekindle_rules::Lang::ZhCn => "“做过”和“可触达”只能用在旅程的规则里（分群和标签读不到事件历史和触达状态）",
            rekindle_rules::Lang::En => {
                "\"did\" and \"reachable\" are for journey rules only (segments and tags do not read event history or reach)"
            }
        };
        let mut e = ApiError::field(ErrorCode::InvalidField, field, reason);
        let at = ["did", "做过", "发生过", "reachable", "可触达"].iter().filter_map(|w| text.find(w)).min();
        e.position = at.map(|byte| text[..byte].chars().count());
        return Err(e);
    }
    Ok((text.to_string(), rule))
}

pub fn checked_text(field: &str, text: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let text = text.trim();
    let n = text.chars().count();
    if n < min || n > max {
        return Err(ApiError::field(ErrorCode::InvalidField, field, format!("must be {min} to {max} characters")));
    }
    Ok(text.to_string())
}

/// Who is acting, for version history.
pub fn actor(access: &Access) -> String {
    match &access.caller.principal {
        Principal::User(u) => u.email.clone(),
        Principal::Admin => "admin token".into(),
    }
}
