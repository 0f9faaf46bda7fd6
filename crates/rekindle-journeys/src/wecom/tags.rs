//! Tags both ways with WeCom's corporate tags (docs/relationships.md; the rule for conflicts is
//! in `rekindle_core::contacts::tag_sync`). A round reads every friendship with its tags, makes
//! the chosen Rekindle tags exist in Rekindle's group, marks each friendship to match its
//! person's tags (`mark_tag`, one friendship a call, at most `budget` calls a round — the rest
//! next round), and gives or takes away the `企微:` tags staff's own WeCom tags stand for.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rekindle_core::contacts::tag_sync::{PULLED_PREFIX, TagSync, Tagged, marks, pulled};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_delivery::WecomClient;
use rekindle_engine::Engine;
use rekindle_store::{PersonTag, Store, Tag};

use super::person_of;
use serde::Serialize;

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Synced {
    /// Tags made in Rekindle's WeCom group.
    pub created: usize,
    /// Friendships whose WeCom tags were changed, and those left for the next round.
    pub marked: usize,
    pub deferred: usize,
    /// `企微:` tags given and taken away in Rekindle.
    pub pulled: usize,
    pub unpulled: usize,
}

/// Calls to `mark_tag` a round makes at most (WeCom limits calls per minute).
pub const MARK_BUDGET: usize = 500;

pub async fn sync(
    store: &dyn Store,
    engine: &Engine,
    wecom: &WecomClient,
    ws: WorkspaceId,
    settings: &TagSync,
    budget: usize,
) -> Result<Synced, super::Error> {
    let mut done = Synced::default();
    let now = engine.now();
    // Rekindle's group, made complete.
    let groups = wecom.corp_tags(&[], &[]).await?;
    let mut ours: BTreeMap<String, String> = groups
        .iter()
        .filter(|g| g.group_name == settings.group_name && !g.deleted)
        .flat_map(|g| g.tags.iter().filter(|t| !t.deleted).map(|t| (t.name.clone(), t.id.clone())))
        .collect();
    let missing: Vec<String> = settings.tags.iter().filter(|t| !ours.contains_key(*t)).cloned().collect();
    if !missing.is_empty() {
        let made = wecom.add_corp_tags(&settings.group_name, &missing).await?;
        done.created = made.tags.iter().filter(|t| missing.contains(&t.name)).count();
        ours.extend(made.tags.into_iter().map(|t| (t.name, t.id)));
    }
    let our_ids: BTreeSet<String> = ours.values().cloned().collect();
    let names: BTreeMap<String, String> =
        groups.iter().flat_map(|g| g.tags.iter().map(|t| (t.id.clone(), t.name.clone()))).collect();

    // Every friendship with its tags, and each customer's person.
    let staff = wecom.follow_users().await?;
    let listed = wecom.relationships(&staff).await?;
    let mut people: HashMap<&str, Option<PersonId>> = HashMap::new();
    for r in &listed {
        if !people.contains_key(r.external_userid.as_str()) {
            people.insert(&r.external_userid, person_of(store, ws, &r.external_userid).await?);
        }
    }
    let audience = engine.audience(ws).await?;
    let manual = store.person_tags(ws, None).await?;
    let mut carried: HashMap<PersonId, BTreeSet<&str>> = HashMap::new();
    for t in &manual {
        carried.entry(t.person).or_default().insert(&t.tag);
    }
    for m in &audience.members {
        carried.entry(m.person).or_default().extend(m.tags.iter().map(String::as_str));
    }
    let pushed: BTreeSet<&str> = settings.tags.iter().map(String::as_str).collect();
    let wanted: BTreeMap<&str, BTreeSet<String>> = people
        .iter()
        .map(|(external, person)| {
            let tags = person.and_then(|p| carried.get(&p));
            let ids = tags.into_iter().flatten().filter(|t| pushed.contains(*t)).filter_map(|t| ours.get(*t).cloned());
            (*external, ids.collect())
        })
        .collect();
    let tagged: Vec<Tagged<'_>> =
        listed.iter().map(|r| Tagged { staff: &r.staff, external: &r.external_userid, tag_ids: &r.tag_ids }).collect();
    for (i, mark) in marks(&tagged, &wanted, &our_ids).into_iter().enumerate() {
        if i >= budget {
            done.deferred += 1;
            continue;
        }
        match wecom.mark_tags(mark.staff, mark.external, &mark.add, &mark.remove).await {
            Ok(()) => done.marked += 1,
            // A friendship ended since it was listed: the next round will not list it.
            Err(e) if e.code() == "84061" => {}
            Err(e) => return Err(e.into()),
        }
    }
    if !settings.pull {
        return Ok(done);
    }
    // Staff's own tags, mirrored as `企微:` tags.
    let mut by_person: HashMap<PersonId, Vec<&[String]>> = HashMap::new();
    for r in &listed {
        if let Some(Some(p)) = people.get(r.external_userid.as_str()) {
            by_person.entry(*p).or_default().push(&r.tag_ids);
        }
    }
    let defined: BTreeSet<String> = store.tags(ws).await?.into_iter().map(|t| t.name).collect();
    for (person, lists) in &by_person {
        let should = pulled(lists.iter().copied(), &our_ids, &names);
        let has: BTreeSet<&str> = manual
            .iter()
            .filter(|t| t.person == *person && t.tag.starts_with(PULLED_PREFIX))
            .map(|t| t.tag.as_str())
            .collect();
        for tag in should.iter().filter(|t| !has.contains(t.as_str())) {
            if !defined.contains(tag) {
                let def =
                    Tag {
                        name: tag.clone(), rule: None, description: "企业微信员工标签".into(), created_at: now
                    };
                store.put_tag(ws, &def).await?;
            }
            store.tag_person(ws, &PersonTag { person: *person, tag: tag.clone(), at: now }).await?;
            done.pulled += 1;
        }
        for tag in has.iter().filter(|t| !should.contains(**t)) {
            store.untag_person(ws, *person, tag).await?;
            done.unpulled += 1;
        }
    }
    Ok(done)
}
