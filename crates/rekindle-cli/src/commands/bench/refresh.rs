//! A refresh at scale: many profiles and many saved segments judged from scratch (every stage,
//! tier, RFM score, tag and segment, then the membership diff), and then refreshes after a
//! small share of people changed and a few minutes passed, built from the previous audience
//! (docs/segments.md, "Keeping refreshes cheap"). The last incremental audience and its
//! changes must equal a build and a diff from scratch.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::ensure;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use rekindle_core::money::Amounts;
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_core::{PersonId, SegmentId};
use rekindle_engine::audience::{Audience, Context, Saved};
use rekindle_engine::tracker::Tracker;
use rekindle_rules::{ProductTags, Sessions, parse};
use rekindle_sim::{SimConfig, Simulation};
use rekindle_store::SegmentKind;
use serde_json::{Value, json};

use crate::cli::BenchRefreshArgs;

/// The pause between rounds: less than `segments.refresh_seconds`' default of 5 s.
const ROUNDS_APART: std::time::Duration = std::time::Duration::from_secs(3);

pub fn refresh(args: BenchRefreshArgs) -> anyhow::Result<ExitCode> {
    let config = SimConfig { people: args.people, days: 120, seed: args.seed, ..SimConfig::default() };
    let sim = Simulation::new(config.clone());
    let mut now: DateTime<Utc> = chrono::TimeZone::from_utc_datetime(
        &Utc,
        &(config.start + chrono::Days::new(u64::from(config.days))).and_hms_opt(0, 0, 0).expect("midnight"),
    );
    eprintln!("simulating and folding {} people…", args.people);
    let mut base = Vec::with_capacity(args.people as usize);
    for i in 0..args.people {
        let mut p = Profile::default();
        for m in &sim.person(i).0 {
            if let Some((at, name, payload)) = super::segments::event(m) {
                let properties = payload.get("properties").unwrap_or(&Value::Null);
                p.apply(ProfileEvent { at, name: &name, properties, amounts: Amounts::of(&payload) });
            }
        }
        base.push(p);
    }
    // Each profile its own copy, as the engine holds them.
    let mut profiles: HashMap<PersonId, Arc<Profile>> =
        (0..args.profiles).map(|i| (person(i as u64), Arc::new(base[i % base.len()].clone()))).collect();

    let catalogue = sim.products();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let rules: Vec<String> = (0..args.segments).map(|_| rule(&mut rng, &catalogue)).collect();
    let context = || context(&sim, &rules);

    // From scratch: what every refresh cost before, and what the first one still costs.
    eprintln!("judging {} profiles against {} segments from scratch…", args.profiles, args.segments);
    let started = Instant::now();
    let people = collect(&profiles);
    let audience = Arc::new(Audience::build(people, now, context()));
    let built = started.elapsed();
    let mut tracker = Tracker::recorded(HashMap::new(), HashMap::new());
    let started = Instant::now();
    let found = tracker.diff(&audience);
    let diffed = started.elapsed();
    let entered = found.changes().membership.len();
    tracker.apply(found);
    drop(audience);

    let changed = ((args.profiles as f64 * args.changed_share).round() as usize).max(1);
    let mut ms = Vec::new();
    let mut rejudged = Vec::new();
    let mut last = None;
    for round in 0..args.rounds {
        // A new order for 1% of people (a new profile each, as a fold makes), minutes later.
        now += Duration::minutes(3);
        for _ in 0..changed {
            let id = person(rng.random_range(0..args.profiles as u64));
            if let Some(p) = profiles.get_mut(&id) {
                let mut q = (**p).clone();
                let props = json!({"order_id": format!("bench-{round}-{id}"), "revenue": rng.random_range(100..20_000),
                    "products": [{"sku": catalogue[rng.random_range(0..catalogue.len())].sku, "quantity": 1}]});
                q.apply(ProfileEvent {
                    at: now - Duration::minutes(1),
                    name: "Order Completed",
                    properties: &props,
                    amounts: Amounts::LEGACY,
                });
                *p = Arc::new(q);
            }
        }
        let basis = tracker.basis().cloned();
        // `serve` refreshes every few seconds, and the audience a refresh replaced is freed on
        // a background thread meanwhile: rounds are as far apart, so a round does not share
        // the cores with freeing the last one (docs/benchmarks.md).
        std::thread::sleep(ROUNDS_APART);
        let started = Instant::now();
        let people = collect(&profiles);
        let audience = Arc::new(Audience::next(basis.as_deref(), people, now, context()));
        let found = tracker.diff(&audience);
        ms.push(started.elapsed().as_secs_f64() * 1e3);
        rejudged.push(audience.rejudged_count());
        eprintln!(
            "round {round}: {:.0} ms, {} judged again, {} membership changes",
            ms[ms.len() - 1],
            rejudged[rejudged.len() - 1],
            found.changes().membership.len()
        );
        let changes = found.changes().clone();
        let counts = found.counts().clone();
        let before = basis.expect("a basis after the first build");
        tracker.apply(found);
        last = Some((before, audience, changes, counts));
    }

    // The last incremental audience and its changes against judging everyone again.
    let (before, audience, changes, counts) = last.expect("at least one round");
    let started = Instant::now();
    let full = Audience::build(collect(&profiles), now, context());
    let rebuilt = started.elapsed();
    ensure!(audience.members.len() == full.members.len(), "a different number of members");
    for (a, b) in audience.members.iter().zip(&full.members) {
        ensure!(
            a.person == b.person
                && (a.stage, a.tier, a.rfm) == (b.stage, b.tier, b.rfm)
                && a.tags == b.tags
                && a.segments == b.segments,
            "person {} is judged differently incrementally",
            a.person
        );
    }
    let mut recorded: HashMap<SegmentId, HashSet<PersonId>> = HashMap::new();
    for (i, s) in before.context.segments.iter().enumerate() {
        recorded.insert(s.id, before.in_segment(i).map(|m| m.person).collect());
    }
    let stages = before.members.iter().map(|m| (m.person, m.stage)).collect();
    let full = Arc::new(full);
    let reference = Tracker::recorded(recorded, stages).diff(&full);
    ensure!(*reference.changes() == changes, "the incremental diff records different changes");
    ensure!(*reference.counts() == counts, "the incremental sizes differ");

    ms.sort_by(f64::total_cmp);
    rejudged.sort_unstable();
    println!("profiles         {} ({} simulated people, repeated; seed {})", args.profiles, args.people, args.seed);
    println!("segments         {} saved rules, {} memberships entered at the first refresh", args.segments, entered);
    println!(
        "from scratch     build {:.0} ms + diff {:.0} ms; again at the end {:.0} ms (build)",
        built.as_secs_f64() * 1e3,
        diffed.as_secs_f64() * 1e3,
        rebuilt.as_secs_f64() * 1e3
    );
    println!(
        "incremental      median {:.0} ms over {} rounds (min {:.0}, max {:.0}): {} changed + 3 minutes, median {} judged again",
        ms[ms.len() / 2],
        ms.len(),
        ms[0],
        ms[ms.len() - 1],
        changed,
        rejudged[rejudged.len() / 2]
    );
    println!("check            the last incremental audience and its changes equal a build from scratch");
    Ok(ExitCode::SUCCESS)
}

fn collect(profiles: &HashMap<PersonId, Arc<Profile>>) -> Vec<(PersonId, Arc<Profile>)> {
    profiles.iter().map(|(p, x)| (*p, x.clone())).collect()
}

fn person(n: u64) -> PersonId {
    format!("00000000-0000-7000-8000-{n:012x}").parse().expect("a uuid")
}

fn context(sim: &Simulation, rules: &[String]) -> Context {
    let products = ProductTags::new(sim.products().into_iter().map(|p| (p.sku, p.tags)));
    let sessions =
        Sessions::new(sim.session_objects().into_iter().map(|s| (s.started_at.unwrap_or(s.scheduled_start), s.id)));
    Context {
        products,
        sessions,
        rule_tags: vec![
            ("regular".into(), parse("orders >= 3 and days_since_order <= 30").expect("a tag rule")),
            ("fan".into(), parse("watched within 14d").expect("a tag rule")),
        ],
        segments: rules
            .iter()
            .enumerate()
            .map(|(i, r)| Saved {
                id: SegmentId(i as i64 + 1),
                name: format!("bench {i}"),
                kind: SegmentKind::Custom,
                rule: parse(r).expect("a bench rule"),
            })
            .collect(),
        ..Context::default()
    }
}

/// A varied rule: counts, money, windows, recency, stages, tiers, RFM, tags, `bought`, live
/// terms, alone or combined.
fn rule(rng: &mut ChaCha8Rng, catalogue: &[rekindle_core::objects::Product]) -> String {
    let term = |rng: &mut ChaCha8Rng| {
        let d = [7, 14, 30, 60, 90, 365][rng.random_range(0..6)];
        let product = &catalogue[rng.random_range(0..catalogue.len())];
        match rng.random_range(0..16) {
            0 => format!("orders >= {}", rng.random_range(1..6)),
            1 => format!("spend({d}d) >= ¥{}", rng.random_range(1..20) * 50),
            2 => format!("spend >= ¥{}", rng.random_range(1..40) * 50),
            3 => format!("days_since_order > {}", rng.random_range(3..60)),
            4 => format!("days_since_seen <= {}", rng.random_range(3..60)),
            5 => format!(r#"bought "{}" within {d}d"#, product.category),
            6 => format!(r#"bought "{}""#, product.sku),
            7 => format!(
                r#"bought tagged "{}" within {d}d"#,
                ["organic", "new", "prepared", "large_pack"][rng.random_range(0..4)]
            ),
            8 => format!("watched within {d}d"),
            9 => {
                format!("lifecycle = {}", ["new", "active", "silent", "churned", "reactivated"][rng.random_range(0..5)])
            }
            10 => format!("tier = {}", ["high", "potential", "edge"][rng.random_range(0..3)]),
            11 => format!("rfm_r >= {}", rng.random_range(1..6)),
            12 => format!(r#"tag "{}""#, ["regular", "fan"][rng.random_range(0..2)]),
            13 => format!("aov >= ¥{}", rng.random_range(1..10) * 20),
            14 => format!("attended(3) >= {}", rng.random_range(1..3)),
            _ => format!("categories >= {}", rng.random_range(1..4)),
        }
    };
    match rng.random_range(0..4) {
        0 => term(rng),
        1 => format!("{} and {}", term(rng), term(rng)),
        2 => format!("{} and not {}", term(rng), term(rng)),
        _ => format!("({} or {}) and {}", term(rng), term(rng), term(rng)),
    }
}
