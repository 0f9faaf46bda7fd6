//! What a rule that does not parse is told: where, what was expected, what was found, in the
//! operator's language.

use std::fmt;

use crate::words::{Lang, columns};
use crate::{MAX_NESTING, MAX_RULE_CHARS};

/// Where a rule stops making sense and what would have made sense there.
///
/// `position` counts characters from 0 (the console and [`ParseError::render`] place a caret
/// with it); the messages ([`ParseError::message`], `Display`) count from 1, as a person does:
/// `position` 9 is told as "at character 10" / "第 10 个字符处".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub expected: Expected,
    pub found: Found,
    /// The rule is over a cap (length or nesting) rather than merely wrong: refused outright
    /// wherever it is written, even in a draft that may otherwise be saved with problems.
    pub over_limit: bool,
}

/// What would have made sense at an error's position.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A rule of at most [`MAX_RULE_CHARS`] characters.
    ShorterRule,
    /// At most [`MAX_NESTING`] levels of parentheses and `not`.
    ShallowerNesting,
    /// A condition, where a rule or a part of one starts.
    Condition,
    /// A condition, after a word that is none: every condition is listed.
    KnownCondition,
    /// `and`, `or` or the end of the rule.
    AndOrEnd,
    OpenParen,
    CloseParen,
    CommaOrCloseParen,
    /// `=`, `!=` or `in (…)` after `lifecycle`, `tier` or `churn_risk`.
    Choice,
    /// A comparison: `<`, `<=`, `=`, `!=`, `>=` or `>`.
    Comparison,
    /// An amount of money: `¥2000` or `2000元`.
    Amount,
    /// A duration: `30d`, `48h`, `30m`, `30天`.
    Duration,
    Number,
    /// A whole number of sessions, 1 to [`crate::parser::MAX_SESSIONS`].
    SessionCount,
    /// A member level: `L3`, or its number `3`.
    Level,
    /// `within` and a duration, after `depletes`.
    WithinDuration,
    /// What was bought: a product, SKU or category.
    Product,
    /// A product tag from the catalogue, after `bought tagged`.
    ProductTag,
    /// A person's tag, after `tag`.
    Tag,
    /// An event name, after `did`.
    EventName,
    /// `entry`, after `since`.
    Entry,
    /// A channel a person is reached on, after `reachable`.
    Channel,
    /// A lifecycle stage (missing, or not one of the six).
    Stage,
    /// A tier (missing, or not one of the three).
    Tier,
    /// A single tier, not a list.
    OneTier,
    /// A churn risk (missing, or not one of the three).
    Risk,
    /// A closing quote for the text whose opening quote is at the position.
    ClosingQuote,
    /// An amount after `¥`.
    AmountAfterYen,
    /// A number like 30 or 19.9.
    WellFormedNumber,
    /// A unit after a number: d, h, m, s, 天, 小时, 分钟, 秒 or 元.
    Unit,
    /// A word, a number or quoted text: the character cannot start anything.
    Token,
}

/// What was at an error's position, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    End,
    /// An unquoted word.
    Word(String),
    /// A Chinese keyword where a name was expected (an unquoted name is split at keywords).
    Keyword(String),
    /// Text in quotes (without them).
    Quoted(String),
    Number(String),
    Duration(String),
    Amount(String),
    /// Punctuation or a comparison: `(`, `)`, `,`, `>=`.
    Symbol(String),
    /// A character that cannot be read there.
    Char(char),
    /// The rule's length in characters, over the cap.
    Length(usize),
    /// A list in parentheses, where one value is allowed.
    List,
}

impl Expected {
    /// What was expected, in `lang`, to follow "expected" / "应为".
    pub fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::ZhCn;
        let s = |en: &str, cn: &str| if zh { cn.to_owned() } else { en.to_owned() };
        match self {
            Self::ShorterRule => {
                if zh {
                    format!("不超过 {MAX_RULE_CHARS} 个字符的规则")
                } else {
                    format!("a rule of at most {MAX_RULE_CHARS} characters")
                }
            }
            Self::ShallowerNesting => {
                if zh {
                    format!("括号与“非”合计最多嵌套 {MAX_NESTING} 层")
                } else {
                    format!("at most {MAX_NESTING} levels of parentheses and \"not\"")
                }
            }
            Self::Condition => s(
                "a condition such as bought, watched, lifecycle, tier, tag, orders or spend",
                "条件，如 买过、看过、生命周期、分层、标签、订单数 或 消费",
            ),
            Self::KnownCondition => s(
                "a condition: bought, watched, live_ordered, lifecycle, tier, tag, orders, spend, aov, \
                 days_since_order, days_since_seen, comments, shares, attended, question_wait, points, level, \
                 points_expiring, to_next_level, open_ticket_age, categories, rfm_r, rfm_f, rfm_m, p_alive, clv, churn_risk, \
                 depletes, invited, invited_by, wecom_friend, did or reachable",
                "条件：买过、看过、直播下单、生命周期、分层、标签、订单数、消费、客单价、距上次下单天数、距上次出现天数、\
                 评论数、分享数、到场场次、提问等待、积分、会员等级、将过期积分、距升级、工单未结时长、品类数、R值、F值、M值、存活概率、\
                 预测价值、流失风险、预计用完、邀请好友数、被邀请、企微好友、做过 或 可触达",
            ),
            Self::AndOrEnd => s("\"and\", \"or\" or the end of the rule", "“且”、“或”或规则结尾"),
            Self::OpenParen => s("\"(\"", "“(”"),
            Self::CloseParen => s("\")\"", "“)”"),
            Self::CommaOrCloseParen => s("\",\" or \")\"", "“,”或“)”"),
            Self::Choice => s("=, != or in (…)", "=、!= 或 属于 (…)"),
            Self::Comparison => s("a comparison: <, <=, =, !=, >= or >", "比较符：<、<=、=、!=、>= 或 >"),
            Self::Amount => s("an amount like ¥2000 or 2000元", "金额（如 ¥2000 或 2000元）"),
            Self::Duration => s("a duration like 30d, 48h or 30m", "时长（如 30天、48小时 或 30分钟）"),
            Self::Number => s("a number", "数字"),
            Self::Level => s("a member level like L3 (or its number, 3)", "会员等级，如 L3（或其序号 3）"),
            Self::SessionCount => {
                let n = crate::parser::MAX_SESSIONS;
                if zh {
                    format!("场次数：1 到 {n} 的整数")
                } else {
                    format!("a number of sessions, a whole number from 1 to {n}")
                }
            }
            Self::WithinDuration => {
                s("\"within\" and a duration, like depletes within 3d", "“近”和时长，如 预计用完 近 3天")
            }
            Self::Product => {
                s("what was bought, in quotes: a product, SKU or category", "买过的东西，加引号：商品名、SKU 或品类")
            }
            Self::ProductTag => s(
                "a product tag from the catalogue, in quotes, like \"large_pack\"",
                "商品库中的商品标签，加引号，如 \"large_pack\"",
            ),
            Self::Tag => s("a tag, in quotes", "标签名，加引号"),
            Self::EventName => {
                s("an event name, in quotes, like \"Message Clicked\"", "事件名，加引号，如 \"Message Clicked\"")
            }
            Self::Channel => s("a channel: wecom, sms or miniprogram", "渠道：企微、短信 或 小程序"),
            Self::Entry => s("\"entry\", as in since entry", "“entry”（since entry，即 进入后）"),
            Self::Stage => s(
                "a lifecycle stage: prospect, new, active, silent, churned or reactivated",
                "生命周期阶段：潜在客户、新客、活跃、沉默、流失 或 回流",
            ),
            Self::Tier => s("a tier: high, potential or edge", "分层：高价值、潜力 或 边缘"),
            Self::OneTier => s("one tier: high, potential or edge", "单个分层：高价值、潜力 或 边缘"),
            Self::Risk => s("a churn risk: low, medium or high", "流失风险：低风险、中风险 或 高风险"),
            Self::ClosingQuote => s("a closing quote for the text that starts here", "与此处引号配对的后引号"),
            Self::AmountAfterYen => s("an amount after ¥, like ¥2000", "¥ 后的金额，如 ¥2000"),
            Self::WellFormedNumber => s("a number like 30 or 19.9", "数字，如 30 或 19.9"),
            Self::Unit => s(
                "a unit right after the number: d, h, m, s or 元 (or 天, 小时, 分钟, 秒)",
                "紧跟数字的单位：天、小时、分钟、秒 或 元（也可写 d、h、m、s）",
            ),
            Self::Token => s("a word, number or quoted text", "词、数字或加引号的文字"),
        }
    }
}

impl Found {
    /// What was found, in `lang`, to follow "found" / "却是".
    pub fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::ZhCn;
        match (self, zh) {
            (Self::End, false) => "the end of the rule".into(),
            (Self::End, true) => "规则结尾".into(),
            (Self::Word(w) | Self::Symbol(w), false) => format!("\"{w}\""),
            (Self::Word(w) | Self::Symbol(w), true) => format!("“{w}”"),
            (Self::Keyword(w), false) => {
                format!("the keyword \"{w}\" (a name that contains a keyword must be in quotes)")
            }
            (Self::Keyword(w), true) => format!("关键词“{w}”（名称中含关键词时请整个加引号）"),
            (Self::Quoted(t), false) => format!("the text \"{t}\""),
            (Self::Quoted(t), true) => format!("文字“{t}”"),
            (Self::Number(n), false) => format!("the number {n}"),
            (Self::Number(n), true) => format!("数字 {n}"),
            (Self::Duration(d), false) => format!("the duration {d}"),
            (Self::Duration(d), true) => format!("时长 {d}"),
            (Self::Amount(a), false) => format!("the amount {a}"),
            (Self::Amount(a), true) => format!("金额 {a}"),
            (Self::Char(c), false) => format!("the character \"{}\"", c.escape_debug()),
            (Self::Char(c), true) => format!("字符“{}”", c.escape_debug()),
            (Self::Length(n), false) => format!("{n} characters"),
            (Self::Length(n), true) => format!("长达 {n} 个字符"),
            (Self::List, false) => "a list".into(),
            (Self::List, true) => "一个列表".into(),
        }
    }
}

impl fmt::Display for ParseError {
    /// The English message: `at character 10: expected …, found …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The error told in `lang`, its position counted from 1 in characters:
    /// `at character 10: expected an amount like ¥2000 or 2000元, found the number 2000`,
    /// `第 10 个字符处：应为金额（如 ¥2000 或 2000元），却是数字 2000`.
    pub fn message(&self, lang: Lang) -> String {
        let at = self.position + 1;
        match lang {
            Lang::En => {
                format!("at character {at}: expected {}, found {}", self.expected.text(lang), self.found.text(lang))
            }
            Lang::ZhCn => format!("第 {at} 个字符处：应为{}，却是{}", self.expected.text(lang), self.found.text(lang)),
        }
    }

    /// The error as a terminal shows it, in English: the rule, a caret under the spot and the
    /// message (`rekindle segment eval` prints this). See [`ParseError::render_in`].
    pub fn render(&self, rule: &str) -> String {
        self.render_in(rule, Lang::En)
    }

    /// The error as a terminal shows it, in `lang`. A rule over the length cap is too long to
    /// echo usefully: the message alone. The caret counts CJK and full-width characters (`草`,
    /// `（`, `￥`) as two columns, as terminals draw them, and the others (`¥`, `“`) as one; a
    /// rule with line breaks is echoed as it is.
    pub fn render_in(&self, rule: &str, lang: Lang) -> String {
        let label = if lang == Lang::ZhCn { "错误" } else { "error" };
        if rule.chars().count() > MAX_RULE_CHARS {
            return format!("{label}: {}", self.message(lang));
        }
        let column: usize = rule.chars().take(self.position).map(columns).sum();
        format!("{rule}\n{}^\n{label}: {}", " ".repeat(column), self.message(lang))
    }
}
