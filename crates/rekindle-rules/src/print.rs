//! A rule written back as text, in either language: what [`crate::parse`] reads back as the
//! same rule.

use std::fmt::Write;

use chrono::Duration;

use crate::ast::{DidWhen, Metric, Op, RfmAxis, Rule, Session, Unit};
use crate::words::{Lang, risk_word, stage_word, tier_word, zh};

impl Rule {
    /// The rule as text in `lang`: English keywords (`lifecycle = silent and tier = high`) or
    /// the console's Chinese words (`生命周期 = 沉默 且 分层 = 高价值`). Names are always
    /// quoted, durations in the largest whole unit (`36h`, `36小时`), money in yuan (`¥19.5`).
    ///
    /// `parse(&rule.to_text(lang)) == Ok(rule)` for every rule the parser returns. A rule built
    /// by hand that no text can say is written as near as the language allows: an empty list
    /// (`in ()`, refused when read back), a negated list (as `not … in (…)`, which selects the
    /// same people), a name containing a quote (the quote is dropped).
    pub fn to_text(&self, lang: Lang) -> String {
        let mut out = String::new();
        write_rule(&mut out, self, lang);
        out
    }
}

fn kw(en: &'static str, lang: Lang) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::ZhCn => zh(en),
    }
}

fn write_rule(out: &mut String, rule: &Rule, lang: Lang) {
    // `and` binds tighter than `or`, both group to the left, `not` binds tightest.
    let paren = |out: &mut String, r: &Rule, needed: bool| {
        if needed {
            out.push('(');
            write_rule(out, r, lang);
            out.push(')');
        } else {
            write_rule(out, r, lang);
        }
    };
    match rule {
        Rule::Or(a, b) => {
            paren(out, a, false);
            let _ = write!(out, " {} ", kw("or", lang));
            paren(out, b, matches!(**b, Rule::Or(..)));
        }
        Rule::And(a, b) => {
            paren(out, a, matches!(**a, Rule::Or(..)));
            let _ = write!(out, " {} ", kw("and", lang));
            paren(out, b, matches!(**b, Rule::Or(..) | Rule::And(..)));
        }
        Rule::Not(a) => {
            let _ = write!(out, "{} ", kw("not", lang));
            paren(out, a, matches!(**a, Rule::Or(..) | Rule::And(..)));
        }
        Rule::Bought { what, within } => {
            let _ = write!(out, "{} {}", kw("bought", lang), quote(what));
            write_within(out, *within, lang);
        }
        Rule::BoughtTagged { tag, within } => {
            let _ = write!(out, "{} {} {}", kw("bought", lang), kw("tagged", lang), quote(tag));
            write_within(out, *within, lang);
        }
        Rule::Watched { session, within } => {
            out.push_str(kw("watched", lang));
            write_session(out, session.as_ref(), lang);
            write_within(out, *within, lang);
        }
        Rule::LiveOrdered { session, within } => {
            out.push_str(kw("live_ordered", lang));
            write_session(out, session.as_ref(), lang);
            write_within(out, *within, lang);
        }
        Rule::Lifecycle { stages, negated } => {
            let words: Vec<_> = stages.iter().map(|s| stage_word(*s, lang)).collect();
            write_choice(out, "lifecycle", &words, *negated, lang);
        }
        Rule::Tier { tier, negated } => write_choice(out, "tier", &[tier_word(*tier, lang)], *negated, lang),
        Rule::Tag { tag } => {
            let _ = write!(out, "{} {}", kw("tag", lang), quote(tag));
        }
        Rule::ChurnRisk { risks, negated } => {
            let words: Vec<_> = risks.iter().map(|r| risk_word(*r, lang)).collect();
            write_choice(out, "churn_risk", &words, *negated, lang);
        }
        Rule::Depletes { category, within } => {
            out.push_str(kw("depletes", lang));
            if let Some(c) = category {
                let _ = write!(out, " {}", quote(c));
            }
            write_within(out, Some(*within), lang);
        }
        Rule::InvitedBy => out.push_str(kw("invited_by", lang)),
        Rule::WecomFriend { staff } => {
            out.push_str(kw("wecom_friend", lang));
            if let Some(s) = staff {
                let _ = write!(out, " {}", quote(s));
            }
        }
        Rule::Did { event, when } => {
            let _ = write!(out, "{} {}", kw("did", lang), quote(event));
            match when {
                DidWhen::Ever => {}
                DidWhen::Within(d) => write_within(out, Some(*d), lang),
                DidWhen::SinceEntry => {
                    let _ = write!(out, " {}", if lang == Lang::En { "since entry" } else { zh("since_entry") });
                }
            }
        }
        Rule::Reachable { channel } => {
            let _ = write!(out, "{} {}", kw("reachable", lang), crate::words::channel_word(*channel, lang));
        }
        Rule::Compare { metric, op, value } => {
            write_metric(out, metric, lang);
            let _ = write!(out, " {} ", op_text(*op));
            match metric.unit() {
                Unit::Money => out.push_str(&yuan(*value)),
                Unit::Duration => out.push_str(&duration(*value as i64, lang)),
                Unit::Count | Unit::Days => {
                    let _ = write!(out, "{value}");
                }
            }
        }
    }
}

fn write_session(out: &mut String, session: Option<&Session>, lang: Lang) {
    match session {
        Some(Session::Id(id)) => {
            let _ = write!(out, " {}", quote(id));
        }
        Some(Session::Latest) => {
            let _ = write!(out, " {}", kw("latest_session", lang));
        }
        None => {}
    }
}

fn write_within(out: &mut String, within: Option<Duration>, lang: Lang) {
    if let Some(d) = within {
        let _ = write!(out, " {} {}", kw("within", lang), duration(d.num_seconds(), lang));
    }
}

fn write_choice(out: &mut String, field: &'static str, words: &[&str], negated: bool, lang: Lang) {
    let field = kw(field, lang);
    match (words, negated) {
        ([one], false) => {
            let _ = write!(out, "{field} = {one}");
        }
        ([one], true) => {
            let _ = write!(out, "{field} != {one}");
        }
        _ => {
            if negated {
                let _ = write!(out, "{} ", kw("not", lang));
            }
            let sep = if lang == Lang::ZhCn { "、" } else { ", " };
            let _ = write!(out, "{field} {} ({})", kw("in", lang), words.join(sep));
        }
    }
}

fn write_metric(out: &mut String, metric: &Metric, lang: Lang) {
    let name = match metric {
        Metric::Orders => "orders",
        Metric::Spend(_) => "spend",
        Metric::Aov => "aov",
        Metric::DaysSinceOrder => "days_since_order",
        Metric::DaysSinceSeen => "days_since_seen",
        Metric::Watched(_) => "watched",
        Metric::Comments => "comments",
        Metric::Attended(_) => "attended",
        Metric::QuestionWait(_) => "question_wait",
        Metric::Points => "points",
        Metric::Level => "level",
        Metric::PointsExpiring(_) => "points_expiring",
        Metric::ToNextLevel => "to_next_level",
        Metric::Shares => "shares",
        Metric::OpenTicketAge => "open_ticket_age",
        Metric::Categories => "categories",
        Metric::Rfm(RfmAxis::Recency) => "rfm_r",
        Metric::Rfm(RfmAxis::Frequency) => "rfm_f",
        Metric::Rfm(RfmAxis::Monetary) => "rfm_m",
        Metric::PAlive => "p_alive",
        Metric::Clv => "clv",
        Metric::Invited => "invited",
    };
    let name = kw(name, lang);
    // `r值` is read lower-cased; written as the console writes it.
    let name = match name {
        "r值" => "R值",
        "f值" => "F值",
        "m值" => "M值",
        n => n,
    };
    out.push_str(name);
    match metric {
        Metric::Spend(Some(d)) | Metric::QuestionWait(Some(d)) | Metric::PointsExpiring(d) => {
            let _ = write!(out, "({})", duration(d.num_seconds(), lang));
        }
        Metric::Attended(Some(n)) => {
            let _ = write!(out, "({n})");
        }
        Metric::Watched(session) => write_session(out, session.as_ref(), lang),
        _ => {}
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Ge => ">=",
        Op::Gt => ">",
    }
}

fn quote(text: &str) -> String {
    let inner: String = text.chars().filter(|c| !matches!(c, '"' | '“' | '”')).collect();
    format!("\"{inner}\"")
}

/// Fen as yuan: `¥2000`, `¥19.5`, `¥0.05`.
fn yuan(fen: f64) -> String {
    let fen = fen.round() as i64;
    let (whole, cents) = (fen / 100, (fen % 100).abs());
    match cents {
        0 => format!("¥{whole}"),
        c if c % 10 == 0 => format!("¥{whole}.{}", c / 10),
        c => format!("¥{whole}.{c:02}"),
    }
}

/// Seconds in the largest unit that divides them: `30d`, `36h`, `90m`, `45s` (`30天`, …).
fn duration(seconds: i64, lang: Lang) -> String {
    let units: [(i64, &str, &str); 4] = [(86_400, "d", "天"), (3_600, "h", "小时"), (60, "m", "分钟"), (1, "s", "秒")];
    let (size, en, zh) = units.into_iter().find(|(size, ..)| seconds % size == 0).unwrap_or(units[3]);
    let unit = if lang == Lang::ZhCn { zh } else { en };
    format!("{}{unit}", seconds / size)
}
