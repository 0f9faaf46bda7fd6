//! Building an audience from the previous one: only people whose profile, stored facts (manual
//! tags, points, referrals) or cross-person standing (tier, RFM) changed, or whose answers were
//! due to change with time, are judged again; everyone else keeps their stage, tags, scores and
//! segments. Everyone is judged again when what rules read changed (docs/segments.md, "Keeping
//! refreshes cheap"). The result equals a build from scratch (tests.rs checks it), predictions
//! aside: those are as of the last refit or the person's last change.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use rekindle_core::PersonId;
use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::profile::Profile;
use rekindle_core::rfm::{self, Axis, Buyer, Quintiles, Rfm};
use rekindle_rules::ast::{Metric, Rule};
use rekindle_rules::next_change::{earliest, window};

use super::{Audience, Context, Member, subject};
use crate::scoring::{CoPurchase, Scoring};

/// What one audience keeps for the next: per member (in member order), the figures tiers and
/// RFM are ranked on and when their answers next change with time.
#[derive(Default)]
pub struct Memo {
    facts: Vec<Facts>,
    /// Tells audiences apart, so a diff knows whose `rejudged` it is reading.
    pub(crate) generation: u64,
    /// Who was judged again relative to the audience this one was built from.
    pub(crate) rejudged: Option<Rejudged>,
    /// What people buy together, as of the last refit: predictions are made with it.
    co_purchase: Option<Arc<CoPurchase>>,
}

/// The members judged again (indexes into the new audience's members, ascending, each with
/// their index in the audience of generation `from`, if they were in it) and the people gone
/// since.
pub(crate) struct Rejudged {
    pub from: u64,
    pub members: Vec<(u32, Option<u32>)>,
    pub gone: Vec<PersonId>,
}

#[derive(Clone, Copy)]
struct Facts {
    spend365: i64,
    last_order: Option<DateTime<Utc>>,
    orders: usize,
    spend: i64,
    /// The earliest moment the member's stage, tags or segments could change with no new
    /// event: they are judged again at the first refresh at or after it.
    due: Option<DateTime<Utc>>,
}

impl Facts {
    fn of(p: &Profile, now: DateTime<Utc>) -> Self {
        Self {
            spend365: p.spend_within(now, 365),
            last_order: p.last_order(),
            orders: p.order_count(),
            spend: p.spend_fen(),
            due: None,
        }
    }
}

static GENERATION: AtomicU64 = AtomicU64::new(1);

impl Audience {
    /// Judge `people` as of `now`, reusing `prev`'s judgement of whoever is unchanged and not
    /// due (see the module's docs); from scratch without `prev`.
    pub fn next(
        prev: Option<&Audience>,
        people: impl IntoIterator<Item = (PersonId, Arc<Profile>)>,
        now: DateTime<Utc>,
        context: Context,
    ) -> Self {
        Self::next_on(prev, people, now, context, None)
    }

    /// [`Audience::next`] judging on `threads` threads (`None`: as many as the work and the
    /// machine's cores call for). Each member is judged on their own, so the result is the
    /// same however the work is split.
    pub(crate) fn next_on(
        prev: Option<&Audience>,
        people: impl IntoIterator<Item = (PersonId, Arc<Profile>)>,
        now: DateTime<Utc>,
        mut context: Context,
        threads: Option<usize>,
    ) -> Self {
        // After the profiles were folded: every item text they name is interned by now.
        let rules = context.rule_tags.iter().map(|(_, r)| r).chain(context.segments.iter().map(|s| &s.rule));
        context.bought = rekindle_rules::Bought::of(rules);
        let people: Vec<(PersonId, Arc<Profile>)> = people.into_iter().collect();
        crate::background::judging(threads, move || Self::judged(prev, people, now, context))
    }

    /// [`Audience::next_on`] on the judging threads: what is per person (the sort, the facts,
    /// the members, the judging) is spread over them; each rank's cuts and who is gone are
    /// found on one thread each.
    fn judged(
        prev: Option<&Audience>,
        mut people: Vec<(PersonId, Arc<Profile>)>,
        now: DateTime<Utc>,
        context: Context,
    ) -> Self {
        people.par_sort_unstable_by_key(|(id, _)| *id);
        // An audience without its memo (assembled by hand) or from a later moment (a clock
        // that went back) is no basis.
        let prev = prev.filter(|p| p.memo.facts.len() == p.members.len() && p.now <= now);
        let everyone = prev.is_none_or(|p| !same_rules_input(&p.context, &context));
        let stored = prev.filter(|_| !everyone).map(|p| stored_changes(&p.context, &context)).unwrap_or_default();
        let referrals_moved =
            prev.is_some_and(|p| !Arc::ptr_eq(&p.context.referrals, &context.referrals)) && reads_referrals(&context);

        // Each person's previous member, and whether anything of their own moved.
        let mut from: Vec<Option<usize>> = Vec::with_capacity(people.len());
        let mut own: Vec<bool> = Vec::with_capacity(people.len());
        let mut gone = Vec::new();
        let previous: &[Member] = prev.map_or(&[], |p| &p.members);
        let mut j = 0;
        for (person, profile) in &people {
            while j < previous.len() && previous[j].person < *person {
                gone.push(previous[j].person);
                j += 1;
            }
            let found = (j < previous.len() && previous[j].person == *person).then_some(j);
            let moved = match (prev, found) {
                (Some(p), Some(j)) => {
                    everyone
                        || !Arc::ptr_eq(&p.members[j].profile, profile)
                        || p.memo.facts[j].due.is_some_and(|due| due <= now)
                        || stored.contains(person)
                        || (referrals_moved
                            && (p.context.referrals.invited(*person) != context.referrals.invited(*person)
                                || p.context.referrals.inviter_of(*person).is_some()
                                    != context.referrals.inviter_of(*person).is_some()))
                }
                _ => true,
            };
            from.push(found);
            own.push(moved);
            if found.is_some() {
                j += 1;
            }
        }
        gone.extend(previous[j.min(previous.len())..].iter().map(|m| m.person));

        let mut facts: Vec<Facts> = (people.par_iter().zip(&from).zip(&own))
            .map(|(((_, profile), from), moved)| match (prev, from) {
                (Some(p), Some(j)) if !moved => p.memo.facts[*j],
                _ => Facts::of(profile, now),
            })
            .collect();
        // The ranks across people: the value tiers and each RFM axis cut on its own thread.
        let shares = context.judging.tiers;
        let buyers: Vec<Option<Buyer>> = facts
            .par_iter()
            .map(|f| {
                f.last_order.map(|last| Buyer {
                    days_since_order: (now - last).num_seconds() as f64 / 86_400.0,
                    orders: f.orders,
                    spend: f.spend,
                })
            })
            .collect();
        let buyers = &buyers[..];
        let quintiles = |axis| move || Quintiles::of(buyers, axis);
        let (tiers, (recency, (frequency, money))) = rayon::join(
            || {
                let spend: Vec<i64> = facts.par_iter().map(|f| f.spend365).collect();
                Tier::by_rank(&spend, shares.high, shares.potential)
            },
            || {
                rayon::join(quintiles(Axis::Recency), || {
                    rayon::join(quintiles(Axis::Frequency), quintiles(Axis::Money))
                })
            },
        );
        let cuts = rfm::Cuts { recency, frequency, money };
        let scores: Vec<Rfm> = buyers.par_iter().map(|b| cuts.score(b)).collect();
        // Co-purchases are counted over everyone once per fit, not at every refresh.
        let co_purchase = context.fit.as_ref().map(|_| match prev.and_then(|p| p.memo.co_purchase.clone()) {
            Some(kept) if !everyone => kept,
            _ => Arc::new(CoPurchase::of(people.iter().map(|(_, p)| &**p))),
        });
        let scoring = context.fit.as_deref().zip(co_purchase.as_deref()).map(|(fit, co_purchase)| Scoring {
            fit,
            config: context.judging.models,
            lifecycle: &context.judging.lifecycle,
            packs: &context.packs,
            co_purchase,
            calendar: &context.calendar,
        });

        let plan = Plan::of(&context);
        // First, cheaply, who keeps what: everything, everything but what reads their
        // standing, or nothing. Then the judging, which is the work.
        let (mut members, mut work) = (Vec::new(), Vec::new());
        (people.into_par_iter().zip(tiers).zip(scores).zip(from.par_iter().copied().zip(own)))
            .map(|((((person, profile), tier), rfm), (found, moved))| {
                let kept = prev.zip(found).map(|(p, j)| &p.members[j]);
                if let Some(m) = kept.filter(|_| !moved) {
                    // Only their standing across people moved: only rules reading it are asked.
                    let work = match standing(m, tier, rfm) {
                        0 => Work::Keep,
                        moved => Work::Restand(moved),
                    };
                    // The profile is the same Arc: moved in rather than counted up again.
                    let member = Member {
                        person,
                        profile,
                        stage: m.stage,
                        tier,
                        rfm,
                        tags: m.tags.clone(),
                        segments: m.segments.clone(),
                        scores: m.scores.clone(),
                    };
                    return (member, work);
                }
                // Predictions are made again only for a changed profile (or a new fit: everyone).
                let scores = kept.filter(|m| !everyone && Arc::ptr_eq(&m.profile, &profile)).map(|m| m.scores.clone());
                let work = Work::Judge { rescore: scores.is_none() };
                let member = Member {
                    person,
                    profile,
                    stage: kept.map_or(Stage::Prospect, |m| m.stage),
                    tier,
                    rfm,
                    tags: Arc::default(),
                    segments: Arc::default(),
                    scores: scores.flatten(),
                };
                (member, work)
            })
            .unzip_into_vecs(&mut members, &mut work);
        let pass = JudgingPass { context: &context, plan: &plan, scoring: scoring.as_ref(), now };
        (members.par_iter_mut().zip(&mut facts).zip(&work))
            .with_min_len(JUDGED_TOGETHER)
            .for_each(|((m, f), w)| pass.one(m, f, w));
        let rejudged: Vec<(u32, Option<u32>)> = (work.par_iter().zip(&from).enumerate())
            .filter(|(_, (w, _))| !matches!(w, Work::Keep))
            .map(|(i, (_, from))| (i as u32, from.map(|j| j as u32)))
            .collect();
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        let rejudged = prev.map(|p| Rejudged { from: p.memo.generation, members: rejudged, gone });
        Self {
            now,
            members,
            context,
            unattributed: Arc::default(),
            memo: Memo { facts, generation, rejudged, co_purchase },
        }
    }
}

impl Audience {
    /// How many members were judged again when this audience was built from the previous
    /// one: all of them when it was built from scratch.
    pub fn rejudged_count(&self) -> usize {
        self.memo.rejudged.as_ref().map_or(self.members.len(), |r| r.members.len())
    }
}

/// What the judging pass does with one member.
enum Work {
    /// Nothing moved: their judgement is the previous one.
    Keep,
    /// Only their standing across people moved (the `READS_*` bits).
    Restand(u8),
    /// Everything, predictions too unless they were kept.
    Judge { rescore: bool },
}

/// Members handed to a judging thread at once, at the least: most are kept as they were and
/// cost next to nothing, so smaller parts would cost more to hand out than to judge.
const JUDGED_TOGETHER: usize = 512;

/// One refresh's judging (not the `[segments]` settings, [`super::Judging`]).
struct JudgingPass<'a> {
    context: &'a Context,
    plan: &'a Plan,
    scoring: Option<&'a Scoring<'a>>,
    now: DateTime<Utc>,
}

impl JudgingPass<'_> {
    fn one(&self, m: &mut Member, f: &mut Facts, w: &Work) {
        let Self { context, plan, now, .. } = *self;
        match *w {
            Work::Keep => {}
            Work::Restand(moved) => restand(m, context, plan, moved, now),
            Work::Judge { rescore } => {
                if rescore {
                    m.scores = self.scoring.and_then(|s| s.score(&m.profile, now)).map(Arc::new);
                }
                m.stage = context.judging.lifecycle.stage(&m.profile, now);
                f.due = judge(m, context, plan, now);
            }
        }
    }
}

/// What each rule tag and saved segment reads of a person's standing across people (a mask of
/// the `READS_*` bits), and whether time alone can move its answer.
struct Plan {
    tags: Vec<(u8, bool)>,
    segments: Vec<(u8, bool)>,
}

const READS_TIER: u8 = 1;
const READS_R: u8 = 2;
const READS_F: u8 = 4;
const READS_M: u8 = 8;
const READS_TAG: u8 = 16;

impl Plan {
    fn of(context: &Context) -> Self {
        let of = |r: &Rule| (reads(r), r.moves_with_time());
        Self {
            tags: context.rule_tags.iter().map(|(_, r)| of(r)).collect(),
            segments: context.segments.iter().map(|s| of(&s.rule)).collect(),
        }
    }
}

fn reads(r: &Rule) -> u8 {
    use rekindle_rules::ast::RfmAxis;
    match r {
        Rule::And(a, b) | Rule::Or(a, b) => reads(a) | reads(b),
        Rule::Not(a) => reads(a),
        Rule::Tier { .. } => READS_TIER,
        Rule::Tag { .. } => READS_TAG,
        Rule::Compare { metric: Metric::Rfm(RfmAxis::Recency), .. } => READS_R,
        Rule::Compare { metric: Metric::Rfm(RfmAxis::Frequency), .. } => READS_F,
        Rule::Compare { metric: Metric::Rfm(RfmAxis::Monetary), .. } => READS_M,
        _ => 0,
    }
}

/// Which parts of a member's standing differ from `tier` and `rfm`.
fn standing(m: &Member, tier: Tier, rfm: rekindle_core::rfm::Rfm) -> u8 {
    let bit = |moved: bool, b: u8| if moved { b } else { 0 };
    bit(m.tier != tier, READS_TIER)
        | bit(m.rfm.r != rfm.r, READS_R)
        | bit(m.rfm.f != rfm.f, READS_F)
        | bit(m.rfm.m != rfm.m, READS_M)
}

/// Judge again the rules of a member whose profile and stored facts are as they were, and
/// not due, but whose tier or RFM moved: only rules reading what moved (or tags that did)
/// can answer differently. Their next change with time is as it was: no rule's depends on
/// standing.
fn restand(m: &mut Member, context: &Context, plan: &Plan, mut moved: u8, now: DateTime<Utc>) {
    if plan.tags.iter().any(|(reads, _)| reads & moved != 0) {
        let before = std::mem::replace(&mut m.tags, manual_tags(context, m.person));
        let s = subject(m, context);
        let matched: Vec<String> =
            context.rule_tags.iter().filter(|(_, rule)| rule.matches(&s, now)).map(|(name, _)| name.clone()).collect();
        m.tags = with_rule_tags(&m.tags, matched);
        if m.tags != before {
            moved |= READS_TAG;
        }
    }
    if !plan.segments.iter().any(|(reads, _)| reads & moved != 0) {
        return;
    }
    let s = subject(m, context);
    let segments: Vec<u16> = (0..context.segments.len())
        .filter(|&i| match plan.segments[i].0 & moved {
            0 => m.segments.binary_search(&(i as u16)).is_ok(),
            _ => context.segments[i].rule.matches(&s, now),
        })
        .map(|i| i as u16)
        .collect();
    m.segments = segments.into();
}

/// A member's manual tags, sorted: rule tags reading them look them up by binary search.
fn manual_tags(context: &Context, person: PersonId) -> Arc<[String]> {
    context.manual_tags.get(&person).map_or_else(Arc::default, |tags| with_rule_tags(tags, Vec::new()))
}

/// `tags` and the rule tags `matched`, sorted, each once.
fn with_rule_tags(tags: &[String], matched: Vec<String>) -> Arc<[String]> {
    let mut all = tags.to_vec();
    all.extend(matched);
    all.sort();
    all.dedup();
    all.into()
}

/// Judge one member's tags and segments (their stage, tier, RFM and scores set), and say when
/// any of it could next change with time.
fn judge(m: &mut Member, context: &Context, plan: &Plan, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let stage_next = context.judging.lifecycle.next_change(&m.profile, now);
    // The tier is ranked on spend over the last 365 days: due when an order leaves it.
    let mut due = earliest(stage_next, window(m.profile.orders.iter().map(|(_, o)| o.at), Duration::days(365), now));
    m.tags = manual_tags(context, m.person);
    let mut matched = Vec::new();
    {
        let s = subject(m, context);
        for ((name, rule), (_, timed)) in context.rule_tags.iter().zip(&plan.tags) {
            if rule.matches(&s, now) {
                matched.push(name.clone());
            }
            if *timed {
                due = earliest(due, rule.next_change(&s, now, stage_next));
            }
        }
    }
    m.tags = with_rule_tags(&m.tags, matched);
    // After the tags: a segment's rule may read them.
    let s = subject(m, context);
    let mut segments = Vec::new();
    for (i, (saved, (_, timed))) in context.segments.iter().zip(&plan.segments).enumerate() {
        if saved.rule.matches(&s, now) {
            segments.push(i as u16);
        }
        if *timed {
            due = earliest(due, saved.rule.next_change(&s, now, stage_next));
        }
    }
    m.segments = segments.into();
    due
}

/// Whether rules would read the same things of everyone: configuration, catalogue, sessions,
/// models, tag and segment rules, the loyalty program and the calendar.
fn same_rules_input(a: &Context, b: &Context) -> bool {
    a.judging.lifecycle == b.judging.lifecycle
        && a.judging.tiers == b.judging.tiers
        && a.judging.models == b.judging.models
        && a.products == b.products
        && a.sessions == b.sessions
        && a.packs == b.packs
        && match (&a.fit, &b.fit) {
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            (None, None) => true,
            _ => false,
        }
        && a.rule_tags == b.rule_tags
        && a.segments.len() == b.segments.len()
        && a.segments.iter().zip(&b.segments).all(|(x, y)| x.id == y.id && x.rule == y.rule)
        && (Arc::ptr_eq(&a.program, &b.program) || a.program == b.program)
        && a.calendar == b.calendar
}

/// People whose manual tags or points changed: only they can answer differently for it.
fn stored_changes(a: &Context, b: &Context) -> HashSet<PersonId> {
    let mut out = HashSet::new();
    for (p, tags) in &b.manual_tags {
        if a.manual_tags.get(p) != Some(tags) {
            out.insert(*p);
        }
    }
    out.extend(a.manual_tags.keys().filter(|p| !b.manual_tags.contains_key(p)));
    if !Arc::ptr_eq(&a.points, &b.points) {
        for (p, facts) in b.points.iter() {
            if a.points.get(p) != Some(facts) {
                out.insert(*p);
            }
        }
        out.extend(a.points.keys().filter(|p| !b.points.contains_key(p)));
    }
    out
}

/// Whether any tag or segment rule reads referrals (`invited`, `invited_by`): only then are
/// they compared person by person.
fn reads_referrals(c: &Context) -> bool {
    fn reads(r: &Rule) -> bool {
        match r {
            Rule::And(a, b) | Rule::Or(a, b) => reads(a) || reads(b),
            Rule::Not(a) => reads(a),
            Rule::InvitedBy | Rule::Compare { metric: Metric::Invited, .. } => true,
            _ => false,
        }
    }
    c.rule_tags.iter().any(|(_, r)| reads(r)) || c.segments.iter().any(|s| reads(&s.rule))
}
