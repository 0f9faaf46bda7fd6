//! The store's win-back programme, with an effect the simulator plants. When a buyer has gone
//! `silent_days` without an order, the silence is held out or touched: a `Message Delivered`
//! as Rekindle's 沉睡唤回 journey would record it. A delivered message wins the person back
//! with chance `lift`: an order within `window_days` of the silence, unless an order of their
//! own came first. Orders of their own go on as before in both arms, so what a report can see is
//! `lift × (1 − the untouched wake rate)` (docs/simulator.md, "The win-back programme").
//!
//! The programme draws from its own random stream, so a person's own draws are the same with
//! it on or off until a won-back order changes their life.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rekindle_core::events;
use serde::Serialize;
use serde_json::{Map, json};

use super::PersonSim;
use crate::catalogue::{CATEGORIES, PRODUCTS};
use crate::messages::{self, From};
use crate::person::Channel;

/// The programme's settings; [`crate::SimConfig::default`] has it on with these defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Winback {
    /// Days without an order, from the last order's exact time, that make a buyer silent. A
    /// store whose lifecycle silence threshold is this many days for everyone
    /// (`silent_cycles = 0`, `min_silent_days` = this) sees the same silences.
    pub silent_days: u32,
    /// Share of silences held out: no message.
    pub holdout: f64,
    /// The planted effect: the chance a delivered message wins the person back.
    pub lift: f64,
    /// A won-back person orders within this many days of the silence (at least 1).
    pub window_days: u32,
}

impl Default for Winback {
    fn default() -> Self {
        Self { silent_days: 30, holdout: 0.2, lift: 0.15, window_days: 14 }
    }
}

/// The message is delivered this long after the silence. Simulated orders fall on whole
/// minutes, so no order comes between a silence and its message: every silence of the touch
/// arm is delivered (unless the window ends first), and a report's touched and untouched
/// groups are the programme's two arms.
const DELIVERY_DELAY: Duration = Duration::seconds(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    Touch,
    Holdout,
}

/// One silence as the programme saw it: the ground truth a wake-up report is checked against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WinbackSilence {
    /// When they went silent: `silent_days` after their last order (local time).
    pub at: String,
    /// Drawn at the silence, with chance `holdout` of holding out.
    pub arm: Arm,
    /// When the message was delivered; none for the holdout, or when the window ended first.
    pub delivered_at: Option<String>,
    /// The message won them back (drawn with chance `lift` at delivery).
    pub won: bool,
    /// The order the message brought; none when one of their own came first (they were back
    /// anyway) or the window ended first.
    pub revival_at: Option<String>,
    /// Their next order after the silence, whatever brought it; none before the window's end.
    pub next_order_at: Option<String>,
}

struct Silence {
    at: NaiveDateTime,
    arm: Arm,
    delivered: Option<NaiveDateTime>,
    won: bool,
    revival: Option<NaiveDateTime>,
    next_order: Option<NaiveDateTime>,
}

impl Silence {
    fn truth(&self) -> WinbackSilence {
        WinbackSilence {
            at: messages::local(self.at),
            arm: self.arm,
            delivered_at: self.delivered.map(messages::local),
            won: self.won,
            revival_at: self.revival.map(messages::local),
            next_order_at: self.next_order.map(messages::local),
        }
    }
}

/// What the programme does next for the person.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// The last order's silence, if no order comes first (nothing before a first order).
    Silence,
    /// The touch arm's message.
    Touch(NaiveDateTime),
    /// The order the message won.
    Revival(NaiveDateTime),
    /// Nothing until they order again.
    Idle,
}

/// The programme's state for one person.
pub(crate) struct Programme {
    config: Winback,
    rng: ChaCha8Rng,
    /// The person's own orders since the programme last looked.
    pub(super) placed: Vec<NaiveDateTime>,
    last_order: Option<NaiveDateTime>,
    next: Next,
    silences: Vec<Silence>,
}

impl Programme {
    pub(crate) fn new(config: Winback, rng: ChaCha8Rng) -> Self {
        Self { config, rng, placed: Vec::new(), last_order: None, next: Next::Silence, silences: Vec::new() }
    }

    pub(super) fn truth(&self) -> Vec<WinbackSilence> {
        self.silences.iter().map(Silence::truth).collect()
    }

    fn due(&self) -> Option<NaiveDateTime> {
        match self.next {
            Next::Silence => self.last_order.map(|t| t + Duration::days(i64::from(self.config.silent_days))),
            Next::Touch(t) | Next::Revival(t) => Some(t),
            Next::Idle => None,
        }
    }

    /// An order at `at`, in time order: it ends the silence before it, cancels a message or a
    /// won-back order not yet due, and starts the wait for the next silence.
    fn ordered(&mut self, at: NaiveDateTime) {
        if let Some(s) = self.silences.last_mut()
            && s.next_order.is_none()
            && s.at < at
        {
            s.next_order = Some(at);
        }
        self.last_order = Some(self.last_order.map_or(at, |t| t.max(at)));
        self.next = Next::Silence;
    }

    /// When a won-back person orders: at their shopping hour on one of the days after the
    /// message, before the window's end.
    fn revival_time(&mut self, silence: NaiveDateTime, delivered: NaiveDateTime, hour: u32) -> NaiveDateTime {
        let until = silence + Duration::days(i64::from(self.config.window_days.max(1)));
        let minute = self.rng.random_range(0..60);
        let days: Vec<NaiveDateTime> = (0..=i64::from(self.config.window_days))
            .filter_map(|k| (silence.date() + Duration::days(k)).and_hms_opt(hour, minute, 0))
            .filter(|t| *t > delivered && *t < until)
            .collect();
        match days.len() {
            // A window shorter than a day: halfway through it.
            0 => delivered + (until - delivered) / 2,
            n => days[self.rng.random_range(0..n)],
        }
    }
}

impl PersonSim<'_> {
    /// The programme's doings on `day`, after the person's own: whatever falls due before each
    /// of the day's orders, in time order.
    pub(super) fn winback_day(&mut self, day: NaiveDate) {
        let Some(mut w) = self.winback.take() else { return };
        let until = (day + Duration::days(1)).and_time(NaiveTime::MIN).min(self.end);
        let mut orders = std::mem::take(&mut w.placed);
        orders.sort_unstable();
        let mut orders = orders.into_iter().peekable();
        loop {
            let due = w.due().filter(|t| *t < until);
            match (due, orders.peek().copied()) {
                // An order at the very moment wins: an order at the silence means no silence,
                // and a message at the moment of the order is not before it.
                (Some(t), next) if next.is_none_or(|o| t < o) => self.winback_act(&mut w, t),
                (_, Some(o)) => {
                    orders.next();
                    w.ordered(o);
                }
                _ => break,
            }
        }
        self.winback = Some(w);
    }

    fn winback_act(&mut self, w: &mut Programme, at: NaiveDateTime) {
        match w.next {
            Next::Silence => {
                let arm = if w.rng.random_bool(w.config.holdout.clamp(0.0, 1.0)) { Arm::Holdout } else { Arm::Touch };
                w.silences.push(Silence { at, arm, delivered: None, won: false, revival: None, next_order: None });
                w.next = match arm {
                    Arm::Touch => Next::Touch(at + DELIVERY_DELAY),
                    Arm::Holdout => Next::Idle,
                };
            }
            Next::Touch(_) => {
                self.deliver(at, w.silences.len());
                let won = w.rng.random_bool(w.config.lift.clamp(0.0, 1.0));
                let silence = w.silences.last().map_or(at, |s| s.at);
                w.next = if won { Next::Revival(w.revival_time(silence, at, self.traits.hour)) } else { Next::Idle };
                if let Some(s) = w.silences.last_mut() {
                    s.delivered = Some(at);
                    s.won = won;
                }
            }
            Next::Revival(_) => {
                self.revive(at, &mut w.rng);
                if let Some(s) = w.silences.last_mut() {
                    s.revival = Some(at);
                }
                w.ordered(at);
            }
            Next::Idle => {}
        }
    }

    /// The win-back message, recorded as Rekindle's dispatcher records a delivery: on WeCom
    /// when the store knows the person's WeCom contact as theirs (they were added as one, the
    /// unionid links it to the member, and they have not removed it), else by SMS to the phone
    /// they gave with their first order.
    fn deliver(&mut self, at: NaiveDateTime, n: usize) {
        let added = matches!(self.traits.channel, Channel::Wecom | Channel::Referral);
        let wecom = self.external.clone().filter(|_| added && self.unionid.is_some() && !self.removed);
        let (channel, step, identifier, recipient) = match wecom {
            Some(x) => ("wecom", "私聊问候", "wecom_external_userid", x),
            None => ("sms", "短信告知", "phone", self.phone.clone()),
        };
        let (s, i) = (self.config.seed, self.i);
        // The shipped 沉睡唤回 journey (key `winback`) and one enrollment per silence.
        let send_key = format!("sim{s}-{i}-winback-{n}:1:{step}");
        let mut traits = Map::new();
        traits.insert(identifier.into(), json!(recipient));
        let from = From { user_id: None, anonymous_id: Some(format!("rekindle:sim{s}-{i}")), traits };
        let props = json!({
            "message_id": send_key, "journey_id": "winback", "step": step, "variant": null,
            "channel": channel, "provider_id": null,
        });
        let id = self.next_id();
        let m = messages::track(id, &from, at, events::MESSAGE_DELIVERED, props, "rekindle");
        self.push(m);
    }

    /// Won back: alive again if they had left, they order what has run out (or a favourite) on
    /// the programme's stream.
    fn revive(&mut self, at: NaiveDateTime, rng: &mut ChaCha8Rng) {
        self.alive = true;
        self.dropped = None;
        let mut wanted: Vec<usize> = self.stock.keys().copied().filter(|c| self.runs_out_by(*c, at)).collect();
        if wanted.is_empty() {
            wanted.push(self.favourite(rng));
        }
        if !self.order(at, &wanted, None, rng) {
            // Nothing they want is in season: the first category that has something on sale.
            let day = at.date();
            let any = (0..CATEGORIES.len())
                .find(|c| PRODUCTS.iter().any(|p| p.category == CATEGORIES[*c].name && p.on_sale(day)))
                .unwrap_or(0);
            self.order(at, &[any], None, rng);
        }
    }
}
