//! One person's life in the store, day by day on their own random stream: acquired, watching
//! live sessions, shopping for what runs out, meeting after-sales trouble, perhaps leaving.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
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
pub(crate) mod winback;

use winback::Programme;

pub(crate) struct PersonSim<'c> {
    config: &'c SimConfig,
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
}

impl<'c> PersonSim<'c> {
    /// `programme` is the win-back programme's own random stream.
    pub(crate) fn new(config: &'c SimConfig, i: u64, rng: &mut ChaCha8Rng, programme: ChaCha8Rng) -> Self {
        let traits = Traits::sample(rng);
        let start = config.start.and_time(NaiveTime::MIN);
        let end = start + Duration::days(i64::from(config.days));
        // A third of the people are already customers when the window opens.
        let day = if rng.random_bool(0.3) { 0 } else { rng.random_range(0..config.days.max(1)) };
        let acquired = start + Duration::days(i64::from(day)) + Duration::minutes(rng.random_range(8 * 60..22 * 60));
        let s = config.seed;
        // The inviter is an earlier person, named by the openid every person has.
        let invited_by =
            (traits.channel == Channel::Referral && i > 0).then(|| format!("o{s}x{:07}", rng.random_range(0..i)));
        Self {
            config,
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

    pub(crate) fn live(&mut self, sessions: &[LiveSession], rng: &mut ChaCha8Rng) {
        self.acquire(rng);
        let first_day = self.acquired.date();
        let mut day = first_day;
        while day.and_time(NaiveTime::MIN) < self.end {
            let session = sessions.iter().find(|s| s.start.date() == day);
            if let Some(s) = session
                && s.start > self.acquired + Duration::minutes(1)
            {
                let chance = if self.alive { 0.45 * self.traits.engagement * s.pull } else { 0.02 };
                if rng.random_bool(chance.clamp(0.0, 1.0)) {
                    self.watch(s, rng);
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
                    let id = self.next_id();
                    let m = messages::track(
                        id,
                        &self.wecom(),
                        at,
                        events::CONTACT_REMOVED,
                        json!({"channel": "wecom"}),
                        "rekindle-sim-wecom",
                    );
                    self.push(m);
                }
            }
            self.winback_day(day);
            day += Duration::days(1);
        }
    }

    fn acquire(&mut self, rng: &mut ChaCha8Rng) {
        let at = self.acquired;
        match self.traits.channel {
            Channel::Wecom | Channel::Referral => {
                let source = if self.traits.channel == Channel::Referral { "referral" } else { "offline" };
                if self.external.is_none() {
                    self.external = Some(format!("wm{}x{:07}", self.config.seed, self.i));
                }
                let id = self.next_id();
                let props = json!({"channel": "wecom", "staff_id": format!("staff-{}", self.i % 7), "source": source});
                let m = messages::track(id, &self.wecom(), at, events::CONTACT_ADDED, props, "rekindle-sim-wecom");
                self.push(m);
            }
            Channel::Group => {
                let id = self.next_id();
                let g = self.i % 12;
                let props = json!({"group_id": format!("grp-{g}"), "group_name": format!("鲜果社 {g} 群")});
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
        let leave = (enter + Duration::minutes(minutes)).min(s.end);
        let from = self.device();
        let props = json!({"session_id": s.id});
        let id = self.next_id();
        self.push(messages::track(id, &from, enter, events::LIVE_ENTERED, props.clone(), "rekindle-sim-live"));
        let mut t = enter + Duration::minutes(5);
        while t <= leave {
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
                let props = json!({"session_id": s.id, "text": text, "is_question": question});
                self.push(messages::track(
                    id,
                    &from,
                    t + Duration::seconds(30),
                    events::LIVE_COMMENTED,
                    props,
                    "rekindle-sim-live",
                ));
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
        if self.alive && (!needs.is_empty() || rng.random_bool(0.05 * self.traits.engagement)) {
            let mut wanted = needs;
            if wanted.is_empty() {
                wanted.push(self.favourite(rng));
            }
            self.order(leave - Duration::minutes(1), &wanted, Some(&s.id), rng);
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
            winback: self.winback.as_ref().map(Programme::truth).unwrap_or_default(),
        };
        (events, truth)
    }
}
