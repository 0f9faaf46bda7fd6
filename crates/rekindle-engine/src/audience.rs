//! Everyone in a workspace at one moment, with what rules read: profile, stage, value tier,
//! RFM scores and tags.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rekindle_core::calendar::Calendar;
use rekindle_core::lifecycle::{LifecycleConfig, Stage, Tier, TierShares};
use rekindle_core::profile::Profile;
use rekindle_core::rfm::Rfm;
use rekindle_core::scores::{ModelConfig, Scores};
use rekindle_core::{PersonId, SegmentId, WorkspaceId};
use rekindle_rules::{PointsFacts, ProductTags, Rule, Sessions, Subject, parse};
use rekindle_store::{EventQuery, SegmentKind, Store};

use crate::scoring::{self, ModelFit};

mod incremental;
#[cfg(test)]
mod tests;

pub(crate) use incremental::{Memo, Rejudged};

/// How people are judged: lifecycle thresholds and value-tier shares (`[segments]` in the
/// configuration).
#[derive(Debug, Clone, Default)]
pub struct Judging {
    pub lifecycle: LifecycleConfig,
    pub tiers: TierShares,
    pub models: ModelConfig,
}

#[derive(Clone)]
pub struct Member {
    pub person: PersonId,
    pub profile: Arc<Profile>,
    pub stage: Stage,
    pub tier: Tier,
    pub rfm: Rfm,
    /// Manual and rule tags, sorted. Shared, like `segments`: most members keep theirs from
    /// one refresh to the next, and a million copies would cost a refresh more than judging.
    pub tags: Arc<[String]>,
    /// The saved segments the person is in, as indexes into [`Context::segments`]: judged
    /// once per refresh, for the membership tracker and the live monitor alike.
    pub segments: Arc<[u16]>,
    /// Predictions, for people who ordered, once the models are fitted: as of the last refit
    /// or the last change of the person's profile, whichever came later (docs/segments.md).
    /// Shared with the audience they were made in, for the reason `tags` are.
    pub scores: Option<Arc<Scores>>,
}

/// What an audience is judged by besides the profiles.
#[derive(Default)]
pub struct Context {
    pub judging: Judging,
    pub products: ProductTags,
    /// The store's live sessions, for rules on the latest ones.
    pub sessions: Sessions,
    /// Standard packs per SKU, for when a purchase runs out.
    pub packs: HashMap<String, u32>,
    /// The models people are scored with; none until fitted.
    pub fit: Option<Arc<ModelFit>>,
    /// Manual tags by person.
    pub manual_tags: HashMap<PersonId, Vec<String>>,
    /// Tags decided by a rule. Their rules cannot use `tag` (checked when saved), so they
    /// depend on nothing but the person.
    pub rule_tags: Vec<(String, Rule)>,
    /// The saved segments (personas included) whose rules parse.
    pub segments: Vec<Saved>,
    /// Points and levels by person (people with a ledger only): set by the engine's refresh.
    pub points: Arc<HashMap<PersonId, PointsFacts>>,
    /// The store's loyalty program, which levels are judged by.
    pub program: Arc<rekindle_core::loyalty::Program>,
    /// The store's calendar: its time zone's days, weeks and months.
    pub calendar: Calendar,
    /// Who invited whom (docs/referral.md): set by the engine's refresh.
    pub referrals: Arc<rekindle_core::referral::Board>,
    /// What the tags' and segments' `bought` terms name: set when the audience is built.
    pub bought: rekindle_rules::Bought,
}

/// A saved segment with its rule read.
pub struct Saved {
    pub id: SegmentId,
    pub name: String,
    pub kind: SegmentKind,
    pub rule: Rule,
}

impl Saved {
    /// The workspace's saved segments, each rule parsed once; one that does not parse is
    /// skipped (and said so).
    pub async fn load(store: &dyn Store, ws: WorkspaceId) -> rekindle_store::Result<Vec<Self>> {
        Ok(store
            .segments(ws)
            .await?
            .into_iter()
            .filter_map(|s| match parse(&s.rule) {
                Ok(rule) => Some(Self { id: s.id, name: s.name, kind: s.kind, rule }),
                Err(e) => {
                    tracing::warn!(segment = s.id.0, error = %e, "a stored segment rule does not parse; skipped");
                    None
                }
            })
            .collect())
    }
}

impl Context {
    /// The workspace's catalogue tags and tags, as stored now.
    pub async fn load(store: &dyn Store, ws: WorkspaceId, judging: Judging) -> rekindle_store::Result<Self> {
        let catalogue = store.products(ws).await?;
        let packs = catalogue.iter().map(|p| (p.sku.clone(), p.pack_size)).collect();
        let products = ProductTags::new(catalogue.into_iter().map(|p| (p.sku, p.tags)));
        let sessions = store.live_sessions(ws).await?;
        let sessions = Sessions::new(sessions.into_iter().map(|s| (crate::live::history::origin(&s), s.id)));
        let mut manual_tags: HashMap<PersonId, Vec<String>> = HashMap::new();
        for t in store.person_tags(ws, None).await? {
            manual_tags.entry(t.person).or_default().push(t.tag);
        }
        let rule_tags = store
            .tags(ws)
            .await?
            .into_iter()
            .filter_map(|t| match parse(t.rule.as_deref()?) {
                Ok(rule) => Some((t.name, rule)),
                Err(e) => {
                    tracing::warn!(tag = %t.name, error = %e, "a stored tag rule does not parse; skipped");
                    None
                }
            })
            .collect();
        let calendar = store.calendar(ws).await?;
        let segments = Saved::load(store, ws).await?;
        Ok(Self {
            judging,
            products,
            sessions,
            packs,
            fit: None,
            manual_tags,
            rule_tags,
            segments,
            points: Arc::default(),
            program: Arc::default(),
            calendar,
            referrals: Arc::default(),
            bought: Default::default(),
        })
    }
}

pub struct Audience {
    pub now: DateTime<Utc>,
    /// By person id.
    pub members: Vec<Member>,
    pub context: Context,
    /// Erased people's kept orders: in the store's figures (reports), in nobody's profile.
    pub unattributed: Arc<Profile>,
    /// What the next audience needs to judge again only who changed or is due.
    pub(crate) memo: Memo,
}

impl Audience {
    /// Whether `seen` points at this audience. What is worked out from an audience and kept
    /// until a refresh replaces it holds a `Weak` to it: a replaced audience is then not kept
    /// alive, and its address is not reused while `seen` points at it.
    pub(crate) fn is(self: &Arc<Self>, seen: &std::sync::Weak<Audience>) -> bool {
        std::ptr::eq(seen.as_ptr(), Arc::as_ptr(self))
    }

    /// Judge `people` as of `now`.
    pub fn build(
        people: impl IntoIterator<Item = (PersonId, Arc<Profile>)>,
        now: DateTime<Utc>,
        context: Context,
    ) -> Self {
        Self::next(None, people, now, context)
    }

    /// Every person with events in `ws` as the store stood at `now` (later events left out),
    /// by reading every event, judged and scored: for evaluating a rule as of a past day.
    pub async fn load(
        store: &dyn Store,
        ws: WorkspaceId,
        now: DateTime<Utc>,
        judging: &Judging,
    ) -> rekindle_store::Result<Self> {
        Self::load_reporting(store, ws, now, judging, true, |_| {}).await
    }

    /// [`Audience::load`], with the models fitted only when `scored` (reports need no
    /// predictions, and a fit takes seconds), telling `read` how many events it has read after
    /// every page.
    pub async fn load_reporting(
        store: &dyn Store,
        ws: WorkspaceId,
        now: DateTime<Utc>,
        judging: &Judging,
        scored: bool,
        mut read: impl FnMut(usize),
    ) -> rekindle_store::Result<Self> {
        let mut context = Context::load(store, ws, judging.clone()).await?;
        let mut profiles: HashMap<PersonId, Profile> = HashMap::new();
        let mut events = 0;
        let mut query = EventQuery { to: Some(now + Duration::milliseconds(1)), limit: 5000, ..Default::default() };
        loop {
            let page = store.events(ws, &query).await?;
            for e in page.iter().filter(|e| e.person != PersonId::ERASED) {
                crate::folded::fold_into(profiles.entry(e.person).or_default(), e, &context.calendar);
            }
            events += page.len();
            read(events);
            if page.len() < query.limit as usize {
                break;
            }
            query.before = page.last().map(|e| e.cursor());
        }
        if scored {
            context.fit = match scoring::fit(profiles.values(), now, &context.calendar) {
                Ok(fit) => Some(Arc::new(fit)),
                Err(e) => {
                    tracing::info!(error = %e, "no predictions");
                    None
                }
            };
        }
        Ok(Self::build(profiles.into_iter().map(|(id, p)| (id, Arc::new(p))), now, context))
    }

    pub fn member(&self, person: PersonId) -> Option<&Member> {
        self.members.binary_search_by_key(&person, |m| m.person).ok().map(|i| &self.members[i])
    }

    /// Where a member stands in the loyalty program: their level and the way to the next.
    pub fn standing(&self, m: &Member) -> rekindle_core::loyalty::Standing {
        let program = &self.context.program;
        let growth = self.context.points.get(&m.person).map_or(0, |x| x.growth);
        program.standing(program.held(m.profile.level()), growth, self.now)
    }

    /// The level, points and the way to the next level as a message mentions them.
    pub fn loyalty_vars(&self, m: &Member, vars: &mut rekindle_core::outreach::Vars) {
        let s = self.standing(m);
        vars.insert("level", s.name);
        let points = self.context.points.get(&m.person);
        vars.insert("points", points.map_or(0, |x| x.balance).to_string());
        let within = chrono::Duration::days(30);
        let expiring = points.map_or(0, |x| rekindle_core::loyalty::expiring_within(&x.expiring, self.now, within));
        vars.insert("points_expiring", expiring.to_string());
        if let (Some(next), Some(points), Some(yuan)) = (s.next, s.points_to_next, s.yuan_to_next) {
            vars.insert("next_level", next);
            vars.insert("points_to_next", points.to_string());
            vars.insert("yuan_to_next", yuan.to_string());
        }
    }

    /// The member's profile figures a template may name (`rekindle_core::outreach::
    /// PROFILE_VARIABLES`), as a message shows them: money in yuan, days whole, stage and
    /// tier in the console's words. A figure the person lacks (no prediction yet, never
    /// ordered) is left out, so the placeholder's default shows.
    pub fn profile_vars(&self, m: &Member, vars: &mut rekindle_core::outreach::Vars) {
        use rekindle_rules::ast::{Metric, Unit};
        let subject = subject(m, &self.context);
        for name in rekindle_core::outreach::PROFILE_VARIABLES {
            let Some(metric) = Metric::plain(name) else { continue };
            let v = metric.value(&subject, self.now);
            if !v.is_finite() {
                continue;
            }
            let text = match metric.unit() {
                Unit::Money => rekindle_core::money::yuan_text(v.round() as i64),
                Unit::Days => (v.floor() as i64).to_string(),
                Unit::Duration => (v / 60.0).round().to_string(),
                Unit::Count if v.fract() == 0.0 => (v as i64).to_string(),
                Unit::Count => format!("{v:.2}"),
            };
            vars.insert(name, text);
        }
        let zh = rekindle_rules::Lang::ZhCn;
        vars.insert("stage", rekindle_rules::stage_word(m.stage, zh).to_owned());
        vars.insert("tier", rekindle_rules::tier_word(m.tier, zh).to_owned());
        if let Some(c) = m.scores.as_ref().and_then(|s| s.next_category.clone()) {
            vars.insert("next_category", c);
        }
        let owner = rekindle_core::contacts::SenderRule::Owner;
        if let Some(staff) = owner.choose(&m.profile.contacts).filter(|s| !s.is_empty()) {
            vars.insert("staff", staff.to_owned());
        }
    }

    /// Every scored member's predictions, as the store keeps them.
    pub fn stored_scores(&self) -> Vec<rekindle_store::StoredScores> {
        self.members
            .iter()
            .filter_map(|m| {
                Some(rekindle_store::StoredScores {
                    person: m.person,
                    as_of: self.now,
                    scores: serde_json::to_value(m.scores.as_deref()?).ok()?,
                })
            })
            .collect()
    }

    /// Who is in the saved segment at index `i` of [`Context::segments`].
    pub fn in_segment(&self, i: usize) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(move |m| m.segments.contains(&(i as u16)))
    }

    /// How many members are in each stage, in [`Stage::ALL`] order.
    pub fn stage_counts(&self) -> Vec<(Stage, usize)> {
        Stage::ALL.into_iter().map(|s| (s, self.members.iter().filter(|m| m.stage == s).count())).collect()
    }

    /// How many members are in each tier, best first.
    pub fn tier_counts(&self) -> Vec<(Tier, usize)> {
        [Tier::High, Tier::Potential, Tier::Edge]
            .into_iter()
            .map(|t| (t, self.members.iter().filter(|m| m.tier == t).count()))
            .collect()
    }

    /// Whether one member matches `rule` now.
    pub fn matches(&self, member: &Member, rule: &Rule) -> bool {
        rule.matches(&subject(member, &self.context), self.now)
    }

    /// Whether one member matches `rule` at `now`, with their event history (for `did`).
    pub fn matches_with(
        &self,
        member: &Member,
        rule: &Rule,
        history: Option<&rekindle_rules::History>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        let subject = Subject { history, ..subject(member, &self.context) };
        rule.matches(&subject, now)
    }

    /// The members `rule` selects.
    pub fn select<'a>(&'a self, rule: &'a Rule) -> impl Iterator<Item = &'a Member> + 'a {
        self.members.iter().filter(move |m| rule.matches(&subject(m, &self.context), self.now))
    }
}

/// The member's level (an index into the program's levels: what they hold, or what their
/// growth reaches) and the growth the next level still takes.
fn level(m: &Member, context: &Context) -> (usize, Option<i64>) {
    let growth = context.points.get(&m.person).map_or(0, |x| x.growth);
    let program = &context.program;
    let level = program.current_level(program.held(m.profile.level()), growth);
    (level, program.to_next(level, growth))
}

pub(crate) fn subject<'a>(m: &'a Member, context: &'a Context) -> Subject<'a> {
    let (level, to_next_level) = level(m, context);
    Subject {
        profile: &m.profile,
        stage: m.stage,
        tier: m.tier,
        rfm: m.rfm,
        tags: &m.tags,
        products: &context.products,
        sessions: &context.sessions,
        points: context.points.get(&m.person),
        level: level as u32 + 1,
        to_next_level,
        scores: m.scores.as_deref(),
        invited: context.referrals.invited(m.person),
        invited_by: context.referrals.inviter_of(m.person).is_some(),
        history: None,
        bought: Some(&context.bought),
    }
}
