use chrono::{TimeZone, Utc};
use rekindle_core::MessageKind;
use rekindle_core::message::Arrival;

use super::*;

fn message(id: &str) -> Message {
    let json = format!(r#"{{"userId": "u1", "event": "Live Watched", "messageId": "{id}"}}"#);
    Message::parse(&json, Some(MessageKind::Track), &Arrival::live(Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()))
        .unwrap()
}

fn batch(ws: i64, source: &str, ids: &[&str]) -> InboxBatch {
    InboxBatch {
        ws: WorkspaceId(ws),
        source: Source(source.into()),
        messages: ids.iter().map(|i| message(i)).collect(),
    }
}

fn ids(b: &InboxBatch) -> Vec<&str> {
    b.messages.iter().map(|m| m.message_id.as_str()).collect()
}

#[tokio::test]
async fn kept_batches_survive_reopening_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open_blocking(dir.path()).unwrap();
    assert_eq!(inbox.push(&[batch(1, "a", &["m1", "m2"]), batch(2, "a", &["m3"])]).await.unwrap(), 3);
    assert_eq!(inbox.push(&[batch(2, "a", &["m4"]), batch(2, "b", &["m5"])]).await.unwrap(), 5);
    drop(inbox);

    let inbox = SqliteInbox::open_blocking(dir.path()).unwrap();
    let pending = inbox.pending().await.unwrap();
    // Consecutive messages for one workspace and source come back as one batch.
    let shape: Vec<(InboxSeq, i64, &str, Vec<&str>)> =
        pending.iter().map(|(seq, b)| (*seq, b.ws.0, b.source.0.as_str(), ids(b))).collect();
    assert_eq!(shape, [(2, 1, "a", vec!["m1", "m2"]), (4, 2, "a", vec!["m3", "m4"]), (5, 2, "b", vec!["m5"])]);
    let original = message("m1");
    let restored = &pending[0].1.messages[0];
    assert_eq!((restored.timestamp, restored.received_at), (original.timestamp, original.received_at));
    assert_eq!(restored.payload.get(), original.payload.get());

    inbox.release(4).await.unwrap();
    let left = inbox.pending().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(ids(&left[0].1), ["m5"]);
}

#[tokio::test]
async fn sequence_numbers_never_repeat_after_everything_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open_blocking(dir.path()).unwrap();
    let first = inbox.push(&[batch(1, "a", &["m1", "m2"])]).await.unwrap();
    inbox.release(first).await.unwrap();
    assert!(inbox.pending().await.unwrap().is_empty());
    assert_eq!(inbox.push(&[]).await.unwrap(), first, "an empty push names the last message kept");
    assert_eq!(inbox.push(&[batch(1, "a", &["m3"])]).await.unwrap(), first + 1);
}
