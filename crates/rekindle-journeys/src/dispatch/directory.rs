//! Which providers send a workspace's messages: the configuration file's `[channels]`, with
//! each provider its owner set in the console in place of the file's. Built on first use and
//! rebuilt when the owner saves, so a change takes effect at the next send without a restart;
//! saved through another node, within [`MAX_AGE`] (docs/deploy.md, "Several nodes").

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rekindle_core::WorkspaceId;
use rekindle_delivery::{Channels, ChannelsConfig, ConfigError};
use rekindle_store::Store;
use serde_json::Value;

/// The providers a console may set, by the name of their section.
pub const PROVIDERS: [&str; 5] = ["aliyun_sms", "tencent_sms", "wecom", "miniprogram", "webhook"];

/// How long the saved settings are taken as read before they are read again. Providers are
/// rebuilt only when the settings changed: a rebuilt client asks for its access token anew.
pub const MAX_AGE: Duration = Duration::from_secs(5);

pub struct ChannelDirectory {
    store: Arc<dyn Store>,
    file: ChannelsConfig,
    max_age: Duration,
    built: RwLock<HashMap<WorkspaceId, (Instant, Arc<Built>)>>,
}

/// A workspace's providers: what they were built from, and where each section came from.
pub struct Built {
    /// The console's sections as saved.
    pub saved: Value,
    pub config: ChannelsConfig,
    /// The sections set in the console (the rest, if any, are the file's).
    pub console: Vec<&'static str>,
    pub channels: Arc<Channels>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] rekindle_store::StoreError),
}

impl ChannelDirectory {
    /// Checks the file's providers at once: a bad `[channels]` stops the server starting.
    pub fn new(store: Arc<dyn Store>, file: ChannelsConfig) -> Result<Self, ConfigError> {
        Channels::from_config(&file)?;
        Ok(Self { store, file, max_age: MAX_AGE, built: RwLock::default() })
    }

    /// Read the saved settings again after `max_age` rather than [`MAX_AGE`] (tests).
    pub fn with_max_age(self, max_age: Duration) -> Self {
        Self { max_age, ..self }
    }

    /// The workspace's providers, as last saved.
    pub async fn of(&self, ws: WorkspaceId) -> Result<Arc<Built>, DirectoryError> {
        let known = self.built.read().unwrap_or_else(|p| p.into_inner()).get(&ws).cloned();
        if let Some((read, b)) = &known
            && read.elapsed() < self.max_age
        {
            return Ok(b.clone());
        }
        let saved = self.store.channel_settings(ws).await?.unwrap_or(Value::Null);
        if let Some((_, b)) = known
            && b.saved == saved
        {
            self.built.write().unwrap_or_else(|p| p.into_inner()).insert(ws, (Instant::now(), b.clone()));
            return Ok(b);
        }
        // What was saved was valid when saved; should the file change under it, the file's
        // providers still send rather than none.
        let built = match build(&self.file, &saved) {
            Ok(b) => b,
            Err(error) => {
                tracing::warn!(ws = ws.0, %error, "the console's channel settings no longer build; using the file's");
                Built { saved: saved.clone(), ..build(&self.file, &Value::Null)? }
            }
        };
        let built = Arc::new(built);
        self.built.write().unwrap_or_else(|p| p.into_inner()).insert(ws, (Instant::now(), built.clone()));
        Ok(built)
    }

    /// The workspace's channels, for a send.
    pub async fn channels(&self, ws: WorkspaceId) -> Result<Arc<Channels>, DirectoryError> {
        Ok(self.of(ws).await?.channels.clone())
    }

    /// Save the console's sections (`{"wecom": {...}, "sms_provider": "aliyun"}`) whole, once
    /// they build; from the next send on they are what sends.
    pub async fn save(
        &self,
        ws: WorkspaceId,
        sections: &Value,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Arc<Built>, DirectoryError> {
        let built = Arc::new(build(&self.file, sections)?);
        self.store.put_channel_settings(ws, sections, at).await?;
        self.built.write().unwrap_or_else(|p| p.into_inner()).insert(ws, (Instant::now(), built.clone()));
        Ok(built)
    }

    /// What the console saved, as saved (secrets included: for merging a change, never to show).
    pub async fn saved(&self, ws: WorkspaceId) -> Result<Value, DirectoryError> {
        Ok(self.store.channel_settings(ws).await?.unwrap_or_else(|| Value::Object(Default::default())))
    }
}

/// The file's configuration with the console's sections in place of its own.
fn build(file: &ChannelsConfig, sections: &Value) -> Result<Built, ConfigError> {
    let mut merged = serde_json::to_value(file).map_err(|e| invalid("channels", e))?;
    let mut console = Vec::new();
    if let (Value::Object(into), Value::Object(from)) = (&mut merged, sections) {
        for (key, value) in from {
            if let Some(name) = PROVIDERS.iter().find(|p| **p == key) {
                console.push(*name);
            }
            into.insert(key.clone(), value.clone());
        }
    }
    let config: ChannelsConfig = serde_json::from_value(merged).map_err(|e| invalid("channels", e))?;
    let channels = Arc::new(Channels::from_config(&config)?);
    Ok(Built { saved: sections.clone(), config, console, channels })
}

fn invalid(field: &'static str, e: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid { field, reason: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekindle_core::outreach::ChannelKind;
    use serde_json::json;

    #[test]
    fn the_console_replaces_the_files_section_and_keeps_the_rest() {
        let file: ChannelsConfig = serde_json::from_value(json!({
            "webhook": {"url": "https://file.example/hook", "secret": "file-secret"},
        }))
        .unwrap();
        let none = build(&file, &Value::Null).unwrap();
        assert!(none.console.is_empty() && none.channels.get(ChannelKind::Sms).is_none());
        let set = build(
            &file,
            &json!({"aliyun_sms": {"access_key_id": "LTAI", "access_key_secret": "s", "sign_name": "鲜果铺"}}),
        )
        .unwrap();
        assert_eq!(set.console, ["aliyun_sms"]);
        assert_eq!(set.channels.get(ChannelKind::Sms).unwrap().provider(), "aliyun_sms");
        assert!(set.channels.get(ChannelKind::Webhook).is_some(), "the file's webhook still sends");

        let bad = build(&file, &json!({"wecom": {"corp_id": "ww1"}}));
        assert!(matches!(bad, Err(ConfigError::Invalid { field: "channels", .. })), "a section missing its secret");
    }

    /// Saved through one node, the settings reach another node's sends; unchanged, the other
    /// node keeps its providers (and their access tokens).
    #[tokio::test]
    async fn settings_saved_through_another_node_are_read_again() {
        use rekindle_store::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(rekindle_store_sqlite::SqliteStore::open(dir.path()).await.unwrap());
        let ws = store.workspace_by_slug(rekindle_store::DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
        let file = ChannelsConfig::default();
        let here = ChannelDirectory::new(store.clone(), file.clone()).unwrap();
        let there = ChannelDirectory::new(store.clone(), file).unwrap().with_max_age(Duration::ZERO);
        let before = there.of(ws).await.unwrap();
        assert!(before.console.is_empty());
        assert!(Arc::ptr_eq(&before, &there.of(ws).await.unwrap()), "nothing changed: the same providers");
        let sms = json!({"aliyun_sms": {"access_key_id": "LTAI", "access_key_secret": "s", "sign_name": "鲜果铺"}});
        here.save(ws, &sms, chrono::Utc::now()).await.unwrap();
        let after = there.of(ws).await.unwrap();
        assert_eq!(after.console, ["aliyun_sms"]);
        assert_eq!(after.channels.get(ChannelKind::Sms).unwrap().provider(), "aliyun_sms");
    }
}
