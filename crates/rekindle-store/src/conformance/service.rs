//! Customer service's rows: settings kept whole per workspace, the knowledge base added to and
//! replaced by id in order, the assistant's log newest first, erased and exported with the
//! person who asked.

use chrono::Duration;
use rekindle_core::IdentifierKind;
use rekindle_core::service::Settings;
use rekindle_core::service::faq::{Entry, Logged};

use super::{append, default_ws, msg, person_of, t0};
use crate::{Store, StoreError};

fn entry(id: &str, answer: &str) -> Entry {
    Entry {
        id: id.into(),
        category: "保存".into(),
        question: format!("{id} 怎么保存"),
        alternatives: vec!["能放多久".into()],
        answer: answer.into(),
    }
}

pub async fn service_rows_are_per_workspace(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other-service", "别家", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.service_settings(ws).await.unwrap(), Settings::default());
    let mut s = Settings { faq_threshold: 0.5, ..Settings::default() };
    s.sla.resolve_hours = 24;
    s.sla.hours.spans.clear();
    store.put_service_settings(ws, &s, t0()).await.unwrap();
    assert_eq!(store.service_settings(ws).await.unwrap(), s);
    assert_eq!(store.service_settings(other).await.unwrap(), Settings::default());

    let added = store.put_faq_entries(ws, &[entry("milk", "冷藏7天"), entry("egg", "常温")], t0()).await.unwrap();
    assert_eq!(added, 2);
    // Replacing keeps the entry's place; a new one goes last.
    let added = store.put_faq_entries(ws, &[entry("milk", "冷藏5天"), entry("fish", "冷冻")], t0()).await.unwrap();
    assert_eq!(added, 1);
    let kb = store.faq_entries(ws).await.unwrap();
    assert_eq!(
        kb.iter().map(|e| (e.id.as_str(), e.answer.as_str())).collect::<Vec<_>>(),
        [("milk", "冷藏5天"), ("egg", "常温"), ("fish", "冷冻")]
    );
    assert_eq!(kb[0], entry("milk", "冷藏5天"), "kept whole");
    assert!(store.faq_entries(other).await.unwrap().is_empty());
    assert!(matches!(store.delete_faq_entry(other, "milk").await, Err(StoreError::NotFound(_))));
    store.delete_faq_entry(ws, "egg").await.unwrap();
    assert!(matches!(store.delete_faq_entry(ws, "egg").await, Err(StoreError::NotFound(_))));
    assert_eq!(store.faq_entries(ws).await.unwrap().len(), 2);
}

pub async fn faq_log_is_newest_first_and_erased_with_the_asker(store: &dyn Store) {
    let ws = default_ws(store).await;
    let m = msg(serde_json::json!({"type": "identify", "userId": "asker", "messageId": "id-asker"}));
    append(store, ws, &[m]).await;
    let asker = person_of(store, ws, IdentifierKind::UserId, "asker").await.unwrap();
    let log = |i: i64, answered: bool, person| Logged {
        at: t0() + Duration::minutes(i),
        person,
        question: format!("问题{i}"),
        entry_id: answered.then(|| "milk".to_owned()),
        confidence: if answered { 0.8 } else { 0.1 },
        answered,
        source: "live".into(),
    };
    for (i, answered, person) in [(0, true, None), (1, false, Some(asker)), (2, true, Some(asker)), (3, false, None)] {
        store.log_faq(ws, &log(i, answered, person)).await.unwrap();
    }
    let all = store.faq_log(ws, false, 10).await.unwrap();
    assert_eq!(all.iter().map(|l| l.question.as_str()).collect::<Vec<_>>(), ["问题3", "问题2", "问题1", "问题0"]);
    assert_eq!(all[1], log(2, true, Some(asker)), "kept whole");
    let handed: Vec<String> = store.faq_log(ws, true, 1).await.unwrap().into_iter().map(|l| l.question).collect();
    assert_eq!(handed, ["问题3"]);
    let other = store.create_workspace("other-faq", "别家", "Asia/Shanghai").await.unwrap().id;
    assert!(store.faq_log(other, false, 10).await.unwrap().is_empty());

    let export = store.export_person(ws, asker).await.unwrap();
    assert_eq!(export.records.get("faq_log").map(Vec::len), Some(2), "{:?}", export.records.keys());
    store.erase_person(ws, asker).await.unwrap();
    let left: Vec<String> = store.faq_log(ws, false, 10).await.unwrap().into_iter().map(|l| l.question).collect();
    assert_eq!(left, ["问题3", "问题0"], "the asker's questions went with them");
}
