//! Walking one person through a journey: from a step, as far as the next wait or the end.
//!
//! Pure: the engine supplies what the person matches and the time, and carries out the effects
//! (send, coupon, tag, webhook, points) in order, in one store transaction with the new position.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::definition::{Action, Definition, Exit};
use crate::outreach::{ChannelKind, next_local};

/// What the engine knows about the person being walked.
pub trait Facts {
    /// Does the person match this segment rule now? (Rules were checked when the journey was
    /// published; one that no longer parses does not match.)
    fn matches(&self, rule: &str) -> bool;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect<'a> {
    Send {
        step: &'a str,
        channel: ChannelKind,
        template: &'a str,
        sender: Option<&'a crate::contacts::SenderRule>,
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
}

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
/// person's split assignment is stable if the walk is repeated.
pub fn walk<'a>(
    d: &'a Definition,
    from: &str,
    key: u64,
    facts: &dyn Facts,
    now: DateTime<Utc>,
    tz: Tz,
) -> (Vec<Effect<'a>>, Walked) {
    let mut effects = Vec::new();
    let mut at = d.step(from);
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
            Action::Wait { minutes, until } => {
                let until = match (minutes, until) {
                    (Some(m), _) => now + Duration::minutes(i64::from(*m)),
                    (None, Some(t)) => next_local(now, *t, tz),
                    (None, None) => now,
                };
                return (effects, Walked::Waiting { resume: next.map(str::to_owned), until });
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
                match chosen {
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
            Action::Send { channel, template, sender } => {
                effects.push(Effect::Send { step: &step.id, channel: *channel, template, sender: sender.as_ref() })
            }
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
    }
    (effects, Walked::Finished)
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

fn mix(mut z: u64) -> u64 {
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
        let (effects, walked) = walk(&d, "split", key, &Rules(vec!["tier = high"]), at("2026-05-01T12:00:00Z"), tz);
        assert_eq!(
            effects,
            vec![
                Effect::Assigned { step: "split", variant: "A" },
                Effect::Coupon { step: "coupon", coupon: "c", to_inviter: false },
                Effect::Send { step: "send", channel: ChannelKind::Wecom, template: "t", sender: None },
            ]
        );
        // 20:00 in Shanghai: the next 10:00 is tomorrow morning (02:00 UTC).
        assert_eq!(walked, Walked::Waiting { resume: Some("tag".into()), until: at("2026-05-02T02:00:00Z") });
        let (effects, walked) = walk(&d, "tag", key, &Rules(vec![]), at("2026-05-02T02:00:00Z"), tz);
        assert_eq!(effects, vec![Effect::Tag { step: "tag", tag: "reminded", remove: false }]);
        assert_eq!(walked, Walked::Finished);
    }

    #[test]
    fn holdout_and_exit_rules_stop_the_walk() {
        let d = journey();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let held = (0..).find(|k| bucket(*k, "split") >= 90).unwrap();
        let (effects, walked) = walk(&d, "split", held, &Rules(vec![]), at("2026-05-01T12:00:00Z"), tz);
        assert_eq!(effects, vec![Effect::Assigned { step: "split", variant: HOLDOUT }]);
        assert_eq!(walked, Walked::HeldOut);
        let (effects, walked) = walk(&d, "send", 1, &Rules(vec!["tickets_open >= 1"]), at("2026-05-01T12:00:00Z"), tz);
        assert!(effects.is_empty());
        assert_eq!(walked, Walked::Exited { step: "send".into() });
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
