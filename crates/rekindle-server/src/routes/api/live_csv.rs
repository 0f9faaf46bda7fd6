//! A session's review as spreadsheet rows, headed in the operator's language: the figures
//! against earlier sessions, the minute-by-minute curve, the products sold.

use rekindle_core::csv_cell::text;
use rekindle_core::live::review::Review;
use rekindle_core::money::yuan_text;

use super::Lang;

type Rows = Vec<Vec<String>>;

fn header(lang: Lang, words: &[(&str, &str)]) -> Vec<String> {
    words.iter().map(|(zh, en)| if lang == Lang::Zh { *zh } else { *en }.to_owned()).collect()
}

fn rate(r: Option<f64>) -> String {
    r.map(|v| format!("{:.4}", v)).unwrap_or_default()
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| format!("{:.2}", v)).unwrap_or_default()
}

/// Each figure, with the median and percentile among earlier sessions where it is compared.
pub fn figures(r: &Review, lang: Lang) -> Rows {
    let mut rows = vec![header(
        lang,
        &[
            ("指标", "figure"),
            ("数值", "value"),
            ("往场中位数", "earlier median"),
            ("百分位", "percentile"),
            ("同时段中位数", "same-slot median"),
        ],
    )];
    let compared = |key: &str| r.compared.iter().find(|c| c.figure == key);
    let mut add = |zh: &str, en: &str, key: &str, value: String| {
        let c = compared(key);
        rows.push(vec![
            if lang == Lang::Zh { zh } else { en }.to_owned(),
            value,
            opt(c.and_then(|c| c.median)),
            opt(c.and_then(|c| c.percentile)),
            opt(c.and_then(|c| c.same_slot_median)),
        ]);
    };
    add("观看人数", "viewers", "viewers", r.viewers.to_string());
    add("最高在线", "peak concurrent", "peak_concurrent", r.peak_concurrent.to_string());
    add("平均在线", "average concurrent", "", format!("{:.1}", r.average_concurrent));
    add("平均观看时长（秒）", "average watch (s)", "average_watch_seconds", format!("{:.0}", r.average_watch_seconds));
    add("观看时长中位数（秒）", "median watch (s)", "", format!("{:.0}", r.median_watch_seconds));
    add("互动率", "interaction rate", "interaction_rate", rate(r.interaction_rate));
    add("转化率", "conversion rate", "conversion_rate", rate(r.conversion_rate));
    add("千次观看成交额（元）", "GPM (yuan)", "gpm_fen", r.gpm_fen.map(yuan_text).unwrap_or_default());
    add("下单人数", "buyers", "", r.buyers.to_string());
    add("订单数", "orders", "", r.orders.to_string());
    add("成交额（元）", "GMV (yuan)", "", yuan_text(r.gmv_fen));
    add("新观众", "new viewers", "", r.new_viewers.to_string());
    add("老观众", "returning viewers", "", r.returning_viewers.to_string());
    add("私域观众占比", "private-domain share", "", rate(r.private_share));
    add("已识别观众", "known viewers", "", r.known_viewers.to_string());
    add("提问数", "questions", "", r.questions.asked.to_string());
    add("30 秒内回复占比", "answered within 30 s", "fast_share", rate(r.questions.fast_share));
    add("回复用时中位数（秒）", "median reply (s)", "", opt(r.questions.median_reply_seconds));
    add("未回复提问", "unanswered", "", r.questions.unanswered.to_string());
    add("下一场回访率", "revisit rate", "", rate(r.revisit.as_ref().and_then(|v| v.rate)));
    add("卡顿次数", "stalls", "", r.stalls.to_string());
    rows
}

/// The in-stream retention curve, minute by minute.
pub fn curve(r: &Review, lang: Lang) -> Rows {
    let mut rows = vec![header(
        lang,
        &[
            ("分钟", "minute"),
            ("在线人数", "viewers"),
            ("进入", "entered"),
            ("离开", "left"),
            ("评论", "comments"),
            ("点赞", "likes"),
            ("订单", "orders"),
            ("成交额（元）", "GMV (yuan)"),
            ("卡顿", "stalls"),
            ("平均延迟（毫秒）", "average latency (ms)"),
        ],
    )];
    rows.extend(r.curve.iter().map(|p| {
        vec![
            p.minute.to_string(),
            p.viewers.to_string(),
            p.entered.to_string(),
            p.left.to_string(),
            p.comments.to_string(),
            p.likes.to_string(),
            p.orders.to_string(),
            yuan_text(p.gmv_fen),
            p.stalls.to_string(),
            p.latency_ms.map(|l| format!("{l:.0}")).unwrap_or_default(),
        ]
    }));
    rows
}

pub fn products(r: &Review, lang: Lang) -> Rows {
    let mut rows = vec![header(
        lang,
        &[
            ("商品编码", "sku"),
            ("商品", "product"),
            ("件数", "units"),
            ("订单数", "orders"),
            ("成交额（元）", "revenue (yuan)"),
        ],
    )];
    rows.extend(r.products.iter().map(|p| {
        vec![
            text(&p.key).into_owned(),
            text(&p.name).into_owned(),
            p.units.to_string(),
            p.orders.to_string(),
            yuan_text(p.revenue_fen),
        ]
    }));
    rows
}
