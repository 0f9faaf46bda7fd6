use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;

fn t0() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn entry(kind: Kind, points: i64, source: String, at: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> Entry {
    Entry { kind, points, source, reason: String::new(), at, expires_at }
}

/// What a store is asked to do.
#[derive(Debug, Clone)]
enum Op {
    Earn {
        n: u8,
        points: i64,
        lasts: Option<i64>,
    },
    Redeem {
        k: u8,
        points: i64,
    },
    /// Cancel a held redemption, or give back a refunded order's: one release per redemption.
    Release {
        k: u8,
    },
    /// Take back what an earn brought, as far as the balance goes.
    ClawBack {
        n: u8,
    },
    /// Days pass; what expired is expired.
    Pass {
        days: i64,
    },
}

/// One op against a ledger, as the stores carry it out, at the clock `now`.
fn apply(l: &mut Ledger, op: &Op, now: &mut DateTime<Utc>) {
    match *op {
        Op::Earn { n, points, lasts } => {
            let expires = lasts.map(|d| *now + Duration::days(d));
            l.post(entry(Kind::Earn, points, format!("earn:{n}"), *now, expires));
        }
        Op::Redeem { k, points } => {
            l.post(entry(Kind::Redeem, -points, format!("redeem:{k}"), *now, None));
        }
        Op::Release { k } => {
            let held = l.entries().iter().find(|e| e.source == format!("redeem:{k}")).map(|e| -e.points);
            if let Some(points) = held {
                l.post(entry(Kind::Release, points, format!("release:{k}"), *now, None));
            }
        }
        Op::ClawBack { n } => {
            let earned = l.entries().iter().find(|e| e.source == format!("earn:{n}")).map(|e| e.points);
            if let Some(points) = earned {
                let take = points.min(l.balance());
                if take > 0 {
                    l.post(entry(Kind::ClawBack, -take, format!("clawback:{n}"), *now, None));
                }
            }
        }
        Op::Pass { days } => {
            *now += Duration::days(days);
            for e in l.expiries_due(*now) {
                l.post(e);
            }
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..10, 1i64..500, prop::option::of(1i64..60)).prop_map(|(n, points, lasts)| Op::Earn { n, points, lasts }),
        3 => (0u8..6, 1i64..800).prop_map(|(k, points)| Op::Redeem { k, points }),
        1 => (0u8..6).prop_map(|k| Op::Release { k }),
        1 => (0u8..10).prop_map(|n| Op::ClawBack { n }),
        1 => (1i64..40).prop_map(|days| Op::Pass { days }),
    ]
}

fn check(l: &Ledger) -> Result<(), TestCaseError> {
    let s = l.summary();
    prop_assert!(s.balance >= 0, "never negative: {}", s.balance);
    prop_assert_eq!(s.balance, l.entries().iter().map(|e| e.points).sum::<i64>());
    prop_assert_eq!(s.balance, s.earned - s.redeemed - s.expired - s.taken_back, "{:?}", s);
    prop_assert!(s.expiring.iter().map(|e| e.points).sum::<i64>() <= s.balance);
    let mut sources: Vec<&str> = l.entries().iter().map(|e| e.source.as_str()).collect();
    sources.sort();
    let n = sources.len();
    sources.dedup();
    prop_assert_eq!(sources.len(), n, "each source once");
    Ok(())
}

proptest! {
    /// A store may skip the balance for a credit: `admits` takes every credit whatever the
    /// balance, and `is_credit` says so of nothing else.
    #[test]
    fn a_credit_is_admitted_whatever_the_balance(balance in any::<i64>(), points in any::<i64>()) {
        if is_credit(points) {
            prop_assert!(admits(balance, points));
        } else {
            prop_assert!(!admits(0, points), "a debit needs a balance");
        }
    }

    /// Random earns, redemptions, releases, claw-backs and expiries, each possibly retried:
    /// the balance is the ledger's sum and never negative, each source counts once, and the
    /// retries change nothing.
    #[test]
    fn the_ledger_balances_never_goes_negative_and_retries_count_once(
        ops in prop::collection::vec((op(), any::<bool>()), 0..80),
    ) {
        let (mut once, mut retried) = (Ledger::default(), Ledger::default());
        let (mut now_once, mut now_retried) = (t0(), t0());
        for (op, again) in &ops {
            apply(&mut once, op, &mut now_once);
            apply(&mut retried, op, &mut now_retried);
            // A retry of the same request (a client that did not hear the answer). Passing
            // days is the clock, not a request: not retried.
            if *again && !matches!(op, Op::Pass { .. }) {
                apply(&mut retried, op, &mut now_retried);
            }
            check(&once)?;
            check(&retried)?;
        }
        prop_assert_eq!(once.entries(), retried.entries());
    }

    /// Two people's ledgers merged (OneID found they are one) hold both, each entry once,
    /// whichever absorbs the other, and still balance.
    #[test]
    fn merged_ledgers_hold_both_once(
        a in prop::collection::vec(op(), 0..40),
        b in prop::collection::vec(op(), 0..40),
    ) {
        let (mut la, mut lb) = (Ledger::default(), Ledger::default());
        let (mut ta, mut tb) = (t0(), t0());
        for op in &a { apply(&mut la, op, &mut ta); }
        // The second person's sources are their own events: named apart.
        for op in &b {
            let op = match *op {
                Op::Earn { n, points, lasts } => Op::Earn { n: n + 100, points, lasts },
                Op::Redeem { k, points } => Op::Redeem { k: k + 100, points },
                Op::Release { k } => Op::Release { k: k + 100 },
                Op::ClawBack { n } => Op::ClawBack { n: n + 100 },
                ref other => other.clone(),
            };
            apply(&mut lb, &op, &mut tb);
        }
        let mut ab = la.clone();
        ab.merge(&lb);
        ab.merge(&lb);
        let mut ba = lb.clone();
        ba.merge(&la);
        prop_assert_eq!(ab.balance(), la.balance() + lb.balance());
        prop_assert_eq!(ab.balance(), ba.balance());
        prop_assert_eq!(ab.entries().len(), la.entries().len() + lb.entries().len());
        check(&ab)?;
    }
}

#[test]
fn spends_draw_on_the_soonest_expiring_points_first() {
    let now = t0();
    let mut l = Ledger::default();
    l.post(entry(Kind::Earn, 100, "late".into(), now, Some(now + Duration::days(300))));
    l.post(entry(Kind::Earn, 100, "soon".into(), now, Some(now + Duration::days(10))));
    l.post(entry(Kind::Earn, 100, "never".into(), now, None));
    l.post(entry(Kind::Earn, 20, "late-too".into(), now, Some(now + Duration::days(300))));
    assert_eq!(l.post(entry(Kind::Redeem, -150, "redeem:1".into(), now, None)), Posted::Written);
    // 100 from "soon", 50 from "late"; "never" untouched.
    let s = l.summary();
    assert_eq!(s.expiring, vec![Expiring { at: now + Duration::days(300), points: 70 }], "one line per moment");
    assert_eq!(s.expiring_within(now, Duration::days(30)), 0);
    assert!(l.expiries_due(now + Duration::days(20)).is_empty(), "what expires soonest was spent");
    let due = l.expiries_due(now + Duration::days(301));
    assert_eq!((due[0].points, due[0].source.as_str()), (-50, "expire:late"));
    assert_eq!((due[1].points, due[1].source.as_str()), (-20, "expire:late-too"));
    assert_eq!(
        l.post(entry(Kind::Redeem, -200, "redeem:2".into(), now, None)),
        Posted::Refused { balance: 170 },
        "more than the balance is refused whole"
    );
    assert_eq!(l.post(entry(Kind::Redeem, -150, "redeem:1".into(), now, None)), Posted::Again);
}

/// A batch decided at once gives what posting one entry after another would: a source stored
/// before or earlier in the batch is `Again`, a debit past the running balance is refused (and
/// its source stays free), each person's balance runs on its own.
#[test]
fn a_batch_posts_as_one_entry_after_another() {
    let e = |points: i64, source: &str| entry(Kind::Earn, points, source.to_owned(), t0(), None);
    let batch = vec![
        ('a', e(10, "order:1")),
        ('a', e(-15, "redeem:1")),
        ('b', e(5, "order:9")),
        ('a', e(10, "order:1")),
        ('a', e(10, "order:2")),
        ('a', e(-15, "redeem:1")),
        ('b', e(3, "old")),
        ('b', e(-8, "redeem:2")),
    ];
    let written = HashSet::from(["old"]);
    let mut balances = std::collections::HashMap::from([('b', 4)]);
    let posted = post_in_order(&batch, &written, &mut balances);
    assert_eq!(
        posted,
        [
            Posted::Written,
            Posted::Refused { balance: 10 },
            Posted::Written,
            Posted::Again,
            Posted::Written,
            Posted::Written,
            Posted::Again,
            Posted::Written,
        ]
    );
    assert_eq!(balances, std::collections::HashMap::from([('a', 5), ('b', 1)]));
}
