//! One person's life in the store, day by day on their own random stream: acquired, watching
//! live sessions, shopping for what runs out, meeting after-sales trouble, perhaps leaving.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use crate::catalogue::{CATEGORIES, PRODUCTS, Product};
use crate::messages::{self, From};
use crate::person::{Channel, Persona, Traits};
use crate::schedule::LiveSession;
use crate::world::{SimConfig, Truth};
use rekindle_core::events;

mod order;
mod service;
mod ties;
pub(crate) mod winback;

use ties::Ties;
use winback::Programme;

/// A person's random streams besides their life's own.
pub(crate) struct Streams {
    /// The win-back programme's.
    pub programme: ChaCha8Rng,
    /// The live room's planted effects'.
    pub room: ChaCha8Rng,
    /// Conversations and after-sales follow-ups.
    pub chat: ChaCha8Rng,
    /// Friendships with staff members (`life::ties`).
    pub ties: ChaCha8Rng,
}

/// Where and when person `i` comes from: the first draws of their life's stream.
pub(crate) fn origin(config: &SimConfig, i: u64, rng: &mut ChaCha8Rng) -> (Traits, NaiveDateTime, Option<u64>) {
    let traits = Traits::sample(rng);
    let start = config.start.and_time(NaiveTime::MIN);
    // A third of the people are already customers when the window opens.
    let day = if rng.random_bool(0.3) { 0 } else { rng.random_range(0..config.days.max(1)) };
    let acquired = start + Duration::days(i64::from(day)) + Duration::minutes(rng.random_range(8 * 60..22 * 60));
    // The inviter is an earlier person.
    let inviter = (traits.channel == Channel::Referral && i > 0).then(|| rng.random_range(0..i));
    (traits, acquired, inviter)
}

pub(crate) struct PersonSim<'c> {
    config: &'c SimConfig,
    sessions: &'c [LiveSession],
    i: u64,
    traits: Traits,
    acquired: NaiveDateTime,
    end: NaiveDateTime,
    anon: String,
    openid: String,
    phone: String,
    unionid: Option<String>,
    external: Option<String>,
    member: Option<String>,
    invited_by: Option<String>,
    /// The inviter's number, for a referral.
    inviter: Option<u64>,
    /// Category index → when the last purchase runs out.
    stock: BTreeMap<usize, NaiveDateTime>,
    alive: bool,
    dropped: Option<NaiveDateTime>,
    removed: bool,
    logged_in: bool,
    orders: u32,
    spend: i64,
    seq: u32,
    events: Vec<Value>,
    /// The store's win-back programme, when the simulation runs one.
    winback: Option<Programme>,
    /// The live room's planted effects draw from this stream (`crate::live`).
    room: ChaCha8Rng,
    /// Conversations and after-sales follow-ups draw from this stream (`life::service`).
    chat: ChaCha8Rng,
    /// They watched a session on a weekday that keeps viewers: the next session draws them more.
    kept: bool,
    /// What multiplies their chance of leaving after the order being placed: below 1 for an
    /// order in a session on a weekday that keeps viewers.
    leave_factor: f64,
    /// Friendships with staff members, on their own stream.
    ties: Ties,
    /// What their acquisition source is worth (`crate::wecom::SourceLtv`): their chance of
    /// leaving after each order is divided by it.
    value: f64,
}

impl<'c> PersonSim<'c> {
    /// `rng` is the person's life's stream, `streams` the others.
    pub(crate) fn new(
        config: &'c SimConfig,
        sessions: &'c [LiveSession],
        i: u64,
        rng: &mut ChaCha8Rng,
        streams: Streams,
    ) -> Self {
        let (traits, acquired, inviter) = origin(config, i, rng);
        let end = config.start.and_time(NaiveTime::MIN) + Duration::days(i64::from(config.days));
        let s = config.seed;
        // The inviter is named by the openid every person has.
        let invited_by = inviter.map(|j| format!("o{s}x{j:07}"));
        let Streams { programme, room, chat, ties } = streams;
        Self {
            config,
            sessions,
            i,
            acquired,
            end,
            anon: format!("anon-{s}-{i}"),
            openid: format!("o{s}x{i:07}"),
            phone: format!("1{}{:09}", [3, 5, 7, 8, 9][(i % 5) as usize], (i * 7919 + s) % 1_000_000_000),
            unionid: rng.random_bool(0.6).then(|| format!("un{s}x{i:07}")),
            external: (traits.channel == Channel::Wecom || rng.random_bool(0.3)).then(|| format!("wm{s}x{i:07}")),
            member: None,
            invited_by,
            inviter,
            stock: BTreeMap::new(),
            alive: true,
            dropped: None,
            removed: false,
            logged_in: false,
            orders: 0,
            spend: 0,
            seq: 0,
            events: Vec::new(),
            winback: config.winback.map(|w| Programme::new(w, programme)),
            room,
            chat,
            kept: false,
            leave_factor: 1.0,
            ties: Ties::new(ties),
            value: 1.0,
            traits,
        }
    }

    fn next_id(&mut self) -> String {
        self.seq += 1;
        format!("sim{}-{}-{}", self.config.seed, self.i, self.seq)
    }

    /// The mini-program device, after login.
    fn device(&self) -> From {
        let mut traits = Map::new();
        if self.logged_in {
            traits.insert("wechat_openid".into(), json!(self.openid));
        }
        From { user_id: self.member.clone(), anonymous_id: Some(self.anon.clone()), traits }
    }

    /// The WeCom side: it knows the external contact (and the unionid, when WeChat shares it).
    fn wecom(&self) -> From {
        let mut traits = Map::new();
        if let Some(x) = &self.external {
            traits.insert("wecom_external_userid".into(), json!(x));
        }
        if let Some(u) = &self.unionid {
            traits.insert("wechat_unionid".into(), json!(u));
        }
        From {
            user_id: None,
            anonymous_id: Some(format!("wecom-{}", self.external.as_deref().unwrap_or(&self.anon))),
            traits,
        }
    }

    fn push(&mut self, m: Value) {
        self.events.push(m);
    }

    pub(crate) fn live(&mut self, rng: &mut ChaCha8Rng) {
        let sessions = self.sessions;
        self.acquire(rng);
        let first_day = self.acquired.date();
        let mut day = first_day;
        while day.and_time(NaiveTime::MIN) < self.end {
            let session = sessions.iter().find(|s| s.start.date() == day);
            if let Some(s) = session
                && s.start > self.acquired + Duration::minutes(1)
            {
                let chance = (if self.alive { 0.45 * self.traits.engagement * s.pull } else { 0.02 }).clamp(0.0, 1.0);
                // A session on a keeping weekday draws its viewers to the next one: a second
                // chance on the live room's stream makes theirs `keeping_lift` times as large.
                let lift = if std::mem::take(&mut self.kept) { self.config.live.keeping_lift } else { 1.0 };
                let again = (chance * lift).min(1.0);
                if rng.random_bool(chance)
                    || (again > chance && self.room.random_bool((again - chance) / (1.0 - chance)))
                {
                    self.watch(s, rng);
                    self.kept = self.config.live.keeping_weekdays.contains(&s.start.weekday());
                }
            }
            if self.alive {
                self.shop(day, rng);
            } else if !self.removed
                && let Some(d) = self.dropped
                && day > d.date() + Duration::days(7)
                && rng.random_bool(0.05)
            {
                self.removed = true;
                if self.external.is_some() && rng.random_bool(0.7) {
                    let at = day.and_hms_opt(10, 0, 0).unwrap_or_default();
                    // The staff member they remove; none when that one has left the company
                    // (the message id is taken all the same, so no later id moves).
                    let id = self.next_id();
                    if let Some(staff) = self.leaving_removes(at) {
                        let props = json!({"channel": "wecom", "staff_id": staff, "by": "customer", "via": "callback"});
                        let m = messages::track(
                            id,
                            &self.wecom(),
                            at,
                            events::CONTACT_REMOVED,
                            props,
                            "rekindle-sim-wecom",
                        );
                        self.push(m);
                    }
                }
            }
            self.winback_day(day);
            day += Duration::days(1);
        }
    }

    /// Who invited a group joiner, if anyone: every third joiner, an earlier person.
    fn group_inviter(&self) -> Option<String> {
        (self.traits.channel == Channel::Group && self.i > 0 && self.i.is_multiple_of(3))
            .then(|| format!("o{}x{:07}", self.config.seed, (self.i.wrapping_mul(2_654_435_761) >> 7) % self.i))
    }

    fn acquire(&mut self, rng: &mut ChaCha8Rng) {
        let at = self.acquired;
        match self.traits.channel {
            Channel::Wecom | Channel::Referral => {
                if self.external.is_none() {
                    self.external = Some(format!("wm{}x{:07}", self.config.seed, self.i));
                }
                // Whom they add and through which code, on their WeCom stream.
                let (channel, inviter) = (self.traits.channel, self.inviter);
                let add = ties::first_add(self.config, self.sessions, self.i, channel, at, inviter, self.ties.rng());
                if let Some(add) = add {
                    let source = self.add_first(add, at);
                    self.value = self.config.ltv.map_or(1.0, |v| v.of(source));
                }
            }
            Channel::Group => {
                let id = self.next_id();
                let g = self.i % 12;
                let mut props = json!({"group_id": format!("grp-{g}"), "group_name": format!("鲜果社 {g} 群")});
                // Seed 002's "invite a friend into the group": a third join on a member's
                // invitation (drawn from the index, not the random stream, so nothing else moves).
                if let Some(by) = self.group_inviter() {
                    props["invited_by"] = json!(by);
                }
                let m =
                    messages::track(id, &self.device(), at, events::GROUP_JOINED, props, "rekindle-sim-miniprogram");
                self.push(m);
            }
            Channel::Live => {}
        }
        // Logging in to the mini-program links the device to the openid.
        self.logged_in = true;
        let mut traits = Map::new();
        traits.insert("wechat_openid".into(), json!(self.openid));
        if let Some(u) = &self.unionid {
            traits.insert("wechat_unionid".into(), json!(u));
        }
        let id = self.next_id();
        // Login follows the first contact within the minute, before anything else they do.
        let login = at + Duration::seconds(rng.random_range(10..60));
        let from = From { user_id: None, anonymous_id: Some(self.anon.clone()), traits: Map::new() };
        let m = messages::identify(id, &from, login, traits, "rekindle-sim-miniprogram");
        self.push(m);
    }

    fn watch(&mut self, s: &LiveSession, rng: &mut ChaCha8Rng) {
        let length = (s.end - s.start).num_minutes().max(1);
        let enter = s.start + Duration::minutes(rng.random_range(0..length.min(45)));
        let minutes = (rng.random_range(1.0..3.0) * 12.0 * self.traits.engagement).round().max(1.0) as i64;
        let mut leave = (enter + Duration::minutes(minutes)).min(s.end);
        let from = self.device();
        let props = json!({"session_id": s.id});
        let id = self.next_id();
        self.push(messages::track(id, &from, enter, events::LIVE_ENTERED, props.clone(), "rekindle-sim-live"));
        // A stall while they are in the room: they see it, and some leave when it ends.
        let mut last_beat = leave;
        if let Some((at, seconds)) = s.stall
            && enter <= at
            && at < leave
        {
            let id = self.next_id();
            let stalled = json!({"session_id": s.id, "seconds": seconds});
            self.push(messages::track(id, &from, at, events::LIVE_STALLED, stalled, "rekindle-sim-live"));
            if self.room.random_bool(self.config.live.stall_leave.clamp(0.0, 1.0)) {
                leave = leave.min(at + Duration::seconds(seconds));
                last_beat = at;
            }
        }
        // Whether a question of theirs was answered, and when the first fast answer came.
        let (mut asked, mut answered_fast) = (false, None);
        let mut t = enter + Duration::minutes(5);
        while t <= last_beat {
            let id = self.next_id();
            let m = messages::track(
                id,
                &from,
                t,
                events::LIVE_WATCHED,
                json!({"session_id": s.id, "seconds": 300}),
                "rekindle-sim-live",
            );
            self.push(m);
            if rng.random_bool(0.25 * self.traits.engagement) {
                let question = rng.random_bool(0.3);
                let text =
                    if question { "这个是哪里发货？保质期多久？" } else { "看起来好新鲜！" };
                let id = self.next_id();
                let comment_id = format!("c-{id}");
                let at = t + Duration::seconds(30);
                let props =
                    json!({"session_id": s.id, "comment_id": comment_id, "text": text, "is_question": question});
                self.push(messages::track(id, &from, at, events::LIVE_COMMENTED, props, "rekindle-sim-live"));
                if question {
                    asked = true;
                    if let Some(delay) = self.reply_delay() {
                        let replied = at + Duration::seconds(delay);
                        let id = self.next_id();
                        let props = json!({"session_id": s.id, "comment_id": comment_id, "host": s.host});
                        self.push(messages::track(
                            id,
                            &from,
                            replied,
                            events::LIVE_REPLIED,
                            props,
                            "rekindle-sim-live",
                        ));
                        if delay <= self.config.live.reply_fast_seconds && answered_fast.is_none() {
                            answered_fast = Some(replied);
                        }
                    }
                }
            }
            if rng.random_bool(0.2) {
                let id = self.next_id();
                self.push(messages::track(
                    id,
                    &from,
                    t + Duration::seconds(50),
                    events::LIVE_LIKED,
                    props.clone(),
                    "rekindle-sim-live",
                ));
            }
            t += Duration::minutes(5);
        }
        if rng.random_bool(0.04) {
            let id = self.next_id();
            self.push(messages::track(id, &from, leave, events::LIVE_SHARED, props.clone(), "rekindle-sim-live"));
        }
        let id = self.next_id();
        self.push(messages::track(id, &from, leave, events::LIVE_LEFT, props.clone(), "rekindle-sim-live"));
        // Seeing a topic they need while watching is the moment they buy.
        let needs: Vec<usize> = s
            .topics
            .iter()
            .filter_map(|t| CATEGORIES.iter().position(|c| c.name == *t))
            .filter(|c| self.runs_out_by(*c, leave + Duration::days(2)))
            .collect();
        let live = &self.config.live;
        let mut buys = self.alive && (!needs.is_empty() || rng.random_bool(0.05 * self.traits.engagement));
        let mut wanted = needs;
        if asked && self.alive {
            // An asker means to buy what is on show, besides what they need; a question left
            // waiting past the fast reply time loses the sale with chance 1 − 1 / lift, so an
            // asker answered fast orders `reply_order_lift` times as often.
            if !buys && self.room.random_bool(live.asker_intent.clamp(0.0, 1.0)) {
                buys = true;
                let day = leave.date();
                let shown: Vec<usize> = s
                    .topics
                    .iter()
                    .filter_map(|t| CATEGORIES.iter().position(|c| c.name == *t))
                    .filter(|c| PRODUCTS.iter().any(|p| p.category == CATEGORIES[*c].name && p.on_sale(day)))
                    .collect();
                if !shown.is_empty() {
                    wanted.push(shown[self.room.random_range(0..shown.len())]);
                }
            }
            if buys && answered_fast.is_none() {
                buys = self.room.random_bool((1.0 / live.reply_order_lift).clamp(0.0, 1.0));
            }
        }
        if buys {
            if wanted.is_empty() {
                wanted.push(self.favourite(rng));
            }
            // Orders fall on whole minutes (the win-back programme relies on it), a minute
            // before they leave, and after the answer that decided them.
            let mut at = (leave - Duration::minutes(1)).with_second(0).unwrap_or(leave);
            if let Some(r) = answered_fast
                && r >= at
            {
                at = r.with_second(0).unwrap_or(r) + Duration::minutes(1);
            }
            // An order in a session on a weekday that keeps viewers keeps the buyer too.
            if live.keeping_weekdays.contains(&s.start.weekday()) {
                self.leave_factor = live.keeping_dropout;
            }
            self.order(at, &wanted, Some(&s.id), rng);
            self.leave_factor = 1.0;
        }
    }

    /// How long the host takes to answer a question, on the live room's stream: none for a
    /// question never answered.
    fn reply_delay(&mut self) -> Option<i64> {
        let live = &self.config.live;
        let u: f64 = self.room.random();
        if u < live.reply_fast_share {
            Some(self.room.random_range(live.reply_min_seconds..=live.reply_fast_seconds))
        } else if u < live.reply_fast_share + live.reply_late_share {
            let later = live.reply_fast_seconds + 1;
            Some(self.room.random_range(later..=live.reply_late_seconds.max(later)))
        } else {
            None
        }
    }

    fn runs_out_by(&self, category: usize, t: NaiveDateTime) -> bool {
        self.stock.get(&category).is_some_and(|d| *d <= t)
    }

    fn favourite(&self, rng: &mut ChaCha8Rng) -> usize {
        let total: f64 = self.traits.tastes.iter().sum();
        let mut x = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        for (i, w) in self.traits.tastes.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }

    fn shop(&mut self, day: NaiveDate, rng: &mut ChaCha8Rng) {
        let at = day.and_hms_opt(self.traits.hour, rng.random_range(0..60), 0).unwrap_or_default();
        if at <= self.acquired + Duration::minutes(1) || at >= self.end {
            return;
        }
        let first = self.orders == 0;
        let due: Vec<usize> =
            self.stock.keys().copied().filter(|c| self.runs_out_by(*c, at + Duration::days(1))).collect();
        let wants_first = first && rng.random_bool(0.12);
        let spontaneous = !first && rng.random_bool(self.traits.purchase_rate.min(1.0));
        // Running out is not enough: some days they wait, some days they forget.
        let restock = !due.is_empty() && rng.random_bool(0.45);
        if wants_first || spontaneous || restock {
            let mut wanted = due;
            if wanted.is_empty() {
                wanted.push(self.favourite(rng));
            }
            self.order(at, &wanted, None, rng);
        }
    }

    fn pick(&self, category: usize, day: NaiveDate, rng: &mut ChaCha8Rng) -> Option<&'static Product> {
        let name = CATEGORIES[category].name;
        let options: Vec<&'static Product> = PRODUCTS.iter().filter(|p| p.category == name && p.on_sale(day)).collect();
        if options.is_empty() {
            return None;
        }
        if rng.random_bool(self.traits.price_sensitivity * 0.8) {
            // The cheapest per pack: the price-sensitive buy by unit price.
            return options.iter().copied().min_by_key(|p| p.price / i64::from(p.pack_size.max(1)));
        }
        let preferred = options.iter().copied().find(|p| match self.traits.persona {
            Persona::Stocker => p.tags.contains(&"large_pack"),
            Persona::Explorer => p.tags.contains(&"new") && rng.random_bool(0.5),
            Persona::Healthy => p.tags.contains(&"organic"),
            Persona::Convenience => p.tags.contains(&"prepared"),
        });
        Some(preferred.unwrap_or(options[rng.random_range(0..options.len())]))
    }

    pub(crate) fn finish(mut self) -> (Vec<Value>, Truth) {
        self.settle_ties();
        // Messages of one person in time order; ties keep their order of creation.
        self.events.sort_by_cached_key(|m| m["timestamp"].as_str().unwrap_or_default().to_string());
        // What would follow the window (an after-sales ticket on its last day's order) has
        // not happened yet: the window ends at the present for the demo. Same offset
        // throughout, so the local times compare as text.
        let end = messages::local(self.end);
        self.events.retain(|m| m["timestamp"].as_str().is_some_and(|t| t < end.as_str()));
        let events = std::mem::take(&mut self.events);
        let next_depletion = self
            .stock
            .iter()
            .filter(|_| self.alive)
            .map(|(c, t)| (CATEGORIES[*c].name, t.date().to_string()))
            .collect();
        let truth = Truth {
            id: self.member.clone().unwrap_or_else(|| self.anon.clone()),
            persona: self.traits.persona,
            channel: self.traits.channel,
            acquired_at: messages::local(self.acquired),
            purchase_rate: self.traits.purchase_rate,
            dropout_probability: self.traits.dropout,
            price_sensitivity: self.traits.price_sensitivity,
            dropped_out_at: self.dropped.map(messages::local),
            alive_at_end: self.alive,
            orders: self.orders,
            spend: self.spend,
            next_depletion,
            invited_by: self.invited_by.clone(),
            group_invited_by: self.group_inviter(),
            winback: self.winback.as_ref().map(Programme::truth).unwrap_or_default(),
            source: self.ties.origin().map(|(s, _)| s),
            code: self.ties.origin().and_then(|(_, c)| c),
            staff: self.ties.truth(),
            hour: self.traits.hour,
        };
        (events, truth)
    }
}
