//! The points ledger: entries, the one rule every write follows, and what a ledger adds up to.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PointsKind))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Points earned by an event (an order, watching, a comment, a share) or a journey step.
    Earn,
    /// Points held for an order (a redemption), later confirmed, or released.
    Redeem,
    /// Redeemed points given back: a redemption cancelled, or its order refunded.
    Release,
    /// Points that reached their expiry unspent.
    Expire,
    /// Points an order earned, taken back when it was refunded.
    ClawBack,
    /// An operator's correction, either way.
    Adjust,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Earn => "earn",
            Self::Redeem => "redeem",
            Self::Release => "release",
            Self::Expire => "expire",
            Self::ClawBack => "claw_back",
            Self::Adjust => "adjust",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Earn, Self::Redeem, Self::Release, Self::Expire, Self::ClawBack, Self::Adjust]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One change of a balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PointsEntry))]
pub struct Entry {
    pub kind: Kind,
    /// Signed: credits above zero, debits below.
    pub points: i64,
    /// What caused it, unique in the workspace: `order:{id}`, `redeem:{key}`,
    /// `expire:{source of the expired points}`. Writing a source twice writes it once.
    pub source: String,
    /// Said to the operator and the member ("下单 ¥129", "兑换 ¥2").
    pub reason: String,
    pub at: DateTime<Utc>,
    /// When a credit's points expire (none: never).
    pub expires_at: Option<DateTime<Utc>>,
}

/// What writing an entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Written,
    /// The source was written before: nothing changed.
    Again,
    /// A debit larger than the balance: nothing written.
    Refused {
        balance: i64,
    },
}

/// The rule every store applies inside the transaction that writes an entry: a credit is
/// always written, a debit only when the balance covers it. A balance is never negative.
pub fn admits(balance: i64, points: i64) -> bool {
    is_credit(points) || balance.saturating_add(points) >= 0
}

/// A credit, which [`admits`] whatever the balance: a store need not read the balance for it.
pub fn is_credit(points: i64) -> bool {
    points >= 0
}

/// What posting `entries` one after another does, decided at once: [`admits`] against each
/// person's running balance, and each source written once. `written` holds the sources
/// already in the store, `balances` each person's balance before (missing: 0) and is left
/// at the balances after. For a store that reads a batch's sources and balances in one go.
pub fn post_in_order<'a, P: Copy + Eq + std::hash::Hash + 'a>(
    entries: impl IntoIterator<Item = &'a (P, Entry)>,
    written: &HashSet<&str>,
    balances: &mut std::collections::HashMap<P, i64>,
) -> Vec<Posted> {
    let mut seen: HashSet<&str> = HashSet::new();
    entries
        .into_iter()
        .map(|(person, e)| {
            if written.contains(e.source.as_str()) || !seen.insert(e.source.as_str()) {
                return Posted::Again;
            }
            let balance = balances.entry(*person).or_default();
            if !admits(*balance, e.points) {
                // Refused, and not written: a later entry of the same source may still be.
                seen.remove(e.source.as_str());
                return Posted::Refused { balance: *balance };
            }
            *balance = balance.saturating_add(e.points);
            Posted::Written
        })
        .collect()
}

/// A person's entries in the order they were written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    entries: Vec<Entry>,
    sources: HashSet<String>,
}

/// Points still held from one credit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lot {
    source: String,
    expires_at: Option<DateTime<Utc>>,
    left: i64,
}

/// What a ledger adds up to at a moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PointsSummary))]
pub struct Summary {
    pub balance: i64,
    /// Earned and credited by adjustments, over all time.
    pub earned: i64,
    /// Redeemed and not given back.
    pub redeemed: i64,
    pub expired: i64,
    /// Taken back from refunded orders, and adjusted down.
    pub taken_back: i64,
    /// Points left that expire, soonest first, one line per moment.
    pub expiring: Vec<Expiring>,
}

/// Points that expire together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expiring {
    pub at: DateTime<Utc>,
    pub points: i64,
}

impl Summary {
    /// Points that expire after `now` and by `now + within`.
    pub fn expiring_within(&self, now: DateTime<Utc>, within: Duration) -> i64 {
        expiring_within(&self.expiring, now, within)
    }
}

/// Of points that expire together, those that expire after `now` and within `within` of it.
pub fn expiring_within(expiring: &[Expiring], now: DateTime<Utc>, within: Duration) -> i64 {
    expiring.iter().filter(|e| e.at > now && e.at <= now + within).map(|e| e.points).sum()
}

impl Ledger {
    /// A ledger of entries already written, in the order they were.
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut l = Self::default();
        for e in entries {
            l.sources.insert(e.source.clone());
            l.entries.push(e);
        }
        l
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn balance(&self) -> i64 {
        self.entries.iter().map(|e| e.points).sum()
    }

    pub fn has(&self, source: &str) -> bool {
        self.sources.contains(source)
    }

    /// Write an entry by the rule ([`admits`]), once per source.
    pub fn post(&mut self, e: Entry) -> Posted {
        if self.sources.contains(&e.source) {
            return Posted::Again;
        }
        let balance = self.balance();
        if !admits(balance, e.points) {
            return Posted::Refused { balance };
        }
        self.sources.insert(e.source.clone());
        self.entries.push(e);
        Posted::Written
    }

    /// Another person's ledger folded in (OneID merged them): every entry of both, each once.
    pub fn merge(&mut self, other: &Ledger) {
        for e in &other.entries {
            if self.sources.insert(e.source.clone()) {
                self.entries.push(e.clone());
            }
        }
    }

    /// Credits as lots and debits drawn from them, soonest-expiring first, in written order.
    fn lots(&self) -> Vec<Lot> {
        let mut lots: Vec<Lot> = Vec::new();
        for e in &self.entries {
            if e.points > 0 {
                lots.push(Lot { source: e.source.clone(), expires_at: e.expires_at, left: e.points });
                continue;
            }
            let mut owed = -e.points;
            let mut order: Vec<usize> = (0..lots.len()).filter(|&i| lots[i].left > 0).collect();
            // Soonest-expiring first; points that never expire last; then oldest first.
            order.sort_by_key(|&i| (lots[i].expires_at.is_none(), lots[i].expires_at, i));
            for i in order {
                if owed == 0 {
                    break;
                }
                let take = owed.min(lots[i].left);
                lots[i].left -= take;
                owed -= take;
            }
        }
        lots
    }

    /// What the ledger adds up to.
    pub fn summary(&self) -> Summary {
        let sum =
            |kinds: &[Kind]| -> i64 { self.entries.iter().filter(|e| kinds.contains(&e.kind)).map(|e| e.points).sum() };
        let credits_adjusted: i64 =
            self.entries.iter().filter(|e| e.kind == Kind::Adjust && e.points > 0).map(|e| e.points).sum();
        let debits_adjusted: i64 =
            self.entries.iter().filter(|e| e.kind == Kind::Adjust && e.points < 0).map(|e| e.points).sum();
        let mut expiring: Vec<Expiring> = self
            .lots()
            .into_iter()
            .filter(|l| l.left > 0)
            .filter_map(|l| Some(Expiring { at: l.expires_at?, points: l.left }))
            .collect();
        expiring.sort();
        // Points that expire at one moment are told together.
        expiring.dedup_by(|later, kept| {
            let same = later.at == kept.at;
            if same {
                kept.points += later.points;
            }
            same
        });
        Summary {
            balance: self.balance(),
            earned: sum(&[Kind::Earn]) + credits_adjusted,
            redeemed: -(sum(&[Kind::Redeem]) + sum(&[Kind::Release])),
            expired: -sum(&[Kind::Expire]),
            taken_back: -(sum(&[Kind::ClawBack]) + debits_adjusted),
            expiring,
        }
    }

    /// The expiry entries due at `now`: one for each credit whose points reached their expiry
    /// unspent, keyed by that credit's source so it expires once.
    pub fn expiries_due(&self, now: DateTime<Utc>) -> Vec<Entry> {
        self.lots()
            .into_iter()
            .filter(|l| l.left > 0 && l.expires_at.is_some_and(|at| at <= now))
            .map(|l| Entry {
                kind: Kind::Expire,
                points: -l.left,
                source: format!("expire:{}", l.source),
                reason: "积分过期".into(),
                at: now,
                expires_at: None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
