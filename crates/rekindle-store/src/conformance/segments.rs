//! Segments, membership, stages, tags and stored predictions.

use super::*;

pub async fn segments_are_versioned(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    let s = store.create_segment(ws, &new_segment("loyal", "orders >= 3")).await.unwrap();
    assert_eq!((s.version, s.rule.as_str(), s.kind), (1, "orders >= 3", crate::SegmentKind::Custom));
    assert!(matches!(
        store.create_segment(ws, &new_segment("loyal", "orders >= 1")).await,
        Err(StoreError::AlreadyExists(_))
    ));
    store.create_segment(other, &new_segment("loyal", "orders >= 1")).await.expect("names are per workspace");
    let later = t0() + chrono::Duration::hours(1);
    let edit = crate::SegmentEdit { rule: Some("orders >= 4".into()), by: None, at: later, ..Default::default() };
    let s2 = store.update_segment(ws, s.id, &edit).await.unwrap();
    assert_eq!((s2.version, s2.rule.as_str(), s2.name.as_str()), (2, "orders >= 4", "loyal"));
    assert_eq!(s2.updated_at, later);
    let renamed = crate::SegmentEdit {
        name: Some("regulars".into()),
        rule: Some("orders >= 4".into()),
        at: later,
        ..Default::default()
    };
    assert_eq!(store.update_segment(ws, s.id, &renamed).await.unwrap().version, 2, "the same rule adds no version");
    let versions = store.segment_versions(ws, s.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| (v.version, v.rule.as_str())).collect::<Vec<_>>(),
        [(2, "orders >= 4"), (1, "orders >= 3")]
    );
    assert_eq!(versions[1].created_by.as_deref(), Some("ops@example.com"));
    assert_eq!(store.segments(ws).await.unwrap().len(), 1);
    assert!(store.segment(other, s.id).await.unwrap().is_none(), "another workspace cannot see it");
    assert!(matches!(store.update_segment(other, s.id, &edit).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.delete_segment(other, s.id).await, Err(StoreError::NotFound(_))));
    store.delete_segment(ws, s.id).await.unwrap();
    assert!(store.segment(ws, s.id).await.unwrap().is_none());
    assert!(matches!(store.delete_segment(ws, s.id).await, Err(StoreError::NotFound(_))));
}

pub async fn membership_is_recorded(store: &dyn Store) {
    let ws = default_ws(store).await;
    let s = store.create_segment(ws, &new_segment("s", "orders >= 1")).await.unwrap();
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let change = |person, entered, hours| crate::MembershipChange {
        segment: s.id,
        person,
        entered,
        at: t0() + chrono::Duration::hours(hours),
    };
    let size = |size, hours| crate::SegmentSize { segment: s.id, size, at: t0() + chrono::Duration::hours(hours) };
    store.record_membership(ws, &[change(a, true, 0), change(b, true, 0)], &[size(2, 0)]).await.unwrap();
    store.record_membership(ws, &[change(a, false, 1)], &[size(1, 1)]).await.unwrap();
    let members = store.segment_members(ws, s.id, None, 10).await.unwrap();
    assert_eq!(members.iter().map(|m| m.person).collect::<Vec<_>>(), [b]);
    assert_eq!(members[0].since, t0());
    assert!(store.segment_members(ws, s.id, Some(b), 10).await.unwrap().is_empty(), "paged after b");
    assert_eq!(store.all_segment_members(ws).await.unwrap(), [(s.id, b)]);
    let changes = store.segment_changes(ws, s.id, 10).await.unwrap();
    assert_eq!(changes.iter().map(|c| (c.person, c.entered)).collect::<Vec<_>>(), [(a, false), (b, true), (a, true)]);
    let sizes = store.segment_sizes(ws, s.id, t0()).await.unwrap();
    assert_eq!(sizes.iter().map(|z| z.size).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(store.segment_sizes(ws, s.id, t0() + chrono::Duration::minutes(1)).await.unwrap().len(), 1);
    store.delete_segment(ws, s.id).await.unwrap();
    assert!(store.all_segment_members(ws).await.unwrap().is_empty(), "membership goes with the segment");
}

pub async fn stages_are_recorded(store: &dyn Store) {
    use rekindle_core::lifecycle::Stage;
    let ws = default_ws(store).await;
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let at = |h| t0() + chrono::Duration::hours(h);
    store
        .record_stage_changes(
            ws,
            &[
                crate::StageChange { person: a, from: None, to: Stage::New, at: at(0) },
                crate::StageChange { person: b, from: None, to: Stage::Prospect, at: at(0) },
            ],
        )
        .await
        .unwrap();
    store
        .record_stage_changes(
            ws,
            &[crate::StageChange { person: a, from: Some(Stage::New), to: Stage::Silent, at: at(5) }],
        )
        .await
        .unwrap();
    let mut stages = store.stages(ws).await.unwrap();
    stages.sort();
    let mut expected = vec![(a, Stage::Silent), (b, Stage::Prospect)];
    expected.sort();
    assert_eq!(stages, expected);
    let of_a = store.stage_changes(ws, Some(a), 10).await.unwrap();
    assert_eq!(
        of_a.iter().map(|c| (c.from, c.to, c.at)).collect::<Vec<_>>(),
        [(Some(Stage::New), Stage::Silent, at(5)), (None, Stage::New, at(0))]
    );
    assert_eq!(store.stage_changes(ws, None, 10).await.unwrap().len(), 3);
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(store.stages(other).await.unwrap().is_empty());
}

pub async fn tags_on_people(store: &dyn Store) {
    let ws = default_ws(store).await;
    let tag = |name: &str, rule: Option<&str>| crate::Tag {
        name: name.into(),
        rule: rule.map(String::from),
        description: String::new(),
        created_at: t0(),
    };
    store.put_tag(ws, &tag("VIP", None)).await.unwrap();
    store.put_tag(ws, &tag("回购", Some("orders >= 2"))).await.unwrap();
    store.put_tag(ws, &crate::Tag { description: "big buyers".into(), ..tag("VIP", None) }).await.unwrap();
    let tags = store.tags(ws).await.unwrap();
    assert_eq!(tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["VIP", "回购"]);
    assert_eq!(tags[0].description, "big buyers", "put replaces");
    let p = PersonId::new_v7();
    let on = |t: &str| crate::PersonTag { person: p, tag: t.into(), at: t0() };
    store.tag_person(ws, &on("VIP")).await.unwrap();
    store.tag_person(ws, &on("VIP")).await.expect("tagging twice is no change");
    assert!(matches!(store.tag_person(ws, &on("nope")).await, Err(StoreError::NotFound(_))), "undefined tag");
    assert_eq!(store.person_tags(ws, Some(p)).await.unwrap(), [on("VIP")]);
    assert_eq!(store.person_tags(ws, None).await.unwrap().len(), 1);
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(
        matches!(store.tag_person(other, &on("VIP")).await, Err(StoreError::NotFound(_))),
        "tags are per workspace"
    );
    store.untag_person(ws, p, "VIP").await.unwrap();
    assert!(matches!(store.untag_person(ws, p, "VIP").await, Err(StoreError::NotFound(_))));
    store.tag_person(ws, &on("VIP")).await.unwrap();
    store.delete_tag(ws, "VIP").await.unwrap();
    assert!(store.person_tags(ws, None).await.unwrap().is_empty(), "deleting a tag takes it off people");
    assert!(matches!(store.delete_tag(ws, "VIP").await, Err(StoreError::NotFound(_))));
}

pub async fn the_latest_fit_is_kept_per_workspace(store: &dyn Store) {
    let ws = default_ws(store).await;
    let fitted = |hours, r: f64| crate::StoredFit {
        as_of: t0() + chrono::Duration::hours(hours),
        fit: serde_json::json!({"bgnbd": {"r": r, "alpha": 3.5, "a": 0.2, "b": 2.1}, "customers": 40}),
    };
    assert_eq!(store.latest_fit(ws).await.unwrap(), None);
    store.put_fit(ws, &fitted(0, 0.25)).await.unwrap();
    store.put_fit(ws, &fitted(1, 0.5)).await.unwrap();
    assert_eq!(store.latest_fit(ws).await.unwrap(), Some(fitted(1, 0.5)), "a fit replaces the one before");
    let other = store.create_workspace("fits", "Fits", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.latest_fit(other).await.unwrap(), None, "workspaces stay apart");
}

pub async fn scores_are_replaced_whole(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let scored = |person, p_alive: f64, hours| crate::StoredScores {
        person,
        as_of: t0() + chrono::Duration::hours(hours),
        scores: serde_json::json!({"p_alive": p_alive, "churn_risk": "low"}),
    };
    store.put_scores(ws, &[scored(a, 0.9, 0), scored(b, 0.4, 0)]).await.unwrap();
    assert_eq!(store.person_scores(ws, b).await.unwrap(), Some(scored(b, 0.4, 0)));
    store.put_scores(ws, &[scored(a, 0.8, 1)]).await.unwrap();
    assert_eq!(store.person_scores(ws, a).await.unwrap(), Some(scored(a, 0.8, 1)));
    assert_eq!(store.person_scores(ws, b).await.unwrap(), None, "a new scoring replaces the old one whole");
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.person_scores(other, a).await.unwrap(), None);
    store.put_scores(other, &[]).await.unwrap();
    assert!(store.person_scores(ws, a).await.unwrap().is_some(), "workspaces stay apart");

    // A large scoring (a store may write it in parts) replaces the old one whole too.
    let many: Vec<PersonId> = (0..2500).map(|_| PersonId::new_v7()).collect();
    let all: Vec<_> = many.iter().map(|p| scored(*p, 0.5, 2)).collect();
    store.put_scores(ws, &all).await.unwrap();
    let some: Vec<_> = many[..1200].iter().map(|p| scored(*p, 0.6, 3)).collect();
    store.put_scores(ws, &some).await.unwrap();
    for p in [many[0], many[1199]] {
        assert_eq!(store.person_scores(ws, p).await.unwrap(), Some(scored(p, 0.6, 3)));
    }
    for p in [a, many[1200], many[2499]] {
        assert_eq!(store.person_scores(ws, p).await.unwrap(), None, "scores of an earlier moment are gone");
    }
}
