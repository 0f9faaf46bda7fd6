//! A store's launch settings (docs/journeys.md, "Launch safety"): the staff who receive test
//! sends, each by their own addresses, and whether publishing needs an owner's approval.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::outreach::{ChannelKind, PROFILE_VARIABLES, VARIABLES, Vars};

/// Test sends are marked so nobody mistakes one for the real thing.
pub const TEST_MARK: &str = "【测试】";
/// Seeds a store may keep.
pub const MAX_SEEDS: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct LaunchSettings {
    /// An operator's publish becomes a request that an owner approves or rejects.
    pub approval_required: bool,
    /// Staff who receive test sends, and nobody else does.
    pub seeds: Vec<Seed>,
}

/// One member of staff and their own addresses: a test send on a channel reaches the seeds
/// with an address on it, at that address only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    pub name: String,
    /// SMS: their own mobile number (stored in E.164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// WeCom: their own WeChat as an external contact of `wecom_staff_userid`, who confirms
    /// the test task in their WeCom app; both are needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wecom_external_userid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wecom_staff_userid: Option<String>,
    /// Mini-program: their own openid (they must have accepted the template's subscription).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
}

/// Where a test send to a seed goes: the recipient and, on WeCom, who sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedAddress {
    pub to: String,
    pub sender: Option<String>,
}

impl Seed {
    /// The seed's own address on `channel`, if they gave one (webhooks reach no person).
    pub fn address(&self, channel: ChannelKind) -> Option<SeedAddress> {
        let to = |v: &Option<String>| v.clone().map(|to| SeedAddress { to, sender: None });
        match channel {
            ChannelKind::Sms => to(&self.phone),
            ChannelKind::Miniprogram => to(&self.openid),
            ChannelKind::Wecom => Some(SeedAddress {
                to: self.wecom_external_userid.clone()?,
                sender: Some(self.wecom_staff_userid.clone()?),
            }),
            ChannelKind::Webhook => None,
        }
    }
}

fn plain(field: &str, v: &str, max: usize) -> Result<(), FieldError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(FieldError::new(field, format!("must be 1 to {max} characters, without control characters")));
    }
    Ok(())
}

impl LaunchSettings {
    /// Checked and tidied as saved: names and addresses trimmed, phones in E.164, empty
    /// addresses dropped.
    pub fn checked(mut self) -> Result<Self, FieldError> {
        if self.seeds.len() > MAX_SEEDS {
            return Err(FieldError::new("seeds", format!("at most {MAX_SEEDS} people")));
        }
        for (i, s) in self.seeds.iter_mut().enumerate() {
            let field = |f: &str| format!("seeds[{i}].{f}");
            s.name = s.name.trim().to_owned();
            plain(&field("name"), &s.name, 40)?;
            for (f, v) in [
                ("phone", &mut s.phone),
                ("wecom_external_userid", &mut s.wecom_external_userid),
                ("wecom_staff_userid", &mut s.wecom_staff_userid),
                ("openid", &mut s.openid),
            ] {
                *v = v.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
                if let Some(text) = v {
                    plain(&field(f), text, 64)?;
                }
            }
            if let Some(p) = &s.phone {
                s.phone = Some(crate::phone::normalize(p).map_err(|e| FieldError::new(field("phone"), e))?);
            }
            if s.wecom_external_userid.is_some() != s.wecom_staff_userid.is_some() {
                return Err(FieldError::new(
                    field("wecom_staff_userid"),
                    "WeCom needs both the external userid and the staff member who has that contact",
                ));
            }
            if [ChannelKind::Sms, ChannelKind::Wecom, ChannelKind::Miniprogram].iter().all(|c| s.address(*c).is_none())
            {
                return Err(FieldError::new(
                    field("phone"),
                    "give at least one address: a phone, WeCom ids or an openid",
                ));
            }
        }
        Ok(self)
    }
}

/// Values for every variable a template may name, so a test send renders without a person:
/// the template's own fallback where it has one, else these samples.
pub fn sample_vars() -> Vars {
    let mut vars = Vars::new();
    for v in VARIABLES.into_iter().chain(PROFILE_VARIABLES) {
        let sample = match v {
            "nickname" => "测试",
            "last_product" => "有机燕麦",
            "coupon" => "优惠券（示例）",
            "coupon_expires" => "12月31日",
            "session_title" => "直播（示例）",
            "session_time" => "20:00",
            "link" => "https://example.com",
            "level" | "next_level" => "L2",
            "ship_on" | "deadline" => "12月31日",
            "stage" => "active",
            "tier" => "potential",
            "next_category" => "水果",
            "staff" => "staff",
            _ => "1",
        };
        vars.insert(v, sample.to_owned());
    }
    vars
}

/// A test send's text: marked at the start.
pub fn marked(text: &str) -> String {
    format!("{TEST_MARK}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Seed {
        Seed { name: " 小王 ".into(), phone: Some("138 1234 5678".into()), ..Seed::default() }
    }

    #[test]
    fn seeds_are_tidied_and_reach_only_their_own_addresses() {
        let s = LaunchSettings { approval_required: true, seeds: vec![seed()] }.checked().unwrap();
        assert_eq!(s.seeds[0].name, "小王");
        assert_eq!(s.seeds[0].address(ChannelKind::Sms).unwrap().to, "+8613812345678");
        assert_eq!(s.seeds[0].address(ChannelKind::Wecom), None);
        assert_eq!(s.seeds[0].address(ChannelKind::Webhook), None);
        let wecom =
            Seed { wecom_external_userid: Some("wmEXT".into()), wecom_staff_userid: Some("wang".into()), ..seed() };
        assert_eq!(
            wecom.address(ChannelKind::Wecom),
            Some(SeedAddress { to: "wmEXT".into(), sender: Some("wang".into()) })
        );
        let half = Seed { wecom_external_userid: Some("wmEXT".into()), ..seed() };
        let e = LaunchSettings { seeds: vec![half], ..Default::default() }.checked().unwrap_err();
        assert_eq!(e.field, "seeds[0].wecom_staff_userid");
        let none = Seed { name: "x".into(), phone: Some("  ".into()), ..Seed::default() };
        assert_eq!(
            LaunchSettings { seeds: vec![none], ..Default::default() }.checked().unwrap_err().field,
            "seeds[0].phone"
        );
        let bad = Seed { phone: Some("abc".into()), ..seed() };
        assert_eq!(
            LaunchSettings { seeds: vec![bad], ..Default::default() }.checked().unwrap_err().field,
            "seeds[0].phone"
        );
        let many = LaunchSettings { seeds: vec![seed(); MAX_SEEDS + 1], ..Default::default() };
        assert_eq!(many.checked().unwrap_err().field, "seeds");
    }

    #[test]
    fn every_variable_has_a_sample() {
        let vars = sample_vars();
        assert!(VARIABLES.iter().chain(&PROFILE_VARIABLES).all(|v| vars.get(v).is_some_and(|s| !s.is_empty())));
        assert_eq!(marked("你好"), "【测试】你好");
    }
}
