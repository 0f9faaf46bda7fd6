//! A rule compiled into filters over [`Columns`], with what no column holds left to
//! [`Rule::matches`] for the rows still in question.

use chrono::{DateTime, Utc};
use fixedbitset::FixedBitSet;

use rekindle_core::lifecycle::Stage;
use rekindle_core::profile::{Order, Profile};

use super::columns::{Columns, NEVER, NO_I32, RISKS, TIERS};
use super::kernel::{Cell, fill, range};
use super::span::{Span, first_true, span};
use crate::ast::{Metric, Op, RfmAxis, Rule};
use crate::eval::{ProductTags, Sessions, Subject};

/// A rule ready to select rows of [`Columns`]: compile once, select at any moment.
#[derive(Debug, Clone)]
pub struct Compiled {
    rule: Rule,
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Leaf(Leaf),
}

/// A count or amount column, compared as stored.
#[derive(Debug, Clone, Copy)]
enum Plain {
    Orders,
    Spend,
    Watched,
    Comments,
    Shares,
    Categories,
    Points,
    Level,
    ToNextLevel,
    Invited,
    Clv,
    Rfm(usize),
}

/// A time column.
#[derive(Debug, Clone, Copy)]
enum Time {
    LastOrder,
    LastSeen,
    LastLive,
    OpenSince,
}

#[derive(Debug, Clone)]
enum Leaf {
    Plain {
        col: Plain,
        op: Op,
        v: f64,
        rule: Rule,
    },
    /// The key is the rule's own answer for a person who has only this time (see [`probe`]).
    Time {
        col: Time,
        rising: bool,
        rule: Rule,
    },
    /// Rows whose small integer is in the mask (stage, tier, churn risk).
    Choice {
        col: Choice,
        mask: u32,
    },
    Flag {
        col: Flag,
        want: bool,
    },
    PAlive {
        op: Op,
        v: f64,
    },
    /// `spend(window)`: exact from the columns when the window holds all of a person's orders
    /// or none, else asked of the rule.
    SpendWithin {
        rule: Rule,
    },
    /// Asked of the rule, for the candidates that could match at all: people with an order
    /// for conditions on orders, people with a prediction for `depletes`.
    Residual {
        rule: Rule,
        needs: Needs,
    },
}

#[derive(Debug, Clone, Copy)]
enum Choice {
    Stage,
    Tier,
    Risk,
}

#[derive(Debug, Clone, Copy)]
enum Flag {
    InvitedBy,
    Friend,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Needs {
    Nothing,
    Orders,
    Scores,
}

fn mask<T: PartialEq>(all: &[T], chosen: impl Fn(&T) -> bool, negated: bool) -> u32 {
    all.iter().enumerate().filter(|(_, x)| chosen(x) != negated).fold(0, |m, (i, _)| m | 1 << i)
}

fn compile(rule: &Rule) -> Node {
    let leaf = Node::Leaf;
    let residual = |needs| leaf(Leaf::Residual { rule: rule.clone(), needs });
    match rule {
        Rule::And(..) => Node::All(ordered(flatten(rule, true))),
        Rule::Or(..) => Node::Any(ordered(flatten(rule, false))),
        Rule::Not(a) => Node::Not(Box::new(compile(a))),
        Rule::Lifecycle { stages, negated } => {
            leaf(Leaf::Choice { col: Choice::Stage, mask: mask(&Stage::ALL, |s| stages.contains(s), *negated) })
        }
        Rule::Tier { tier, negated } => {
            leaf(Leaf::Choice { col: Choice::Tier, mask: mask(&TIERS, |t| t == tier, *negated) })
        }
        // Risk 0 (no prediction) is never in the mask: nobody without one matches, negated or not.
        Rule::ChurnRisk { risks, negated } => {
            leaf(Leaf::Choice { col: Choice::Risk, mask: mask(&RISKS, |r| risks.contains(r), *negated) << 1 })
        }
        Rule::InvitedBy => leaf(Leaf::Flag { col: Flag::InvitedBy, want: true }),
        Rule::WecomFriend { staff: None } => leaf(Leaf::Flag { col: Flag::Friend, want: true }),
        Rule::Watched { session: None, .. } => {
            leaf(Leaf::Time { col: Time::LastLive, rising: true, rule: rule.clone() })
        }
        Rule::Bought { .. } | Rule::BoughtTagged { .. } | Rule::LiveOrdered { .. } => residual(Needs::Orders),
        Rule::Depletes { .. } => residual(Needs::Scores),
        Rule::Compare { metric, op, value } => {
            let (op, v) = (*op, *value);
            let plain = |col| leaf(Leaf::Plain { col, op, v, rule: rule.clone() });
            let time = |col| leaf(Leaf::Time { col, rising: false, rule: rule.clone() });
            match metric {
                Metric::Orders => plain(Plain::Orders),
                Metric::Spend(None) => plain(Plain::Spend),
                Metric::Spend(Some(_)) => leaf(Leaf::SpendWithin { rule: rule.clone() }),
                Metric::Watched(None) => plain(Plain::Watched),
                Metric::Comments => plain(Plain::Comments),
                Metric::Shares => plain(Plain::Shares),
                Metric::Categories => plain(Plain::Categories),
                Metric::Points => plain(Plain::Points),
                Metric::Level => plain(Plain::Level),
                Metric::ToNextLevel => plain(Plain::ToNextLevel),
                Metric::Invited => plain(Plain::Invited),
                Metric::Clv => plain(Plain::Clv),
                Metric::Rfm(axis) => plain(Plain::Rfm(match axis {
                    RfmAxis::Recency => 0,
                    RfmAxis::Frequency => 1,
                    RfmAxis::Monetary => 2,
                })),
                Metric::PAlive => leaf(Leaf::PAlive { op, v }),
                Metric::DaysSinceOrder => time(Time::LastOrder),
                Metric::DaysSinceSeen => time(Time::LastSeen),
                Metric::OpenTicketAge => time(Time::OpenSince),
                // Per session, per question, per point: not kept as columns.
                Metric::Aov
                | Metric::Watched(Some(_))
                | Metric::Attended(_)
                | Metric::QuestionWait(_)
                | Metric::PointsExpiring(_) => residual(Needs::Nothing),
            }
        }
        // Sessions, tags, staff, journeys' history: asked of the rule.
        Rule::Watched { session: Some(_), .. }
        | Rule::Tag { .. }
        | Rule::WecomFriend { staff: Some(_) }
        | Rule::Did { .. }
        | Rule::Reachable { .. } => residual(Needs::Nothing),
    }
}

/// The operands of a chain of `and` (or of `or`), compiled.
fn flatten(rule: &Rule, and: bool) -> Vec<Node> {
    match (rule, and) {
        (Rule::And(a, b), true) | (Rule::Or(a, b), false) => {
            let mut out = flatten(a, and);
            out.extend(flatten(b, and));
            out
        }
        _ => vec![compile(rule)],
    }
}

/// Cheap filters first, so what costs a per-row check sees the fewest candidates. Both `and`
/// and `or` are commutative in [`Rule::matches`]: it has no side effects.
fn ordered(mut nodes: Vec<Node>) -> Vec<Node> {
    fn cost(n: &Node) -> u8 {
        match n {
            Node::Leaf(Leaf::Residual { .. }) => 3,
            Node::Leaf(Leaf::SpendWithin { .. }) => 1,
            Node::Leaf(_) => 0,
            Node::Not(a) => cost(a),
            Node::All(_) | Node::Any(_) => 2,
        }
    }
    nodes.sort_by_key(cost);
    nodes
}

/// A person who has nothing but `profile`, for asking a rule what a column's value means.
fn probe<R>(profile: Profile, f: impl FnOnce(&Subject) -> R) -> R {
    let (products, sessions) = (ProductTags::default(), Sessions::default());
    let s = Subject { stage: Stage::Prospect, ..Subject::plain(&profile, &products, &sessions) };
    f(&s)
}

/// A profile with one time of `col` at `at` nanoseconds (and an order of 1 fen, if an order).
fn with_time(col: Time, at: i64) -> Profile {
    let at = DateTime::from_timestamp_nanos(at);
    let mut p = Profile::default();
    match col {
        Time::LastOrder => {
            p.orders = [(0, Order { at, revenue_fen: 1, items: Default::default(), session: None })].into();
        }
        Time::LastSeen => p.last_seen = Some(at),
        Time::LastLive => p.last_live = Some(at),
        Time::OpenSince => p.rare_mut().tickets_opened = [(0, at)].into(),
    }
    p
}

struct Ctx<'c, 's> {
    cols: &'c Columns,
    now: DateTime<Utc>,
    now_ns: i64,
    subject: &'c dyn Fn(usize) -> Subject<'s>,
}

impl Compiled {
    pub fn new(rule: &Rule) -> Self {
        Compiled { rule: rule.clone(), root: compile(rule) }
    }

    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Whether every condition is answered from the columns alone (no per-row check).
    pub fn is_columnar(&self) -> bool {
        fn all(n: &Node) -> bool {
            match n {
                Node::All(v) | Node::Any(v) => v.iter().all(all),
                Node::Not(a) => all(a),
                Node::Leaf(Leaf::Residual { .. }) => false,
                Node::Leaf(_) => true,
            }
        }
        all(&self.root)
    }

    /// The rows of `cols` the rule selects at `now`: exactly those where [`Rule::matches`]
    /// holds. `subject(row)` gives the person of a row; it is asked only for conditions no
    /// column holds, for the rows still candidates, and for exotic rows.
    pub fn select<'s>(
        &self,
        cols: &Columns,
        now: DateTime<Utc>,
        subject: impl Fn(usize) -> Subject<'s>,
    ) -> FixedBitSet {
        let n = cols.len();
        let mut out = FixedBitSet::with_capacity(n);
        let ask = |out: &mut FixedBitSet, rows: &mut dyn Iterator<Item = usize>| {
            for row in rows {
                if self.rule.matches(&subject(row), now) {
                    out.insert(row);
                }
            }
        };
        let Some(now_ns) = now.timestamp_nanos_opt().filter(|x| *x != NEVER) else {
            // A moment no time column can be compared with: every row is asked.
            ask(&mut out, &mut (0..n));
            return out;
        };
        let mut cand = FixedBitSet::with_capacity(n);
        cand.insert_range(..);
        cand.difference_with(&cols.exotic);
        let ctx = Ctx { cols, now, now_ns, subject: &subject };
        out = eval(&self.root, &cand, &ctx);
        ask(&mut out, &mut cols.exotic.ones());
        out
    }
}

/// The candidates for which the node holds.
fn eval(node: &Node, cand: &FixedBitSet, ctx: &Ctx) -> FixedBitSet {
    match node {
        Node::All(nodes) => {
            let mut left = cand.clone();
            for n in nodes {
                if left.is_clear() {
                    break;
                }
                left = eval(n, &left, ctx);
            }
            left
        }
        Node::Any(nodes) => {
            let mut out = FixedBitSet::with_capacity(cand.len());
            let mut rest = cand.clone();
            for n in nodes {
                if rest.is_clear() {
                    break;
                }
                let hit = eval(n, &rest, ctx);
                rest.difference_with(&hit);
                out.union_with(&hit);
            }
            out
        }
        Node::Not(a) => {
            let mut out = cand.clone();
            out.difference_with(&eval(a, cand, ctx));
            out
        }
        Node::Leaf(l) => leaf(l, cand, ctx),
    }
}

/// Integer values as a key: what the column holds is what `Metric::value` gave.
fn plain_span<T: Cell>(op: Op, v: f64, none: Option<T>) -> Span {
    let lo = if none.is_some() { T::MIN + 1 } else { T::MIN };
    span(op, v, (lo, T::MAX), true, |x| x as f64)
}

fn plain<T: Cell>(col: &[T], op: Op, v: f64, none: Option<(T, bool)>, cand: &[usize], out: &mut [usize]) {
    range(col, plain_span(op, v, none.map(|(n, _)| n)), none, cand, out)
}

fn leaf(l: &Leaf, cand: &FixedBitSet, ctx: &Ctx) -> FixedBitSet {
    let c = ctx.cols;
    let mut out = FixedBitSet::with_capacity(cand.len());
    let (cw, ow) = (cand.as_slice(), out.as_mut_slice());
    // Whether the rule holds for someone without a value in the column.
    let none_holds = |rule: &Rule| probe(Profile::default(), |s| rule.matches(s, ctx.now));
    match l {
        Leaf::Plain { col, op, v, rule } => {
            let (op, v) = (*op, *v);
            match col {
                Plain::Orders => plain(&c.orders, op, v, None, cw, ow),
                Plain::Spend => plain(&c.spend, op, v, None, cw, ow),
                Plain::Watched => plain(&c.watched, op, v, None, cw, ow),
                Plain::Comments => plain(&c.comments, op, v, None, cw, ow),
                Plain::Shares => plain(&c.shares, op, v, None, cw, ow),
                Plain::Categories => plain(&c.categories, op, v, None, cw, ow),
                Plain::Points => plain(&c.points, op, v, None, cw, ow),
                Plain::Level => plain(&c.level, op, v, None, cw, ow),
                Plain::Invited => plain(&c.invited, op, v, None, cw, ow),
                Plain::Rfm(axis) => plain(&c.rfm[*axis], op, v, None, cw, ow),
                Plain::ToNextLevel => plain(&c.to_next_level, op, v, Some((NO_I32, none_holds(rule))), cw, ow),
                Plain::Clv => plain(&c.clv, op, v, Some((NO_I32, none_holds(rule))), cw, ow),
            }
        }
        Leaf::Time { col, rising, rule } => {
            // The rule's answer as a number: the metric's value, or 1 when a condition holds.
            let key = |x: i64| {
                probe(with_time(*col, x), |s| match rule {
                    Rule::Compare { metric, .. } => metric.value(s, ctx.now),
                    _ => f64::from(u8::from(rule.matches(s, ctx.now))),
                })
            };
            let (op, v) = match rule {
                Rule::Compare { op, value, .. } => (*op, *value),
                _ => (Op::Eq, 1.0),
            };
            let s = span(op, v, (NEVER + 1, i64::MAX), *rising, key);
            let values = match col {
                Time::LastOrder => &c.last_order,
                Time::LastSeen => &c.last_seen,
                Time::LastLive => &c.last_live,
                Time::OpenSince => &c.open_since,
            };
            range(values, s, Some((NEVER, none_holds(rule))), cw, ow);
        }
        Leaf::Choice { col, mask } => {
            let values = match col {
                Choice::Stage => &c.stage,
                Choice::Tier => &c.tier,
                Choice::Risk => &c.risk,
            };
            fill(values, cw, ow, |x| (mask >> x) & 1 == 1);
        }
        Leaf::Flag { col, want } => {
            let bits = match col {
                Flag::InvitedBy => &c.invited_by,
                Flag::Friend => &c.friend,
            };
            for ((o, &c), &b) in ow.iter_mut().zip(cw).zip(bits.as_slice()) {
                *o = c & if *want { b } else { !b };
            }
        }
        Leaf::PAlive { op, v } => {
            let (op, v) = (*op, *v);
            let mut scored = FixedBitSet::with_capacity(cand.len());
            fill(&c.risk, cw, scored.as_mut_slice(), |x| x != 0);
            // Without a prediction nobody matches, whatever the comparison.
            fill(&c.p_alive, scored.as_slice(), ow, |x| op.holds(x, v));
        }
        Leaf::SpendWithin { rule } => return spend_within(rule, cand, ctx),
        Leaf::Residual { rule, needs } => {
            let mut rows = cand.clone();
            match needs {
                Needs::Nothing => {}
                Needs::Orders => fill(&c.orders, cw, rows.as_mut_slice(), |x| x != 0),
                Needs::Scores => fill(&c.risk, cw, rows.as_mut_slice(), |x| x != 0),
            }
            for row in rows.ones() {
                if rule.matches(&(ctx.subject)(row), ctx.now) {
                    out.insert(row);
                }
            }
        }
    }
    out
}

/// `spend(window) op v`: the window holds all of a person's orders (their spend in it is
/// every order's revenue), or none (0), or some: then the rule is asked.
fn spend_within(rule: &Rule, cand: &FixedBitSet, ctx: &Ctx) -> FixedBitSet {
    let (Rule::Compare { metric, op, value }, c) = (rule, ctx.cols) else { unreachable!("a spend comparison") };
    let (op, v) = (*op, *value);
    // Which order times the window holds, as the metric reads them: an order of 1 fen at x.
    let inside = |x: i64| probe(with_time(Time::LastOrder, x), |s| metric.value(s, ctx.now)) == 1.0;
    // Windows end at now; an empty one (under a day) holds nothing.
    let (wlo, whi) = if inside(ctx.now_ns) {
        let lo = first_true(NEVER + 1, ctx.now_ns, inside).expect("now is inside");
        let hi = first_true(ctx.now_ns, i64::MAX, |x| !inside(x)).map_or(i64::MAX, |x| x - 1);
        (lo, hi)
    } else {
        (1, 0)
    };
    let zero_holds = op.holds(0.0, v);
    let gross = plain_span::<i64>(op, v, None);
    let mut out = FixedBitSet::with_capacity(cand.len());
    let mut ask = FixedBitSet::with_capacity(cand.len());
    let rows = c.first_order.chunks(64).zip(c.last_order.chunks(64)).zip(c.gross.chunks(64));
    let words = out.as_mut_slice().iter_mut().zip(ask.as_mut_slice());
    for (((o, a), &cw), ((first, last), gross_spend)) in words.zip(cand.as_slice()).zip(rows) {
        if cw == 0 {
            continue;
        }
        let (mut yes, mut maybe) = (0usize, 0usize);
        for (i, ((&f, &l), &g)) in first.iter().zip(last).zip(gross_spend).enumerate() {
            let none_in = (l == NEVER) | (l < wlo) | (f > whi);
            let all_in = !none_in & (f >= wlo) & (l <= whi);
            let holds = (none_in & zero_holds) | (all_in & gross.holds(g));
            yes |= usize::from(holds) << i;
            maybe |= usize::from(!none_in & !all_in) << i;
        }
        *o = yes & cw;
        *a = maybe & cw;
    }
    for row in ask.ones() {
        if rule.matches(&(ctx.subject)(row), ctx.now) {
            out.insert(row);
        }
    }
    out
}
