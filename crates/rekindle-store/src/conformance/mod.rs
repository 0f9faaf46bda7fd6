//! The behaviour every backend must show. A backend's tests call [`crate::conformance_suite!`]
//! with an expression that makes a fresh, empty, migrated store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use rekindle_core::identity::{ConflictKind, IdentityGraph, IdentityPolicy};
use rekindle_core::message::Arrival;
use rekindle_core::{Identifier, IdentifierKind, Message, MessageKind, PersonId, WorkspaceId};

mod accounts;
mod catalogue;
mod erasure;
mod event_log;
mod group_posts;
mod journeys;
mod launch;
mod outbox;
mod people;
mod points;
mod priorities;
mod programme;
mod referrals;
mod segments;
mod service;
mod subscriptions;
mod tracked_links;
mod winners;
mod workspaces;
pub use accounts::*;
pub use catalogue::*;
pub use erasure::*;
pub use event_log::*;
pub use group_posts::*;
pub use journeys::*;
pub use launch::*;
pub use outbox::*;
pub use people::*;
pub use points::*;
pub use priorities::*;
pub use programme::*;
pub use referrals::*;
pub use segments::*;
pub use service::*;
pub use subscriptions::*;
pub use tracked_links::*;
pub use winners::*;
pub use workspaces::*;

use crate::{DEFAULT_WORKSPACE, EventQuery, PersonRef, Source, Store, StoreError};

/// Generates one `#[tokio::test]` per conformance check. `$make` is an async expression
/// yielding `(store, guard)`: a fresh, empty, migrated store and whatever must live as long as
/// it (a temporary directory, a schema dropped on drop).
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@tests $make;
            default_workspace_and_isolation, write_keys, append_and_read, retries_never_double_count, derived_appends_are_synced,
            merge_repoints_history, unionid_conflict_is_recorded, traits_merge, phone_forms_are_one_person,
            events_query_filters_and_pages, the_tail_serves_what_the_log_holds, a_fed_tail_serves_what_the_log_holds, partition_matches_the_planner, person_by_merged_id,
            catalogue_and_schedule, users_and_roles, sessions_expire_and_end, api_tokens_belong_to_users,
            audit_log_is_per_workspace, invitations_are_accepted_by_the_invitee,
            invitation_tokens_create_only_new_accounts, search_and_first_seen, workspace_settings, channel_settings_are_per_workspace, team_targets_are_replaced_whole, log_reads_up_to_the_horizon,
            segments_are_versioned, membership_is_recorded, stages_are_recorded, tags_on_people,
            scores_are_replaced_whole, the_latest_fit_is_kept_per_workspace, journeys_are_versioned, enrollment_follows_the_reentry_policy, entries_start_at_their_own_version_s_first_step, entries_walked_before_they_are_written,
            advances_are_optimistic, caps_are_counted_per_store_day, outbox_claims_and_records,
            rolling_and_tag_caps_are_counted_in_the_store, priorities_take_queued_slots_and_deferrals_wait,
            fallbacks_take_the_first_channel_with_room, racing_priorities_leave_the_highest_holding_the_slot,
            dispatches_are_recorded_together, templates_and_coupons, consent_latest_wins, journey_cursor_only_moves_on,
            changes_are_a_feed_with_cursors, enrollments_follow_a_merge, attribution_rows_follow_a_merge, caps_count_across_a_merge,
            erasure_leaves_no_trace, export_holds_everything, points_follow_the_ledger_model, points_of_many_people_post_as_one_by_one,
            racing_redemptions_never_overspend, redemptions_are_confirmed_or_released_once,
            points_follow_a_merge_and_are_erased, service_rows_are_per_workspace,
            faq_log_is_newest_first_and_erased_with_the_asker, referral_codes_are_one_per_person_and_erased, group_posts_never_pass_the_ceiling,
            subscription_settings_are_per_workspace, channel_codes_are_per_workspace, control_group_is_per_workspace,
            tracked_links_are_found_counted_and_erased, winners_are_recorded_once_per_split, entry_limits_hold_under_racing_entries,
            coupon_budget_holds_under_racing_issues, launch_settings_and_approvals);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $make.await;
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

/// Parse a message as `/v1/import` would, so its timestamp is kept.
pub fn msg(json: serde_json::Value) -> Message {
    let arrival = Arrival { historical: true, ..Arrival::live(t0()) };
    Message::parse(&json.to_string(), None, &arrival).expect("test message parses")
}

async fn default_ws(store: &dyn Store) -> WorkspaceId {
    store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().expect("default workspace exists").id
}

pub(crate) async fn append(store: &dyn Store, ws: WorkspaceId, msgs: &[Message]) -> crate::AppendReport {
    store.append(ws, msgs.to_vec(), &Source::write_key("test"), &IdentityPolicy::default()).await.unwrap()
}

fn ident(kind: IdentifierKind, v: &str) -> PersonRef {
    PersonRef::Identifier(Identifier::parse(kind, v, "test").unwrap())
}

pub(crate) async fn person_of(store: &dyn Store, ws: WorkspaceId, kind: IdentifierKind, v: &str) -> Option<PersonId> {
    store.person(ws, &ident(kind, v)).await.unwrap().map(|p| p.id)
}

async fn all_events(store: &dyn Store, ws: WorkspaceId, person: Option<PersonId>) -> Vec<crate::StoredEvent> {
    store.events(ws, &EventQuery { person, limit: 10_000, ..Default::default() }).await.unwrap()
}
