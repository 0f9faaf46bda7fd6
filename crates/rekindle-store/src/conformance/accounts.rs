//! Operator accounts, sessions, API tokens, the audit log and invitations.

use super::*;

pub async fn users_and_roles(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.count_users().await.unwrap(), 0);
    let ann = store.create_user("ann@example.com", "Ann", "$argon2id$hash-a").await.unwrap();
    let bob = store.create_user("bob@example.com", "Bob", "$argon2id$hash-b").await.unwrap();
    assert!(matches!(store.create_user("ann@example.com", "Again", "h").await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.count_users().await.unwrap(), 2);
    assert_eq!(store.user_by_email("ann@example.com").await.unwrap().unwrap().password_hash, "$argon2id$hash-a");
    assert_eq!(store.user(bob.id).await.unwrap().unwrap().email, "bob@example.com");
    assert!(store.user(rekindle_core::UserId(9999)).await.unwrap().is_none());

    store.set_role(ann.id, ws, Role::Owner).await.unwrap();
    store.set_role(ann.id, other, Role::Analyst).await.unwrap();
    store.set_role(bob.id, ws, Role::Host).await.unwrap();
    store.set_role(bob.id, ws, Role::Service).await.unwrap(); // replaces
    let roles: Vec<(String, Role)> =
        store.memberships(ann.id).await.unwrap().into_iter().map(|m| (m.workspace.slug, m.role)).collect();
    assert_eq!(roles, [("default".to_string(), Role::Owner), ("north".to_string(), Role::Analyst)]);
    let members: Vec<(String, Role)> =
        store.members(ws).await.unwrap().into_iter().map(|m| (m.user.email, m.role)).collect();
    assert_eq!(members, [("ann@example.com".to_string(), Role::Owner), ("bob@example.com".to_string(), Role::Service)]);
    assert_eq!(store.members(other).await.unwrap().len(), 1, "workspaces keep their own members");

    store.remove_member(bob.id, ws).await.unwrap();
    assert!(store.memberships(bob.id).await.unwrap().is_empty());
    assert!(matches!(store.remove_member(bob.id, ws).await, Err(StoreError::NotFound(_))));
}

pub async fn sessions_expire_and_end(store: &dyn Store) {
    let user = store.create_user("s@example.com", "S", "h").await.unwrap();
    let session = crate::Session {
        user_id: user.id,
        csrf_token: "csrf-1".into(),
        created_at: t0(),
        expires_at: t0() + chrono::Duration::hours(12),
    };
    store.create_session("hash-1", &session).await.unwrap();
    assert_eq!(store.session("hash-1", t0()).await.unwrap(), Some(session.clone()));
    assert!(store.session("hash-1", t0() + chrono::Duration::hours(12)).await.unwrap().is_none(), "expired");
    assert!(store.session("hash-2", t0()).await.unwrap().is_none());
    store.delete_session("hash-1").await.unwrap();
    assert!(store.session("hash-1", t0()).await.unwrap().is_none(), "logged out");
}

pub async fn api_tokens_belong_to_users(store: &dyn Store) {
    let ann = store.create_user("ann@example.com", "Ann", "h").await.unwrap();
    let bob = store.create_user("bob@example.com", "Bob", "h").await.unwrap();
    let token = store.create_api_token(ann.id, "ci", "token-hash", "rkt_abcd").await.unwrap();
    assert_eq!((token.user_id, token.name.as_str(), token.prefix.as_str()), (ann.id, "ci", "rkt_abcd"));
    assert_eq!(store.api_token_by_hash("token-hash").await.unwrap().unwrap().id, token.id);
    assert!(matches!(store.revoke_api_token(bob.id, token.id).await, Err(StoreError::NotFound(_))), "not Bob's");
    store.revoke_api_token(ann.id, token.id).await.unwrap();
    assert!(store.api_token_by_hash("token-hash").await.unwrap().is_none());
    assert!(store.api_tokens(ann.id).await.unwrap()[0].revoked_at.is_some());
}

pub async fn audit_log_is_per_workspace(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let ann = store.create_user("ann@example.com", "Ann", "h").await.unwrap();
    let eve = store.create_user("eve@example.com", "Eve", "h").await.unwrap();
    store.set_role(ann.id, ws, Role::Owner).await.unwrap();
    store.set_role(eve.id, other, Role::Owner).await.unwrap();
    // Eve works for both: what she did in North, and her sign-in recorded there, are North's.
    store.set_role(eve.id, ws, Role::Analyst).await.unwrap();
    let record = |workspace, user_id, action: &str| crate::AuditRecord {
        workspace,
        user_id,
        action: action.into(),
        target: Some("t".into()),
        ip: Some("10.0.0.1".into()),
    };
    store.record_audit(&record(Some(ws), Some(ann.id), "auth.login")).await.unwrap();
    store.record_audit(&record(Some(ws), Some(ann.id), "write_key.create")).await.unwrap();
    store.record_audit(&record(Some(other), Some(eve.id), "auth.login")).await.unwrap();
    store.record_audit(&record(Some(other), Some(eve.id), "user.create")).await.unwrap();
    store.record_audit(&record(None, Some(eve.id), "api_token.create")).await.unwrap();
    let log = store.audit_log(ws, 10).await.unwrap();
    let seen: Vec<(&str, Option<&str>)> =
        log.iter().map(|e| (e.record.action.as_str(), e.user_email.as_deref())).collect();
    assert_eq!(seen, [("write_key.create", Some("ann@example.com")), ("auth.login", Some("ann@example.com"))]);
    assert_eq!(log[0].record.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(store.audit_log(ws, 1).await.unwrap().len(), 1);
    let north: Vec<String> = store.audit_log(other, 10).await.unwrap().into_iter().map(|e| e.record.action).collect();
    assert_eq!(north, ["user.create", "auth.login"], "deployment-wide entries are in no workspace's log");
}

pub async fn invitations_are_accepted_by_the_invitee(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let bob = store.create_user("bob@example.com", "Bob", "h").await.unwrap();
    let eve = store.create_user("eve@example.com", "Eve", "h").await.unwrap();
    store.set_role(bob.id, other, Role::Owner).await.unwrap();

    let first = store.invite(ws, "bob@example.com", Role::Host, "tok-1").await.unwrap();
    let inv = store.invite(ws, "bob@example.com", Role::Analyst, "tok-2").await.unwrap();
    assert_eq!((inv.id, inv.role, inv.workspace.slug.as_str()), (first.id, Role::Analyst, "default"), "renewed");
    assert!(matches!(
        store.invite(WorkspaceId(9999), "x@example.com", Role::Host, "tok-x").await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.workspace_invitations(ws).await.unwrap(), std::slice::from_ref(&inv));
    assert!(store.workspace_invitations(other).await.unwrap().is_empty());
    assert_eq!(store.invitations_for(bob.id).await.unwrap(), std::slice::from_ref(&inv));
    assert!(store.invitations_for(eve.id).await.unwrap().is_empty());
    assert_eq!(store.memberships(bob.id).await.unwrap().len(), 1, "an invitation is not a membership");

    assert!(matches!(store.accept_invitation(inv.id, eve.id).await, Err(StoreError::NotFound(_))), "not Eve's");
    assert!(matches!(store.decline_invitation(inv.id, eve.id).await, Err(StoreError::NotFound(_))), "not Eve's");
    let m = store.accept_invitation(inv.id, bob.id).await.unwrap();
    assert_eq!((m.workspace.id, m.role), (ws, Role::Analyst));
    assert!(store.memberships(bob.id).await.unwrap().iter().any(|m| m.workspace.id == ws && m.role == Role::Analyst));
    assert!(store.invitations_for(bob.id).await.unwrap().is_empty(), "accepted once");
    assert!(matches!(store.accept_invitation(inv.id, bob.id).await, Err(StoreError::NotFound(_))));

    // An invitation never changes a role held: Bob, North's only owner, stays its owner.
    let inv = store.invite(other, "bob@example.com", Role::Analyst, "tok-5").await.unwrap();
    assert_eq!(store.accept_invitation(inv.id, bob.id).await.unwrap().role, Role::Owner);
    assert!(store.invitations_for(bob.id).await.unwrap().is_empty());

    let inv = store.invite(other, "eve@example.com", Role::Host, "tok-3").await.unwrap();
    store.decline_invitation(inv.id, eve.id).await.unwrap();
    assert!(store.memberships(eve.id).await.unwrap().is_empty());
    let inv = store.invite(other, "eve@example.com", Role::Host, "tok-4").await.unwrap();
    assert!(matches!(store.revoke_invitation(ws, inv.id).await, Err(StoreError::NotFound(_))), "not this workspace's");
    store.revoke_invitation(other, inv.id).await.unwrap();
    assert!(store.invitations_for(eve.id).await.unwrap().is_empty());
}

pub async fn invitation_tokens_create_only_new_accounts(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let bob = store.create_user("bob@example.com", "Bob", "bob-hash").await.unwrap();
    let long_ago = Utc::now() - chrono::Duration::days(7);

    // A new email: the account is made with the invitee's name and password, and the role.
    store.invite(ws, "new@example.com", Role::Operator, "tok-new").await.unwrap();
    assert_eq!(
        store.redeem_invitation("tok-new", Utc::now() + chrono::Duration::hours(1), "N", "h").await.unwrap(),
        None,
        "too old"
    );
    let Some(crate::Redeemed::Created(user)) =
        store.redeem_invitation("tok-new", long_ago, "New", "new-hash").await.unwrap()
    else {
        panic!("a new email gets its account");
    };
    assert_eq!(
        (user.email.as_str(), user.name.as_str(), user.password_hash.as_str()),
        ("new@example.com", "New", "new-hash")
    );
    let roles: Vec<_> =
        store.memberships(user.id).await.unwrap().into_iter().map(|m| (m.workspace.id, m.role)).collect();
    assert_eq!(roles, [(ws, Role::Operator)]);
    assert!(store.workspace_invitations(ws).await.unwrap().is_empty());
    assert_eq!(store.redeem_invitation("tok-new", long_ago, "Again", "x").await.unwrap(), None, "one time");

    // An existing account is left alone: the token is spent, the invitation waits for Bob.
    store.invite(ws, "bob@example.com", Role::Owner, "tok-bob").await.unwrap();
    assert_eq!(
        store.redeem_invitation("tok-bob", long_ago, "Mallory", "mallory-hash").await.unwrap(),
        Some(crate::Redeemed::AccountExists)
    );
    assert_eq!(store.user(bob.id).await.unwrap().unwrap().password_hash, "bob-hash");
    assert!(store.memberships(bob.id).await.unwrap().is_empty());
    assert_eq!(store.invitations_for(bob.id).await.unwrap().len(), 1);
    assert_eq!(store.redeem_invitation("tok-bob", long_ago, "Mallory", "m").await.unwrap(), None, "spent");
}
