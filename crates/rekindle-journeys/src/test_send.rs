//! Test sends (docs/journeys.md, "Launch safety"): a step's message, rendered with sample
//! values and marked 【测试】, sent through the store's own providers to the staff on its seed
//! list and nobody else. Outside the outbox: no person, no enrollment, no caps, no timeline.

use rekindle_core::WorkspaceId;
use rekindle_core::journey::launch::{Seed, marked, sample_vars};
use rekindle_core::outreach::{ChannelKind, MessageTemplate};
use rekindle_delivery::{Outgoing, SendError};

use crate::dispatch::ChannelDirectory;

/// What became of the test send to one seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSent {
    pub seed: String,
    pub to: String,
    /// `None` when sent; else why not (`no_address`, `no_provider`, or the provider's kind).
    pub error: Option<String>,
}

/// Why nothing could be sent at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestSendError {
    /// The template does not render (`field`, `reason`).
    Render(String, String),
    /// The store's providers could not be read.
    Channels(String),
}

/// Send `template` (on `channel`) to each seed with an address on it. `key` names this test
/// send; each seed's message is `test:{key}:{n}`.
pub async fn test_send(
    channels: &ChannelDirectory,
    ws: WorkspaceId,
    channel: ChannelKind,
    template: &MessageTemplate,
    seeds: &[Seed],
    key: &str,
) -> Result<Vec<TestSent>, TestSendError> {
    let rendered = template.render(&sample_vars()).map_err(|e| TestSendError::Render(e.field, e.reason))?;
    let providers = channels.channels(ws).await.map_err(|e| TestSendError::Channels(e.to_string()))?;
    let provider = providers.get(channel);
    let mut out = Vec::with_capacity(seeds.len());
    for (n, seed) in seeds.iter().enumerate() {
        let Some(address) = seed.address(channel) else {
            out.push(TestSent { seed: seed.name.clone(), to: String::new(), error: Some("no_address".into()) });
            continue;
        };
        let Some(provider) = &provider else {
            out.push(TestSent { seed: seed.name.clone(), to: address.to, error: Some("no_provider".into()) });
            continue;
        };
        let message = Outgoing {
            send_key: format!("test:{key}:{n}"),
            channel,
            to: address.to.clone(),
            sender: address.sender,
            template: template.provider_template.clone(),
            params: rendered.params.clone(),
            text: marked(&rendered.text),
            link: rendered.link.clone(),
            context: serde_json::json!({"test": true}),
            attachments: template.attachments.iter().map(Into::into).collect(),
        };
        // Never retried: a test that did not go is for the operator to see and send again.
        let error = provider.send(&message).await.err().map(|e: SendError| e.kind().as_str().to_owned());
        out.push(TestSent { seed: seed.name.clone(), to: address.to, error });
    }
    Ok(out)
}
