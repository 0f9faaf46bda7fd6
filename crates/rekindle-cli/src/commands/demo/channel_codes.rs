//! The demo store's channel codes (渠道活码): one per code the simulated customers came
//! through — live sessions of the last 30 days, parcel cards, stores, ads — with the staff
//! members seen on each, as the store would have made them (no QR codes without WeCom).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use rekindle_core::contacts::{ChannelCode, CodeInput, CodeKind, Pick};
use rekindle_sim::{SimConfig, Truth};

/// Live-session codes older than this are left out (their friendships keep their source).
const LIVE_DAYS: i64 = 30;

#[derive(Default)]
pub struct Seen {
    /// code → (source, staff seen, first add).
    codes: BTreeMap<String, (String, BTreeSet<String>, String)>,
}

impl Seen {
    pub fn add(&mut self, t: &Truth) {
        for link in &t.staff {
            let (Some(code), Some(source), Some(at)) = (&link.code, link.source, &link.added_at) else { continue };
            let entry =
                self.codes.entry(code.clone()).or_insert_with(|| (source.as_str().into(), BTreeSet::new(), at.clone()));
            entry.1.insert(link.staff.clone());
            entry.2 = entry.2.clone().min(at.clone());
        }
    }

    pub fn codes(&self, config: &SimConfig) -> Vec<ChannelCode> {
        let end = config.start + chrono::Days::new(u64::from(config.days));
        let recent = (end - chrono::Days::new(LIVE_DAYS as u64)).format("%Y%m%d").to_string();
        let mut out = Vec::new();
        for (code, (source, staff, first)) in &self.codes {
            if source == "live" && code.trim_start_matches("live-") < recent.as_str() {
                continue;
            }
            let name = name(code, source);
            let pick = if source == "ads" { Pick::Random } else { Pick::Turn };
            let input = CodeInput {
                name,
                source: source.clone(),
                kind: CodeKind::Contact,
                staff: staff.iter().cloned().collect(),
                pick,
                groups: vec![],
                tags: vec![],
                welcome: None,
            };
            let created = rekindle_sim::wecom::parse_local(first)
                .and_then(|t| chrono_tz::Asia::Shanghai.from_local_datetime(&t).earliest())
                .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
            let mut c = ChannelCode::new(out.len() as u32 + 1, input, created);
            // The state the simulated store gave its codes.
            c.state = code.clone();
            out.push(c);
        }
        out
    }
}

fn name(code: &str, source: &str) -> String {
    let rest = code.split_once('-').map_or(code, |(_, r)| r);
    match (source, rest) {
        ("live", date) if date.len() == 8 => format!("直播间 {}-{}", &date[4..6], &date[6..8]),
        ("parcel", card) => format!("包裹卡 {}", card.to_uppercase()),
        ("store", n) => format!("{n} 号店"),
        ("ads", "moments") => "朋友圈广告".into(),
        ("ads", "douyin") => "抖音广告".into(),
        _ => code.to_owned(),
    }
}
