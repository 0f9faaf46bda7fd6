//! What a staff member might say next, for the chat sidebar (docs/relationships.md): a few
//! short scripts chosen from what Rekindle knows about the customer — an open after-sales
//! ticket first (nothing sells to someone waiting on a refund), then what runs out soon, a
//! level within reach, a slipping customer, the category they have not tried.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::scores::Risk;

/// What the scripts are chosen from.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub nickname: Option<&'a str>,
    pub open_ticket: bool,
    /// Categories predicted to run out, with when.
    pub run_outs: Vec<(&'a str, DateTime<Utc>)>,
    pub churn_risk: Option<Risk>,
    pub next_category: Option<&'a str>,
    /// The next level's name and the spend (yuan) it still takes.
    pub next_level: Option<(&'a str, i64)>,
    pub days_since_order: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Script {
    /// Stable name: service, run_out, level, win_back, next_category, greeting.
    pub key: &'static str,
    pub title: String,
    pub text: String,
}

/// Run-outs this close are worth mentioning.
const RUN_OUT_DAYS: i64 = 7;
/// At most this many scripts.
const SHOWN: usize = 3;

/// Scripts for the customer as of `now`, most pressing first, in Chinese (`zh`) or English.
pub fn suggest(f: &Facts<'_>, now: DateTime<Utc>, zh: bool) -> Vec<Script> {
    let name = f.nickname.unwrap_or(if zh { "亲" } else { "there" });
    let s = |key, (t_zh, t_en): (&str, &str), (zh_text, en_text): (String, String)| Script {
        key,
        title: if zh { t_zh } else { t_en }.to_owned(),
        text: if zh { zh_text } else { en_text },
    };
    let mut out = Vec::new();
    if f.open_ticket {
        out.push(s(
            "service",
            ("先处理售后", "After-sales first"),
            (
                format!("{name}，您反馈的问题我们正在处理，有进展第一时间告诉您，给您添麻烦了🙏"),
                format!("Hi {name}, we're on the issue you reported and will update you as soon as we can. Sorry for the trouble."),
            ),
        ));
        // Nothing that sells while someone waits on after-sales.
        return out;
    }
    let soon = f.run_outs.iter().filter(|(_, at)| (*at - now).num_days() <= RUN_OUT_DAYS).min_by_key(|(_, at)| *at);
    if let Some((category, at)) = soon {
        let days = (*at - now).num_days().max(0);
        out.push(s(
            "run_out",
            ("快用完了", "Running out"),
            (
                if days <= 2 {
                    format!("{name}，上次买的{category}估计这一两天就吃完啦，要不要给您留一份新鲜的？")
                } else {
                    format!("{name}，上次买的{category}估计{days}天内就吃完啦，要不要给您留一份新鲜的？")
                },
                format!("Hi {name}, the {category} you bought should run out in about {} days — shall I keep a fresh one for you?", days.max(1)),
            ),
        ));
    }
    if let Some((level, yuan)) = f.next_level.filter(|(_, y)| *y > 0 && *y <= 300) {
        out.push(s(
            "level",
            ("差一点升级", "Close to the next level"),
            (
                format!("{name}，您再消费 ¥{yuan} 就能升级为{level}会员啦，会员价和优先发货都能用上～"),
                format!("Hi {name}, ¥{yuan} more and you reach {level} — member prices and priority shipping."),
            ),
        ));
    }
    if matches!(f.churn_risk, Some(Risk::High)) || f.days_since_order.is_some_and(|d| d > 30) {
        out.push(s(
            "win_back",
            ("好久不见", "It's been a while"),
            (
                format!("{name}，好久没见您来啦～这周到了新鲜的好货，给您留了一张老客专享券，需要的话我发您？"),
                format!("Hi {name}, it's been a while! Fresh arrivals this week — I saved a returning-customer coupon for you, want it?"),
            ),
        ));
    }
    if let Some(category) = f.next_category {
        out.push(s(
            "next_category",
            ("可以推荐", "Worth suggesting"),
            (
                format!("{name}，买过您这几样的朋友都很喜欢我们的{category}，要不要试试？"),
                format!("Hi {name}, customers who like what you buy love our {category} — want to try it?"),
            ),
        ));
    }
    if out.is_empty() {
        out.push(s(
            "greeting",
            ("问候", "Say hello"),
            (
                format!("{name}，有什么需要随时找我哦～"),
                format!("Hi {name}, just message me whenever you need anything."),
            ),
        ));
    }
    out.truncate(SHOWN);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn an_open_ticket_silences_selling_and_run_outs_come_first() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        let f = Facts {
            nickname: Some("王姐"),
            run_outs: vec![("牛奶", now + Duration::days(3)), ("燕麦", now + Duration::days(20))],
            churn_risk: Some(Risk::High),
            next_category: Some("坚果"),
            next_level: Some(("金卡", 80)),
            ..Facts::default()
        };
        let keys: Vec<_> = suggest(&f, now, true).iter().map(|s| s.key).collect();
        assert_eq!(keys, ["run_out", "level", "win_back"]);
        assert!(suggest(&f, now, true)[0].text.contains("牛奶"));
        assert!(suggest(&f, now, false)[0].text.contains("about 3 days"));
        let waiting = Facts { open_ticket: true, ..f };
        assert_eq!(suggest(&waiting, now, true).iter().map(|s| s.key).collect::<Vec<_>>(), ["service"]);
        assert_eq!(suggest(&Facts::default(), now, true)[0].key, "greeting");
    }
}
