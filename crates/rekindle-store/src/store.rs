use crate::Erasure;
use crate::capability::{
    Accounts, Backend, Catalogue, ChannelSettings, Consent, ContactSetup, Coupons, Enrollments, EventLog, GroupPosts,
    Invitations, Journeys, Launch, Leadership, Outbox, People, Points, Predictions, Programme, Readouts, ReferralCodes,
    Segments, Service, Stages, SubscriptionSettings, Tags, Targets, Templates, TrackedLinks, Winners, Workspaces,
};

/// `Store` is the sum of the capabilities; one list names them for the trait and its
/// blanket impl, so a new capability is added once.
macro_rules! sum_of {
    ($($capability:ident),+ $(,)?) => {
        /// Everything Rekindle keeps: the sum of the capabilities. One implementation of each per
        /// database; all pass the conformance suite. Callers bring the traits they call into scope
        /// with `use rekindle_store::prelude::*`.
        ///
        /// Every method that takes a [`WorkspaceId`](rekindle_core::WorkspaceId) reads and writes that
        /// workspace only.
        pub trait Store: $($capability +)+ Send + Sync + 'static {}

        impl<T> Store for T where T: $($capability +)+ Send + Sync + 'static {}
    };
}

sum_of!(
    Backend,
    Workspaces,
    EventLog,
    People,
    Accounts,
    Invitations,
    Catalogue,
    Segments,
    Stages,
    Tags,
    Predictions,
    Journeys,
    Enrollments,
    Launch,
    Leadership,
    Outbox,
    Readouts,
    ReferralCodes,
    TrackedLinks,
    GroupPosts,
    Templates,
    ChannelSettings,
    ContactSetup,
    Targets,
    Coupons,
    Points,
    Service,
    SubscriptionSettings,
    Programme,
    Winners,
    Consent,
    Erasure,
);
