//! The 吸引→筛选→培育→转化→裂变 funnel of seed 003: of the people who first appeared in a
//! window, how many became contacts, engaged, ordered and spread the word — each stage counted
//! among those who reached the one before.

use rekindle_core::calendar::Calendar;
use rekindle_core::profile::Profile;
use serde::Serialize;

use super::table::{Column, Table, rate_cell};
use super::{Window, rate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 吸引: first seen in the window (any event: a live visit, a page, a contact).
    Attracted,
    /// 筛选: became a WeCom contact.
    Screened,
    /// 培育: engaged — was in a live room, or was sent a message.
    Nurtured,
    /// 转化: ordered.
    Converted,
    /// 裂变: shared a live room.
    Spread,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Attracted, Stage::Screened, Stage::Nurtured, Stage::Converted, Stage::Spread];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Attracted => "attracted",
            Stage::Screened => "screened",
            Stage::Nurtured => "nurtured",
            Stage::Converted => "converted",
            Stage::Spread => "spread",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Stage::Attracted => "吸引",
            Stage::Screened => "筛选",
            Stage::Nurtured => "培育",
            Stage::Converted => "转化",
            Stage::Spread => "裂变",
        }
    }

    fn reached(self, p: &Profile) -> bool {
        match self {
            Stage::Attracted => true,
            Stage::Screened => p.contacts.last_added().is_some(),
            Stage::Nurtured => p.first_live.is_some() || !p.touches.is_empty(),
            Stage::Converted => !p.orders.is_empty(),
            Stage::Spread => p.shares > 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    pub stage: Stage,
    pub people: u64,
    /// Of the stage before; none for the first.
    pub conversion: Option<f64>,
}

pub fn funnel<'a>(profiles: impl Iterator<Item = &'a Profile>, cal: &Calendar, window: Window) -> Vec<Step> {
    let mut counts = [0u64; 5];
    for p in profiles.filter(|p| p.first_seen.is_some_and(|t| window.contains(cal.day(t)))) {
        // Nested: a stage counts only people who reached every one before it.
        for (i, stage) in Stage::ALL.iter().enumerate() {
            if !stage.reached(p) {
                break;
            }
            counts[i] += 1;
        }
    }
    Stage::ALL
        .iter()
        .enumerate()
        .map(|(i, stage)| Step {
            stage: *stage,
            people: counts[i],
            conversion: (i > 0).then(|| rate(counts[i], counts[i - 1])).flatten(),
        })
        .collect()
}

pub fn funnel_table(steps: &[Step]) -> Table {
    let columns = vec![
        Column::new("stage", "阶段", "stage"),
        Column::new("people", "人数", "people"),
        Column::new("conversion", "阶段转化率", "conversion"),
    ];
    let rows = steps
        .iter()
        .map(|s| vec![format!("{} {}", s.stage.zh(), s.stage.as_str()), s.people.to_string(), rate_cell(s.conversion)])
        .collect();
    Table { columns, rows }
}
