//! The console's API types are generated (`npm run gen:api` in console/) from
//! `console/openapi.json`, a copy of the OpenAPI document the server serves: it has to be the
//! current one.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::helpers::spawn_app;

const REFRESH: &str = "REKINDLE_BLESS=1 cargo nextest run -p rekindle-server -E 'test(openapi)'";

#[tokio::test]
async fn the_console_has_the_openapi_document_the_server_serves() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let served: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let rendered = serde_json::to_string_pretty(&sorted(served)).unwrap() + "\n";

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../console/openapi.json");
    if std::env::var_os("REKINDLE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != rendered {
        let line = checked_in.lines().zip(rendered.lines()).take_while(|(a, b)| a == b).count() + 1;
        panic!(
            "console/openapi.json is not the OpenAPI document the server serves (first difference at \
             line {line}). Refresh it with\n    {REFRESH}\nthen run `npm run gen:api` in console/ (or \
             `npm run build`), fix what the console's typecheck finds, and commit openapi.json with \
             the change."
        );
    }
}

/// The document with every object's keys in order, so the checked-in copy diffs well.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
