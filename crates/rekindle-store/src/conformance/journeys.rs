//! Journeys and delivery: what every backend must guarantee (send-once keys, caps taken
//! atomically, optimistic advances, coupons issued once).

use chrono::{Duration, NaiveDate};
use rekindle_core::PersonId;
use rekindle_core::journey::{Definition, Reentry};
use rekindle_core::outreach::{CapsConfig, ChannelKind};

use super::{default_ws, t0};
use crate::{
    Advance, Enrollment, EnrollmentState, JourneyStatus, NewEnrollment, NewMessage, Queued, StepRecord, Store,
    StoreError, WalkedEntry,
};

fn definition(template: &str) -> Definition {
    serde_json::from_value(serde_json::json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [
            {"id": "wait", "type": "wait", "minutes": 60, "next": "send"},
            {"id": "send", "type": "send", "channel": "sms", "template": template},
        ],
        "goal": {"within_days": 7},
    }))
    .unwrap()
}

pub fn message(key: &str, person: PersonId, channel: ChannelKind, day: &str) -> NewMessage {
    let day: NaiveDate = day.parse().unwrap();
    NewMessage {
        send_key: key.into(),
        person,
        journey: None,
        enrollment: None,
        step: None,
        variant: None,
        channel,
        recipient: "13800138000".into(),
        sender: None,
        template: Some("SMS_1".into()),
        body: serde_json::json!({"text": "hi"}),
        transactional: false,
        not_before: t0(),
        day,
        skip: None,
        priority: crate::DEFAULT_PRIORITY,
        tag: None,
        when_capped: Default::default(),
        fallback: Vec::new(),
    }
}

pub async fn journeys_are_versioned(store: &dyn Store) {
    let ws = default_ws(store).await;
    let j = store.create_journey(ws, "复购提醒", &definition("a"), t0()).await.unwrap();
    assert_eq!((j.status, j.version), (JourneyStatus::Draft, None));
    assert!(matches!(
        store.create_journey(ws, "复购提醒", &definition("a"), t0()).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let v1 = store.publish_journey(ws, j.id, Some("op@example.com"), t0()).await.unwrap();
    assert_eq!(v1.version, 1);
    let edited = store.update_journey(ws, j.id, None, Some(&definition("b")), t0()).await.unwrap();
    assert_eq!(
        (edited.status, edited.version),
        (JourneyStatus::Live, Some(1)),
        "editing the draft changes nothing live"
    );
    let v2 = store.publish_journey(ws, j.id, None, t0() + Duration::hours(1)).await.unwrap();
    assert_eq!(v2.version, 2);
    let versions = store.journey_versions(ws, j.id).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(store.journey_version(ws, j.id, 1).await.unwrap().unwrap().definition, definition("a"));
    assert_eq!(versions[1].published_by.as_deref(), Some("op@example.com"));
    let paused = store.set_journey_status(ws, j.id, JourneyStatus::Paused, t0()).await.unwrap();
    assert_eq!(paused.status, JourneyStatus::Paused);
    let renamed = store.update_journey(ws, j.id, Some("复购提醒 v2"), None, t0()).await.unwrap();
    assert_eq!(renamed.name, "复购提醒 v2");
    assert_eq!(renamed.draft, definition("b"));
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(store.journey(other, j.id).await.unwrap().is_none(), "journeys are per workspace");
    assert!(matches!(store.publish_journey(other, j.id, None, t0()).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.journeys(ws).await.unwrap().len(), 1);
}

pub(crate) async fn published(store: &dyn Store, name: &str) -> (crate::Journey, i32) {
    let ws = default_ws(store).await;
    let j = store.create_journey(ws, name, &definition("t"), t0()).await.unwrap();
    let v = store.publish_journey(ws, j.id, None, t0()).await.unwrap().version;
    (j, v)
}

pub async fn enrollment_follows_the_reentry_policy(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (j, version) = published(store, "j").await;
    let p = PersonId::new_v7();
    let new = |key: &str, reentry, at| NewEnrollment {
        journey: j.id,
        version,
        person: p,
        trigger_key: key.into(),
        reentry,
        context: serde_json::json!({"product": "燕麦"}),
        limits: Default::default(),
        at,
    };
    let first = store.enroll(ws, &new("e1", Reentry::Once, t0())).await.unwrap().expect("first entry");
    assert_eq!((first.state, first.step.as_deref(), first.seq), (EnrollmentState::Active, Some("wait"), 0));
    assert_eq!(first.context, serde_json::json!({"product": "燕麦"}), "the trigger's context is kept");
    assert!(
        store.enroll(ws, &new("e1", Reentry::Always, t0())).await.unwrap().is_none(),
        "the same trigger enrolls once"
    );
    assert!(store.enroll(ws, &new("e2", Reentry::Once, t0())).await.unwrap().is_none(), "once ever");
    assert!(store.enroll(ws, &new("e2", Reentry::Always, t0())).await.unwrap().is_none(), "not while inside");
    store.close_enrollment(ws, first.id, EnrollmentState::Exited, t0()).await.unwrap();
    let later = t0() + Duration::days(3);
    assert!(store.enroll(ws, &new("e3", Reentry::After { days: 7 }, later)).await.unwrap().is_none(), "too soon");
    let again = store.enroll(ws, &new("e4", Reentry::After { days: 2 }, later)).await.unwrap();
    assert!(again.is_some(), "long enough after");
    assert_eq!(store.person_enrollments(ws, p).await.unwrap().len(), 2);
    assert_eq!(store.open_enrollments(ws, p).await.unwrap().len(), 1);
}

/// Entries into two versions of one journey in one write each start at their own version's
/// first step (a backend may read each version's definition once per write).
pub async fn entries_start_at_their_own_version_s_first_step(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (j, v1) = published(store, "versions").await;
    let mut second = definition("t");
    second.steps.rotate_left(1);
    store.update_journey(ws, j.id, None, Some(&second), t0()).await.unwrap();
    let v2 = store.publish_journey(ws, j.id, None, t0()).await.unwrap().version;
    let new = |n: usize, version| NewEnrollment {
        journey: j.id,
        version,
        person: PersonId::new_v7(),
        trigger_key: format!("e{n}"),
        reentry: Reentry::Always,
        context: serde_json::Value::Null,
        limits: Default::default(),
        at: t0(),
    };
    let entries: Vec<NewEnrollment> = (0..4).map(|n| new(n, if n % 2 == 0 { v1 } else { v2 })).collect();
    let entered = store.enroll_many(ws, &entries).await.unwrap();
    let steps: Vec<_> = entered.iter().map(|e| e.as_ref().map(|e| (e.version, e.step.clone()))).collect();
    let at = |v, step: &str| Some((v, Some(step.to_owned())));
    assert_eq!(steps, [at(v1, "wait"), at(v2, "send"), at(v1, "wait"), at(v2, "send")]);
    let missing = NewEnrollment { version: v2 + 1, ..new(9, v1) };
    assert!(
        matches!(store.enroll_many(ws, &[new(8, v1), missing]).await, Err(StoreError::NotFound(_))),
        "a version never published"
    );
}

pub async fn advances_are_optimistic(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (j, version) = published(store, "j").await;
    let p = PersonId::new_v7();
    let new = NewEnrollment {
        journey: j.id,
        version,
        person: p,
        trigger_key: "e".into(),
        reentry: Reentry::Once,
        context: serde_json::Value::Null,
        limits: Default::default(),
        at: t0(),
    };
    let e = store.enroll(ws, &new).await.unwrap().unwrap();
    let wake = t0() + Duration::hours(1);
    let to_wait = Advance {
        enrollment: e.id,
        seq: 0,
        state: EnrollmentState::Active,
        step: Some("send".into()),
        wake_at: Some(wake),
        variant: Some("A".into()),
        messages: vec![],
        log: vec![StepRecord { step: "wait".into(), outcome: "waiting".into(), detail: None }],
        at: t0(),
    };
    let caps = CapsConfig::default();
    assert_eq!(store.advance(ws, &to_wait, &caps).await.unwrap(), Some(vec![]));
    assert!(store.due_enrollments(ws, t0(), 10).await.unwrap().is_empty());
    let due = store.due_enrollments(ws, wake, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| (d.id, d.seq, d.variant.as_deref())).collect::<Vec<_>>(), [(e.id, 1, Some("A"))]);
    let mut send = message(&format!("{}:1:send", e.id), p, ChannelKind::Sms, "2026-05-01");
    send.journey = Some(j.id);
    send.enrollment = Some(e.id);
    send.step = Some("send".into());
    let finish = Advance {
        seq: 1,
        state: EnrollmentState::Finished,
        step: None,
        wake_at: None,
        variant: None,
        messages: vec![send.clone()],
        log: vec![StepRecord { step: "send".into(), outcome: "queued".into(), detail: None }],
        at: wake,
        ..to_wait.clone()
    };
    let queued = store.advance(ws, &finish, &caps).await.unwrap().unwrap();
    assert!(matches!(queued[..], [Queued::Queued(_)]), "{queued:?}");
    assert_eq!(store.advance(ws, &finish, &caps).await.unwrap(), None, "a stale walk writes nothing");
    assert_eq!(store.messages(ws, Some(p), 10).await.unwrap().len(), 1);
    assert_eq!(store.queue(ws, &[send], &caps).await.unwrap(), [Queued::Duplicate], "send keys are once");
    let stored = store.enrollment(ws, e.id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.seq, stored.variant.as_deref()), (EnrollmentState::Finished, 2, Some("A")));
    store.close_enrollment(ws, e.id, EnrollmentState::Converted, wake).await.unwrap();
    store.close_enrollment(ws, e.id, EnrollmentState::Exited, wake).await.unwrap();
    let closed = store.enrollment(ws, e.id).await.unwrap().unwrap();
    assert_eq!(
        (closed.state, closed.converted_at),
        (EnrollmentState::Converted, Some(wake)),
        "closing twice: the first wins"
    );
    let conversions = store.journey_conversions(ws, j.id).await.unwrap();
    assert_eq!(
        conversions.iter().map(|c| (c.variant.as_deref(), c.entered, c.converted)).collect::<Vec<_>>(),
        [(Some("A"), 1, 1)]
    );
    let steps = store.journey_step_counts(ws, j.id).await.unwrap();
    let outcomes: Vec<_> = steps.iter().map(|r| (r.step.as_str(), r.outcome.as_str(), r.count)).collect();
    assert!(outcomes.contains(&("wait", "entered", 1)) && outcomes.contains(&("send", "queued", 1)), "{outcomes:?}");
    assert!(outcomes.iter().any(|o| o.1 == "converted"), "{outcomes:?}");
    let messages = store.journey_message_counts(ws, j.id).await.unwrap();
    assert_eq!(
        messages.iter().map(|r| (r.step.as_str(), r.outcome.as_str(), r.count)).collect::<Vec<_>>(),
        [("send", "queued", 1)]
    );
}

/// An entry walked before it is written (`WalkedEntry`): under the id reserved for it, with
/// its walk applied in the same write, refused as `enroll` would refuse it, and ids reserved
/// never taken by another enrollment.
pub async fn entries_walked_before_they_are_written(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (j, version) = published(store, "j").await;
    let caps = CapsConfig::default();
    let p = PersonId::new_v7();
    let new = |key: &str| NewEnrollment {
        journey: j.id,
        version,
        person: p,
        trigger_key: key.into(),
        reentry: Reentry::Always,
        context: serde_json::json!({"product": "燕麦"}),
        limits: Default::default(),
        at: t0(),
    };
    let ids = store.reserve_enrollment_ids(3).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending and distinct: {ids:?}");
    // An enrollment written meanwhile the plain way takes none of them.
    let other = PersonId::new_v7();
    let plain = store.enroll(ws, &NewEnrollment { person: other, ..new("plain") }).await.unwrap().unwrap();
    assert!(!ids.contains(&plain.id), "{} is reserved", plain.id);
    // What the walk was planned from is the row `enroll` writes.
    assert_eq!(
        plain,
        Enrollment::entering(plain.id, &NewEnrollment { person: other, ..new("plain") }, plain.step.clone())
    );

    let walk = |id: i64| {
        let mut send = message(&format!("{id}:0:send"), p, ChannelKind::Sms, "2026-05-01");
        (send.journey, send.enrollment, send.step) = (Some(j.id), Some(id), Some("send".into()));
        Advance {
            enrollment: id,
            seq: 0,
            state: EnrollmentState::Active,
            step: Some("send".into()),
            wake_at: Some(t0() + Duration::hours(1)),
            variant: Some("A".into()),
            messages: vec![send],
            log: vec![StepRecord { step: "wait".into(), outcome: "waiting".into(), detail: None }],
            at: t0(),
        }
    };
    let entries: Vec<WalkedEntry> = [("e1", ids[0]), ("e1", ids[1]), ("e2", ids[2])]
        .into_iter()
        .map(|(key, id)| WalkedEntry { id, entry: new(key), walk: walk(id) })
        .collect();
    let fates = store.enter_walked(ws, &entries, &caps).await.unwrap();
    assert!(matches!(&fates[0], Some(q) if matches!(q[..], [Queued::Queued(_)])), "entered and queued: {fates:?}");
    assert_eq!(fates[1], None, "the same trigger enrolls once: its walk is dropped");
    assert_eq!(fates[2], None, "not while inside (re-entry always): its walk is dropped");
    let entered = store.enrollment(ws, ids[0]).await.unwrap().expect("entered under the reserved id");
    assert_eq!(
        (entered.state, entered.step.as_deref(), entered.seq, entered.variant.as_deref(), entered.context),
        (EnrollmentState::Active, Some("send"), 1, Some("A"), serde_json::json!({"product": "燕麦"})),
        "the walk applied to the entry"
    );
    for refused in &ids[1..] {
        assert!(store.enrollment(ws, *refused).await.unwrap().is_none(), "nothing under refused id {refused}");
    }
    let messages = store.messages(ws, Some(p), 10).await.unwrap();
    assert_eq!(messages.iter().map(|m| m.send_key.clone()).collect::<Vec<_>>(), [format!("{}:0:send", ids[0])]);
    let steps = store.journey_step_counts(ws, j.id).await.unwrap();
    let outcomes: Vec<_> = steps.iter().map(|r| (r.step.as_str(), r.outcome.as_str(), r.count)).collect();
    assert!(outcomes.contains(&("wait", "entered", 2)) && outcomes.contains(&("wait", "waiting", 1)), "{outcomes:?}");
    // Ids reserved after are past every one written.
    let next = store.reserve_enrollment_ids(1).await.unwrap();
    assert!(next[0] > ids[2] && next[0] > plain.id, "{next:?}");
}

pub async fn journey_cursor_only_moves_on(store: &dyn Store) {
    let ws = default_ws(store).await;
    assert_eq!(store.journey_cursor(ws).await.unwrap(), 0);
    store.set_journey_cursor(ws, 10).await.unwrap();
    store.set_journey_cursor(ws, 7).await.unwrap();
    assert_eq!(store.journey_cursor(ws).await.unwrap(), 10);
}

/// Recorded segment and stage changes read back in order after an id, per workspace, and the
/// runner's cursors in them.
pub async fn changes_are_a_feed_with_cursors(store: &dyn Store) {
    use crate::{ChangeCursors, MembershipChange, StageChange};
    use rekindle_core::lifecycle::Stage;
    let ws = default_ws(store).await;
    assert_eq!(store.change_cursors(ws).await.unwrap(), ChangeCursors::default(), "nothing recorded yet");
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    let people: Vec<PersonId> = (0..3).map(|_| PersonId::new_v7()).collect();
    let at = |h| t0() + Duration::hours(h);
    let stage = |p: PersonId, to, h| StageChange { person: p, from: None, to, at: at(h) };
    for w in [ws, other] {
        store
            .record_stage_changes(w, &[stage(people[0], Stage::New, 0), stage(people[1], Stage::Active, 1)])
            .await
            .unwrap();
    }
    store.record_stage_changes(ws, &[stage(people[2], Stage::Silent, 2)]).await.unwrap();
    let segment = store.create_segment(ws, &super::new_segment("feed", "orders >= 1")).await.unwrap();
    let change = |p: PersonId, entered, h| MembershipChange { segment: segment.id, person: p, entered, at: at(h) };
    let membership = [change(people[0], true, 0), change(people[1], true, 1), change(people[0], false, 2)];
    store.record_membership(ws, &membership, &[]).await.unwrap();

    let stages = store.stage_changes_after(ws, 0, 10).await.unwrap();
    let found: Vec<StageChange> = stages.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        found,
        [stage(people[0], Stage::New, 0), stage(people[1], Stage::Active, 1), stage(people[2], Stage::Silent, 2)],
        "the workspace's own changes, oldest first"
    );
    assert!(stages.windows(2).all(|w| w[0].0 < w[1].0));
    let rest = store.stage_changes_after(ws, stages[0].0, 1).await.unwrap();
    assert_eq!(rest, [stages[1]], "after an id, up to the limit");
    assert!(store.stage_changes_after(ws, stages[2].0, 10).await.unwrap().is_empty());

    let entries = store.membership_changes_after(ws, 0, 10).await.unwrap();
    assert_eq!(entries.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(), membership);
    assert_eq!(store.membership_changes_after(ws, entries[1].0, 10).await.unwrap(), [entries[2].clone()]);
    assert!(store.membership_changes_after(other, 0, 10).await.unwrap().is_empty(), "workspaces stay apart");

    // Nothing written down: the runner starts after the last change recorded so far.
    let last = ChangeCursors { membership: entries[2].0, stages: stages[2].0 };
    assert_eq!(store.change_cursors(ws).await.unwrap(), last);
    let written = ChangeCursors { membership: entries[0].0, stages: stages[1].0 };
    store.set_change_cursors(ws, written).await.unwrap();
    assert_eq!(store.change_cursors(ws).await.unwrap(), written, "once written, the written cursors");
    store.set_change_cursors(ws, ChangeCursors { membership: entries[1].0, stages: stages[0].0 }).await.unwrap();
    assert_eq!(
        store.change_cursors(ws).await.unwrap(),
        ChangeCursors { membership: entries[1].0, stages: stages[1].0 },
        "each only moves on"
    );
}

/// An enrollment keeps the person id it entered with; once that person is merged into another,
/// the survivor's enrollments include it (so the survivor's order still converts it).
/// A device `dev-{n}` and a user `u{n}`, two people until an alias of them is appended:
/// `(survivor, merged)`, the older surviving.
async fn two_to_merge(store: &dyn Store, n: &str) -> (PersonId, PersonId) {
    use super::{append, msg, person_of};
    use rekindle_core::IdentifierKind;
    let ws = default_ws(store).await;
    let track = |who: serde_json::Value, id: String| {
        let mut m = serde_json::json!({"type": "track", "event": "Live Entered", "messageId": id});
        m.as_object_mut().unwrap().extend(who.as_object().unwrap().clone());
        msg(m)
    };
    append(store, ws, &[track(serde_json::json!({"anonymousId": format!("dev-{n}")}), format!("d{n}"))]).await;
    append(store, ws, &[track(serde_json::json!({"userId": format!("u{n}")}), format!("u{n}"))]).await;
    let anon = person_of(store, ws, IdentifierKind::AnonymousId, &format!("dev-{n}")).await.unwrap();
    let user = person_of(store, ws, IdentifierKind::UserId, &format!("u{n}")).await.unwrap();
    (anon.min(user), anon.max(user))
}

pub async fn enrollments_follow_a_merge(store: &dyn Store) {
    use super::{append, msg};
    let ws = default_ws(store).await;
    let (j, version) = published(store, "j").await;
    // The older person survives the merge: enroll the other one.
    let (survivor, merged) = two_to_merge(store, "7").await;
    let entered = NewEnrollment {
        journey: j.id,
        version,
        person: merged,
        trigger_key: "m2".into(),
        reentry: Reentry::Always,
        context: serde_json::json!({}),
        limits: Default::default(),
        at: t0(),
    };
    let e = store.enroll(ws, &entered).await.unwrap().expect("entered");
    let alias =
        msg(serde_json::json!({"type": "alias", "userId": "u7", "previousId": "dev-7", "messageId": "alias-7"}));
    assert_eq!(append(store, ws, &[alias]).await.merges, 1);
    let open: Vec<i64> = store.open_enrollments(ws, survivor).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(open, [e.id], "the survivor's open enrollments include the merged person's");
    assert_eq!(store.person_enrollments(ws, survivor).await.unwrap().len(), 1);
    assert!(store.open_enrollments(ws, PersonId::new_v7()).await.unwrap().is_empty());
}

/// What attribution reads: entries, sent messages, coupons and opt-outs over a time range,
/// each for the person as they are now — after a merge, the survivor.
pub async fn attribution_rows_follow_a_merge(store: &dyn Store) {
    use super::{append, msg};
    use crate::Dispatched;
    use rekindle_core::journey::{coupon_enrollment, coupon_key};
    use rekindle_core::outreach::{CouponDefinition, CouponValue};
    let ws = default_ws(store).await;
    let (j, version) = published(store, "j").await;
    let (survivor, merged) = two_to_merge(store, "8").await;
    let enter = |key: &str, at| NewEnrollment {
        journey: j.id,
        version,
        person: merged,
        trigger_key: key.into(),
        reentry: Reentry::Always,
        context: serde_json::json!({}),
        limits: Default::default(),
        at,
    };
    let before = store.enroll(ws, &enter("early", t0() - Duration::days(10))).await.unwrap().unwrap();
    store.close_enrollment(ws, before.id, EnrollmentState::Exited, t0() - Duration::days(9)).await.unwrap();
    let e = store.enroll(ws, &enter("in", t0())).await.unwrap().unwrap();
    let mut send = message(&format!("{}:0:send", e.id), merged, ChannelKind::Sms, "2026-05-01");
    (send.journey, send.enrollment, send.variant) = (Some(j.id), Some(e.id), Some("A".into()));
    let caps = CapsConfig::default();
    assert!(matches!(store.queue(ws, &[send], &caps).await.unwrap()[..], [Queued::Queued(_)]));
    let claimed = store.claim_messages(t0(), Duration::minutes(5), 10).await.unwrap();
    let sent_at = t0() + Duration::minutes(1);
    store
        .record_dispatch(claimed[0].id, &Dispatched::Sent { provider_id: None, awaiting: false }, sent_at)
        .await
        .unwrap();
    let coupon = CouponDefinition {
        name: "回归礼".into(),
        title: "回归礼包".into(),
        value: CouponValue::Amount { fen: 500 },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 3,
    };
    store.put_coupon(ws, &coupon).await.unwrap();
    let key = coupon_key(e.id, 0, "gift", false);
    let crate::CouponIssue::Issued(c) = store.issue_coupon(ws, "回归礼", merged, &key, t0()).await.unwrap() else {
        panic!("issued")
    };
    store.issue_coupon(ws, "回归礼", merged, "by-hand", t0() - Duration::days(1)).await.unwrap();
    assert!(store.redeem_coupon(ws, &c.code, Some("o-9"), t0() + Duration::hours(2)).await.unwrap());
    store.set_consent(ws, merged, ChannelKind::Sms, false, "reply TD", t0() + Duration::hours(3)).await.unwrap();
    let alias =
        msg(serde_json::json!({"type": "alias", "userId": "u8", "previousId": "dev-8", "messageId": "alias-8"}));
    assert_eq!(append(store, ws, &[alias]).await.merges, 1);

    let (from, to) = (t0() - Duration::hours(1), t0() + Duration::days(1));
    let entries = store.journey_entries(ws, from, to).await.unwrap();
    assert_eq!(
        entries.iter().map(|x| (x.enrollment, x.journey, x.person, x.entered_at)).collect::<Vec<_>>(),
        [(e.id, j.id, survivor, t0())],
        "only entries in the range, for the survivor"
    );
    assert_ne!(before.id, e.id);
    let touches = store.journey_touches(ws, from, to).await.unwrap();
    assert_eq!(
        touches.iter().map(|x| (x.journey, x.enrollment, x.person, x.at)).collect::<Vec<_>>(),
        [(j.id, Some(e.id), survivor, sent_at)]
    );
    assert!(store.journey_touches(ws, sent_at + Duration::seconds(1), to).await.unwrap().is_empty());
    let coupons = store.issued_coupons(ws, from, to).await.unwrap();
    assert_eq!(coupons.len(), 1, "the coupon issued by hand a day before is out of range");
    assert_eq!(coupon_enrollment(&coupons[0].issue_key), Some(e.id));
    assert_eq!(
        (coupons[0].issued.person, coupons[0].issued.order_id.as_deref(), coupons[0].issued.redeemed_at),
        (survivor, Some("o-9"), Some(t0() + Duration::hours(2)))
    );
    let outs = store.opt_outs_since(ws, from).await.unwrap();
    assert_eq!(outs.iter().map(|o| (o.person, o.at)).collect::<Vec<_>>(), [(survivor, t0() + Duration::hours(3))]);
    assert!(store.opt_outs_since(ws, to).await.unwrap().is_empty());
}
