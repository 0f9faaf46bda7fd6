//! What a store can do, one small trait per capability. Each backend implements every trait
//! in the module that owns its SQL; [`crate::Store`] is their sum. A new capability adds a
//! trait here, a module per backend and its conformance checks.

mod accounts;
mod backend;
mod catalogue;
mod channel_codes;
mod channel_settings;
mod consent;
mod coupons;
mod enrollments;
mod event_log;
mod group_posts;
mod invitations;
mod journeys;
mod outbox;
mod people;
mod points;
mod predictions;
mod readouts;
mod referrals;
mod segments;
mod service;
mod stages;
mod subscriptions;
mod tags;
mod targets;
mod templates;
mod tracked_links;
mod workspaces;

pub use accounts::Accounts;
pub use backend::Backend;
pub use catalogue::Catalogue;
pub use channel_codes::ContactSetup;
pub use channel_settings::ChannelSettings;
pub use consent::Consent;
pub use coupons::Coupons;
pub use enrollments::Enrollments;
pub use event_log::EventLog;
pub use group_posts::{GroupPost, GroupPostState, GroupPosts, GroupQueued, NewGroupPost};
pub use invitations::Invitations;
pub use journeys::Journeys;
pub use outbox::Outbox;
pub use people::People;
pub use points::{Points, Redemption};
pub use predictions::Predictions;
pub use readouts::Readouts;
pub use referrals::ReferralCodes;
pub use segments::Segments;
pub use service::Service;
pub use stages::Stages;
pub use subscriptions::SubscriptionSettings;
pub use tags::Tags;
pub use targets::Targets;
pub use templates::Templates;
pub use tracked_links::{ClickCounts, TrackedLink, TrackedLinks};
pub use workspaces::Workspaces;
