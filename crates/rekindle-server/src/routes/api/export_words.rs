//! The words of a file an operator downloads: the language they read the console in
//! (`?lang=zh-CN`, the default, or `?lang=en`), as the console's own words say them.

use rekindle_core::lifecycle::{Stage, Tier};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

/// `?lang=` of a download.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// `zh-CN` (the default) or `en`: the language of the headers and words.
    #[param(value_type = Option<String>)]
    pub lang: Option<Lang>,
}

impl Lang {
    /// The language a request asks for: `Accept-Language` starting with `en` is English, anything
    /// else (or none) the default, Chinese. The console sends its own locale.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if accept.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Zh }
    }

    /// The rule language's own name for it, for its error messages.
    pub fn rules(self) -> rekindle_rules::Lang {
        match self {
            Lang::Zh => rekindle_rules::Lang::ZhCn,
            Lang::En => rekindle_rules::Lang::En,
        }
    }

    pub fn stage(self, stage: Option<Stage>) -> &'static str {
        match (self, stage) {
            (Lang::Zh, None | Some(Stage::Prospect)) => "潜在客户",
            (Lang::Zh, Some(Stage::New)) => "新客",
            (Lang::Zh, Some(Stage::Active)) => "活跃",
            (Lang::Zh, Some(Stage::Silent)) => "沉默",
            (Lang::Zh, Some(Stage::Churned)) => "流失",
            (Lang::Zh, Some(Stage::Reactivated)) => "回流",
            (Lang::En, None) => "prospect",
            (Lang::En, Some(s)) => s.as_str(),
        }
    }

    pub fn tier(self, tier: Option<Tier>) -> &'static str {
        match (self, tier) {
            (Lang::Zh, Some(Tier::High)) => "高价值",
            (Lang::Zh, Some(Tier::Potential)) => "潜力",
            (Lang::Zh, None | Some(Tier::Edge)) => "边缘",
            (Lang::En, None) => "edge",
            (Lang::En, Some(t)) => t.as_str(),
        }
    }

    /// The columns of a segment's member list.
    pub fn member_columns(self) -> [&'static str; 9] {
        match self {
            Lang::Zh => [
                "用户 ID",
                "昵称",
                "手机号",
                "生命周期",
                "价值分层",
                "订单数",
                "累计消费（元）",
                "最近下单",
                "加入人群",
            ],
            Lang::En => ["person", "nickname", "phone", "stage", "tier", "orders", "spend_yuan", "last_order", "since"],
        }
    }
}

/// A byte-order mark first: Excel reads a CSV without one in the system's code page, which
/// on a Chinese Windows turns UTF-8 into mojibake.
pub const UTF8_BOM: &str = "\u{FEFF}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_and_tier_has_a_chinese_word() {
        for s in [Stage::Prospect, Stage::New, Stage::Active, Stage::Silent, Stage::Churned, Stage::Reactivated] {
            assert!(!Lang::Zh.stage(Some(s)).is_ascii(), "{s:?}");
            assert_eq!(Lang::En.stage(Some(s)), s.as_str());
        }
        for t in [Tier::High, Tier::Potential, Tier::Edge] {
            assert!(!Lang::Zh.tier(Some(t)).is_ascii(), "{t:?}");
        }
    }
}
