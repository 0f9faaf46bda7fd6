use std::collections::{BTreeSet, HashSet};

use proptest::prelude::*;

use super::*;
use crate::{Identifier, IdentifierKind, PersonId};

fn counter_mint() -> impl FnMut() -> PersonId {
    counter_mint_from(0)
}

fn counter_mint_from(start: u128) -> impl FnMut() -> PersonId {
    let mut n = start;
    move || {
        n += 1;
        PersonId(uuid::Uuid::from_u128(n))
    }
}

fn id(kind: IdentifierKind, v: &str) -> Identifier {
    Identifier { kind, value: v.into() }
}

/// The partition of every identifier in the graph into people, independent of person ids.
fn partition(graph: &IdentityGraph) -> BTreeSet<BTreeSet<Identifier>> {
    graph.people().map(|(_, ids)| ids.iter().cloned().collect::<BTreeSet<_>>()).filter(|s| !s.is_empty()).collect()
}

fn run(messages: &[Vec<Identifier>], policy: &IdentityPolicy) -> (IdentityGraph, Vec<Change>) {
    let mut graph = IdentityGraph::new();
    let mut mint = counter_mint();
    let mut changes = Vec::new();
    for m in messages {
        let mut m = m.clone();
        m.sort();
        m.dedup();
        changes.extend(graph.resolve(&m, policy, &mut mint).changes);
    }
    (graph, changes)
}

#[test]
fn anonymous_then_openid_then_phone_is_one_person() {
    use IdentifierKind::*;
    let msgs = vec![
        vec![id(AnonymousId, "a1")],
        vec![id(AnonymousId, "a1"), id(WechatOpenid, "o1")],
        vec![id(WechatOpenid, "o1"), id(Phone, "+8613800000001")],
    ];
    let (graph, changes) = run(&msgs, &IdentityPolicy::default());
    assert_eq!(partition(&graph).len(), 1);
    assert_eq!(changes.iter().filter(|c| matches!(c, Change::Created { .. })).count(), 1);
}

#[test]
fn two_unionids_never_merge_and_the_refusal_is_recorded() {
    use IdentifierKind::*;
    let msgs = vec![
        vec![id(WechatUnionid, "u1"), id(Phone, "+8613800000001")],
        vec![id(WechatUnionid, "u2"), id(WechatOpenid, "o2")],
        // A shared family phone seen with the second WeChat user.
        vec![id(Phone, "+8613800000001"), id(WechatOpenid, "o2")],
    ];
    let (graph, changes) = run(&msgs, &IdentityPolicy::default());
    assert_eq!(partition(&graph).len(), 2);
    let refused: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Conflict(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].kind, ConflictKind::MergeRefused);
    assert_eq!(refused[0].limited_kind, WechatUnionid);
}

#[test]
fn a_new_identifier_past_the_limit_is_left_unlinked() {
    use IdentifierKind::*;
    let msgs = vec![vec![id(UserId, "1"), id(WechatUnionid, "u1")], vec![id(UserId, "1"), id(WechatUnionid, "u2")]];
    let (graph, changes) = run(&msgs, &IdentityPolicy::default());
    assert!(graph.owner(&id(WechatUnionid, "u2")).is_none());
    assert!(changes.iter().any(|c| matches!(c, Change::Conflict(c) if c.kind == ConflictKind::LinkRefused)));
}

#[test]
fn alias_previous_id_matches_user_and_anonymous_ids_in_any_order() {
    use IdentifierKind::*;
    let msgs = vec![
        vec![id(UserId, "old")],
        vec![id(AnonymousId, "dev")],
        vec![id(PreviousId, "dev"), id(UserId, "new-id-placeholder")],
    ];
    let policy = IdentityPolicy::default();
    let (graph, _) = run(&msgs, &policy);
    assert_eq!(graph.owner(&id(AnonymousId, "dev")), graph.owner(&id(UserId, "new-id-placeholder")));
    assert_ne!(graph.owner(&id(UserId, "old")), graph.owner(&id(AnonymousId, "dev")));
}

/// A world of people with disjoint identifiers, each person's identifiers within the default
/// limits, and messages that each carry one to three identifiers of one person and that
/// together connect all of that person's identifiers.
fn world() -> impl Strategy<Value = (Vec<BTreeSet<Identifier>>, Vec<Vec<Identifier>>)> {
    use IdentifierKind::*;
    let person = (
        proptest::option::of(Just(UserId)),
        proptest::option::of(Just(WechatUnionid)),
        0usize..=3, // phones
        0usize..=2, // openids
        0usize..=3, // anonymous ids
        0usize..=2, // previous ids
    );
    proptest::collection::vec(person, 1..8).prop_flat_map(|people| {
        let mut truth = Vec::new();
        for (i, (user, union, phones, openids, anons, prevs)) in people.into_iter().enumerate() {
            let mut ids = Vec::new();
            if user.is_some() {
                ids.push(id(UserId, &format!("user-{i}")));
            }
            if union.is_some() {
                ids.push(id(WechatUnionid, &format!("union-{i}")));
            }
            ids.extend((0..phones).map(|j| id(Phone, &format!("+86138{i:04}{j:04}"))));
            ids.extend((0..openids).map(|j| id(WechatOpenid, &format!("open-{i}-{j}"))));
            ids.extend((0..anons).map(|j| id(AnonymousId, &format!("anon-{i}-{j}"))));
            // previousId values name one of the person's anonymous ids or a fresh value.
            ids.extend((0..prevs).map(|j| id(PreviousId, &format!("anon-{i}-{j}"))));
            if ids.is_empty() {
                ids.push(id(AnonymousId, &format!("anon-{i}-only")));
            }
            truth.push(ids);
        }
        let messages_for = |ids: &Vec<Identifier>| -> Vec<Vec<Identifier>> {
            // A chain links consecutive identifiers, plus single-identifier messages.
            let mut msgs: Vec<Vec<Identifier>> = ids.windows(2).map(|w| w.to_vec()).collect();
            msgs.extend(ids.iter().map(|i| vec![i.clone()]));
            msgs
        };
        let messages: Vec<Vec<Identifier>> = truth.iter().flat_map(messages_for).collect();
        let truth_sets: Vec<BTreeSet<Identifier>> = truth.into_iter().map(|v| v.into_iter().collect()).collect();
        (Just(truth_sets), Just(messages).prop_shuffle())
    })
}

proptest! {
    #[test]
    fn any_arrival_order_gives_the_same_partition((truth, messages) in world(), seed in any::<u64>()) {
        let policy = IdentityPolicy::default();
        let (graph, changes) = run(&messages, &policy);
        prop_assert!(!changes.iter().any(|c| matches!(c, Change::Conflict(_))));
        let got = partition(&graph);
        let want: BTreeSet<BTreeSet<Identifier>> = truth.iter().cloned().collect();
        prop_assert_eq!(&got, &want);

        // A second, differently shuffled order agrees.
        let mut reordered = messages.clone();
        let mut s = seed;
        for i in (1..reordered.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            reordered.swap(i, (s >> 33) as usize % (i + 1));
        }
        let (graph2, _) = run(&reordered, &policy);
        prop_assert_eq!(partition(&graph2), got);
    }

    #[test]
    fn limits_hold_in_every_order(messages in proptest::collection::vec(
        proptest::collection::vec((0usize..3, 0usize..4), 1..4), 1..30)) {
        // Few values of few kinds, so conflicts are common.
        let kinds = [IdentifierKind::UserId, IdentifierKind::WechatUnionid, IdentifierKind::Phone];
        let msgs: Vec<Vec<Identifier>> = messages
            .iter()
            .map(|m| m.iter().map(|(k, v)| id(kinds[*k], &format!("v{v}"))).collect())
            .collect();
        let policy = IdentityPolicy::default();
        let (graph, _) = run(&msgs, &policy);
        let mut all = HashSet::new();
        for (_, ids) in graph.people() {
            for kind in kinds {
                prop_assert!(ids.iter().filter(|i| i.kind == kind).count() <= policy.limit(kind));
            }
            for i in ids {
                prop_assert!(all.insert(i.clone()), "an identifier belongs to one person");
            }
        }
    }
}

/// A message carrying these identifiers: userId / anonymousId as such, the rest as identify
/// traits (which also makes the message carry traits).
fn message_with(n: usize, ids: &[Identifier]) -> crate::Message {
    use IdentifierKind::*;
    let mut json = serde_json::json!({"type": "track", "event": "e", "messageId": format!("m{n}")});
    for id in ids {
        match id.kind {
            UserId => json["userId"] = id.value.clone().into(),
            AnonymousId => json["anonymousId"] = id.value.clone().into(),
            kind => {
                json["type"] = "identify".into();
                json["traits"][kind.as_str()] = id.value.clone().into();
            }
        }
    }
    if json.get("userId").is_none() && json.get("anonymousId").is_none() {
        json["anonymousId"] = format!("anon-for-{n}").into();
    }
    let arrival = crate::message::Arrival::live(chrono::DateTime::UNIX_EPOCH);
    crate::Message::parse(&json.to_string(), None, &arrival).unwrap()
}

proptest! {
    /// Loading only the people a batch changes (and the rest as bare owners) plans exactly as
    /// loading everyone whole.
    #[test]
    fn planning_with_only_the_needed_people_loaded_is_the_same(
        before in proptest::collection::vec(proptest::collection::vec((0usize..4, 0usize..6), 1..3), 0..20),
        batch in proptest::collection::vec(proptest::collection::vec((0usize..4, 0usize..6), 1..3), 1..20),
    ) {
        use IdentifierKind::*;
        let kinds = [UserId, AnonymousId, Phone, WechatUnionid];
        let to_ids = |m: &Vec<(usize, usize)>| -> Vec<Identifier> {
            let mut ids: Vec<Identifier> = m.iter().map(|(k, v)| {
                let value = if kinds[*k] == Phone { format!("+86138000000{v:02}") } else { format!("v{v}") };
                id(kinds[*k], &value)
            }).collect();
            ids.sort();
            ids.dedup_by_key(|i| i.kind);
            ids
        };
        let policy = IdentityPolicy::default();
        let (stored_graph, _) = run(&before.iter().map(to_ids).collect::<Vec<_>>(), &policy);
        let everyone: Vec<KnownPerson> = stored_graph
            .people()
            .map(|(p, ids)| KnownPerson { id: p, identifiers: ids.to_vec(), traits: Default::default() })
            .collect();
        let messages: Vec<crate::Message> = batch.iter().enumerate().map(|(n, m)| message_with(n, &to_ids(m))).collect();
        let owners: std::collections::HashMap<Identifier, PersonId> = lookup_keys(&messages)
            .into_iter()
            .filter_map(|k| stored_graph.owner(&k).map(|p| (k, p)))
            .collect();
        let stored = HashSet::new();
        let needed = people_needing_detail(&messages, &stored, &owners);
        let some: Vec<KnownPerson> = everyone.iter().filter(|p| needed.contains(&p.id)).cloned().collect();

        let mut mint_a = counter_mint_from(1_000_000);
        let full = plan_batch(&messages, &stored, everyone, &Default::default(), &policy, &mut mint_a);
        let mut mint_b = counter_mint_from(1_000_000);
        let lean = plan_batch(&messages, &stored, some, &owners, &policy, &mut mint_b);
        prop_assert_eq!(full, lean);
    }
}

/// The case that once put B's message on A: one batch, A with unionid U1 and phone P, then B
/// with unionid U2 and the same phone. Both links of B to A are refused; B is a person of their
/// own holding B and U2, B's message is theirs, and A's traits keep U1.
#[test]
fn a_refused_link_leaves_the_message_with_the_person_its_strongest_identifier_names() {
    use IdentifierKind::*;
    let a = message_with(0, &[id(UserId, "A"), id(WechatUnionid, "U1"), id(Phone, "+8613800000001")]);
    let b = message_with(1, &[id(UserId, "B"), id(WechatUnionid, "U2"), id(Phone, "+8613800000001")]);
    let mut mint = counter_mint();
    let plan = plan_batch(&[a, b], &HashSet::new(), vec![], &Default::default(), &IdentityPolicy::default(), &mut mint);
    let (pa, pb) = (plan.events[0].person, plan.events[1].person);
    assert_ne!(pa, pb, "{plan:#?}");
    let linked = |p: PersonId| -> BTreeSet<String> {
        plan.changes
            .iter()
            .filter_map(|(_, c)| match c {
                Change::Linked { person, identifier } if *person == p => Some(identifier.value.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(linked(pa), ["+8613800000001", "A", "U1"].map(String::from).into());
    assert_eq!(linked(pb), ["B", "U2"].map(String::from).into());
    let refused: Vec<_> = plan
        .changes
        .iter()
        .filter_map(|(i, c)| match c {
            Change::Conflict(c) => Some((*i, c.kind, c.person, c.identifier.value.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(refused, [(1, ConflictKind::LinkRefused, pa, "B")]);
    let traits: std::collections::HashMap<_, _> = plan.traits.iter().cloned().collect();
    assert_eq!(traits[&pa]["wechat_unionid"], "U1");
    assert_eq!(traits[&pb]["wechat_unionid"], "U2");
    // The shared phone stays with A, so B's traits do not claim it.
    assert!(traits[&pb].get("phone").is_none(), "{:?}", traits[&pb]);
}

/// Apply a plan's identity changes: who holds what once the batch is written.
fn holdings(plan: &BatchPlan) -> std::collections::HashMap<PersonId, HashSet<Identifier>> {
    let mut held: std::collections::HashMap<PersonId, HashSet<Identifier>> = Default::default();
    let mut redirect: std::collections::HashMap<PersonId, PersonId> = Default::default();
    let find = |redirect: &std::collections::HashMap<PersonId, PersonId>, mut p: PersonId| {
        while let Some(n) = redirect.get(&p) {
            p = *n;
        }
        p
    };
    for (_, c) in &plan.changes {
        match c {
            Change::Linked { person, identifier } => {
                held.entry(find(&redirect, *person)).or_default().insert(identifier.clone());
            }
            Change::Merged { from, into, .. } => {
                let moved = held.remove(from).unwrap_or_default();
                held.entry(*into).or_default().extend(moved);
                redirect.insert(*from, *into);
            }
            _ => {}
        }
    }
    held
}

proptest! {
    /// With conflicts common (few values of the strongest kinds), every message lands on the
    /// person holding its strongest identifier, and no person's traits name an identifier
    /// that person does not hold.
    #[test]
    fn messages_stay_with_their_strongest_identifier_and_traits_with_their_holder(
        batch in proptest::collection::vec(proptest::collection::vec((0usize..4, 0usize..4), 1..4), 1..25),
    ) {
        use IdentifierKind::*;
        let kinds = [UserId, WechatUnionid, Phone, WechatOpenid];
        let messages: Vec<crate::Message> = batch
            .iter()
            .enumerate()
            .map(|(n, m)| {
                let mut ids: Vec<Identifier> = m.iter().map(|(k, v)| {
                    let value = if kinds[*k] == Phone { format!("+86138000000{v:02}") } else { format!("v{v}") };
                    id(kinds[*k], &value)
                }).collect();
                ids.sort();
                ids.dedup_by_key(|i| i.kind);
                message_with(n, &ids)
            })
            .collect();
        let mut mint = counter_mint();
        let plan = plan_batch(&messages, &HashSet::new(), vec![], &Default::default(), &IdentityPolicy::default(), &mut mint);
        let held = holdings(&plan);
        for e in &plan.events {
            let strongest = &messages[e.index].identifiers[0];
            prop_assert!(held.get(&e.person).is_some_and(|h| h.contains(strongest)),
                "message {} on {:?} which does not hold {:?}", e.index, e.person, strongest);
        }
        for (person, traits) in &plan.traits {
            for kind in IdentifierKind::TRAIT_KINDS {
                if let Some(v) = traits.get(kind.as_str()).and_then(|v| v.as_str()) {
                    let named = id(kind, v);
                    prop_assert!(held.get(person).is_some_and(|h| h.contains(&named)),
                        "{:?}'s traits name {:?}", person, named);
                }
            }
        }
    }
}

/// Sensors-style trait updates apply in batch order over the stored person's traits, and a
/// stored person whose traits an update changes is loaded whole even when nothing else changes.
#[test]
fn trait_updates_apply_in_order_over_the_stored_traits() {
    use crate::message::Arrival;
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().to_utc();
    let identify = |id: &str, update: &str, traits: serde_json::Value| {
        let json = serde_json::json!({"type": "identify", "messageId": id, "userId": "u1",
            "traitsUpdate": update, "traits": traits});
        crate::Message::parse(&json.to_string(), None, &Arrival::live(at)).unwrap()
    };
    let messages = [
        identify("m1", "increment", serde_json::json!({"visits": 2})),
        identify("m2", "set_once", serde_json::json!({"city": "杭州", "name": "新名字"})),
        identify("m3", "append", serde_json::json!({"tags": ["粮油"]})),
        identify("m4", "unset", serde_json::json!({"old": true})),
    ];
    let stored = PersonId(uuid::Uuid::from_u128(7));
    let u1 = id(IdentifierKind::UserId, "u1");
    let owners: std::collections::HashMap<_, _> = [(u1.clone(), stored)].into();
    assert!(people_needing_detail(&messages, &HashSet::new(), &owners).contains(&stored));
    let known = vec![KnownPerson {
        id: stored,
        identifiers: vec![u1],
        traits: serde_json::json!({"visits": 1, "name": "小王", "tags": ["鲜果"], "old": 1})
            .as_object()
            .cloned()
            .unwrap(),
    }];
    let plan = plan_batch(&messages, &HashSet::new(), known, &owners, &IdentityPolicy::default(), &mut counter_mint());
    assert_eq!(
        serde_json::Value::Object(plan.traits[0].1.clone()),
        serde_json::json!({"visits": 3, "name": "小王", "tags": ["鲜果", "粮油"], "city": "杭州"})
    );
    let delete = identify("m5", "delete", serde_json::Value::Null);
    let plan = plan_batch(
        &[delete],
        &HashSet::new(),
        vec![KnownPerson {
            id: stored,
            identifiers: vec![id(IdentifierKind::UserId, "u1")],
            traits: plan.traits[0].1.clone(),
        }],
        &owners,
        &IdentityPolicy::default(),
        &mut counter_mint(),
    );
    assert_eq!(plan.traits, vec![(stored, serde_json::Map::new())]);
}
