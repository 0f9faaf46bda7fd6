//! Schema migrations with sqlx's migrator, tracked in `_sqlx_migrations`. The files are embedded
//! here by hand because `sqlx::migrate!` lives in the facade this crate cannot use (see lib.rs);
//! versions and checksums are the ones the macro and the `sqlx` CLI would record.

use std::borrow::Cow;

use sqlx_core::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx_core::sql_str::SqlSafeStr;
use sqlx_postgres::PgPool;

/// `(version, description, sql)`, as named by `migrations/<version>_<description>.sql`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "objects", include_str!("../migrations/0002_objects.sql")),
    (3, "accounts", include_str!("../migrations/0003_accounts.sql")),
    (4, "segments", include_str!("../migrations/0004_segments.sql")),
    (5, "scores", include_str!("../migrations/0005_scores.sql")),
    (6, "journeys", include_str!("../migrations/0006_journeys.sql")),
    (7, "change cursors", include_str!("../migrations/0007_change_cursors.sql")),
    (8, "invitations", include_str!("../migrations/0008_invitations.sql")),
    (9, "channel settings", include_str!("../migrations/0009_channel_settings.sql")),
    (10, "default store name", include_str!("../migrations/0010_default_store_name.sql")),
    (11, "attribution", include_str!("../migrations/0011_attribution.sql")),
    (12, "team targets", include_str!("../migrations/0012_team_targets.sql")),
    (13, "points", include_str!("../migrations/0013_points.sql")),
    (14, "service", include_str!("../migrations/0014_service.sql")),
    (15, "referral_codes", include_str!("../migrations/0015_referral_codes.sql")),
    (16, "subscription_settings", include_str!("../migrations/0016_subscription_settings.sql")),
    (17, "group_posts", include_str!("../migrations/0017_group_posts.sql")),
    (18, "tracked_links", include_str!("../migrations/0018_tracked_links.sql")),
    (19, "channel_codes", include_str!("../migrations/0019_channel_codes.sql")),
    (20, "tag_sync", include_str!("../migrations/0020_tag_sync.sql")),
    (21, "launch_safety", include_str!("../migrations/0021_launch_safety.sql")),
    (22, "control_group", include_str!("../migrations/0022_control_group.sql")),
    (23, "outbox_priority", include_str!("../migrations/0023_outbox_priority.sql")),
    (24, "journey_winners", include_str!("../migrations/0024_journey_winners.sql")),
    (25, "log_by_workspace", include_str!("../migrations/0025_log_by_workspace.sql")),
    (26, "leaders", include_str!("../migrations/0026_leaders.sql")),
    (27, "events_by_month", include_str!("../migrations/0027_events_by_month.sql")),
    (28, "model_fits", include_str!("../migrations/0028_model_fits.sql")),
];

pub async fn run(pool: &PgPool) -> Result<(), MigrateError> {
    run_upto(pool, i64::MAX).await
}

/// The migrations up to `version`: tests bring a store to an older schema this way.
pub(crate) async fn run_upto(pool: &PgPool, version: i64) -> Result<(), MigrateError> {
    let migrations = MIGRATIONS
        .iter()
        .filter(|(v, _, _)| *v <= version)
        .map(|(version, description, sql)| {
            Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, sql.into_sql_str(), false)
        })
        .collect();
    // Takes a database-wide advisory lock, so nodes starting together migrate one at a time.
    Migrator::with_migrations(migrations).run(pool).await
}
