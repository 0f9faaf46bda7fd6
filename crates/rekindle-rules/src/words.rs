//! The words of the rule language in both spellings: every Chinese keyword, value and unit is
//! an exact synonym of an English one, and the parser reads the English one.

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::outreach::ChannelKind;
use rekindle_core::scores::Risk;

/// The language a rule is printed in ([`crate::Rule::to_text`]) or an error is told in
/// ([`crate::ParseError::message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese, the console's words.
    ZhCn,
    En,
}

/// Chinese keywords and the English keyword each stands for; the first spelling of each is the
/// one [`crate::Rule::to_text`] prints. Each of these splits an unquoted word it occurs in.
pub(crate) const KEYWORDS: [(&str, &str); 56] = [
    ("且", "and"),
    ("并且", "and"),
    ("或", "or"),
    ("或者", "or"),
    ("非", "not"),
    ("不是", "not"),
    ("没有", "not"),
    ("没", "not"),
    ("属于", "in"),
    ("近", "within"),
    ("最近", "within"),
    ("带标签", "tagged"),
    ("买过", "bought"),
    ("购买过", "bought"),
    ("看过", "watched"),
    ("观看", "watched"),
    ("观看过", "watched"),
    ("生命周期", "lifecycle"),
    ("分层", "tier"),
    ("标签", "tag"),
    ("流失风险", "churn_risk"),
    ("预计用完", "depletes"),
    ("订单数", "orders"),
    ("消费", "spend"),
    ("消费额", "spend"),
    ("客单价", "aov"),
    ("距上次下单天数", "days_since_order"),
    ("距上次出现天数", "days_since_seen"),
    ("评论数", "comments"),
    ("分享数", "shares"),
    ("工单未结时长", "open_ticket_age"),
    ("品类数", "categories"),
    ("r值", "rfm_r"),
    ("f值", "rfm_f"),
    ("m值", "rfm_m"),
    ("存活概率", "p_alive"),
    ("预测价值", "clv"),
    ("直播下单", "live_ordered"),
    ("到场场次", "attended"),
    ("提问等待", "question_wait"),
    ("最近一场", "latest_session"),
    ("上一场", "latest_session"),
    ("积分", "points"),
    ("将过期积分", "points_expiring"),
    ("将过期", "expiring"),
    ("会员等级", "level"),
    ("距升级", "to_next_level"),
    ("等级", "level"),
    ("邀请好友数", "invited"),
    ("邀请", "invited"),
    ("被邀请", "invited_by"),
    ("企微好友", "wecom_friend"),
    ("做过", "did"),
    ("发生过", "did"),
    ("进入后", "since_entry"),
    ("可触达", "reachable"),
];

/// The English keyword a word stands for (itself when it is not a Chinese synonym).
pub(crate) fn canon(word: &str) -> &str {
    KEYWORDS.iter().find(|(zh, _)| *zh == word).map_or(word, |(_, en)| en)
}

/// Whether `word` is one of the Chinese keywords (which an unquoted name cannot be).
pub(crate) fn is_zh_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|(zh, _)| *zh == word)
}

/// The Chinese spelling of an English keyword: its first synonym.
pub(crate) fn zh(en: &str) -> &'static str {
    KEYWORDS.iter().find(|(_, e)| *e == en).map_or("", |(zh, _)| zh)
}

/// The longest Chinese keyword that starts at `chars[at]`, if that character is not ASCII:
/// it splits an unquoted word (Chinese is written without spaces).
pub(crate) fn keyword_at(chars: &[char], at: usize) -> Option<&'static str> {
    if chars[at].is_ascii() {
        return None;
    }
    KEYWORDS
        .iter()
        .map(|(zh, _)| *zh)
        .filter(|zh| !zh.starts_with(|c: char| c.is_ascii()))
        .filter(|zh| zh.chars().enumerate().all(|(k, c)| chars.get(at + k) == Some(&c)))
        .max_by_key(|zh| zh.chars().count())
}

/// Units written after a number in Chinese, with their English twin; the longest is tried first.
pub(crate) const ZH_UNITS: [(&str, &str); 6] =
    [("小时", "h"), ("分钟", "m"), ("天", "d"), ("分", "m"), ("秒", "s"), ("元", "元")];

/// Each stage with the words that name it; the first Chinese one is the console's.
const STAGES: [(Stage, &[&str]); 6] = [
    (Stage::Prospect, &["潜在客户", "潜客"]),
    (Stage::New, &["新客"]),
    (Stage::Active, &["活跃"]),
    (Stage::Silent, &["沉默"]),
    (Stage::Churned, &["流失"]),
    (Stage::Reactivated, &["回流"]),
];

const TIERS: [(Tier, &[&str]); 3] = [(Tier::High, &["高价值"]), (Tier::Potential, &["潜力"]), (Tier::Edge, &["边缘"])];

const RISKS: [(Risk, &[&str]); 3] =
    [(Risk::Low, &["低风险", "低"]), (Risk::Medium, &["中风险", "中"]), (Risk::High, &["高风险", "高"])];

/// The channels `reachable` names, with their Chinese words (the console's).
const CHANNELS: [(ChannelKind, &[&str]); 3] = [
    (ChannelKind::Wecom, &["企微", "企业微信"]),
    (ChannelKind::Sms, &["短信"]),
    (ChannelKind::Miniprogram, &["小程序"]),
];

pub(crate) fn channel(word: &str) -> Option<ChannelKind> {
    CHANNELS.iter().find(|(c, zh)| c.as_str() == word || zh.contains(&word)).map(|(c, _)| *c)
}

pub(crate) fn channel_word(c: ChannelKind, lang: Lang) -> &'static str {
    match lang {
        Lang::En => c.as_str(),
        Lang::ZhCn => CHANNELS.iter().find(|(x, _)| *x == c).map_or("", |(_, zh)| zh[0]),
    }
}

pub(crate) fn stage(word: &str) -> Option<Stage> {
    STAGES.iter().find(|(s, zh)| s.as_str() == word || zh.contains(&word)).map(|(s, _)| *s)
}

pub(crate) fn tier(word: &str) -> Option<Tier> {
    TIERS.iter().find(|(t, zh)| t.as_str() == word || zh.contains(&word)).map(|(t, _)| *t)
}

pub(crate) fn risk(word: &str) -> Option<Risk> {
    RISKS.iter().find(|(r, zh)| r.as_str() == word || zh.contains(&word)).map(|(r, _)| *r)
}

pub fn stage_word(s: Stage, lang: Lang) -> &'static str {
    match lang {
        Lang::En => s.as_str(),
        Lang::ZhCn => STAGES.iter().find(|(x, _)| *x == s).map_or("", |(_, zh)| zh[0]),
    }
}

pub fn tier_word(t: Tier, lang: Lang) -> &'static str {
    match lang {
        Lang::En => t.as_str(),
        Lang::ZhCn => TIERS.iter().find(|(x, _)| *x == t).map_or("", |(_, zh)| zh[0]),
    }
}

pub(crate) fn risk_word(r: Risk, lang: Lang) -> &'static str {
    match lang {
        Lang::En => r.as_str(),
        Lang::ZhCn => RISKS.iter().find(|(x, _)| *x == r).map_or("", |(_, zh)| zh[0]),
    }
}

/// Full-width punctuation and digits a Chinese input method types, as their ASCII twins
/// (one character for one, so positions are unchanged). Not applied inside quotes.
pub(crate) fn narrow(c: char) -> char {
    match c {
        '（' => '(',
        '）' => ')',
        '，' | '、' => ',',
        '＝' => '=',
        '＞' => '>',
        '＜' => '<',
        '！' => '!',
        '．' => '.',
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        _ => c,
    }
}

/// Columns a character takes in a terminal: two for CJK ideographs, kana, hangul and
/// full-width forms (`￥`, `（`, `３`), one for the rest (`¥` U+00A5 is narrow).
pub(crate) fn columns(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}
