//! A send step's `send_time: personal` applied to its message (docs/journeys.md, "Send
//! time"): held to the person's own active hour, decided by
//! `rekindle_core::outreach::send_time`; caps count it on the day it goes out.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rekindle_core::journey::{Action, Definition, SendTime};
use rekindle_core::outreach::send_time::{active_hours, personal_send_at};
use rekindle_core::outreach::{CapsConfig, local_day};
use rekindle_core::profile::Profile;
use rekindle_store::NewMessage;

/// Hold `m`, queued by the send step `step` at `now`, to the person's hour when the step asks
/// for it. Quiet hours are kept out of the choice (transactional messages have none); a person
/// with no history goes at once.
pub(crate) fn hold(
    m: &mut NewMessage,
    d: &Definition,
    step: &str,
    profile: Option<&Profile>,
    caps: &CapsConfig,
    now: DateTime<Utc>,
    tz: Tz,
) {
    let Some(Action::Send { send_time: SendTime::Personal, .. }) = d.step(step).map(|s| &s.action) else { return };
    let Some(profile) = profile else { return };
    let quiet = if m.transactional { None } else { caps.quiet_hours.get(&m.channel) };
    let at = personal_send_at(now, &active_hours(profile, tz), quiet, tz);
    if at > m.not_before {
        m.not_before = at;
        m.day = local_day(at, tz);
    }
}
