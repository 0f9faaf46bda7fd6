//! After-sales and conversations with the service (docs/service.md): a delivery gone wrong
//! becomes a ticket, resolved after a while; now and then a customer writes in and a staff
//! member answers, fast in working hours and next morning at night. How long either took is
//! planted in who stays (seed 000: 48 hours; seed 002: a message left two hours raises the risk
//! of losing the person by half), so the desk's figures find it.

use chrono::{Duration, NaiveDateTime, Timelike};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rekindle_core::events;
use serde_json::json;

use super::PersonSim;
use crate::messages::{self, From};

/// What customers write in about, and with what words.
const QUESTIONS: [&str; 16] = [
    "在吗？牛奶开封了能放几天",
    "今天下单明天能到吗",
    "你们的牛肉是哪里产的",
    "鸡蛋收到有两个破了怎么办",
    "冷冻虾怎么解冻比较好",
    "自提点几点关门",
    "积分怎么换东西",
    "直播间的券怎么没用上",
    "有没有小包装的",
    "我的订单怎么还没发货",
    "水果不甜可以退吗",
    "蔬菜收到有点蔫了",
    "能开发票吗",
    "下次直播什么时候",
    "宝宝能吃这个吗",
    "配送费怎么算",
];

const RESOLUTIONS: [&str; 4] = ["已退款", "已补发", "已补偿优惠券", "已致歉并退部分款"];

/// Working hours of the simulated store's service: 09:00–21:00 local, every day.
fn working(at: NaiveDateTime) -> bool {
    (9..21).contains(&at.hour())
}

/// When the service gets to a message written at `at`: minutes later in working hours, else
/// after the next opening.
fn reply_at(at: NaiveDateTime, rng: &mut ChaCha8Rng) -> NaiveDateTime {
    let start = if working(at) {
        at
    } else {
        let day = if at.hour() >= 21 { at.date() + Duration::days(1) } else { at.date() };
        day.and_hms_opt(9, 0, 0).unwrap_or(at)
    };
    // Most within a quarter of an hour; a busy tail past two hours.
    let minutes = if rng.random_bool(0.7) { rng.random_range(1..15) } else { rng.random_range(15..240) };
    start + Duration::minutes(minutes)
}

impl PersonSim<'_> {
    fn staff(&self) -> String {
        format!("staff-{}", self.i % 7)
    }

    /// After-sales trouble with the order `order_id` delivered the day after `at`. Returns how
    /// much more likely they are to leave (more the slower it was resolved) and when it was.
    pub(super) fn after_sales(
        &mut self,
        from: &From,
        at: NaiveDateTime,
        order_id: &str,
        rng: &mut ChaCha8Rng,
    ) -> (f64, NaiveDateTime) {
        let reason = ["spoiled", "late", "short_weight"][rng.random_range(0..3)];
        let opened = at + Duration::hours(rng.random_range(18..40));
        let hours = rng.random_range(2..80);
        let ticket = format!("t-{order_id}");
        let id = self.next_id();
        self.push(messages::track(
            id,
            from,
            opened,
            events::TICKET_OPENED,
            json!({"ticket_id": ticket, "reason": reason, "order_id": order_id}),
            "rekindle-sim-service",
        ));
        let chat = &mut self.chat;
        let assignee = format!("staff-{}", chat.random_range(0..3));
        let picked = chat.random_range(0..RESOLUTIONS.len());
        let noted = opened + Duration::minutes(chat.random_range(5..90));
        let id = self.next_id();
        self.push(messages::track(
            id,
            from,
            noted,
            events::TICKET_UPDATED,
            json!({"ticket_id": ticket, "assignee": assignee, "note": "已联系顾客，核实中"}),
            "rekindle-sim-service",
        ));
        let resolved = opened + Duration::hours(hours);
        let id = self.next_id();
        self.push(messages::track(
            id,
            from,
            resolved,
            events::TICKET_RESOLVED,
            json!({"ticket_id": ticket, "resolution": RESOLUTIONS[picked]}),
            "rekindle-sim-service",
        ));
        let extra = match hours {
            ..=24 => 0.12,
            25..=48 => 0.2,
            _ => 0.4,
        };
        (extra, resolved)
    }

    /// Now and then after an order, a question to their staff member, answered when the
    /// service gets to it (or, rarely, never). Returns how much more likely they are to leave.
    pub(super) fn write_in(&mut self, at: NaiveDateTime) -> f64 {
        if !self.chat.random_bool(0.08) {
            return 0.0;
        }
        let asked = at + Duration::minutes(self.chat.random_range(30..(3 * 24 * 60)));
        let question = QUESTIONS[self.chat.random_range(0..QUESTIONS.len())];
        let staff = self.staff();
        let from = self.wecom();
        let id = self.next_id();
        self.push(messages::track(
            id,
            &from,
            asked,
            events::MESSAGE_RECEIVED,
            json!({"text": question, "staff_id": staff, "channel": "wecom"}),
            "rekindle-sim-service",
        ));
        if self.chat.random_bool(0.04) {
            return 0.15;
        }
        let replied = reply_at(asked, &mut self.chat);
        let id = self.next_id();
        self.push(messages::track(
            id,
            &from,
            replied,
            events::MESSAGE_REPLIED,
            json!({"text": "您好，这就帮您看一下～", "staff_id": staff, "channel": "wecom"}),
            "rekindle-sim-service",
        ));
        if replied - asked > Duration::hours(2) { 0.1 } else { 0.0 }
    }
}
