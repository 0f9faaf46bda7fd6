//! The persona segments a workspace starts with (DESIGN.md, Capabilities 4). They are
//! ordinary segments: operators edit or delete them like any other.

use chrono::{DateTime, Utc};
use rekindle_store::{NewSegment, SegmentKind};

/// (name, description, rule). The rules read the catalogue's product tags, so they work for
/// any store that tags its products; the simulator's catalogue does (docs/simulator.md).
pub const PERSONAS: [(&str, &str, &str); 4] = [
    ("尝鲜探索家", "爱尝新品：近 30 天买过新品", r#"bought tagged "new" within 30d"#),
    ("家庭囤货王", "大包装、家庭装的常客", r#"bought tagged "large_pack" within 90d"#),
    ("健康生活家", "偏爱有机、健康品类", r#"bought tagged "organic" within 90d"#),
    ("懒人料理族", "常买预制菜、半成品", r#"bought tagged "prepared" within 90d"#),
];

pub fn defaults(at: DateTime<Utc>) -> Vec<NewSegment> {
    PERSONAS
        .iter()
        .map(|(name, description, rule)| NewSegment {
            name: (*name).into(),
            description: (*description).into(),
            rule: (*rule).into(),
            kind: SegmentKind::Persona,
            by: None,
            at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn persona_rules_parse() {
        for (name, _, rule) in super::PERSONAS {
            rekindle_rules::parse(rule).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
