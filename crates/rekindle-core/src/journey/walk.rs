//! Walking one person through a journey: from a step, as far as the next wait or the end.
//!
//! Pure: the engine supplies what the person matches and the time, and carries out the effects
//! (send, coupon, tag, webhook, points) in order, in one store transaction with the new position.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::definition::{Action, ChannelChoice, DateWait, Definition, Exit, SendTime};
use crate::outreach::{ChannelKind, next_local_on, resolve_local};

/// What the engine knows about the person being walked.
pub trait Facts {
    /// Does the person match this segment rule now? (Rules were checked when the journey was
    /// published; one that no longer parses does not match.)
    fn matches(&self, rule: &str) -> bool;

    /// A date on the person a wait can count from (see [`DateWait`]); none when unknown.
    fn date(&self, _field: &str) -> Option<DateTime<Utc>> {
        None
    }

    /// The variant an automatic winner settled on at this split (docs/journeys.md,
    /// "Automatic winners"); none while the experiment runs.
    fn winner(&self, _step: &str) -> Option<&str> {
        None
    }
}

/// The mark on an enrollment's step that it is waiting at an action path (`@step`), not about
/// to arrive at it. Step ids cannot start with it.
pub const AWAITING: char = '@';

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect<'a> {
    Send {
        step: &'a str,
        channel: ChannelKind,
        template: &'a str,
        sender: Option<&'a crate::contacts::SenderRule>,
        fallback: &'a [ChannelChoice],
        send_time: SendTime,
    },
    Coupon {
        step: &'a str,
        coupon: &'a str,
        to_inviter: bool,
    },
    Tag {
        step: &'a str,
        tag: &'a str,
        remove: bool,
    },
    Webhook {
        step: &'a str,
        topic: &'a str,
    },
    AwardPoints {
        step: &'a str,
        points: i64,
        reason: Option<&'a str>,
        to_inviter: bool,
    },
    /// The split at `step` put the person in `variant` (or the holdout).
    Assigned {
        step: &'a str,
        variant: &'a str,
    },
    /// The action path at `step` went on by `path`: the event that came first, or
    /// [`TIMED_OUT`].
    Took {
        step: &'a str,
        path: &'a str,
    },
}

impl Effect<'_> {
    /// Whether carrying it out writes beyond the enrollment and its messages (a coupon issued,
    /// a tag, points): a walk with such an effect is planned only once its entry is written,
    /// never for an entry that may yet be refused.
    pub fn writes_elsewhere(&self) -> bool {
        matches!(self, Effect::Coupon { .. } | Effect::Tag { .. } | Effect::AwardPoints { .. })
    }
}

/// The path an action path takes when nothing came in time.
pub const TIMED_OUT: &str = "timeout";

/// Where the walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walked {
    /// At a wait: resume at `resume` (none: the journey ends then) at `until`.
    Waiting { resume: Option<String>, until: DateTime<Utc> },
    /// Past the last step.
    Finished,
    /// Put in the holdout by a split: no more steps, but still measured against the goal.
    HeldOut,
    /// An exit rule matched at this step.
    Exited { step: String },
}

/// The name a split gives its holdout.
pub const HOLDOUT: &str = "holdout";

/// Steps walked in one go at most: validation forbids loops without waits, so this only
/// guards a definition that slipped past it.
const MAX_STEPS: usize = 256;

/// Walk from step `from` as far as possible at `now`. `key` identifies the enrollment, so a
/// person's split assignment is stable if the walk is repeated. `from` marked
/// [`AWAITING`] resumes an action path: by its path `arrived` (an index into its paths), or
/// by its timeout when none.
pub fn walk<'a>(
    d: &'a Definition,
    from: &str,
    arrived: Option<usize>,
    key: u64,
    facts: &dyn Facts,
    now: DateTime<Utc>,
    tz: Tz,
) -> (Vec<Effect<'a>>, Walked) {
    let mut effects = Vec::new();
    let (mut at, mut resuming) = match from.strip_prefix(AWAITING) {
        Some(id) => (d.step(id), true),
        None => (d.step(from), false),
    };
    for _ in 0..MAX_STEPS {
        let Some(step) = at else { return (effects, Walked::Finished) };
        for exit in &d.exit {
            if let Exit::Rule { rule } = exit
                && facts.matches(rule)
            {
                return (effects, Walked::Exited { step: step.id.clone() });
            }
        }
        let mut next = step.next.as_deref();
        match &step.action {
            Action::Wait { minutes, until, weekdays, date } => {
                let until = match (minutes, until, date) {
                    (Some(m), _, _) => now + Duration::minutes(i64::from(*m)),
                    (None, _, Some(date)) => date_wait(date, facts, now, tz),
                    (None, Some(t), None) => next_local_on(now, *t, weekdays, tz),
                    (None, None, None) => now,
                };
                return (effects, Walked::Waiting { resume: next.map(str::to_owned), until });
            }
            Action::WaitFor { paths, timeout_minutes, on_timeout } => {
                if !resuming {
                    let until = now + Duration::minutes(i64::from(*timeout_minutes));
                    return (effects, Walked::Waiting { resume: Some(format!("{AWAITING}{}", step.id)), until });
                }
                let took = arrived.and_then(|i| paths.get(i));
                effects.push(Effect::Took { step: &step.id, path: took.map_or(TIMED_OUT, |p| p.event.as_str()) });
                next = match took {
                    Some(p) => Some(&p.next),
                    None => on_timeout.as_deref(),
                };
            }
            Action::Branch { rule, then, otherwise } => {
                next = Some(if facts.matches(rule) { then } else { otherwise });
            }
            Action::Split { variants, .. } => {
                let b = u32::from(bucket(key, &step.id));
                let mut edge = 0u32;
                let chosen = variants.iter().find(|v| {
                    edge += u32::from(v.percent);
                    b < edge
                });
                // Once a winner is picked, everyone not held out takes it; the holdout stays.
                let winner = facts.winner(&step.id).and_then(|w| variants.iter().find(|v| v.name == w));
                match chosen.map(|v| winner.unwrap_or(v)) {
                    Some(v) => {
                        effects.push(Effect::Assigned { step: &step.id, variant: &v.name });
                        next = Some(&v.next);
                    }
                    None => {
                        effects.push(Effect::Assigned { step: &step.id, variant: HOLDOUT });
                        return (effects, Walked::HeldOut);
                    }
                }
            }
            Action::Send { channel, template, sender, fallback, send_time } => effects.push(Effect::Send {
                step: &step.id,
                channel: *channel,
                template,
                sender: sender.as_ref(),
                fallback,
                send_time: *send_time,
            }),
            Action::Coupon { coupon, to_inviter } => {
                effects.push(Effect::Coupon { step: &step.id, coupon, to_inviter: *to_inviter })
            }
            Action::Tag { tag, remove } => effects.push(Effect::Tag { step: &step.id, tag, remove: *remove }),
            Action::Webhook { topic } => effects.push(Effect::Webhook { step: &step.id, topic }),
            Action::AwardPoints { points, reason, to_inviter } => effects.push(Effect::AwardPoints {
                step: &step.id,
                points: *points,
                reason: reason.as_deref(),
                to_inviter: *to_inviter,
            }),
            Action::Exit => return (effects, Walked::Finished),
        }
        at = next.and_then(|n| d.step(n));
        resuming = false;
    }
    (effects, Walked::Finished)
}

/// When a wait for a date on the person ends: the date moved by the offset, at the time given
/// (or the date's own time of day) in the store's zone; at once when unknown or past.
fn date_wait(w: &DateWait, facts: &dyn Facts, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let Some(date) = facts.date(&w.field) else { return now };
    let local = date.with_timezone(&tz);
    let day = local.date_naive() + Duration::days(i64::from(w.offset_days));
    let time = w.at.map_or(local.time(), |t| t.0);
    resolve_local(day, time, tz).unwrap_or(now).max(now)
}

/// A stable number in 0..100 for this enrollment at this split (SplitMix64 over the key and
/// the step id): the same person always lands in the same variant, and variants are even.
pub fn bucket(key: u64, step: &str) -> u8 {
    let mut h = key ^ 0x9E37_79B9_7F4A_7C15;
    for b in step.bytes() {
        h = mix(h ^ u64::from(b));
    }
    (mix(h) % 100) as u8
}

/// SplitMix64's finaliser: also the global control group's draw (`crate::programme`).
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rules(Vec<&'static str>);
    impl Facts for Rules {
        fn matches(&self, rule: &str) -> bool {
            self.0.contains(&rule)
        }
    }

    fn journey() -> Definition {
        serde_json::from_value(serde_json::json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "exit": [{"type": "rule", "rule": "tickets_open >= 1"}],
            "steps": [
                {"id": "split", "type": "split", "holdout_percent": 10,
                 "variants": [{"name": "A", "percent": 45, "next": "vip?"}, {"name": "B", "percent": 45, "next": "vip?"}]},
                {"id": "vip?", "type": "branch", "rule": "tier = high", "then": "coupon", "else": "send"},
                {"id": "coupon", "type": "coupon", "coupon": "c", "next": "send"},
                {"id": "send", "type": "send", "channel": "wecom", "template": "t", "next": "wait"},
                {"id": "wait", "type": "wait", "until": "10:00", "next": "tag"},
                {"id": "tag", "type": "tag", "tag": "reminded"},
            ]
        }))
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn walks_to_the_wait_then_on_to_the_end() {
        let d = journey();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let key = (0..).find(|k| bucket(*k, "split") < 45).unwrap();
        let (effects, walked) =
            walk(&d, "split", None, key, &Rules(vec!["tier = high"]), at("2026-05-01T12:00:00Z"), tz);
        assert_eq!(
            effects,
            vec![
                Effect::Assigned { step: "split", variant: "A" },
                Effect::Coupon { step: "coupon", coupon: "c", to_inviter: false },
                Effect::Send {
                    step: "send",
                    channel: ChannelKind::Wecom,
                    template: "t",
                    sender: None,
                    fallback: &[],
                    send_time: SendTime::Now
                },
            ]
        );
        // 20:00 in Shanghai: the next 10:00 is tomorrow morning (02:00 UTC).
        assert_eq!(walked, Walked::Waiting { resume: Some("tag".into()), until: at("2026-05-02T02:00:00Z") });
        let (effects, walked) = walk(&d, "tag", None, key, &Rules(vec![]), at("2026-05-02T02:00:00Z"), tz);
        assert_eq!(effects, vec![Effect::Tag { step: "tag", tag: "reminded", remove: false }]);
        assert_eq!(walked, Walked::Finished);
    }

    #[test]
    fn holdout_and_exit_rules_stop_the_walk() {
        let d = journey();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let held = (0..).find(|k| bucket(*k, "split") >= 90).unwrap();
        let (effects, walked) = walk(&d, "split", None, held, &Rules(vec![]), at("2026-05-01T12:00:00Z"), tz);
        assert_eq!(effects, vec![Effect::Assigned { step: "split", variant: HOLDOUT }]);
        assert_eq!(walked, Walked::HeldOut);
        let (effects, walked) =
            walk(&d, "send", None, 1, &Rules(vec!["tickets_open >= 1"]), at("2026-05-01T12:00:00Z"), tz);
        assert!(effects.is_empty());
        assert_eq!(walked, Walked::Exited { step: "send".into() });
    }

    struct Decided(&'static str);
    impl Facts for Decided {
        fn matches(&self, _: &str) -> bool {
            false
        }
        fn winner(&self, step: &str) -> Option<&str> {
            (step == "split").then_some(self.0)
        }
    }

    #[test]
    fn a_winner_takes_everyone_but_the_holdout() {
        let d = journey();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let now = at("2026-05-01T12:00:00Z");
        let mut seen = [0u32; 2];
        for key in 0..1_000 {
            let (effects, walked) = walk(&d, "split", None, key, &Decided("B"), now, tz);
            let held = bucket(key, "split") >= 90;
            let expected = if held { HOLDOUT } else { "B" };
            assert_eq!(effects[0], Effect::Assigned { step: "split", variant: expected });
            assert_eq!(walked == Walked::HeldOut, held);
            seen[usize::from(held)] += 1;
        }
        assert!(seen[0] > 850 && seen[1] > 50, "{seen:?}");
        // A winner the split does not have (the journey was edited since) changes nothing.
        let a = (0..).find(|k| bucket(*k, "split") < 45).unwrap();
        let (effects, _) = walk(&d, "split", None, a, &Decided("gone"), now, tz);
        assert_eq!(effects[0], Effect::Assigned { step: "split", variant: "A" });
    }

    struct Dated(Option<DateTime<Utc>>);
    impl Facts for Dated {
        fn matches(&self, _: &str) -> bool {
            false
        }
        fn date(&self, field: &str) -> Option<DateTime<Utc>> {
            self.0.filter(|_| field == "trigger.delivered_at")
        }
    }

    #[test]
    fn an_action_path_waits_then_goes_by_the_path_taken_or_the_timeout() {
        let d: Definition = serde_json::from_value(serde_json::json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [
                {"id": "watch", "type": "wait_for", "timeout_minutes": 2880, "on_timeout": "late",
                 "paths": [{"event": "Order Completed", "next": "thanks"}, {"event": "Message Clicked", "next": "coupon"}]},
                {"id": "thanks", "type": "tag", "tag": "thanked"},
                {"id": "coupon", "type": "coupon", "coupon": "c"},
                {"id": "late", "type": "tag", "tag": "late"},
            ]
        }))
        .unwrap();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let now = at("2026-05-01T12:00:00Z");
        let (effects, walked) = walk(&d, "watch", None, 1, &Rules(vec![]), now, tz);
        assert!(effects.is_empty());
        assert_eq!(walked, Walked::Waiting { resume: Some("@watch".into()), until: at("2026-05-03T12:00:00Z") });
        let (effects, _) = walk(&d, "@watch", Some(1), 1, &Rules(vec![]), now, tz);
        assert_eq!(
            effects,
            vec![
                Effect::Took { step: "watch", path: "Message Clicked" },
                Effect::Coupon { step: "coupon", coupon: "c", to_inviter: false }
            ]
        );
        let (effects, walked) = walk(&d, "@watch", None, 1, &Rules(vec![]), now, tz);
        assert_eq!(
            effects,
            vec![
                Effect::Took { step: "watch", path: TIMED_OUT },
                Effect::Tag { step: "late", tag: "late", remove: false }
            ]
        );
        assert_eq!(walked, Walked::Finished);
    }

    #[test]
    fn waits_until_a_date_on_the_person_or_a_weekday() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let wait = |w: serde_json::Value| -> Definition {
            serde_json::from_value(serde_json::json!({
                "trigger": {"type": "event", "event": "Order Delivered"},
                "steps": [w, {"id": "ask", "type": "tag", "tag": "asked"}]
            }))
            .unwrap()
        };
        let now = at("2026-05-01T02:00:00Z"); // a Friday, 10:00 in Shanghai
        let two_days_after = wait(serde_json::json!({"id": "w", "type": "wait", "next": "ask",
            "date": {"field": "trigger.delivered_at", "offset_days": 2, "at": "19:00"}}));
        let delivered = Dated(Some(at("2026-04-30T23:30:00Z"))); // 07:30 on 1 May, local
        let (_, walked) = walk(&two_days_after, "w", None, 1, &delivered, now, tz);
        assert_eq!(walked, Walked::Waiting { resume: Some("ask".into()), until: at("2026-05-03T11:00:00Z") });
        let (_, walked) = walk(&two_days_after, "w", None, 1, &Dated(None), now, tz);
        assert_eq!(walked, Walked::Waiting { resume: Some("ask".into()), until: now }, "no date: at once");
        let long_ago = Dated(Some(at("2026-01-01T00:00:00Z")));
        let (_, walked) = walk(&two_days_after, "w", None, 1, &long_ago, now, tz);
        assert_eq!(walked, Walked::Waiting { resume: Some("ask".into()), until: now }, "a past date: at once");
        let monday_ten =
            wait(serde_json::json!({"id": "w", "type": "wait", "next": "ask", "until": "10:00", "weekdays": [1]}));
        let (_, walked) = walk(&monday_ten, "w", None, 1, &Dated(None), now, tz);
        assert_eq!(walked, Walked::Waiting { resume: Some("ask".into()), until: at("2026-05-04T02:00:00Z") });
    }

    #[test]
    fn buckets_are_stable_and_even() {
        assert_eq!(bucket(42, "split"), bucket(42, "split"));
        let mut counts = [0u32; 10];
        for k in 0..100_000 {
            counts[usize::from(bucket(k, "split") / 10)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
    }
}
