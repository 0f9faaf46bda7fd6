//! When a rule's answer for a person could next change with no new event of theirs: the
//! windows and thresholds measured back from "now" (`within 30d`, `days_since_order > 14`,
//! `spend(365d)`, points expiring, a question still waiting…) move on their own as time passes.
//! The engine re-judges a person only when their events changed or this moment came
//! (docs/segments.md, "Keeping refreshes cheap").
//!
//! The answer may come early (an earlier moment only costs a needless re-judge) but never late:
//! between `now` and the moment returned the rule's answer stays what it is at `now`. `None`
//! when only events (or what is decided across people: tier, RFM, tags, predictions) can
//! change it.

use chrono::{DateTime, Duration, Utc};

use crate::ast::{DidWhen, Metric, Rule, Session};
use crate::eval::Subject;

/// The earlier of two moments, either of which may be absent.
pub fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// For "some time `t` with `now - within < t <= now`": the first moment after `now` one of
/// `times` enters the window (it is in the future) or leaves it (it is `within` old).
pub fn window(
    times: impl IntoIterator<Item = DateTime<Utc>>,
    within: Duration,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    times.into_iter().flat_map(|t| [Some(t), t.checked_add_signed(within)]).flatten().filter(|t| *t > now).min()
}

/// The first moment `t` after `now` at which `holds(s)` differs from `holds(s_now)`, where `s`
/// is whole seconds since `anchor` (`(t - anchor).num_seconds()`, as the rules measure it) and
/// `holds` can change only near `value × scale` seconds (the value compared, in units of
/// `scale` seconds: 86,400 for days).
fn crossing(
    anchor: DateTime<Utc>,
    now: DateTime<Utc>,
    value: f64,
    scale: f64,
    holds: impl Fn(i64) -> bool,
) -> Option<DateTime<Utc>> {
    let centre = (value * scale).floor();
    // Far beyond any representable time (or NaN): the answer never changes.
    if !centre.is_finite() || centre.abs() > 1e15 {
        return None;
    }
    let centre = centre as i64;
    // Below `lo` and above `hi` the comparison is settled (two seconds' margin for rounding).
    let (lo, hi) = (centre - 2, centre + 2);
    let s_now = (now - anchor).num_seconds();
    let before = holds(s_now);
    let first = (s_now + 1).max(lo);
    let s = (first..=hi).find(|s| holds(*s) != before)?;
    Some(reached(anchor, s))
}

/// The first moment whose whole seconds since `anchor` reach `s` (they truncate toward zero).
fn reached(anchor: DateTime<Utc>, s: i64) -> DateTime<Utc> {
    if s >= 1 { anchor + Duration::seconds(s) } else { anchor + Duration::seconds(s - 1) + Duration::nanoseconds(1) }
}

impl Rule {
    /// The earliest moment after `now` at which the rule's answer for `s` could change with
    /// nothing new of theirs; `stage_next` is when their lifecycle stage next changes
    /// (`rekindle_core::lifecycle::LifecycleConfig::next_change`). See the module's docs.
    pub fn next_change(
        &self,
        s: &Subject,
        now: DateTime<Utc>,
        stage_next: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let p = s.profile;
        let latest = |session: &Session| match session {
            Session::Latest => s.sessions.next_start(now),
            Session::Id(_) => None,
        };
        match self {
            Rule::And(a, b) | Rule::Or(a, b) => {
                earliest(a.next_change(s, now, stage_next), b.next_change(s, now, stage_next))
            }
            Rule::Not(a) => a.next_change(s, now, stage_next),
            Rule::Bought { what, within: Some(w) } => window(s.orders_of(what).map(|o| o.at), *w, now),
            Rule::BoughtTagged { tag, within: Some(w) } => window(
                p.orders
                    .iter()
                    .filter(|(_, o)| o.items.iter().any(|i| i.sku().is_some_and(|sku| s.products.has(sku, tag))))
                    .map(|(_, o)| o.at),
                *w,
                now,
            ),
            Rule::Bought { within: None, .. } | Rule::BoughtTagged { within: None, .. } => None,
            // Only "after now - within" is asked of the last visit.
            Rule::Watched { session: None, within } => {
                within.and_then(|w| p.last_live?.checked_add_signed(w)).filter(|t| *t > now)
            }
            Rule::Watched { session: Some(session), .. } => latest(session),
            Rule::LiveOrdered { session, within } => {
                let orders = within.and_then(|w| {
                    window(p.orders.iter().filter(|(_, o)| o.session.is_some()).map(|(_, o)| o.at), w, now)
                });
                earliest(orders, session.as_ref().and_then(latest))
            }
            Rule::Lifecycle { .. } => stage_next,
            Rule::Depletes { category, within } => s.scores.and_then(|x| {
                x.run_outs
                    .iter()
                    .filter(|r| category.as_ref().is_none_or(|c| *c == r.category))
                    // In the window from `at - within` until just after `at`.
                    .flat_map(|r| [r.at.checked_sub_signed(*within), Some(r.at + Duration::nanoseconds(1))])
                    .flatten()
                    .filter(|t| *t > now)
                    .min()
            }),
            Rule::Did { event, when: DidWhen::Within(w) } => {
                s.history.and_then(|h| window(h.last.get(event).copied(), *w, now))
            }
            Rule::Did { event, .. } => s.history.and_then(|h| h.last.get(event).copied().filter(|t| *t > now)),
            // Decided across people or stored beside the profile (the engine compares those), or
            // by events alone.
            Rule::Tier { .. }
            | Rule::Tag { .. }
            | Rule::ChurnRisk { .. }
            | Rule::InvitedBy
            | Rule::Reachable { .. }
            | Rule::WecomFriend { .. } => None,
            Rule::Compare { metric, op, value } => {
                let holds = |v: f64| op.holds(v, *value);
                match metric {
                    Metric::Spend(Some(d)) => {
                        window(p.orders.iter().map(|(_, o)| o.at), Duration::days(d.num_days()), now)
                    }
                    Metric::DaysSinceOrder => {
                        p.last_order().and_then(|t| crossing(t, now, *value, 86_400.0, |s| holds(s as f64 / 86_400.0)))
                    }
                    Metric::DaysSinceSeen => {
                        p.last_seen.and_then(|t| crossing(t, now, *value, 86_400.0, |s| holds(s as f64 / 86_400.0)))
                    }
                    // The oldest open ticket is the oldest at every moment.
                    Metric::OpenTicketAge => {
                        p.open_tickets().min().and_then(|t| crossing(t, now, *value, 1.0, |s| holds(s.max(0) as f64)))
                    }
                    Metric::QuestionWait(within) => question_wait(s, now, *within, *value),
                    Metric::Watched(Some(session)) => latest(session),
                    Metric::Attended(_) => s.sessions.next_start(now),
                    Metric::PointsExpiring(within) => s.points.and_then(|x| {
                        x.expiring
                            .iter()
                            .flat_map(|e| [e.at.checked_sub_signed(*within), Some(e.at)])
                            .flatten()
                            .filter(|t| *t > now)
                            .min()
                    }),
                    Metric::Orders
                    | Metric::Spend(None)
                    | Metric::Aov
                    | Metric::Watched(None)
                    | Metric::Points
                    | Metric::Level
                    | Metric::ToNextLevel
                    | Metric::Comments
                    | Metric::Shares
                    | Metric::Categories
                    | Metric::Rfm(_)
                    | Metric::PAlive
                    | Metric::Clv
                    | Metric::Invited => None,
                }
            }
        }
    }
}

impl Rule {
    /// Whether any term can change the rule's answer with time alone: when not,
    /// [`Rule::next_change`] is always `None` and need not be asked.
    pub fn moves_with_time(&self) -> bool {
        match self {
            Rule::And(a, b) | Rule::Or(a, b) => a.moves_with_time() || b.moves_with_time(),
            Rule::Not(a) => a.moves_with_time(),
            Rule::Bought { within, .. } | Rule::BoughtTagged { within, .. } => within.is_some(),
            Rule::Watched { session: None, within } => within.is_some(),
            Rule::Watched { session: Some(session), .. } => *session == Session::Latest,
            Rule::LiveOrdered { session, within } => within.is_some() || session.as_ref() == Some(&Session::Latest),
            Rule::Lifecycle { .. } | Rule::Depletes { .. } | Rule::Did { .. } => true,
            Rule::Tier { .. }
            | Rule::Tag { .. }
            | Rule::ChurnRisk { .. }
            | Rule::InvitedBy
            | Rule::Reachable { .. }
            | Rule::WecomFriend { .. } => false,
            Rule::Compare { metric, .. } => matches!(
                metric,
                Metric::Spend(Some(_))
                    | Metric::DaysSinceOrder
                    | Metric::DaysSinceSeen
                    | Metric::OpenTicketAge
                    | Metric::QuestionWait(_)
                    | Metric::Watched(Some(Session::Latest))
                    | Metric::Attended(_)
                    | Metric::PointsExpiring(_)
            ),
        }
    }
}

/// `question_wait`: questions enter and leave the window, and a question not answered waits
/// longer every second, so the longest wait may cross the value compared: from a couple of
/// seconds before it the person is due every second until it is past.
fn question_wait(s: &Subject, now: DateTime<Utc>, within: Option<Duration>, value: f64) -> Option<DateTime<Utc>> {
    let asked = s.profile.questions().iter().filter_map(|(_, q)| q.at);
    let moved = match within {
        Some(w) => window(asked, w, now),
        None => asked.filter(|t| *t > now).min(),
    };
    let centre = value.floor();
    if !centre.is_finite() || centre.abs() > 1e15 {
        return moved;
    }
    let (lo, hi) = (centre as i64 - 2, centre as i64 + 2);
    let growing = s
        .profile
        .questions()
        .iter()
        .filter_map(|(_, q)| q.at.filter(|_| q.answered.is_none()))
        .filter_map(|at| {
            let s_now = (now - at).num_seconds();
            (s_now < hi).then(|| reached(at, (s_now + 1).max(lo)))
        })
        .min();
    earliest(moved, growing)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rekindle_core::lifecycle::Stage;
    use rekindle_core::money::Amounts;
    use rekindle_core::profile::{Profile, ProfileEvent};
    use serde_json::json;

    use super::*;
    use crate::eval::{PointsFacts, ProductTags, Sessions};
    use crate::parse;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn subject<'a>(
        p: &'a Profile,
        products: &'a ProductTags,
        sessions: &'a Sessions,
        points: Option<&'a PointsFacts>,
    ) -> Subject<'a> {
        Subject { stage: Stage::Active, points, ..Subject::plain(p, products, sessions) }
    }

    fn order(p: &mut Profile, at: DateTime<Utc>, id: usize, sku: &str, session: Option<&str>) {
        let props = json!({"order_id": format!("o{id}"), "revenue": 50, "session_id": session,
            "products": [{"sku": sku, "category": "水果"}]});
        p.apply(ProfileEvent { at, name: "Order Completed", properties: &props, amounts: Amounts::LEGACY });
    }

    #[test]
    fn days_since_order_changes_exactly_at_its_boundary() {
        let mut p = Profile::default();
        order(&mut p, t0(), 0, "a", None);
        let (products, sessions) = (ProductTags::default(), Sessions::default());
        let s = subject(&p, &products, &sessions, None);
        let rule = parse("days_since_order > 14").unwrap();
        let next = rule.next_change(&s, t0() + Duration::days(3), None).unwrap();
        assert_eq!(next, t0() + Duration::days(14) + Duration::seconds(1), "14 days and one whole second");
        assert!(!rule.matches(&s, next - Duration::nanoseconds(1)));
        assert!(rule.matches(&s, next));
        assert_eq!(rule.next_change(&s, next, None), None, "only an order brings it back");
        let bought = parse(r#"bought "a" within 30d"#).unwrap();
        assert_eq!(bought.next_change(&s, t0(), None), Some(t0() + Duration::days(30)));
        assert_eq!(parse("orders >= 2").unwrap().next_change(&s, t0(), None), None);
        let spend = parse("spend(365d) >= ¥0.5").unwrap();
        assert_eq!(spend.next_change(&s, t0() + Duration::days(1), None), Some(t0() + Duration::days(365)));
        let stage = Some(t0() + Duration::days(9));
        assert_eq!(parse("lifecycle = active or orders > 3").unwrap().next_change(&s, t0(), stage), stage);
    }

    /// Rules built from every time-driven term, with values drawn near the profile's times.
    fn rules() -> impl Strategy<Value = String> {
        let term = prop_oneof![
            (1u32..40).prop_map(|d| format!(r#"bought "a" within {d}d"#)),
            (1u32..40).prop_map(|d| format!(r#"bought tagged "fresh" within {d}d"#)),
            (1u32..40).prop_map(|d| format!("watched within {d}d")),
            (1u32..40).prop_map(|d| format!("live_ordered within {d}d")),
            (1u32..40).prop_map(|d| format!("live_ordered latest_session within {d}d")),
            Just(r#"watched latest_session"#.to_string()),
            (1u32..4).prop_map(|n| format!("attended({n}) >= 1")),
            (1u32..40, 0u32..200).prop_map(|(d, y)| format!("spend({d}d) >= ¥{y}")),
            (1u32..40, 0usize..6)
                .prop_map(|(d, op)| format!("days_since_order {} {d}", ["<", "<=", "=", "!=", ">=", ">"][op])),
            (1u32..40, 0usize..6)
                .prop_map(|(d, op)| format!("days_since_seen {} {d}", ["<", "<=", "=", "!=", ">=", ">"][op])),
            (0u32..100).prop_map(|h| format!("open_ticket_age > {h}h")),
            (0u32..100, 1u32..100).prop_map(|(m, w)| format!("question_wait({w}h) >= {m}m")),
            (0u32..100).prop_map(|m| format!("question_wait > {m}m")),
            (1u32..40, 0u32..50).prop_map(|(d, n)| format!("points_expiring({d}d) >= {n}")),
            (1u32..40).prop_map(|d| format!("points expiring within {d}d")),
            Just("orders >= 2".to_string()),
        ];
        (term.clone(), term, 0usize..4).prop_map(|(a, b, how)| match how {
            0 => a,
            1 => format!("{a} and {b}"),
            2 => format!("{a} or not {b}"),
            _ => format!("not ({a} and {b})"),
        })
    }

    proptest! {
        #[test]
        fn the_answer_holds_until_the_next_change(
            rule in rules(),
            orders in proptest::collection::vec((0i64..60 * 24, 0usize..2, proptest::bool::ANY), 0..5),
            seen in proptest::collection::vec(0i64..60 * 24, 0..3),
            questions in proptest::collection::vec((0i64..60 * 24, proptest::option::of(0i64..100)), 0..3),
            tickets in proptest::collection::vec((0i64..60 * 24, proptest::option::of(0i64..100)), 0..3),
            expiring in proptest::collection::vec((0i64..60 * 24, 1i64..60), 0..3),
            sessions in proptest::collection::vec(0i64..60 * 24, 0..3),
            at in 0i64..60 * 24,
            samples in proptest::collection::vec(0.0f64..1.0, 1..16),
        ) {
            let hour = |h: i64| t0() + Duration::hours(h) + Duration::seconds(h % 7 * 13);
            let mut p = Profile::default();
            for (i, (h, sku, live)) in orders.iter().enumerate() {
                order(&mut p, hour(*h), i, ["a", "b"][*sku], live.then_some("s0"));
            }
            for h in &seen {
                p.apply(ProfileEvent { at: hour(*h), name: "Live Entered", properties: &json!({"session_id": "s1"}), amounts: Amounts::LEGACY });
            }
            for (i, (h, answer)) in questions.iter().enumerate() {
                let asked = json!({"is_question": true, "comment_id": format!("c{i}")});
                p.apply(ProfileEvent { at: hour(*h), name: "Live Commented", properties: &asked, amounts: Amounts::LEGACY });
                if let Some(m) = answer {
                    let reply = json!({"comment_id": format!("c{i}")});
                    p.apply(ProfileEvent { at: hour(*h) + Duration::minutes(*m), name: "Live Replied", properties: &reply, amounts: Amounts::LEGACY });
                }
            }
            for (i, (h, resolved)) in tickets.iter().enumerate() {
                let t = json!({"ticket_id": format!("t{i}")});
                p.apply(ProfileEvent { at: hour(*h), name: "Ticket Opened", properties: &t, amounts: Amounts::LEGACY });
                if let Some(r) = resolved {
                    p.apply(ProfileEvent { at: hour(*h) + Duration::hours(*r), name: "Ticket Resolved", properties: &t, amounts: Amounts::LEGACY });
                }
            }
            let points = PointsFacts {
                balance: 0,
                growth: 0,
                expiring: expiring.iter().map(|(h, n)| rekindle_core::loyalty::Expiring { at: hour(*h), points: *n }).collect(),
            };
            let products = ProductTags::new([("a".to_string(), vec!["fresh".to_string()])]);
            let sessions = Sessions::new(sessions.iter().enumerate().map(|(i, h)| (hour(*h), ["s0", "s1", "s2"][i].to_string())));
            let s = subject(&p, &products, &sessions, Some(&points));
            let rule = parse(&rule).unwrap();
            let now = hour(at);
            let answer = rule.matches(&s, now);
            let next = rule.next_change(&s, now, None);
            if let Some(next) = next {
                prop_assert!(next > now);
                prop_assert!(rule.moves_with_time());
            }
            let end = next.unwrap_or(now + Duration::days(90));
            let span = (end - now).num_nanoseconds().unwrap_or(i64::MAX) as f64;
            // Moments spread over the span, and the instant before the change.
            let moments = samples.iter().map(|f| now + Duration::nanoseconds((span * f) as i64)).chain([end - Duration::nanoseconds(1)]);
            for t in moments.filter(|t| *t >= now && *t < end) {
                prop_assert_eq!(rule.matches(&s, t), answer, "at {} (next change {:?})", t, next);
            }
        }
    }
}
