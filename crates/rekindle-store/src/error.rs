/// What a backend can tell its callers. Driver errors stay inside the backend: callers see
/// whether something was missing, already there, or broke.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A write of a workspace's leader after another node's term began (see
    /// [`crate::Leadership::lead`]): nothing was written.
    #[error("{0} is led by another node now")]
    Superseded(String),
    #[error("storage failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(e))
    }
}
