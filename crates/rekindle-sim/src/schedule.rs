//! The live-session schedule: several sessions a week, evenings mostly, with topics.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::live::LiveEffects;

/// A session as the simulator uses it; [`LiveSession::object`] gives the store's form.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSession {
    pub id: String,
    pub title: String,
    /// Category names the session features.
    pub topics: Vec<&'static str>,
    pub host: &'static str,
    /// Local (Asia/Shanghai) start and end.
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// How much the weekday draws viewers (Friday to Sunday draw more).
    pub pull: f64,
    /// When the stream stalls (local time) and for how many seconds, if it does: every viewer
    /// in the room then reports it, and some leave (`crate::live`).
    pub stall: Option<(NaiveDateTime, i64)>,
}

const HOSTS: [&str; 3] = ["小鹿", "阿杰", "果果"];
const THEMES: [(&str, &[&str]); 6] = [
    ("早餐好物专场", &["乳品", "谷物", "蛋"]),
    ("当季鲜果直送", &["水果", "时令"]),
    ("有机蔬菜溯源", &["有机蔬菜", "谷物"]),
    ("懒人快手菜", &["预制菜", "肉禽"]),
    ("家庭囤货节", &["粮油", "蛋", "零食"]),
    ("产地直播·肉禽", &["肉禽", "蛋"]),
];

pub fn generate(rng: &mut ChaCha8Rng, start: NaiveDate, days: u32, live: &LiveEffects) -> Vec<LiveSession> {
    let mut sessions = Vec::new();
    for d in 0..days {
        let day = start + Duration::days(i64::from(d));
        let (chance, pull) = match day.weekday() {
            Weekday::Fri | Weekday::Sat | Weekday::Sun => (0.9, 1.3),
            Weekday::Mon => (0.4, 0.8),
            _ => (0.6, 1.0),
        };
        if !rng.random_bool(chance) {
            continue;
        }
        let (theme, topics) = THEMES[rng.random_range(0..THEMES.len())];
        let hour = if rng.random_bool(0.8) { 20 } else { 12 };
        let start_at = day.and_hms_opt(hour, 0, 0).unwrap_or_default();
        let minutes = rng.random_range(90..150);
        sessions.push(LiveSession {
            id: format!("live-{}", day.format("%Y%m%d")),
            title: format!("{theme} {}月{}日", day.month(), day.day()),
            topics: topics.to_vec(),
            host: HOSTS[rng.random_range(0..HOSTS.len())],
            start: start_at,
            end: start_at + Duration::minutes(minutes),
            pull,
            stall: None,
        });
    }
    // Stalls are drawn after the schedule, so the schedule is the same with them or without.
    for s in &mut sessions {
        if !rng.random_bool(live.stall_share.clamp(0.0, 1.0)) {
            continue;
        }
        // After the first minutes, and over before the session ends.
        let length = (s.end - s.start).num_minutes();
        let first = live.stall_after_minutes + 1;
        let minute = rng.random_range(first..(length - 5).max(first + 1));
        let (least, most) = live.stall_seconds;
        let seconds = rng.random_range(least..=most.max(least));
        s.stall = Some((s.start + Duration::minutes(minute), seconds));
    }
    sessions
}

impl LiveSession {
    /// The session as the object `rekindle import` loads: local times become UTC (China keeps
    /// +08:00 all year). Every simulated session started on time and ran to its end.
    pub fn object(&self) -> rekindle_core::objects::LiveSession {
        let utc = |t: NaiveDateTime| (t - Duration::hours(8)).and_utc();
        rekindle_core::objects::LiveSession {
            id: self.id.clone(),
            title: self.title.clone(),
            topics: self.topics.iter().map(|t| t.to_string()).collect(),
            host: self.host.into(),
            scheduled_start: utc(self.start),
            started_at: Some(utc(self.start)),
            ended_at: Some(utc(self.end)),
        }
    }
}
