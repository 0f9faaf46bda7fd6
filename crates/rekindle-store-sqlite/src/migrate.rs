//! Schema migrations, tracked in SQLite's `user_version`. A list of SQL files and a counter is
//! all SQLite needs; a migration crate would add more than it saves.

use rusqlite::Connection;

/// The store, `rekindle.db`.
pub const STORE: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_objects.sql"),
    include_str!("../migrations/0003_accounts.sql"),
    include_str!("../migrations/0004_segments.sql"),
    include_str!("../migrations/0005_scores.sql"),
    include_str!("../migrations/0006_journeys.sql"),
    include_str!("../migrations/0007_change_cursors.sql"),
    include_str!("../migrations/0008_invitations.sql"),
    include_str!("../migrations/0009_channel_settings.sql"),
    include_str!("../migrations/0010_default_store_name.sql"),
    include_str!("../migrations/0011_attribution.sql"),
    include_str!("../migrations/0012_team_targets.sql"),
    include_str!("../migrations/0013_points.sql"),
    include_str!("../migrations/0014_service.sql"),
    include_str!("../migrations/0015_referral_codes.sql"),
    include_str!("../migrations/0016_subscription_settings.sql"),
    include_str!("../migrations/0017_group_posts.sql"),
    include_str!("../migrations/0018_tracked_links.sql"),
    include_str!("../migrations/0019_channel_codes.sql"),
    include_str!("../migrations/0020_tag_sync.sql"),
    include_str!("../migrations/0021_launch_safety.sql"),
    include_str!("../migrations/0022_control_group.sql"),
    include_str!("../migrations/0023_outbox_priority.sql"),
    include_str!("../migrations/0024_journey_winners.sql"),
    include_str!("../migrations/0025_model_fits.sql"),
];
/// `runs.db` (files.rs): the journey runner's tables and the points ledger, and their cursors.
pub const RUNS: &[&str] =
    &[include_str!("../migrations/runs/0001_runs.sql"), include_str!("../migrations/runs/0002_cursors.sql")];
/// The ingestion inbox, `inbox.db`.
pub const INBOX: &[&str] = &[include_str!("../migrations/inbox/0001_inbox.sql")];

pub fn run(conn: &mut Connection, migrations: &[&str]) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "sqlite migration applied");
    }
    Ok(())
}
