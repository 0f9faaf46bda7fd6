//! A SQLite store is one node's: it leads every workspace, always in the same term.

use rekindle_core::WorkspaceId;
use rekindle_store::{Leader, Leadership, Result, Term};

use crate::SqliteStore;

#[async_trait::async_trait]
impl Leadership for SqliteStore {
    async fn lead(&self, _ws: WorkspaceId) -> Result<Option<Term>> {
        Ok(Some(1))
    }

    async fn leader(&self, _ws: WorkspaceId) -> Result<Option<Leader>> {
        Ok(Some(Leader { node: self.node(), term: 1, since: None }))
    }
}
