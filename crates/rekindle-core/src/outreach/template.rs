//! Message templates: zh-CN text with `{{variable}}` or `{{variable|fallback}}` placeholders,
//! rendered per person, with each channel's length rules checked before anything is sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ChannelKind;
use crate::FieldError;

/// What a template may mention. The engine fills them from the person and the journey.
pub const VARIABLES: [&str; 17] = [
    "nickname",
    "last_product",
    "coupon",
    "coupon_expires",
    "session_title",
    "session_time",
    "link",
    "days_left",
    // The loyalty program (docs/loyalty.md): the member's level, balance, and the way to the
    // next level in growth and in yuan spent (none for a member at the top).
    "level",
    "points",
    "next_level",
    "points_to_next",
    "yuan_to_next",
    // Points that expire within the next 30 days.
    "points_expiring",
    // A subscription shipment (docs/subscriptions.md): its date, how many units, and until
    // when it is answered; `link` is the answer page.
    "ship_on",
    "quantity",
    "deadline",
];

/// Any profile figure a rule can read, by the rule language's word (`{{days_since_order}}`,
/// `{{spend}}` in yuan, `{{clv}}`), and the person's stage, tier, recommended next category
/// and WeCom owner (the staff member's userid); `rekindle-rules` tests that every figure here
/// is one of its metrics.
pub const PROFILE_VARIABLES: [&str; 18] = [
    "orders",
    "spend",
    "aov",
    "days_since_order",
    "days_since_seen",
    "comments",
    "shares",
    "categories",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "p_alive",
    "clv",
    "invited",
    "stage",
    "tier",
    "next_category",
    "staff",
];

/// Whether `name` is a variable a template may use.
pub fn is_variable(name: &str) -> bool {
    VARIABLES.contains(&name) || PROFILE_VARIABLES.contains(&name)
}

/// Values for one person; a missing value falls back to the placeholder's default, if any.
pub type Vars = BTreeMap<&'static str, String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    /// Unique within the workspace; journey steps name templates by it.
    pub name: String,
    pub channel: ChannelKind,
    /// The text as the person reads it (for SMS and mini-program: the text of the approved
    /// provider template, used for previews and length checks).
    pub text: String,
    /// SMS template code / Tencent template id / mini-program template id.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!(null)))]
    pub provider_template: Option<String>,
    /// The provider template's parameters, in order, each a text with placeholders.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!([])))]
    pub params: Vec<TemplateParam>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!(null)))]
    pub link: Option<String>,
    /// Order care and the like: exempt from marketing caps, never from opt-out.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = false))]
    pub transactional: bool,
    /// WeCom only: pictures, short videos, link and mini-program cards sent with the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(default = json!([])))]
    pub attachments: Vec<super::Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateParam {
    pub name: String,
    pub value: String,
}

/// A template rendered for one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub text: String,
    pub params: Vec<(String, String)>,
    pub link: Option<String>,
    /// How many SMS the text is billed as (70 characters in one, 67 each when split).
    pub sms_parts: u32,
}

/// Marketing SMS in China must tell people how to refuse them.
pub const SMS_OPT_OUT: &str = "拒收请回复R";

/// Longest text per channel, in characters (WeCom counts bytes: 4,000 UTF-8 bytes).
const SMS_MAX_CHARS: usize = 500;
pub(super) const SMS_PARAM_MAX_CHARS: usize = 35;
const WECOM_MAX_BYTES: usize = 4000;
const MINIPROGRAM_THING_MAX_CHARS: usize = 20;
const MINIPROGRAM_MAX_PARAMS: usize = 5;

impl MessageTemplate {
    /// Everything wrong with the template as written, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(FieldError::new("name", "is empty"));
        }
        if self.text.trim().is_empty() {
            problems.push(FieldError::new("text", "is empty"));
        }
        let mut texts = vec![("text".to_owned(), &self.text)];
        texts.extend(self.params.iter().enumerate().map(|(i, p)| (format!("params[{i}].value"), &p.value)));
        for (field, text) in texts {
            for p in placeholders(text) {
                match p {
                    Ok((var, _)) if !is_variable(var) => problems.push(FieldError::new(
                        field.clone(),
                        format!(
                            "{{{{{var}}}}} is not a variable; use one of {}, or a profile figure: {}",
                            VARIABLES.join(", "),
                            PROFILE_VARIABLES.join(", ")
                        ),
                    )),
                    Ok(_) => {}
                    Err(e) => problems.push(FieldError::new(field.clone(), e)),
                }
            }
        }
        if !self.attachments.is_empty() && self.channel != ChannelKind::Wecom {
            problems.push(FieldError::new("attachments", "only WeCom messages carry attachments"));
        } else if let Err(e) = super::Attachment::check_all(&self.attachments, "attachments") {
            problems.push(e);
        }
        let needs_provider_template = matches!(self.channel, ChannelKind::Sms | ChannelKind::Miniprogram);
        if needs_provider_template && self.provider_template.as_deref().is_none_or(|t| t.trim().is_empty()) {
            problems
                .push(FieldError::new("provider_template", "is required: the provider sends only approved templates"));
        }
        match self.channel {
            ChannelKind::Sms => {
                if !self.transactional && !self.text.contains(SMS_OPT_OUT) {
                    problems.push(FieldError::new("text", format!("marketing SMS must end with {SMS_OPT_OUT}")));
                }
                if self.text.chars().count() > SMS_MAX_CHARS {
                    problems.push(FieldError::new("text", format!("is longer than {SMS_MAX_CHARS} characters")));
                }
            }
            ChannelKind::Wecom if self.text.len() > WECOM_MAX_BYTES => {
                problems.push(FieldError::new("text", format!("is longer than WeCom's {WECOM_MAX_BYTES} bytes")));
            }
            ChannelKind::Miniprogram if self.params.len() > MINIPROGRAM_MAX_PARAMS => {
                problems.push(FieldError::new("params", format!("has more than {MINIPROGRAM_MAX_PARAMS} fields")));
            }
            _ => {}
        }
        problems
    }

    /// The template for one person. Fails, naming the field, when a placeholder has neither a
    /// value nor a fallback, or a value breaks the channel's length rules.
    pub fn render(&self, vars: &Vars) -> Result<Rendered, FieldError> {
        let text = fill(&self.text, vars).map_err(|e| FieldError::new("text", e))?;
        let mut params = Vec::with_capacity(self.params.len());
        for (i, p) in self.params.iter().enumerate() {
            let value = fill(&p.value, vars).map_err(|e| FieldError::new(format!("params[{i}].value"), e))?;
            let limit = match self.channel {
                ChannelKind::Sms => Some(SMS_PARAM_MAX_CHARS),
                ChannelKind::Miniprogram => Some(MINIPROGRAM_THING_MAX_CHARS),
                _ => None,
            };
            if let Some(limit) = limit
                && value.chars().count() > limit
            {
                return Err(FieldError::new(
                    format!("params[{i}].value"),
                    format!("renders to {} characters; {} allows {limit}", value.chars().count(), self.channel),
                ));
            }
            params.push((p.name.clone(), value));
        }
        let chars = text.chars().count();
        match self.channel {
            ChannelKind::Sms if chars > SMS_MAX_CHARS => {
                return Err(FieldError::new(
                    "text",
                    format!("renders to {chars} characters; SMS allows {SMS_MAX_CHARS}"),
                ));
            }
            ChannelKind::Wecom if text.len() > WECOM_MAX_BYTES => {
                return Err(FieldError::new(
                    "text",
                    format!("renders to {} bytes; WeCom allows {WECOM_MAX_BYTES}", text.len()),
                ));
            }
            _ => {}
        }
        let link = match &self.link {
            Some(l) => Some(fill(l, vars).map_err(|e| FieldError::new("link", e))?),
            None => vars.get("link").cloned(),
        };
        let sms_parts = if chars <= 70 { 1 } else { chars.div_ceil(67) as u32 };
        Ok(Rendered { text, params, link, sms_parts })
    }
}

/// The placeholders in `text`: (variable, fallback), or what is malformed.
fn placeholders(text: &str) -> impl Iterator<Item = Result<(&str, Option<&str>), String>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find("{{")?;
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = "";
            return Some(Err("has a {{ without its }}".to_owned()));
        };
        let inner = &after[..end];
        rest = &after[end + 2..];
        let (var, fallback) = match inner.split_once('|') {
            Some((v, f)) => (v.trim(), Some(f)),
            None => (inner.trim(), None),
        };
        Some(Ok((var, fallback)))
    })
}

fn fill(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("has a {{ without its }}")?;
        let inner = &after[..end];
        let (var, fallback) = match inner.split_once('|') {
            Some((v, f)) => (v.trim(), Some(f)),
            None => (inner.trim(), None),
        };
        match (vars.get(var).filter(|v| !v.is_empty()), fallback) {
            (Some(v), _) => out.push_str(v),
            (None, Some(f)) => out.push_str(f),
            (None, None) => return Err(format!("has no value for {{{{{var}}}}} and no fallback")),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(channel: ChannelKind, text: &str) -> MessageTemplate {
        MessageTemplate {
            name: "t".into(),
            channel,
            text: text.into(),
            provider_template: Some("SMS_1".into()),
            params: vec![],
            link: None,
            transactional: false,
            attachments: vec![],
        }
    }

    #[test]
    fn renders_with_values_and_fallbacks() {
        let t = template(ChannelKind::Wecom, "{{nickname|亲}}，您的{{last_product}}快吃完了");
        let vars: Vars = [("last_product", "燕麦片".to_owned())].into_iter().collect();
        assert_eq!(t.render(&vars).unwrap().text, "亲，您的燕麦片快吃完了");
        let vars: Vars = [("nickname", "王姐".to_owned())].into_iter().collect();
        let e = t.render(&vars).unwrap_err();
        assert_eq!(e.field, "text");
        assert!(e.reason.contains("last_product"), "{}", e.reason);
    }

    #[test]
    fn checks_channel_rules() {
        let sms = template(ChannelKind::Sms, "您的{{last_product}}快吃完了");
        let problems = sms.check();
        assert!(problems.iter().any(|p| p.reason.contains(SMS_OPT_OUT)), "{problems:?}");
        let ok = template(ChannelKind::Sms, "您的{{last_product}}快吃完了，拒收请回复R");
        assert!(ok.check().is_empty());
        let bad_var = template(ChannelKind::Wecom, "hi {{phone}}");
        assert!(bad_var.check()[0].reason.contains("not a variable"));
        let mut mp = template(ChannelKind::Miniprogram, "x");
        mp.params = vec![TemplateParam { name: "thing1".into(), value: "{{last_product}}".into() }];
        let long: Vars =
            [("last_product", "有机高山燕麦片家庭装一千克装超值特惠两袋组合".to_owned())].into_iter().collect();
        assert_eq!(mp.render(&long).unwrap_err().field, "params[0].value");
    }

    #[test]
    fn counts_sms_parts() {
        let t = template(ChannelKind::Sms, &"鲜".repeat(70));
        assert_eq!(t.render(&Vars::new()).unwrap().sms_parts, 1);
        let t = template(ChannelKind::Sms, &"鲜".repeat(71));
        assert_eq!(t.render(&Vars::new()).unwrap().sms_parts, 2);
    }
}
