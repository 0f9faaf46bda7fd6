//! Rekindle's rule language: the rules that choose people for segments, rule tags, journey
//! audiences, branches and exits, the console's preview and `rekindle segment eval`
//! (docs/segments.md). A rule parses into a [`Rule`] or into a [`ParseError`] that says where
//! and what was expected, and evaluates against one person's profile at one moment. No IO.
//!
//! ```text
//! bought "草莓" and not bought "草莓" within 30d
//! lifecycle = silent and tier = high
//! spend(365d) >= ¥2000 or watched "live-0501" >= 30m
//! 生命周期 = 沉默 且 分层 = 高价值
//! 买过 "草莓" 近 30天 且 非 买过 "荔枝"
//! ```
//!
//! # Grammar
//!
//! As [`parse`] accepts it. Every keyword, value and unit has an English and a Chinese spelling
//! (the table below), exact synonyms that one rule may mix: `lifecycle = 沉默 且 tier = high`
//! is `lifecycle = silent and tier = high`. Keywords and bare words are case-insensitive
//! (lower-cased as read); text in quotes is kept as written. Whitespace, the full-width space
//! too, only separates tokens.
//!
//! ```text
//! rule      = and { or and }                          "and" binds tighter than "or"
//! and       = unary { and unary }
//! unary     = not unary | "(" rule ")" | condition    at most MAX_NESTING deep
//! condition = bought tagged text [ within ]           a product the catalogue tags so
//!           | bought text [ within ]                  a SKU, a category or part of a name
//!           | watched [ session ] cmp duration        time watched: all sessions or one
//!           | watched [ session ] [ within ]          was in a live room
//!           | live_ordered [ session ] [ within ]     ordered in a live room
//!           | points expiring within                 some points expire within the window
//!           | level cmp level                         level >= L3 (or 3)
//!           | lifecycle choice                        prospect new active silent churned reactivated
//!           | tier choice                             high potential edge; a single one
//!           | tag text
//!           | churn_risk choice                       low medium high
//!           | depletes [ string ] within              predicted to run out
//!           | metric cmp value
//! session   = string | latest_session                 an id, or the latest that started
//! choice    = ( "=" | "!=" ) text | in "(" text { "," text } ")"
//! within    = within duration
//! metric    = orders | spend [ "(" duration ")" ] | aov | days_since_order | days_since_seen
//!           | comments | shares | open_ticket_age | categories | rfm_r | rfm_f | rfm_m
//!           | p_alive | clv
//!           | attended [ "(" number ")" ]            of the latest n sessions, how many they were in
//!           | points | points_expiring "(" duration ")"  the balance; what expires within the window
//!           | to_next_level                          growth still needed for the next level
//!           | question_wait [ "(" duration ")" ]     longest a question waited for its answer
//! value     = money                                   spend, aov, clv
//!           | duration                                open_ticket_age, question_wait, watched
//!           | number | duration                       days_since_*: 30, or 30d for 30 days
//!           | number                                  the others
//! cmp       = "<" | "<=" | "=" | "==" | "!=" | ">=" | ">"      also ≤ ≥ ≠
//! text      = string | word
//!
//! string    = quote { any character but a quote } quote
//! quote     = '"' | '“' | '”'                         any of the three opens or closes
//! word      = ( letter | "_" ) { letter | digit | "_" }
//!                                                     letters of any script: 草莓 is a word,
//!                                                     cut before a Chinese keyword (below)
//! number    = digit { digit | "." }                   30, 19.9
//! duration  = number unit                             30d, 48h, 30m, 90s, 30天: no space before the unit
//! unit      = "d" | "天" | "h" | "小时" | "m" | "min" | "分钟" | "分" | "s" | "秒"
//! money     = ( "¥" | "￥" ) number | number "元"      ¥2000, ￥19.9, 58元
//! ```
//!
//! The keywords and values in both spellings (the Chinese values are the console's words):
//!
//! | English | 中文 |
//! |---|---|
//! | `and` / `or` / `not` | `且` `并且` / `或` `或者` / `非` `不是` `没` `没有` (`没买过 "荔枝"`) |
//! | `in` / `within` / `tagged` | `属于` / `近` `最近` / `带标签` (`买过 带标签 "large_pack"`) |
//! | `bought` / `watched` | `买过` `购买过` / `看过` `观看` `观看过` |
//! | `lifecycle` / `tier` / `tag` / `churn_risk` / `depletes` | `生命周期` / `分层` / `标签` / `流失风险` / `预计用完` |
//! | `orders` `spend` `aov` | `订单数` `消费` (`消费额`) `客单价` |
//! | `days_since_order` `days_since_seen` | `距上次下单天数` `距上次出现天数` |
//! | `comments` `shares` `open_ticket_age` `categories` | `评论数` `分享数` `工单未结时长` `品类数` |
//! | `live_ordered` `attended` `question_wait` `latest_session` | `直播下单` `到场场次` `提问等待` `最近一场` (`上一场`) |
//! | `rfm_r` `rfm_f` `rfm_m` `p_alive` `clv` | `R值` `F值` `M值` `存活概率` `预测价值` |
//! | `prospect` `new` `active` `silent` `churned` `reactivated` | `潜在客户` (`潜客`) `新客` `活跃` `沉默` `流失` `回流` |
//! | tiers `high` `potential` `edge` | `高价值` `潜力` `边缘` |
//! | risks `low` `medium` `high` | `低风险` (`低`) `中风险` (`中`) `高风险` (`高`) |
//! | units `d` `h` `m` `s` | `天` `小时` `分钟` (`分`) `秒` |
//! | `points` `points_expiring` `expiring` `level` `to_next_level` | `积分` `将过期积分` `将过期` `会员等级` (`等级`) `距升级` |
//! | reserved `invited` | `邀请` |
//!
//! Chinese is written without spaces, so a Chinese keyword ends an unquoted word and starts its
//! own, wherever it stands in it (the longest keyword wins: `最近` before `近`):
//! `生命周期=沉默且分层=高价值` reads as `生命周期 = 沉默 且 分层 = 高价值`, and
//! `买过草莓近30天` as `买过 草莓 近 30天`. A keyword is never a name: `买过 非转基因大豆油`
//! reads `买过 非 …` and is refused at `非` with a hint to quote the name. Quote a name to keep
//! it whole (`买过 "非转基因大豆油"`, `买过 "附近好物"`); text in quotes is never split. English
//! keywords split nothing (`sandor` is a word) and a bare English keyword where a name is due
//! is still a name, as it always was. A number may be followed at once by a keyword
//! (`订单数>3且…`); any other letter right after a number is an unknown unit.
//!
//! Full-width punctuation and digits that a Chinese input method types read as their ASCII
//! twins outside quotes: `（` `）` `，` `、` `＝` `＞` `＜` `！` `．` and `０`–`９`, so
//! `消费（30天）＞＝￥２００` and `生命周期 属于 （沉默，流失）` parse. Inside quotes text is kept
//! as written. Any other character is refused where it stands (`&`, `#`), and so is any other
//! unit: units are lower-case and follow the number at once (`30周`, `30D` and `30 天` are
//! refused). `level`, `points` and `invited` (`积分`, `等级`, `邀请`) are kept for later
//! capabilities: a rule using one is told which capability brings it.
//!
//! [`Rule::to_text`] writes a rule in either language, always quoting names; what it writes
//! parses back as the same rule (a property test checks both languages, with and without
//! spaces).
//!
//! # Positions and messages
//!
//! [`ParseError::position`] counts characters (Unicode scalar values, Rust `char`s) from 0, not
//! bytes and not screen columns: in `bought 草莓 within 三十天` the error is at 17, where
//! `三十天` starts (byte 21). The console marks the spot by code points too. The messages count
//! from 1, as a person does: [`ParseError::message`] says `at character 18: expected …, found …`
//! in English ([`Lang::En`], also `Display`) and `第 18 个字符处：应为…，却是…` in Chinese
//! ([`Lang::ZhCn`]). [`ParseError::expected`] and [`ParseError::found`] are enums
//! ([`Expected`], [`Found`]) each with a `text(lang)`.
//!
//! A lexing error is at the character that cannot be read (for an unclosed quote the opening
//! quote, for a bad unit the unit's first character, for a `¥` without an amount the character
//! after it); a parsing error at the first token that cannot be used, which is the rule's
//! length in characters when the rule ends too soon. [`ParseError::render`] (English) and
//! [`ParseError::render_in`] draw it for a terminal, as `rekindle segment eval` prints it: the
//! caret counts CJK and full-width characters (`草`, `（`, `￥`) as two columns and the rest
//! (`¥`, `“`) as one. `tests/errors.rs` snapshots each kind of mistake in both languages.
//!
//! # Caps
//!
//! Every rule, wherever it is written, is at most [`MAX_RULE_CHARS`] (2,000) characters and
//! nests parentheses and `not` at most [`MAX_NESTING`] (64) deep (`not (` counts two). The
//! parser and every walk over a [`Rule`] recurse once per level: without a cap, a rule of
//! 12,000 `not`s overflowed a thread's stack and aborted the server. The length is checked
//! before anything is read, so work per rule is bounded; the nesting cap then bounds recursion
//! within it, at the `(` or `not` that would go one level deeper. Both live here so that no
//! caller can forget them. An error over either has [`ParseError::over_limit`] set: callers
//! refuse such a rule outright, even in a journey draft that may otherwise be saved with its
//! problems ([`journey::over_limit`]).
//!
//! # Evaluation
//!
//! [`Rule::matches`] answers for one [`Subject`] at a moment `now`: a person's folded profile
//! (`rekindle_core::profile`), what is decided across people (stage, tier, RFM), their tags, the
//! catalogue's product tags and, once the models are fitted, their predictions. Nothing is
//! precomputed per rule: windows (`within 30d`, `spend(365d)`, `days_since_order`) are measured
//! back from `now`, so a profile answers at any moment without going stale. Money is compared
//! in fen, durations in seconds, `days_since_*` in days (infinite when never), the rest as
//! counts. Conditions on predictions (`p_alive`, `clv`, `churn_risk`, `depletes`) match nobody
//! without a prediction, negated or not. `rekindle-engine` evaluates a rule over every profile of
//! a workspace (`Audience::select`).
//!
//! Over many people, [`columnar`] keeps the features rules read as columns and compiles a rule
//! into filters over them that select a bitmap of rows, asking `Rule::matches` only for what
//! no column holds and only for the rows still candidates; the selection is exactly the rows
//! where `Rule::matches` holds.
//!
//! # Journeys
//!
//! Core checks a journey's structure and cannot parse rules (this crate depends on it):
//! [`journey::validate`] gives it the parser, so a rule's problem lands at its field
//! (`steps[0].rule`) among the others, in the order the API returns them.

pub mod ast;
mod bought;
pub mod columnar;
mod error;
mod eval;
pub mod journey;
mod lexer;
pub mod next_change;
mod parser;
mod print;
mod words;

pub use ast::Rule;
pub use bought::Bought;
pub use error::{Expected, Found, ParseError};
pub use eval::{History, PointsFacts, ProductTags, Sessions, Subject};
pub use parser::{MAX_NESTING, MAX_RULE_CHARS, parse};
pub use words::{Lang, stage_word, tier_word};

#[cfg(test)]
mod tests;
