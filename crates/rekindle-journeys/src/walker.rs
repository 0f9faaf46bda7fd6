//! Walking one enrollment: the pure walk from `rekindle_core::journey`, its effects carried out
//! (coupons issued, tags set, messages rendered and addressed), and the result written in one
//! store transaction with the new position.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Utc};
use rekindle_core::contacts::SenderRule;
use rekindle_core::journey::{Effect, Limits, Walked, coupon_key, walk};
use rekindle_core::outreach::{CapsConfig, ChannelKind, Skip, Vars, local_day};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{
    Advance, CouponIssue, Enrollment, EnrollmentState, NewMessage, OutboxState, PersonRef, PersonTag, Queued,
    StepRecord, Store, StoreError,
};

use super::catalog::Catalog;
use super::occasion::Occasion;
use super::person::{PersonFacts, Reach};
use rekindle_engine::Audience;

/// An enrollment to walk, what it was entered for, and (resuming an action path) the path its
/// event took.
pub struct Walking {
    pub enrollment: Enrollment,
    pub occasion: Occasion,
    pub arrived: Option<usize>,
}

impl Walking {
    pub fn new(enrollment: Enrollment, occasion: Occasion) -> Self {
        Self { enrollment, occasion, arrived: None }
    }
}

/// What a walk did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    pub queued: usize,
    pub skipped: usize,
    /// Another walk moved the enrollment first; this one wrote nothing.
    pub stale: bool,
}

pub struct Walker<'a> {
    pub store: &'a dyn Store,
    pub ws: WorkspaceId,
    pub catalog: &'a Catalog,
    pub audience: Option<&'a Audience>,
    pub caps: &'a CapsConfig,
    pub now: DateTime<Utc>,
    /// People's records read during this walker's life (one event, one pass): a person
    /// entering thirty journeys at once is read once.
    pub reached: Mutex<HashMap<PersonId, Arc<Reach>>>,
}

impl Walk {
    pub(crate) fn of(result: Option<Vec<Queued>>) -> Self {
        let Some(queued) = result else { return Walk { stale: true, ..Walk::default() } };
        let q = queued.iter().filter(|q| matches!(q, Queued::Queued(_))).count();
        Walk { queued: q, skipped: queued.len() - q, stale: false }
    }
}

impl<'a> Walker<'a> {
    pub fn new(
        store: &'a dyn Store,
        ws: WorkspaceId,
        catalog: &'a Catalog,
        audience: Option<&'a Audience>,
        caps: &'a CapsConfig,
        now: DateTime<Utc>,
    ) -> Self {
        Self { store, ws, catalog, audience, caps, now, reached: Mutex::default() }
    }

    /// Walk enrollments and write where each ended up, all in one transaction; walks are
    /// planned in order, so a person's second journey sees what the first one issued.
    pub async fn walk_all(&self, walks: &[Walking]) -> rekindle_store::Result<Walk> {
        let mut advances = Vec::with_capacity(walks.len());
        for w in walks {
            advances.push(self.plan(&w.enrollment, &w.occasion, w.arrived).await?);
        }
        let mut total = Walk::default();
        for r in self.store.advance_many(self.ws, &advances, self.caps).await? {
            let w = Walk::of(r);
            total.queued += w.queued;
            total.skipped += w.skipped;
            total.stale |= w.stale;
        }
        Ok(total)
    }

    async fn reach(&self, person: PersonId) -> rekindle_store::Result<Arc<Reach>> {
        if let Some(r) = self.reached.lock().unwrap_or_else(|p| p.into_inner()).get(&person) {
            return Ok(r.clone());
        }
        let r = Arc::new(Reach::load(self.store, self.ws, person).await?);
        self.reached.lock().unwrap_or_else(|p| p.into_inner()).insert(person, r.clone());
        Ok(r)
    }

    /// Where the walk of one enrollment ends, with the messages it queues; coupons and tags
    /// are already done (each idempotent by its own key).
    pub async fn plan(
        &self,
        e: &Enrollment,
        occasion: &Occasion,
        arrived: Option<usize>,
    ) -> rekindle_store::Result<Advance> {
        let planned = self.plan_unless(e, occasion, arrived, false).await?;
        Ok(planned.expect("every walk is planned when none is refused"))
    }

    /// [`Walker::plan`] for an entry not yet written (`rekindle_store::WalkedEntry`): `None`,
    /// having done nothing, when the walk would write beyond its enrollment and messages (a
    /// coupon, a tag, points) — those wait until the entry is known to be admitted.
    pub async fn plan_contained(&self, e: &Enrollment, occasion: &Occasion) -> rekindle_store::Result<Option<Advance>> {
        self.plan_unless(e, occasion, None, true).await
    }

    async fn plan_unless(
        &self,
        e: &Enrollment,
        occasion: &Occasion,
        arrived: Option<usize>,
        contained: bool,
    ) -> rekindle_store::Result<Option<Advance>> {
        let Some(definition) = self.catalog.version(self.store, self.ws, e.journey, e.version).await? else {
            return Err(StoreError::NotFound(format!("journey {} version {}", e.journey, e.version)));
        };
        let from = e.step.as_deref().unwrap_or_default();
        // Resuming after a wait: a message of this enrollment that could not go out stops it,
        // unless the journey says to carry on. (An entry never walked, `seq` 0, has queued
        // nothing: not asked, which spared a read of the person's messages per entry.)
        if e.step.is_some() && e.seq > 0 && !definition.undelivered.walks_on(self.undelivered(e).await?) {
            let log = vec![record(from, "exited", Some("undelivered"))];
            return Ok(Some(Advance {
                enrollment: e.id,
                seq: e.seq,
                state: EnrollmentState::Exited,
                step: None,
                wake_at: None,
                variant: None,
                messages: Vec::new(),
                log,
                at: self.now,
            }));
        }
        let asked = self.catalog.asked(&definition, None);
        let history = match asked.is_empty() {
            true => None,
            false => Some(super::person::history(self.store, self.ws, e.person, &asked, Some(e.entered_at)).await?),
        };
        let facts = PersonFacts {
            history: history.as_ref(),
            occasion: Some(occasion),
            ..PersonFacts::new(self.audience, e.person, self.catalog, self.now)
        };
        let facts = super::winners::WithWinners { inner: &facts, decided: &self.catalog.winners, journey: e.journey };
        let (effects, walked) = walk(&definition, from, arrived, e.id as u64, &facts, self.now, self.catalog.tz);
        if contained && effects.iter().any(Effect::writes_elsewhere) {
            return Ok(None);
        }

        let mut log = Vec::new();
        let mut messages = Vec::new();
        let mut variant = None;
        let mut vars = self.vars(e.person, occasion);
        let mut reach: Option<Arc<Reach>> = None;
        for effect in &effects {
            match *effect {
                Effect::Assigned { step, variant: v } => {
                    variant = Some(v.to_owned());
                    log.push(record(step, "assigned", Some(v)));
                }
                Effect::Took { step, path } => log.push(record(step, "path", Some(path))),
                Effect::Coupon { step, coupon, to_inviter } => {
                    // The person's own coupon is named in their messages; an inviter's is not.
                    let (holder, key, issued) = if to_inviter {
                        (
                            self.inviter(e.person, occasion).await?,
                            coupon_key(e.id, e.seq, step, true),
                            "inviter_coupon_issued",
                        )
                    } else {
                        (Some(e.person), coupon_key(e.id, e.seq, step, false), "coupon_issued")
                    };
                    let outcome = match holder {
                        None => ("no_inviter", None),
                        Some(holder) => match self
                            .store
                            .issue_journey_coupon(
                                self.ws,
                                coupon,
                                holder,
                                &key,
                                self.now,
                                e.journey,
                                definition.limits.coupon_budget,
                            )
                            .await
                        {
                            Ok(CouponIssue::Issued(c) | CouponIssue::Again(c)) => {
                                if !to_inviter {
                                    let def = self.catalog.coupons.get(coupon);
                                    let title = def
                                        .map(|d| format!("{}（{}）", d.title, d.describe()))
                                        .unwrap_or(c.code.clone());
                                    vars.insert("coupon", title);
                                    let expires = c.expires_at.with_timezone(&self.catalog.tz);
                                    vars.insert("coupon_expires", format!("{}月{}日", expires.month(), expires.day()));
                                }
                                (issued, Some(c.code))
                            }
                            Ok(CouponIssue::LimitReached) => ("coupon_limit", None),
                            // The journey's budget is spent: logged, and no coupon.
                            Ok(CouponIssue::BudgetSpent) => ("coupon_budget", None),
                            Err(StoreError::NotFound(_)) => ("coupon_missing", None),
                            Err(e) => return Err(e),
                        },
                    };
                    log.push(record(step, outcome.0, outcome.1.as_deref()));
                }
                Effect::Tag { step, tag, remove } => {
                    let result = if remove {
                        self.store.untag_person(self.ws, e.person, tag).await
                    } else {
                        let t = PersonTag { person: e.person, tag: tag.to_owned(), at: self.now };
                        self.store.tag_person(self.ws, &t).await
                    };
                    let outcome = match result {
                        Ok(()) => "tagged",
                        Err(StoreError::NotFound(_)) => "tag_missing",
                        Err(e) => return Err(e),
                    };
                    log.push(record(step, outcome, Some(tag)));
                }
                Effect::Send { step, channel, template, sender, fallback, .. } => {
                    if reach.is_none() {
                        reach = Some(self.reach(e.person).await?);
                    }
                    let reach = reach.as_ref().expect("loaded above");
                    if let Some(nick) = reach.nickname() {
                        vars.entry("nickname").or_insert(nick);
                    }
                    let sender = sender.unwrap_or(&SenderRule::Owner);
                    let v = variant.as_deref().or(e.variant.as_deref());
                    let profile = self.audience.and_then(|a| a.member(e.person)).map(|m| &*m.profile);
                    // The step's channel, then its fallbacks, each with its own template; the
                    // store queues the first the person is reachable on with room under the caps.
                    let choices =
                        std::iter::once((channel, template)).chain(fallback.iter().map(|f| (f.channel, &*f.template)));
                    let mut tried: Vec<NewMessage> = choices
                        .map(|(channel, template)| {
                            let mut m = self.message(e, step, channel, template, reach, sender, &vars, v);
                            super::send_time::hold(
                                &mut m,
                                &definition,
                                step,
                                profile,
                                self.caps,
                                self.now,
                                self.catalog.tz,
                            );
                            ranked(m, &definition.limits)
                        })
                        .collect();
                    let mut m = tried.remove(0);
                    m.fallback = tried;
                    log.push(record(step, "send", Some(template)));
                    messages.push(m);
                }
                Effect::AwardPoints { step, points, reason, to_inviter } => {
                    let holder = if to_inviter { self.inviter(e.person, occasion).await? } else { Some(e.person) };
                    let outcome = match holder {
                        None => "no_inviter",
                        Some(holder) => {
                            let key = coupon_key(e.id, e.seq, step, to_inviter);
                            let program = match self.audience {
                                Some(a) => a.context.program.clone(),
                                None => Arc::new(self.store.loyalty_program(self.ws).await?),
                            };
                            let entry = program.journey_award(&key, points, reason, self.now, self.catalog.tz);
                            self.store.post_points(self.ws, holder, &[entry]).await?;
                            if to_inviter { "inviter_points_awarded" } else { "points_awarded" }
                        }
                    };
                    log.push(record(step, outcome, Some(&points.to_string())));
                }
                Effect::Webhook { step, topic } => {
                    let mut m = self.base(e, step, ChannelKind::Webhook, variant.as_deref().or(e.variant.as_deref()));
                    m.recipient = e.person.to_string();
                    m.body =
                        serde_json::json!({"text": topic, "params": vars.iter().collect::<Vec<_>>(), "topic": topic});
                    log.push(record(step, "webhook", Some(topic)));
                    messages.push(m);
                }
            }
        }
        let (state, step, wake_at) = match walked {
            Walked::Waiting { resume, until } => (EnrollmentState::Active, resume, Some(until)),
            Walked::Finished => (EnrollmentState::Finished, None, None),
            Walked::HeldOut => (EnrollmentState::HeldOut, None, None),
            Walked::Exited { step } => {
                log.push(record(&step, "exited", None));
                (EnrollmentState::Exited, None, None)
            }
        };
        if state == EnrollmentState::Finished {
            log.push(record(from, "finished", None));
        }
        Ok(Some(Advance { enrollment: e.id, seq: e.seq, state, step, wake_at, variant, messages, log, at: self.now }))
    }

    /// Whether a message this enrollment queued failed or was skipped. Its send keys start
    /// with the enrollment's id (see [`Walker::base`]).
    async fn undelivered(&self, e: &Enrollment) -> rekindle_store::Result<bool> {
        let prefix = format!("{}:", e.id);
        let messages = self.store.messages(self.ws, Some(e.person), 200).await?;
        Ok(messages.iter().any(|m| {
            m.journey == Some(e.journey)
                && m.send_key.starts_with(&prefix)
                && matches!(m.state, OutboxState::Failed | OutboxState::Skipped)
        }))
    }

    /// Who invited the person (docs/referral.md): the inviter the triggering `Referral
    /// Qualified` named, else the one the audience resolved, else their invitation looked up
    /// now. Followed through merges; never the person themselves.
    async fn inviter(&self, person: PersonId, occasion: &Occasion) -> rekindle_store::Result<Option<PersonId>> {
        let known = occasion.inviter.or_else(|| self.audience.and_then(|a| a.context.referrals.inviter_of(person)));
        let found = match known {
            Some(id) => self.store.person(self.ws, &PersonRef::Id(id)).await?,
            None => {
                let invitation =
                    self.audience.and_then(|a| a.member(person)).and_then(|m| m.profile.invitation().cloned());
                match invitation {
                    Some(i) => rekindle_engine::referral::resolve(self.store, self.ws, &i.by).await?.map(|f| f.person),
                    None => None,
                }
            }
        };
        Ok(found.map(|p| p.id).filter(|id| *id != person))
    }

    fn vars(&self, person: PersonId, occasion: &Occasion) -> Vars {
        let mut vars = Vars::new();
        if let Some((a, m)) = self.audience.and_then(|a| Some((a, a.member(person)?))) {
            a.loyalty_vars(m, &mut vars);
            a.profile_vars(m, &mut vars);
        }
        let profile = self.audience.and_then(|a| a.member(person)).map(|m| m.profile.clone());
        let last = occasion.product.clone().or_else(|| {
            let p = profile.as_ref()?;
            p.last_item(occasion.category.as_deref()).and_then(|i| i.name()).map(str::to_owned)
        });
        if let Some(l) = last {
            vars.insert("last_product", l);
        }
        if let Some(d) = occasion.days_left {
            vars.insert("days_left", d.to_string());
        }
        if let Some(t) = &occasion.session_title {
            vars.insert("session_title", t.clone());
        }
        if let Some(t) = &occasion.session_time {
            vars.insert("session_time", t.clone());
        }
        if let Some(d) = &occasion.ship_on {
            vars.insert("ship_on", d.clone());
        }
        if let Some(q) = occasion.quantity {
            vars.insert("quantity", q.to_string());
        }
        if let Some(d) = &occasion.deadline {
            vars.insert("deadline", d.clone());
        }
        if let Some(l) = &occasion.answer_link {
            vars.insert("link", l.clone());
        }
        vars
    }

    fn base(&self, e: &Enrollment, step: &str, channel: ChannelKind, variant: Option<&str>) -> NewMessage {
        let day = local_day(self.now, self.catalog.tz);
        NewMessage {
            send_key: format!("{}:{}:{step}", e.id, e.seq),
            person: e.person,
            journey: Some(e.journey),
            enrollment: Some(e.id),
            step: Some(step.to_owned()),
            variant: variant.map(str::to_owned),
            channel,
            recipient: String::new(),
            sender: None,
            template: None,
            body: serde_json::Value::Null,
            transactional: false,
            not_before: self.now,
            day,
            skip: None,
            priority: rekindle_store::DEFAULT_PRIORITY,
            tag: None,
            when_capped: Default::default(),
            fallback: Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        e: &Enrollment,
        step: &str,
        channel: ChannelKind,
        template: &str,
        reach: &Reach,
        sender: &SenderRule,
        vars: &Vars,
        variant: Option<&str>,
    ) -> NewMessage {
        let mut m = self.base(e, step, channel, variant);
        let Some(t) = self.catalog.templates.get(template) else {
            m.skip = Some(Skip::Personalization);
            m.body = serde_json::json!({"error": format!("there is no message template {template:?}")});
            return m;
        };
        m.transactional = t.transactional;
        m.template = t.provider_template.clone();
        match reach.address(channel, t.transactional, sender) {
            Ok((recipient, sender)) => {
                m.recipient = recipient;
                m.sender = sender;
            }
            Err(skip) => m.skip = Some(skip),
        }
        // The person's tier budget (docs/journeys.md, "Caps"), counted on what was delivered.
        if let Some(member) = self.audience.and_then(|a| a.member(e.person)) {
            let since = self.now - chrono::Duration::days(30);
            let touched = member.profile.touches.iter().filter(|t| **t > since && **t <= self.now).count();
            if let Err(skip) = self.caps.tier_budget(member.tier, touched, t.transactional) {
                m.skip = m.skip.or(Some(skip));
            }
        }
        match t.render(vars) {
            Ok(r) => {
                m.body = serde_json::json!({"text": r.text, "params": r.params, "link": r.link});
                if !t.attachments.is_empty() {
                    m.body["attachments"] = serde_json::json!(t.attachments);
                }
            }
            Err(err) => {
                m.skip = m.skip.or(Some(Skip::Personalization));
                m.body = serde_json::json!({"error": format!("{}: {}", err.field, err.reason)});
            }
        }
        // Quiet hours hold the message until they end; caps count it on the day it goes out.
        if let Some(release) = self.caps.quiet_hours.get(&channel).and_then(|q| q.release(self.now, self.catalog.tz))
            && !t.transactional
        {
            m.not_before = release;
            m.day = local_day(release, self.catalog.tz);
        }
        m
    }
}

/// A journey's message carries the journey's priority, tag and what to do when capped.
fn ranked(m: NewMessage, limits: &Limits) -> NewMessage {
    NewMessage { priority: limits.priority, tag: limits.message_tag.clone(), when_capped: limits.when_capped, ..m }
}

fn record(step: &str, outcome: &str, detail: Option<&str>) -> StepRecord {
    StepRecord { step: step.to_owned(), outcome: outcome.to_owned(), detail: detail.map(str::to_owned) }
}
