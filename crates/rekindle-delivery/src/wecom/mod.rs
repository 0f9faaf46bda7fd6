//! WeCom (企业微信) customer contact.
//!
//! A company cannot message a customer directly: it creates a mass-send task
//! (`externalcontact/add_msg_template`) that the staff member confirms in WeCom, so a send ends
//! [`Receipt::awaiting_confirmation`](crate::Receipt) and [`WecomClient::mass_send_state`] tells
//! later whether it went out. The one exception is the welcome message, sent within 20 seconds
//! of the "customer added" callback with the `welcome_code` it carries. A task may carry up to
//! nine [`Attachment`]s; pictures, videos and files are uploaded as temporary media once and
//! their media ids reused for nearly the three days WeCom keeps them. A task may also go to
//! customer groups ([`WecomClient::send_to_groups`]), confirmed by the group owner.
//!
//! 微信客服 (WeChat Customer Service) conversations come the other way: a `kf_msg_or_event`
//! callback says messages are waiting, and [`WecomClient::kf_sync_msg`] pulls them.
//!
//! The relationship layer reads and shapes who is whose customer: the staff members' customers
//! ([`WecomClient::relationships`], [`WecomClient::customer_relationships`]) as
//! [`Relationship`]s, channel codes whose `state` says where a customer came from
//! ([`WecomClient::add_contact_way`], [`WecomClient::add_join_way`]), transfers of customers
//! between staff members ([`WecomClient::transfer_customers`], 离职继承 from
//! [`WecomClient::unassigned`]) and corporate tags ([`WecomClient::mark_tags`]). Callbacks
//! report what staff and customers do in WeCom, never what the API did, so a reconcile reads
//! the relationships again.
//!
//! - [`WecomClient`]: the API calls.
//! - [`callback`]: the callback URL's signature and AES crypto, the contact events and the
//!   微信客服 notice.
//! - [`kf`]: the messages `kf/sync_msg` returns.
//! - [`WecomClient::agent_config`]: the signed `wx.agentConfig` parameters a chat-sidebar page
//!   needs, from the cached application jsapi ticket.

mod attachment;
pub mod callback;
mod client;
mod codes;
mod contact_way;
mod contacts;
mod corp_tags;
mod event;
mod group;
mod jsapi;
pub mod kf;
mod media;
mod multipart;
mod send_result;
mod task;
mod transfer;

pub use attachment::{
    Asset, AssetSource, Attachment, Link, MAX_ATTACHMENTS, MAX_TEXT_BYTES, MediaType, MiniprogramCard,
};
pub use client::{KF_SYNC_LIMIT, WecomClient};
pub use contact_way::{
    ContactWay, ContactWayCreated, ContactWayInfo, ContactWayKind, JoinWay, JoinWayInfo, MAX_JOIN_CHATS,
    MAX_STATE_BYTES,
};
pub use contacts::{MAX_RELATIONSHIPS_PER_PAGE, MAX_STAFF_PER_CALL, Relationship, RelationshipPage};
pub use corp_tags::{CorpTag, TagGroup};
pub use event::FailReason;
pub use group::{GroupPost, MAX_GROUP_CHATS};
pub use jsapi::{AgentConfig, INVALID_URL, MAX_URL_BYTES, sign as jsapi_signature};
pub use media::{MEDIA_LIFETIME, MEDIA_REUSE};
pub use send_result::MassSendStatus;
pub use transfer::{
    MAX_TRANSFER_CUSTOMERS, MAX_TRANSFER_MESSAGE_CHARS, MAX_UNASSIGNED_PAGE, TransferOutcome, TransferState,
    TransferStatus, Unassigned, UnassignedPage,
};
