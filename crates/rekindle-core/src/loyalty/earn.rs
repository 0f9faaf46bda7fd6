//! What an event earns under the program (seed 001: spend and activity both earn): an order
//! its yuan, a comment, a share or submitted content a few points within a daily cap, a refund takes back what its
//! order earned. Watching is earned per session from the live room's fold (see
//! [`Program::watched`]), not per heartbeat.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ledger::Entry;
use super::program::Program;
use crate::PersonId;
use crate::events;
use crate::money::yuan_text;
use crate::profile::{ProfileEvent, text};

/// What one event means for its person's points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earning {
    /// Earned, once by its source.
    Earn(Entry),
    /// Earned within a daily cap: at most `per_day` entries whose source starts with `counted`
    /// on the event's local day.
    Capped { entry: Entry, counted: &'static str, per_day: u32 },
    /// A refund of an order: what the order earned is taken back, up to what `points` of the
    /// refunded amount earned.
    Refunded { order_id: String, points: i64, message_id: String },
}

impl Program {
    /// What the event earns, if anything. `message_id` names the event (its source).
    pub fn earning(&self, e: &ProfileEvent, message_id: &str, tz: Tz) -> Option<Earning> {
        let p = e.properties;
        let e_rules = &self.earn;
        match e.name {
            events::ORDER_COMPLETED => {
                let order = text(p.get("order_id"))?;
                let revenue = e.amounts.get("revenue", p.get("revenue")).get();
                let points = self.order_points(revenue);
                (points > 0).then(|| {
                    let reason = format!("下单 ¥{}", yuan_text(revenue));
                    Earning::Earn(self.earned(format!("order:{order}"), points, reason, e.at, tz))
                })
            }
            events::ORDER_REFUNDED => {
                let order_id = text(p.get("order_id"))?;
                // A refund without an amount is of the whole order.
                let points = match p.get("amount") {
                    Some(_) => self.order_points(e.amounts.get("amount", p.get("amount")).get()),
                    None => i64::MAX,
                };
                Some(Earning::Refunded { order_id, points, message_id: message_id.to_owned() })
            }
            events::LIVE_COMMENTED if e_rules.comment_points > 0 => Some(Earning::Capped {
                entry: self.earned(
                    format!("comment:{message_id}"),
                    e_rules.comment_points,
                    "直播评论".into(),
                    e.at,
                    tz,
                ),
                counted: "comment:",
                per_day: e_rules.comments_per_day,
            }),
            events::LIVE_SHARED if e_rules.share_points > 0 => Some(Earning::Capped {
                entry: self.earned(format!("share:{message_id}"), e_rules.share_points, "分享直播".into(), e.at, tz),
                counted: "share:",
                per_day: e_rules.shares_per_day,
            }),
            events::UGC_SUBMITTED if e_rules.ugc_points > 0 => Some(Earning::Capped {
                entry: self.earned(format!("ugc:{message_id}"), e_rules.ugc_points, "发布内容".into(), e.at, tz),
                counted: "ugc:",
                per_day: e_rules.ugc_per_day,
            }),
            _ => None,
        }
    }

    /// The award for watching a session long enough, if `seconds` reach the rule: once per
    /// person and session.
    pub fn watched(&self, session: &str, person: PersonId, seconds: i64, at: DateTime<Utc>, tz: Tz) -> Option<Entry> {
        let rule = &self.earn;
        (rule.watch_points > 0 && seconds >= i64::from(rule.watch_minutes) * 60).then(|| {
            let reason = format!("观看直播满 {} 分钟", rule.watch_minutes);
            self.earned(format!("watch:{session}:{person}"), rule.watch_points, reason, at, tz)
        })
    }
}

/// Of a claw-back for a refund: what the order earned less what earlier refunds of it took,
/// up to `points`, and never more than the balance.
pub fn refund_claw_back(
    program: &Program,
    entries: &[Entry],
    order_id: &str,
    points: i64,
    message_id: &str,
    at: DateTime<Utc>,
) -> Option<Entry> {
    let earned: i64 = entries.iter().filter(|e| e.source == format!("order:{order_id}")).map(|e| e.points).sum();
    let prefix = format!("clawback:{order_id}:");
    let taken: i64 = entries.iter().filter(|e| e.source.starts_with(&prefix)).map(|e| -e.points).sum();
    let balance: i64 = entries.iter().map(|e| e.points).sum();
    let mut entry = program.claw_back(order_id, points.min(earned - taken), balance, at)?;
    entry.source = format!("{prefix}{message_id}");
    Some(entry)
}

/// How many of the entries counted by a cap fall on the local day of `at`.
pub fn counted_on_day(entries: &[Entry], counted: &str, at: DateTime<Utc>, tz: Tz) -> usize {
    let day = at.with_timezone(&tz).date_naive();
    entries.iter().filter(|e| e.source.starts_with(counted) && e.at.with_timezone(&tz).date_naive() == day).count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::money::Amounts;

    fn event<'a>(name: &'a str, properties: &'a serde_json::Value) -> ProfileEvent<'a> {
        ProfileEvent { at: "2026-05-01T04:00:00Z".parse().unwrap(), name, properties, amounts: Amounts::LEGACY }
    }

    #[test]
    fn orders_comments_shares_and_refunds_each_mean_what_the_program_says() {
        let p = Program::default();
        let tz = chrono_tz::Asia::Shanghai;
        // Legacy amounts are fen: ¥129.90 earns 129 points.
        let order = json!({"order_id": "o1", "revenue": 12_990});
        let Some(Earning::Earn(e)) = p.earning(&event(events::ORDER_COMPLETED, &order), "m1", tz) else { panic!() };
        assert_eq!((e.points, e.source.as_str(), e.reason.as_str()), (129, "order:o1", "下单 ¥129.90"));
        let comment = json!({"session_id": "s1", "text": "好"});
        let Some(Earning::Capped { entry, per_day, .. }) =
            p.earning(&event(events::LIVE_COMMENTED, &comment), "m2", tz)
        else {
            panic!()
        };
        assert_eq!((entry.points, entry.source.as_str(), per_day), (1, "comment:m2", 10));
        assert_eq!(p.earning(&event(events::LIVE_ENTERED, &comment), "m3", tz), None);
        let review = json!({"kind": "review", "photos": 3});
        let Some(Earning::Capped { entry, counted, per_day }) =
            p.earning(&event(events::UGC_SUBMITTED, &review), "m4", tz)
        else {
            panic!()
        };
        assert_eq!((entry.points, entry.source.as_str(), counted, per_day), (20, "ugc:m4", "ugc:", 2));

        // Refunded twice in part: each takes back what its amount earned, never more than the
        // order earned in all.
        let refund = json!({"order_id": "o1", "amount": 10_000});
        let Some(Earning::Refunded { points, .. }) = p.earning(&event(events::ORDER_REFUNDED, &refund), "r1", tz)
        else {
            panic!()
        };
        assert_eq!(points, 100);
        let at = e.at;
        let mut entries = vec![e];
        let first = refund_claw_back(&p, &entries, "o1", 100, "r1", at).unwrap();
        assert_eq!((first.points, first.source.as_str()), (-100, "clawback:o1:r1"));
        entries.push(first);
        let second = refund_claw_back(&p, &entries, "o1", 100, "r2", at).unwrap();
        assert_eq!(second.points, -29, "only what is left of the 129");
        entries.push(second);
        assert_eq!(refund_claw_back(&p, &entries, "o1", i64::MAX, "r3", at), None);
    }

    #[test]
    fn watching_earns_once_the_minutes_are_reached() {
        let p = Program::default();
        let person = PersonId(uuid::Uuid::from_u128(7));
        let at = "2026-05-01T12:00:00Z".parse().unwrap();
        assert_eq!(p.watched("s1", person, 29 * 60, at, chrono_tz::UTC), None);
        let e = p.watched("s1", person, 30 * 60, at, chrono_tz::UTC).unwrap();
        assert_eq!((e.points, e.source), (10, format!("watch:s1:{person}")));
    }
}
