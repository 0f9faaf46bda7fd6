//! Adding an operator to a workspace directly, for whoever runs the deployment: the CLI
//! (`rekindle users create`, which needs the store itself) and the demo. Over the REST API an
//! owner only invites (`POST /api/v1/users`); membership is the invitee's to accept.

use rekindle_core::WorkspaceId;
use rekindle_core::access::Role;
use rekindle_store::{Store, User};

/// Give `email` the `role` in `ws`, creating the account with `password` if there is none
/// (an existing account keeps its own password). Returns the user and whether it was created.
pub async fn add_operator(
    store: &dyn Store,
    ws: WorkspaceId,
    email: &str,
    name: &str,
    password: &str,
    role: Role,
) -> anyhow::Result<(User, bool)> {
    let (user, created) = match store.user_by_email(email).await? {
        Some(user) => (user, false),
        None => {
            super::password::check_new(password).map_err(|reason| anyhow::anyhow!("the password {reason}"))?;
            let hash = super::password::hash(password.to_string()).await?;
            (store.create_user(email, name, &hash).await?, true)
        }
    };
    store.set_role(user.id, ws, role).await?;
    Ok((user, created))
}
