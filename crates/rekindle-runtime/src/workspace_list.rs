//! The workspaces, for the loops that run on every append (the runner, points,
//! subscriptions): listed at most once a second. Under a busy store they run a hundred times
//! a second, and the points loop's listing alone was 1.5 % of the process's CPU (issue 24);
//! the runner's is on the way of every order. Workspaces are made by `rekindle workspaces
//! create`, often from another process, so the list is not told of them: a loop that passed
//! on a kept list passes again within [`WorkspaceList::KEPT`] ([`Listed::next_pass`]), and a
//! new workspace's first events wait a second or two at most.

use std::sync::Arc;
use std::time::Duration;

use rekindle_store::{Store, Workspace};
use tokio::time::Instant;

#[derive(Default)]
pub struct WorkspaceList(std::sync::Mutex<Option<(Instant, Arc<Vec<Workspace>>)>>);

/// One pass's workspaces.
pub struct Listed {
    pub workspaces: Arc<Vec<Workspace>>,
    /// Whether they are a list kept from an earlier pass rather than read now.
    pub kept: bool,
}

impl Listed {
    /// How long the loop may wait before its next pass, given its usual wait: no longer than
    /// the list is kept, when this pass did not read it.
    pub fn next_pass(&self, usual: Duration) -> Duration {
        if self.kept { usual.min(WorkspaceList::KEPT) } else { usual }
    }
}

impl WorkspaceList {
    pub const KEPT: Duration = Duration::from_secs(1);

    pub async fn get(&self, store: &dyn Store) -> rekindle_store::Result<Listed> {
        if let Some((at, workspaces)) = &*self.lock()
            && at.elapsed() < Self::KEPT
        {
            return Ok(Listed { workspaces: workspaces.clone(), kept: true });
        }
        let workspaces = Arc::new(store.workspaces().await?);
        *self.lock() = Some((Instant::now(), workspaces.clone()));
        Ok(Listed { workspaces, kept: false })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<Vec<Workspace>>)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_on_a_kept_list_comes_back_within_the_time_it_is_kept() {
        let listed = |kept| Listed { workspaces: Arc::default(), kept };
        assert_eq!(listed(true).next_pass(Duration::from_secs(10)), WorkspaceList::KEPT);
        assert_eq!(listed(true).next_pass(Duration::from_millis(50)), Duration::from_millis(50));
        assert_eq!(listed(false).next_pass(Duration::from_secs(10)), Duration::from_secs(10));
    }
}
