//! WeCom's relationship layer against the stand-in, through the real client: relationships read
//! in pages, removals, channel codes and their state, transfers (在职 and 离职继承), corporate
//! tags, the errcodes each refusal carries, and mass sends that follow the contact book.
#![cfg(feature = "standin")]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rekindle_delivery::standin::{CallbackRequest, Fault, Provider, StandIn};
use rekindle_delivery::wecom::callback::{ContactEvent, FailReason, parse_event};
use rekindle_delivery::wecom::{
    ContactWay, ContactWayKind, JoinWay, MAX_STAFF_PER_CALL, MAX_TRANSFER_CUSTOMERS, Relationship, TransferStatus,
};
use rekindle_delivery::{
    Channel, ChannelKind, Channels, FailureKind, MassSendStatus, Outgoing, SendError, WecomClient,
};
use serde_json::{Value, json};

async fn start() -> (StandIn, Arc<WecomClient>) {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = Channels::from_config(&standin.config()).unwrap().wecom().unwrap();
    (standin, client)
}

/// The contact event a callback carries, decrypted and checked as the server does.
fn event(client: &WecomClient, callback: &CallbackRequest) -> ContactEvent {
    let param = |name: &str| callback.param(name).unwrap();
    let plain =
        client.crypto().decrypt(&param("msg_signature"), &param("timestamp"), &param("nonce"), &callback.body).unwrap();
    assert_eq!(plain, callback.plain);
    parse_event(&plain).unwrap_or_else(|| panic!("not a contact event: {plain}"))
}

/// A call the client would not make, straight to the stand-in with a fresh token.
async fn raw(standin: &StandIn, path: &str, body: Value) -> Value {
    rekindle_delivery::install_crypto_provider();
    let http = reqwest::Client::new();
    let config = standin.config().wecom.unwrap();
    let base = standin.base_url();
    let token: Value = http
        .get(format!("{base}/cgi-bin/gettoken?corpid={}&corpsecret={}", config.corp_id, config.secret.expose()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let url = format!("{base}/cgi-bin/externalcontact/{path}?access_token={token}");
    http.post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:04}")).collect()
}

fn externals(rows: &[Relationship], staff: &str) -> Vec<String> {
    let mut list: Vec<String> = rows.iter().filter(|r| r.staff == staff).map(|r| r.external_userid.clone()).collect();
    list.sort();
    list
}

fn mass(to: &str, sender: &str) -> Outgoing {
    Outgoing {
        send_key: format!("sk-{to}-{sender}"),
        channel: ChannelKind::Wecom,
        to: to.into(),
        sender: Some(sender.into()),
        template: None,
        params: Vec::new(),
        text: "今晚8点直播，草莓半价".into(),
        link: None,
        context: Value::Null,
        attachments: Vec::new(),
    }
}

fn rejected(e: &SendError) -> bool {
    matches!(e, SendError::Rejected { .. })
}

// ---------------------------------------------------------------------------------------------
// Relationships

#[tokio::test]
async fn relationships_are_read_in_pages_and_per_customer() {
    let (standin, client) = start().await;
    standin.add_staff("zhangsan");
    standin.add_staff("lisi");
    let added = Utc::now() - chrono::Duration::days(30);
    for external in ids("wmZ", 130) {
        standin.silently_add("zhangsan", &external, added);
    }
    standin.add_customer("wmBOTH", "小李", Some("oUNION42"));
    standin.silently_add("zhangsan", "wmBOTH", added);
    standin.silently_add("lisi", "wmBOTH", added + chrono::Duration::days(1));
    assert_eq!(client.follow_users().await.unwrap(), ["zhangsan", "lisi"]);

    let staff = vec!["zhangsan".to_string(), "lisi".to_string()];
    let first = client.relationships_page(&staff, None, 50).await.unwrap();
    assert_eq!(first.relationships.len(), 50);
    assert!(!first.next_cursor.is_empty());
    let second = client.relationships_page(&staff, Some(&first.next_cursor), 100).await.unwrap();
    assert_eq!(second.relationships.len(), 82);
    assert!(second.next_cursor.is_empty(), "the last page has no cursor");

    let all = client.relationships(&staff).await.unwrap();
    assert_eq!(all.len(), 132);
    let mut expected = ids("wmZ", 130);
    expected.push("wmBOTH".into());
    expected.sort();
    assert_eq!(externals(&all, "zhangsan"), expected);
    assert_eq!(externals(&all, "lisi"), ["wmBOTH"]);
    let both = all.iter().find(|r| r.staff == "lisi").unwrap();
    assert_eq!((both.name.as_str(), both.unionid.as_deref()), ("小李", Some("oUNION42")));
    assert_eq!((both.add_way, both.state.as_deref(), both.oper_userid.as_deref()), (0, None, Some("lisi")));
    assert_eq!(both.added_at.timestamp(), (added + chrono::Duration::days(1)).timestamp());

    let per_customer = client.customer_relationships("wmBOTH").await.unwrap();
    let mut staff_of: Vec<_> = per_customer.iter().map(|r| r.staff.as_str()).collect();
    staff_of.sort();
    assert_eq!(staff_of, ["lisi", "zhangsan"]);
    assert!(per_customer.iter().all(|r| r.unionid.as_deref() == Some("oUNION42")));
}

#[tokio::test]
async fn relationships_split_long_staff_lists_and_the_stand_in_refuses_over_100() {
    let (standin, client) = start().await;
    let staff = ids("staff", 150);
    for (i, userid) in staff.iter().enumerate() {
        standin.silently_add(userid, &format!("wmS{i:04}"), Utc::now());
    }
    client.follow_users().await.unwrap(); // the token, fetched once
    let before = standin.requests();
    let all = client.relationships(&staff).await.unwrap();
    assert_eq!(all.len(), 150);
    // Two chunks (100 + 50 staff), each read in pages of 100: 100 then 50 relationships.
    assert_eq!(standin.requests() - before, 2);

    let over = raw(&standin, "batch/get_by_user", json!({"userid_list": ids("staff", 101), "limit": 10})).await;
    assert_eq!(over["errcode"], 40058);
    let err = client.relationships_page(&ids("staff", MAX_STAFF_PER_CALL + 1), None, 10).await.unwrap_err();
    assert_eq!(err.code(), "userid_list");
    let unknown = client.relationships(&["nobody".to_string()]).await.unwrap_err();
    assert_eq!((unknown.code(), unknown.kind()), ("60111", FailureKind::Misconfigured));
}

#[tokio::test]
async fn removed_contacts_disappear_with_their_callbacks() {
    let (standin, client) = start().await;
    let added = standin.customer_adds("zhangsan", "wmGONE1", None);
    assert!(matches!(event(&client, &added), ContactEvent::Added { state: None, .. }));
    standin.customer_adds("zhangsan", "wmGONE2", None);
    standin.customer_adds("lisi", "wmGONE2", None);

    let by_customer = standin.customer_removes("zhangsan", "wmGONE1");
    assert_eq!(
        event(&client, &by_customer),
        ContactEvent::DeletedByCustomer { user_id: "zhangsan".into(), external_user_id: "wmGONE1".into() }
    );
    let by_staff = standin.staff_removes("zhangsan", "wmGONE2");
    assert_eq!(
        event(&client, &by_staff),
        ContactEvent::DeletedByStaff { user_id: "zhangsan".into(), external_user_id: "wmGONE2".into() }
    );

    let all = client.relationships(&["zhangsan".to_string(), "lisi".to_string()]).await.unwrap();
    assert_eq!(externals(&all, "zhangsan"), Vec::<String>::new());
    assert_eq!(externals(&all, "lisi"), ["wmGONE2"]);
    // 84061 (a friend of nobody now) reads as no relationships.
    assert!(client.customer_relationships("wmGONE1").await.unwrap().is_empty());
    assert_eq!(client.customer_relationships("wmGONE2").await.unwrap().len(), 1);
    let unknown = client.customer_relationships("wmNEVER").await.unwrap_err();
    assert_eq!((unknown.code(), unknown.kind()), ("40096", FailureKind::InvalidRecipient));

    // Changes without callbacks, for a reconcile to find.
    standin.silently_add("zhangsan", "wmQUIET", Utc::now());
    assert_eq!(client.customer_relationships("wmQUIET").await.unwrap()[0].staff, "zhangsan");
    assert!(standin.silently_remove("zhangsan", "wmQUIET"));
    assert!(client.customer_relationships("wmQUIET").await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Channel codes

#[tokio::test]
async fn a_channel_code_is_created_updated_deleted_and_its_state_comes_back() {
    let (standin, client) = start().await;
    standin.add_staff("zhangsan");
    standin.add_staff("lisi");
    let way = ContactWay {
        kind: ContactWayKind::Single,
        users: vec!["zhangsan".into()],
        remark: "直播间二维码".into(),
        skip_verify: true,
        state: "live-0501".into(),
    };
    let created = client.add_contact_way(&way).await.unwrap();
    assert!(created.qr_code.starts_with("https://"));
    let read = client.get_contact_way(&created.config_id).await.unwrap();
    assert_eq!((read.kind, read.scene, read.state.as_deref()), (Some(ContactWayKind::Single), 2, Some("live-0501")));
    assert_eq!((read.users, read.qr_code), (vec!["zhangsan".to_string()], created.qr_code.clone()));

    let moved = ContactWay { users: vec!["lisi".into()], state: "live-0502".into(), skip_verify: false, ..way.clone() };
    client.update_contact_way(&created.config_id, &moved).await.unwrap();
    let read = client.get_contact_way(&created.config_id).await.unwrap();
    assert_eq!(
        (read.users, read.state.as_deref(), read.skip_verify),
        (vec!["lisi".to_string()], Some("live-0502"), false)
    );
    assert_eq!(standin.contact_ways()[0].state, "live-0502");

    let callback = standin.customer_adds("lisi", "wmQR0001", Some("live-0502"));
    let ContactEvent::Added { user_id, welcome_code, state, .. } = event(&client, &callback) else { panic!() };
    assert_eq!((user_id.as_str(), state.as_deref()), ("lisi", Some("live-0502")));
    client.send_welcome(&welcome_code.unwrap(), "欢迎来到直播间").await.unwrap();
    let rows = client.customer_relationships("wmQR0001").await.unwrap();
    assert_eq!((rows[0].state.as_deref(), rows[0].add_way), (Some("live-0502"), 1));
    assert_eq!(rows[0].oper_userid.as_deref(), Some("wmQR0001"), "the customer added the staff member");

    client.del_contact_way(&created.config_id).await.unwrap();
    let gone = client.get_contact_way(&created.config_id).await.unwrap_err();
    assert_eq!((gone.code(), gone.kind()), ("41044", FailureKind::Misconfigured));
    assert!(standin.contact_ways().is_empty());
}

#[tokio::test]
async fn channel_code_limits_are_refused() {
    let (standin, client) = start().await;
    standin.add_staff("zhangsan");
    let long = ContactWay {
        kind: ContactWayKind::Multi,
        users: vec!["zhangsan".into()],
        remark: String::new(),
        skip_verify: true,
        state: "x".repeat(31),
    };
    let before = standin.requests();
    assert_eq!(client.add_contact_way(&long).await.unwrap_err().code(), "state_too_long");
    assert_eq!(standin.requests(), before, "refused before any call");
    let wire = json!({"type": 2, "scene": 2, "state": "x".repeat(31), "user": ["zhangsan"]});
    assert_eq!(raw(&standin, "add_contact_way", wire).await["errcode"], 40058);
    let nobody = ContactWay { state: "ok".into(), users: vec!["ghost".into()], ..long };
    assert_eq!(client.add_contact_way(&nobody).await.unwrap_err().code(), "60111");
    let bad_type = json!({"type": 3, "scene": 2, "user": ["zhangsan"]});
    assert_eq!(raw(&standin, "add_contact_way", bad_type).await["errcode"], 41039);
}

#[tokio::test]
async fn group_join_codes_are_created_read_and_deleted() {
    let (standin, client) = start().await;
    let way = JoinWay {
        chat_ids: vec!["wrOgQhDgAAAA".into(), "wrOgQhDgBBBB".into()],
        remark: "草莓团".into(),
        auto_create_room: true,
        room_base_name: "草莓团".into(),
        room_base_id: 3,
        state: "group-0501".into(),
    };
    let config_id = client.add_join_way(&way).await.unwrap();
    let read = client.get_join_way(&config_id).await.unwrap();
    assert_eq!((read.chat_ids, read.state.as_deref()), (way.chat_ids.clone(), Some("group-0501")));
    assert!(read.auto_create_room && read.qr_code.starts_with("https://"));
    assert_eq!((read.room_base_name.as_str(), read.room_base_id, read.scene), ("草莓团", 3, 2));
    assert_eq!(standin.join_ways().len(), 1);
    client.del_join_way(&config_id).await.unwrap();
    assert!(standin.join_ways().is_empty());
    assert_eq!(client.get_join_way(&config_id).await.unwrap_err().code(), "40058");

    let six = JoinWay { chat_ids: ids("wr", 6), ..way };
    assert_eq!(client.add_join_way(&six).await.unwrap_err().code(), "join_chats");
    let wire = json!({"scene": 2, "chat_id_list": ids("wr", 6)});
    assert_eq!(raw(&standin, "groupchat/add_join_way", wire).await["errcode"], 40058);
}

// ---------------------------------------------------------------------------------------------
// Transfers

#[tokio::test]
async fn an_in_service_transfer_waits_then_moves_the_customer() {
    let (standin, client) = start().await;
    standin.add_staff("lisi");
    standin.customer_adds("zhangsan", "wmT0001", Some("live-0501"));
    let original = client.customer_relationships("wmT0001").await.unwrap().remove(0);

    let outcomes = client
        .transfer_customers("zhangsan", "lisi", &["wmT0001".to_string()], Some("您好，之后由我为您服务"))
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].result, Ok(()));
    let waiting = client.transfer_results("zhangsan", "lisi").await.unwrap();
    assert_eq!((waiting[0].external_userid.as_str(), waiting[0].status), ("wmT0001", TransferStatus::Waiting));
    assert!(waiting[0].takeover_time.unwrap() > Utc::now(), "waiting: when it will complete");
    assert_eq!(standin.transfers()[0].message.as_deref(), Some("您好，之后由我为您服务"));

    // Asked again while waiting: 40129.
    let again = client.transfer_customers("zhangsan", "lisi", &["wmT0001".to_string()], None).await.unwrap();
    assert_eq!(again[0].result.as_ref().unwrap_err().code(), "40129");

    assert!(standin.finish_transfers(true).is_empty(), "no callback for a completed transfer");
    let done = client.transfer_results("zhangsan", "lisi").await.unwrap();
    assert_eq!(done[0].status, TransferStatus::Done);
    let moved = client.customer_relationships("wmT0001").await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].staff, "lisi");
    assert_eq!((moved[0].added_at, moved[0].state.clone()), (original.added_at, original.state));
    assert!(!standin.is_friend("zhangsan", "wmT0001"));
}

#[tokio::test]
async fn a_refused_transfer_calls_back_and_keeps_the_customer() {
    let (standin, client) = start().await;
    standin.add_staff("lisi");
    standin.customer_adds("zhangsan", "wmR0001", None);
    client.transfer_customers("zhangsan", "lisi", &["wmR0001".to_string()], None).await.unwrap();
    let callbacks = standin.finish_transfers(false);
    assert_eq!(callbacks.len(), 1);
    assert_eq!(
        event(&client, &callbacks[0]),
        ContactEvent::TransferFailed {
            user_id: "lisi".into(),
            external_user_id: "wmR0001".into(),
            fail_reason: FailReason::CustomerRefused,
        }
    );
    assert_eq!(client.transfer_results("zhangsan", "lisi").await.unwrap()[0].status, TransferStatus::Refused);
    assert!(standin.is_friend("zhangsan", "wmR0001") && !standin.is_friend("lisi", "wmR0001"));
}

#[tokio::test]
async fn transfers_refuse_per_customer_with_wecom_codes() {
    let (standin, client) = start().await;
    standin.add_staff("lisi");
    standin.customer_adds("zhangsan", "wmLIMIT", None);
    standin.customer_adds("lisi", "wmLISI", None);
    standin.customer_adds("zhangsan", "wmSHARED", None);
    standin.customer_adds("lisi", "wmSHARED", None);
    let one = |id: &str| vec![id.to_string()];

    // Twice in 90 days is the most: the third is 40128.
    for (from, to) in [("zhangsan", "lisi"), ("lisi", "zhangsan")] {
        let outcome = client.transfer_customers(from, to, &one("wmLIMIT"), None).await.unwrap();
        assert_eq!(outcome[0].result, Ok(()));
        standin.finish_transfers(true);
    }
    let third = client.transfer_customers("zhangsan", "lisi", &one("wmLIMIT"), None).await.unwrap();
    let err = third[0].result.as_ref().unwrap_err();
    assert_eq!((err.code(), err.kind()), ("40128", FailureKind::QuotaExhausted));

    let list = vec!["wmLISI".to_string(), "wmNEVER".to_string(), "wmSHARED".to_string()];
    let outcomes = client.transfer_customers("zhangsan", "lisi", &list, None).await.unwrap();
    let codes: Vec<&str> = outcomes.iter().map(|o| o.result.as_ref().unwrap_err().code()).collect();
    assert_eq!(codes, ["40131", "40096", "40058"], "not the handover's, unknown, the takeover's already");

    let same = client.transfer_customers("lisi", "lisi", &one("wmLISI"), None).await.unwrap();
    assert_eq!(same[0].result.as_ref().unwrap_err().code(), "40130");
    assert!(rejected(same[0].result.as_ref().unwrap_err()));
    let ghost = client.transfer_customers("zhangsan", "ghost", &one("wmLISI"), None).await.unwrap();
    assert_eq!(ghost[0].result.as_ref().unwrap_err().code(), "60111");
}

#[tokio::test]
async fn transfers_of_more_than_100_customers_are_split() {
    let (standin, client) = start().await;
    standin.add_staff("lisi");
    let customers = ids("wmMANY", 150);
    for external in &customers {
        standin.silently_add("zhangsan", external, Utc::now());
    }
    client.follow_users().await.unwrap(); // the token, fetched once
    let before = standin.requests();
    let outcomes = client.transfer_customers("zhangsan", "lisi", &customers, None).await.unwrap();
    assert_eq!(standin.requests() - before, 2, "{MAX_TRANSFER_CUSTOMERS} and 50");
    assert_eq!(outcomes.len(), 150);
    assert!(outcomes.iter().zip(&customers).all(|(o, c)| &o.external_userid == c && o.result.is_ok()));
    assert_eq!(standin.transfers().len(), 150);
    let over = json!({"handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": ids("wmX", 101)});
    assert_eq!(raw(&standin, "transfer_customer", over).await["errcode"], 40058);

    // A call that fails fails its customers; later ones are not asked and may be retried.
    standin.fail_next(Fault::ServerError);
    let more = ids("wmMORE", 120);
    for external in &more {
        standin.silently_add("zhangsan", external, Utc::now());
    }
    let outcomes = client.transfer_customers("zhangsan", "lisi", &more, None).await.unwrap();
    assert!(matches!(outcomes[0].result, Err(SendError::Uncertain { .. })));
    assert!(matches!(outcomes[119].result, Err(SendError::Retryable { .. })));
    assert_eq!(standin.transfers().len(), 150);
}

#[tokio::test]
async fn a_departed_members_customers_are_assigned_by_resigned_transfer() {
    let (standin, client) = start().await;
    standin.add_staff("lisi");
    standin.customer_adds("zhangsan", "wmLEFT1", None);
    standin.customer_adds("zhangsan", "wmLEFT2", None);
    let early = client.transfer_resigned_customers("zhangsan", "lisi", &["wmLEFT1".to_string()]).await.unwrap();
    assert_eq!(early[0].result.as_ref().unwrap_err().code(), "40097", "zhangsan has not left yet");
    assert!(client.unassigned().await.unwrap().is_empty());

    standin.depart_staff("zhangsan");
    assert_eq!(client.follow_users().await.unwrap(), ["lisi"]);
    let unassigned = client.unassigned().await.unwrap();
    assert_eq!(unassigned.len(), 2);
    assert!(unassigned.iter().all(|u| u.handover_userid == "zhangsan" && u.dimission_time.is_some()));
    let page = client.unassigned_page(None, 1).await.unwrap();
    assert_eq!((page.entries.len(), page.is_last), (1, false));
    let rest = client.unassigned_page(Some(&page.next_cursor), 1).await.unwrap();
    assert!(rest.is_last && rest.entries[0].external_userid != page.entries[0].external_userid);

    let customers: Vec<String> = unassigned.iter().map(|u| u.external_userid.clone()).collect();
    let outcomes = client.transfer_resigned_customers("zhangsan", "lisi", &customers).await.unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    assert!(client.unassigned().await.unwrap().is_empty(), "being assigned");
    standin.finish_transfers(false);
    let results = client.resigned_transfer_results("zhangsan", "lisi").await.unwrap();
    assert!(results.iter().all(|r| r.status == TransferStatus::Done), "离职继承 is not refused: {results:?}");
    let all = client.relationships(&["lisi".to_string()]).await.unwrap();
    assert_eq!(externals(&all, "lisi"), ["wmLEFT1", "wmLEFT2"]);
    assert!(client.transfer_results("zhangsan", "lisi").await.unwrap().is_empty(), "not an 在职 transfer");
}

// ---------------------------------------------------------------------------------------------
// Tags

#[tokio::test]
async fn corporate_tags_are_added_marked_and_read_back() {
    let (standin, client) = start().await;
    standin.customer_adds("zhangsan", "wmTAG1", None);
    let levels = client.add_corp_tags("会员等级", &["L1".into(), "L2".into()]).await.unwrap();
    assert_eq!(levels.group_name, "会员等级");
    assert_eq!(levels.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["L1", "L2"]);
    assert!(levels.group_id.starts_with("et") && levels.tags.iter().all(|t| t.id.starts_with("et")));
    let (l1, l2) = (levels.tags[0].id.clone(), levels.tags[1].id.clone());
    // The same group name adds to the group.
    let more = client.add_corp_tags("会员等级", &["L3".into()]).await.unwrap();
    assert_eq!((more.group_id.as_str(), more.tags.len()), (levels.group_id.as_str(), 1));
    let listed = client.corp_tags(&[], &[]).await.unwrap();
    assert_eq!((listed.len(), listed[0].tags.len()), (1, 3));
    let only = client.corp_tags(std::slice::from_ref(&l2), &[]).await.unwrap();
    assert_eq!(only[0].tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["L2"]);

    client.mark_tags("zhangsan", "wmTAG1", &[l1.clone(), l2.clone()], &[]).await.unwrap();
    client.mark_tags("zhangsan", "wmTAG1", &[], std::slice::from_ref(&l1)).await.unwrap();
    assert_eq!(standin.tags_of("zhangsan", "wmTAG1"), std::slice::from_ref(&l2));
    let read = client.customer_relationships("wmTAG1").await.unwrap();
    assert_eq!(read[0].tag_ids, std::slice::from_ref(&l2));

    // Tags set in the app come with an edit callback.
    let edited = standin.staff_tags("zhangsan", "wmTAG1", &[&l1]);
    assert_eq!(
        event(&client, &edited),
        ContactEvent::Edited { user_id: "zhangsan".into(), external_user_id: "wmTAG1".into() }
    );
    let batch = client.relationships(&["zhangsan".to_string()]).await.unwrap();
    assert_eq!(batch[0].tag_ids, [l1]);
}

#[tokio::test]
async fn tag_refusals_carry_wecom_codes() {
    let (standin, client) = start().await;
    standin.customer_adds("zhangsan", "wmTAG2", None);
    standin.add_staff("lisi");
    let group = client.add_corp_tags("兴趣", &["草莓".into()]).await.unwrap();
    let tag = vec![group.tags[0].id.clone()];

    let stranger = client.mark_tags("lisi", "wmTAG2", &tag, &[]).await.unwrap_err();
    assert_eq!((stranger.code(), stranger.kind()), ("84061", FailureKind::UserRefused));
    assert!(rejected(&stranger));
    let unknown = client.mark_tags("zhangsan", "wmTAG2", &["etNOTATAG".to_string()], &[]).await.unwrap_err();
    assert_eq!((unknown.code(), unknown.kind()), ("40068", FailureKind::Misconfigured));
    assert!(unknown.to_string().contains("invalid tagid"), "{unknown}");
    let ghost = client.mark_tags("ghost", "wmTAG2", &tag, &[]).await.unwrap_err();
    assert_eq!(ghost.code(), "60111");
    assert!(standin.tags_of("zhangsan", "wmTAG2").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Limits, tokens and mass sends that follow the book

#[tokio::test]
async fn limits_are_retryable_with_a_wait_and_tokens_are_renewed() {
    let (standin, client) = start().await;
    standin.add_staff("zhangsan");
    standin.fail_next(Fault::Throttle);
    let busy = client.follow_users().await.unwrap_err();
    assert!(matches!(busy, SendError::Retryable { kind: FailureKind::Throttled, .. }), "{busy:?}");
    assert_eq!(busy.retry_after(), Some(Duration::from_secs(1)));
    standin.fail_next(Fault::Quota);
    let quota = client.corp_tags(&[], &[]).await.unwrap_err();
    assert_eq!((quota.code(), quota.retry_after()), ("45009", Some(Duration::from_secs(60))));

    standin.expire_tokens();
    assert_eq!(client.follow_users().await.unwrap(), ["zhangsan"], "a GET renews its token too");
}

#[tokio::test]
async fn a_mass_send_leaves_out_a_customer_who_removed_the_sender() {
    let (standin, client) = start().await;
    standin.customer_adds("zhangsan", "wmFAIL", None);
    standin.customer_adds("lisi", "wmFAIL", None);
    standin.customer_removes("zhangsan", "wmFAIL");
    let err = client.send(&mass("wmFAIL", "zhangsan")).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (FailureKind::UserRefused, "fail_list"));
    assert!(standin.mass_tasks().is_empty());
    // Still lisi's customer; ids not in the book are sent as before.
    client.send(&mass("wmFAIL", "lisi")).await.unwrap();
    client.send(&mass("wmNOTINBOOK", "zhangsan")).await.unwrap();

    // Removed after the task was made: not sent on confirming.
    standin.customer_adds("zhangsan", "wmLATE", None);
    let msgid = client.send(&mass("wmLATE", "zhangsan")).await.unwrap().provider_message_id.unwrap();
    standin.staff_removes("zhangsan", "wmLATE");
    standin.confirm(&msgid);
    let state = client.mass_send_state(&msgid, "zhangsan").await.unwrap();
    assert_eq!(state, [("wmLATE".to_string(), MassSendStatus::NotFriend)]);
}

#[tokio::test]
async fn a_second_mass_message_from_one_sender_on_one_day_is_not_received() {
    let (standin, client) = start().await;
    standin.customer_adds("zhangsan", "wmDAY", None);
    standin.customer_adds("lisi", "wmDAY", None);
    let first = client.send(&mass("wmDAY", "zhangsan")).await.unwrap().provider_message_id.unwrap();
    let second = client.send(&mass("wmDAY", "zhangsan")).await.unwrap().provider_message_id.unwrap();
    let other = client.send(&mass("wmDAY", "lisi")).await.unwrap().provider_message_id.unwrap();
    let outside = client.send(&mass("wmOUTSIDE", "zhangsan")).await.unwrap().provider_message_id.unwrap();
    let outside_again = client.send(&mass("wmOUTSIDE", "zhangsan")).await.unwrap().provider_message_id.unwrap();
    for msgid in [&first, &second, &other, &outside, &outside_again] {
        assert!(standin.confirm(msgid));
    }
    let status = |msgid: String, sender: &'static str| {
        let client = client.clone();
        async move { client.mass_send_state(&msgid, sender).await.unwrap()[0].1 }
    };
    assert_eq!(status(first, "zhangsan").await, MassSendStatus::Sent);
    assert_eq!(status(second, "zhangsan").await, MassSendStatus::ReceivedAlready);
    assert_eq!(status(other, "lisi").await, MassSendStatus::Sent, "another sender");
    assert_eq!(status(outside_again, "zhangsan").await, MassSendStatus::Sent, "not in the book: as before");
}
