//! The journeys Rekindle ships, built from the playbooks in the seed articles: each with the
//! message templates and coupons it needs. Installing one adds what is missing and creates the
//! journey as a draft, for the operator to read, adjust (SMS template codes are the operator's
//! own, approved by their provider) and publish.

use rekindle_core::events;
use rekindle_core::journey::Definition;
use rekindle_core::outreach::{
    ChannelKind, CouponDefinition, CouponValue, MessageTemplate, SMS_OPT_OUT, TemplateParam,
};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ShippedJourney))]
pub struct Shipped {
    /// Stable id, as the API names it.
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub definition: Definition,
    pub templates: Vec<MessageTemplate>,
    pub coupons: Vec<CouponDefinition>,
}

impl Shipped {
    /// The manual tags its steps give.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.definition.steps.iter().filter_map(|s| match &s.action {
            rekindle_core::journey::Action::Tag { tag, remove: false } => Some(tag.as_str()),
            _ => None,
        })
    }
}

/// Create a shipped journey as a draft named `name`, adding the message templates and coupons it
/// needs that the workspace does not have yet (those it has are left as the operator made them).
pub async fn install(
    store: &dyn rekindle_store::Store,
    ws: rekindle_core::WorkspaceId,
    shipped: &Shipped,
    name: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> rekindle_store::Result<rekindle_store::Journey> {
    let have: Vec<String> = store.message_templates(ws).await?.into_iter().map(|t| t.name).collect();
    for t in shipped.templates.iter().filter(|t| !have.contains(&t.name)) {
        store.put_message_template(ws, t).await?;
    }
    let have: Vec<String> = store.coupons(ws).await?.into_iter().map(|c| c.name).collect();
    for c in shipped.coupons.iter().filter(|c| !have.contains(&c.name)) {
        store.put_coupon(ws, c).await?;
    }
    // The manual tags its steps give (社区达人), made if the store has none of that name.
    let have: Vec<String> = store.tags(ws).await?.into_iter().map(|t| t.name).collect();
    for tag in shipped.tags().filter(|t| !have.iter().any(|h| h == t)) {
        let description = format!("由旅程「{}」打上", shipped.name);
        let t = rekindle_store::Tag { name: tag.to_owned(), rule: None, description, created_at: at };
        store.put_tag(ws, &t).await?;
    }
    store.create_journey(ws, name, &shipped.definition, at).await
}

fn wecom(name: &str, text: &str) -> MessageTemplate {
    MessageTemplate {
        name: name.into(),
        channel: ChannelKind::Wecom,
        text: text.into(),
        provider_template: None,
        params: vec![],
        link: None,
        transactional: false,
        attachments: vec![],
    }
}

fn sms(name: &str, text: &str, params: &[(&str, &str)]) -> MessageTemplate {
    MessageTemplate {
        name: name.into(),
        channel: ChannelKind::Sms,
        text: format!("{text}{SMS_OPT_OUT}"),
        // The operator's approved template code replaces this before publishing.
        provider_template: Some("SMS_000000".into()),
        params: params.iter().map(|(n, v)| TemplateParam { name: (*n).into(), value: (*v).into() }).collect(),
        link: None,
        transactional: false,
        attachments: vec![],
    }
}

fn coupon(name: &str, title: &str, value: CouponValue, threshold_fen: i64, valid_days: u32) -> CouponDefinition {
    CouponDefinition { name: name.into(), title: title.into(), value, threshold_fen, valid_days, per_person_limit: 3 }
}

/// A referral reward: ¥5, no threshold, 30 days. An inviter earns one per friend, so the
/// limit is what a busy KOC may hold, not the usual three.
fn referral_coupon(name: &str, title: &str) -> CouponDefinition {
    CouponDefinition { per_person_limit: 100, ..coupon(name, title, CouponValue::Amount { fen: 500 }, 0, 30) }
}

fn definition(v: serde_json::Value) -> Definition {
    serde_json::from_value(v).expect("a shipped journey is well-formed")
}

pub fn shipped() -> Vec<Shipped> {
    vec![
        Shipped {
            key: "first_order_care",
            name: "首单关怀",
            description: "First order: the day after, at 10:00, the staff member asks how it was.",
            definition: definition(json!({
                "trigger": {"type": "event", "event": events::ORDER_COMPLETED},
                "audience": "订单数 <= 1",
                "steps": [
                    {"id": "次日上午", "type": "wait", "until": "10:00", "next": "问候"},
                    {"id": "问候", "type": "send", "channel": "wecom", "template": "首单关怀-问候"},
                ],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 14},
                "exit": [{"type": "event", "event": events::CONTACT_REMOVED}],
                "reentry": {"type": "once"},
            })),
            templates: vec![wecom(
                "首单关怀-问候",
                "{{nickname|亲}}，昨天的{{last_product|宝贝}}收到了吗？口感怎么样？有任何问题随时找我～",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "repurchase_reminder",
            name: "复购提醒",
            description: "Predicted run-out: an 85折 coupon and a reminder, 2 days before (A) against 5 days before (B), with a 10% holdout.",
            definition: definition(json!({
                "trigger": {"type": "depletion", "days_before": 5},
                "steps": [
                    {"id": "分流", "type": "split", "holdout_percent": 10, "variants": [
                        {"name": "提前2天", "percent": 45, "next": "等3天"},
                        {"name": "提前5天", "percent": 45, "next": "发券"}]},
                    {"id": "等3天", "type": "wait", "minutes": 4320, "next": "发券"},
                    {"id": "发券", "type": "coupon", "coupon": "复购85折", "next": "提醒"},
                    {"id": "提醒", "type": "send", "channel": "wecom", "template": "复购提醒"},
                ],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 7},
                "exit": [{"type": "event", "event": events::TICKET_OPENED}],
                "reentry": {"type": "after", "days": 14},
            })),
            templates: vec![wecom(
                "复购提醒",
                "{{nickname|亲}}，您的{{last_product}}差不多快吃完啦～送您一张{{coupon}}，{{coupon_expires}}前有效，需要我帮您留一份吗？",
            )],
            coupons: vec![coupon("复购85折", "复购券", CouponValue::Discount { percent: 85 }, 0, 7)],
        },
        Shipped {
            key: "winback",
            name: "沉睡唤回",
            description: "Gone silent: a personal message naming what they last bought; no click in 3 days, a 回归礼包 by SMS.",
            definition: definition(json!({
                "trigger": {"type": "stage_changed", "to": "silent"},
                "steps": [
                    {"id": "私聊问候", "type": "send", "channel": "wecom", "template": "唤回-问候", "next": "等3天"},
                    {"id": "等3天", "type": "wait", "minutes": 4320, "next": "发回归礼包"},
                    {"id": "发回归礼包", "type": "coupon", "coupon": "回归礼包", "next": "短信告知"},
                    {"id": "短信告知", "type": "send", "channel": "sms", "template": "唤回-礼包"},
                ],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 14},
                "exit": [{"type": "event", "event": events::MESSAGE_CLICKED}, {"type": "event", "event": events::CONTACT_REMOVED}],
                "reentry": {"type": "after", "days": 60},
            })),
            templates: vec![
                wecom(
                    "唤回-问候",
                    "{{nickname|亲}}，好久不见～上次的{{last_product|宝贝}}还合口味吗？这周新到了一批，给您留意着。",
                ),
                sms(
                    "唤回-礼包",
                    "{{nickname|亲}}，送您{{coupon}}，{{coupon_expires}}前有效，",
                    &[("name", "{{nickname|亲}}"), ("coupon", "{{coupon}}")],
                ),
            ],
            coupons: vec![coupon("回归礼包", "回归礼包", CouponValue::Amount { fen: 1000 }, 5900, 7)],
        },
        Shipped {
            key: "pre_live_invitation",
            name: "直播预告",
            description: "Three hours before a live session, invite people who bought its topics, in their persona's words.",
            definition: definition(json!({
                "trigger": {"type": "live_session", "hours_before": 3},
                "steps": [
                    {"id": "囤货型？", "type": "branch", "rule": "买过 带标签 \"large_pack\"", "then": "囤货话术", "else": "健康型？"},
                    {"id": "健康型？", "type": "branch", "rule": "买过 带标签 \"organic\"", "then": "健康话术", "else": "通用话术"},
                    {"id": "囤货话术", "type": "send", "channel": "wecom", "template": "直播预告-囤货"},
                    {"id": "健康话术", "type": "send", "channel": "wecom", "template": "直播预告-健康"},
                    {"id": "通用话术", "type": "send", "channel": "wecom", "template": "直播预告"},
                ],
                "goal": {"event": events::LIVE_ENTERED, "within_days": 1},
                "reentry": {"type": "always"},
            })),
            templates: vec![
                wecom(
                    "直播预告-囤货",
                    "{{nickname|亲}}，今晚{{session_time}}「{{session_title}}」家庭装直播，囤货价只在直播间～",
                ),
                wecom(
                    "直播预告-健康",
                    "{{nickname|亲}}，今晚{{session_time}}「{{session_title}}」，有机好物溯源直播，来看看产地～",
                ),
                wecom("直播预告", "{{nickname|亲}}，今晚{{session_time}}「{{session_title}}」开播，等你来～"),
            ],
            coupons: vec![],
        },
        Shipped {
            key: "live_question_recovery",
            name: "直播提问补救",
            description: "A question asked in the live room waited a minute without an answer: an apology and a \
                          direct answer over WeCom (seed 004: an answer within 30 s nearly doubles ordering).",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "live_unanswered", "seconds": 60},
                "steps": [{"id": "补救", "type": "send", "channel": "wecom", "template": "直播提问补救"}],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 1},
                "reentry": {"type": "after", "days": 1},
            })),
            templates: vec![wecom(
                "直播提问补救",
                "{{nickname|亲}}，刚才在「{{session_title}}」直播间的提问没来得及回复，实在抱歉！\
                 您想了解的直接回我，我马上帮您解答～",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "live_watched_no_order",
            name: "看了没买",
            description: "Watched a session for 20 minutes and ordered nothing in it: when it ends, a coupon \
                          that keeps the live price a little longer.",
            definition: definition(json!({
                "trigger": {"type": "live_no_order", "watched_minutes": 20},
                "steps": [
                    {"id": "直播价券", "type": "coupon", "coupon": "直播价延长券", "next": "提醒"},
                    {"id": "提醒", "type": "send", "channel": "wecom", "template": "看了没买"},
                ],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 2},
                "reentry": {"type": "after", "days": 7},
            })),
            templates: vec![wecom(
                "看了没买",
                "{{nickname|亲}}，「{{session_title}}」看了这么久，还没挑到合适的吗？{{coupon}}已放进您的账户，\
                 直播价给您留到明天～",
            )],
            coupons: vec![coupon("直播价延长券", "直播价延长", CouponValue::Amount { fen: 500 }, 3900, 2)],
        },
        Shipped {
            key: "level_up",
            name: "升级祝贺",
            description: "A member reaches a higher level: congratulations and what the new level brings (not on a downgrade).",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "event", "event": events::LEVEL_CHANGED, "properties": {"reason": "reached"}},
                "steps": [{"id": "祝贺", "type": "send", "channel": "wecom", "template": "升级祝贺"}],
                "reentry": {"type": "always"},
            })),
            templates: vec![wecom(
                "升级祝贺",
                "恭喜{{nickname|亲}}升级为{{level}}会员🎉 新等级的专属权益已生效，下单自动享受～",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "level_progress",
            name: "升级助推",
            description: "Close to the next level (seed 002: \"再买80元就能升级\"): on Saturday at 10:00, how much more it takes in yuan and what the level brings; a 10% holdout measures the lift.",
            definition: definition(json!({
                "trigger": {"type": "schedule", "daily_at": "10:00", "weekdays": [6]},
                "audience": "距升级 > 0 且 距升级 <= 300 且 距上次下单天数 <= 90",
                "steps": [
                    {"id": "分流", "type": "split", "holdout_percent": 10, "variants": [
                        {"name": "助推", "percent": 90, "next": "提醒"}]},
                    {"id": "提醒", "type": "send", "channel": "wecom", "template": "升级助推"},
                ],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 7},
                "exit": [{"type": "event", "event": events::TICKET_OPENED}],
                "reentry": {"type": "after", "days": 30},
            })),
            templates: vec![wecom(
                "升级助推",
                "{{nickname|亲}}，您再消费 ¥{{yuan_to_next}} 就能升级为{{next_level}}会员，享会员折扣和优先发货～这周的新鲜好货已经上架啦",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "points_expiring",
            name: "积分到期提醒",
            description: "Points about to expire: at 10:00, members with 100 or more points expiring within 30 days are told how many and what they are worth, at most once a month.",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "schedule", "daily_at": "10:00"},
                "audience": "将过期积分(30天) >= 100",
                "steps": [{"id": "提醒", "type": "send", "channel": "wecom", "template": "积分到期提醒"}],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 14},
                "reentry": {"type": "after", "days": 30},
            })),
            templates: vec![wecom(
                "积分到期提醒",
                "{{nickname|亲}}，您有 {{points_expiring}} 积分将在 30 天内到期，下单时每 50 积分直接抵 ¥1，无门槛～别让积分白白过期哦",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "co_creation_invite",
            name: "共创群邀请",
            description: "Top-level members (seed 000/001): once, an invitation to the co-creation group and the members' day live, with 100 thank-you points.",
            definition: definition(json!({
                "trigger": {"type": "schedule", "daily_at": "11:00"},
                "audience": "会员等级 >= L4",
                "steps": [
                    {"id": "感谢积分", "type": "award_points", "points": 100, "reason": "共创群邀请礼", "next": "邀请"},
                    {"id": "邀请", "type": "send", "channel": "wecom", "template": "共创群邀请"},
                ],
                "reentry": {"type": "once"},
            })),
            templates: vec![wecom(
                "共创群邀请",
                "{{nickname|亲}}，感谢一直以来的支持！作为我们的{{level}}会员，诚邀您加入「会员共创群」：一起选品、抢先试吃新品，每月会员日还有专场直播。100 积分的谢礼已到账，回复“加入”即可入群～",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "referral_reward",
            name: "推荐有礼",
            description: "An invited friend's first order (docs/referral.md): ¥5 for the friend, ¥5 and 50 points for whoever invited them; once per friend, never for inviting oneself.",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "event", "event": events::REFERRAL_QUALIFIED, "properties": {"occasion": "first_order"}},
                "steps": [
                    {"id": "新客礼", "type": "coupon", "coupon": "推荐礼5元", "next": "邀请人礼"},
                    {"id": "邀请人礼", "type": "coupon", "coupon": "推荐礼5元", "to_inviter": true, "next": "邀请积分"},
                    {"id": "邀请积分", "type": "award_points", "points": 50, "reason": "邀请好友首单", "to_inviter": true, "next": "感谢"},
                    {"id": "感谢", "type": "send", "channel": "wecom", "template": "推荐有礼"},
                ],
                "reentry": {"type": "once"},
            })),
            templates: vec![wecom(
                "推荐有礼",
                "欢迎{{nickname|亲}}～朋友推荐的好物没让您失望吧？{{coupon}}已放进您的账户，下次用得上。",
            )],
            coupons: vec![referral_coupon("推荐礼5元", "推荐礼")],
        },
        Shipped {
            key: "group_invite_reward",
            name: "邀请进群有礼",
            description: "Seed 002: a friend who joins a group on a member's invitation — ¥5 for each of them, and a welcome for the friend.",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "event", "event": events::REFERRAL_QUALIFIED, "properties": {"occasion": "group_joined"}},
                "steps": [
                    {"id": "新人礼", "type": "coupon", "coupon": "进群礼5元", "next": "邀请人礼"},
                    {"id": "邀请人礼", "type": "coupon", "coupon": "进群礼5元", "to_inviter": true, "next": "欢迎"},
                    {"id": "欢迎", "type": "send", "channel": "wecom", "template": "邀请进群有礼"},
                ],
                "reentry": {"type": "once"},
            })),
            templates: vec![wecom(
                "邀请进群有礼",
                "欢迎{{nickname|亲}}进群～群里每天有产地直发的新鲜好物和专属福利，{{coupon}}已到账，邀请您的朋友也收到了同样的一份。",
            )],
            coupons: vec![referral_coupon("进群礼5元", "进群礼")],
        },
        Shipped {
            key: "ugc_invitation",
            name: "晒单邀请",
            description: "Seed 001: the day after the fresh food arrives (ordered, delivered the next day), an invitation to share a photo or recipe; not sent to someone who already shared or opened a ticket.",
            definition: definition(json!({
                "trigger": {"type": "event", "event": events::ORDER_COMPLETED},
                "steps": [
                    {"id": "等到货后一天", "type": "wait", "minutes": 2880, "next": "邀请"},
                    {"id": "邀请", "type": "send", "channel": "wecom", "template": "晒单邀请"},
                ],
                "exit": [
                    {"type": "event", "event": events::UGC_SUBMITTED},
                    {"type": "event", "event": events::TICKET_OPENED},
                ],
                "reentry": {"type": "after", "days": 30},
            })),
            templates: vec![wecom(
                "晒单邀请",
                "{{nickname|亲}}，{{last_product}}到家一天了，味道还满意吗？拍张照片或分享一道您的做法，审核通过送 50 积分和「社区达人」标签，还会出现在我们的好物推荐里～直接回复图片或在小程序「晒单」提交就可以。",
            )],
            coupons: vec![],
        },
        Shipped {
            key: "ugc_reward",
            name: "晒单奖励",
            description: "Shared content approved in the console: 50 points, the 社区达人 tag, a ¥5 coupon and a thank-you.",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "event", "event": events::UGC_REVIEWED, "properties": {"decision": "approved"}},
                "steps": [
                    {"id": "积分", "type": "award_points", "points": 50, "reason": "晒单奖励", "next": "标签"},
                    {"id": "标签", "type": "tag", "tag": "社区达人", "next": "券"},
                    {"id": "券", "type": "coupon", "coupon": "晒单礼5元", "next": "感谢"},
                    {"id": "感谢", "type": "send", "channel": "wecom", "template": "晒单奖励"},
                ],
                "reentry": {"type": "always"},
            })),
            templates: vec![wecom(
                "晒单奖励",
                "谢谢{{nickname|亲}}的分享！50 积分已到账，{{coupon}}也放进了您的账户，您已成为我们的「社区达人」～",
            )],
            coupons: vec![coupon("晒单礼5元", "晒单礼", CouponValue::Amount { fen: 500 }, 0, 30)],
        },
        Shipped {
            key: "service_recovery",
            name: "售后挽回",
            description: "An after-sales ticket resolved: an apology with a coupon at once, and two days on a question on how it was handled (seed 000: a bad delivery well handled keeps the customer).",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "event", "event": events::TICKET_RESOLVED},
                "steps": [
                    {"id": "致歉券", "type": "coupon", "coupon": "售后致歉券", "next": "致歉"},
                    {"id": "致歉", "type": "send", "channel": "wecom", "template": "售后-致歉", "next": "等2天"},
                    {"id": "等2天", "type": "wait", "minutes": 2880, "next": "满意度"},
                    {"id": "满意度", "type": "send", "channel": "wecom", "template": "售后-满意度"},
                ],
                "goal": {"event": events::ORDER_COMPLETED, "within_days": 30},
                "exit": [{"type": "event", "event": events::CONTACT_REMOVED}],
                "reentry": {"type": "after", "days": 7},
            })),
            templates: vec![
                wecom(
                    "售后-致歉",
                    "{{nickname|亲}}，这次的问题给您添麻烦了，实在抱歉🙏 已为您处理好，另送上{{coupon}}，下次下单直接抵扣。",
                ),
                wecom(
                    "售后-满意度",
                    "{{nickname|亲}}，前两天的售后处理您还满意吗？回复 1 满意、2 一般、3 不满意，您的每条意见我们都会看。",
                ),
            ],
            coupons: vec![coupon("售后致歉券", "售后致歉券", CouponValue::Amount { fen: 1000 }, 0, 14)],
        },
        Shipped {
            key: "subscription_confirmation",
            name: "定期购确认",
            description: "Before each subscription shipment (docs/subscriptions.md): what ships when, and the signed link to confirm, skip, pause or change the date before the cut-off. Transactional: the customer asked for it.",
            definition: definition(json!({
                // Service: the global control group gets it too.
                "marketing": false,
                "trigger": {"type": "event", "event": events::SHIPMENT_CONFIRMATION_REQUESTED},
                "steps": [{"id": "确认", "type": "send", "channel": "wecom", "template": "定期购确认"}],
                "reentry": {"type": "always"},
            })),
            templates: vec![MessageTemplate {
                transactional: true,
                attachments: vec![],
                ..wecom(
                    "定期购确认",
                    "{{nickname|亲}}，您定期购的{{last_product|商品}} ×{{quantity|1}} 将于 {{ship_on}} 发货。\
                     请在 {{deadline}} 前点击确认，也可以跳过这一次、暂停或改期：{{link}}",
                )
            }],
            coupons: vec![],
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rekindle_core::journey::Known;
    use rekindle_rules::journey::validate;

    use super::*;

    /// The global control group is kept out of marketing only: what a person was promised or
    /// asked for (a reward earned, a ticket, a shipment to confirm) reaches everyone, and a
    /// journey that measures itself against a holdout is marketing.
    #[test]
    fn service_journeys_take_the_control_group_in() {
        use rekindle_core::journey::{Action, Trigger};
        let owed = [
            events::REFERRAL_QUALIFIED,
            events::UGC_REVIEWED,
            events::TICKET_RESOLVED,
            events::LEVEL_CHANGED,
            events::SHIPMENT_CONFIRMATION_REQUESTED,
        ];
        let mut service = 0;
        for s in shipped() {
            let d = &s.definition;
            let holdout = d
                .steps
                .iter()
                .any(|st| matches!(&st.action, Action::Split { holdout_percent, .. } if *holdout_percent > 0));
            assert!(!holdout || d.marketing, "{}: measured against a holdout, so marketing", s.key);
            let transactional = !s.templates.is_empty() && s.templates.iter().all(|t| t.transactional);
            assert!(!transactional || !d.marketing, "{}: asked for by the customer", s.key);
            let is_owed = matches!(&d.trigger, Trigger::Event { event, .. } if owed.contains(&event.as_str()));
            assert!(!is_owed || !d.marketing, "{}: owed to the person", s.key);
            service += usize::from(!d.marketing);
        }
        assert!(service >= 6, "the shipped service journeys are marked: {service}");
    }

    #[test]
    fn every_shipped_journey_validates_with_its_templates_and_coupons() {
        for s in shipped() {
            let known = Known {
                segments: BTreeSet::new(),
                templates: s.templates.iter().map(|t| (t.name.clone(), t.channel)).collect(),
                coupons: s.coupons.iter().map(|c| c.name.clone()).collect(),
                tags: s.tags().map(str::to_owned).collect(),
            };
            assert_eq!(validate(&s.definition, &known), vec![], "{}", s.key);
            for t in &s.templates {
                assert_eq!(t.check(), vec![], "{} / {}", s.key, t.name);
            }
            for c in &s.coupons {
                c.check().unwrap();
            }
        }
    }
}
