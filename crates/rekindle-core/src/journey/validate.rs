//! Checks a journey before it is published: every reference resolves, every rule parses, every
//! person who enters can finish.
//!
//! The rule language is its own crate (`rekindle-rules`), which depends on this one: its
//! `journey::validate` calls [`validate_with`] with the parser, so the problems come out in one
//! order, each rule's at its field.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::definition::{Action, Definition, Exit, Trigger};
use crate::FieldError;
use crate::ids::SegmentId;
use crate::outreach::ChannelKind;

/// What the workspace has that a journey may name.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub segments: BTreeSet<SegmentId>,
    /// Message templates by name, with their channel.
    pub templates: BTreeMap<String, ChannelKind>,
    pub coupons: BTreeSet<String>,
    pub tags: BTreeSet<String>,
}

/// Every problem with the journey, each naming its field (`steps[2].then`); empty when it can
/// be published. `rule` says what is wrong with a rule's text (`None` when it parses).
pub fn validate_with(d: &Definition, known: &Known, rule: impl Fn(&str) -> Option<String>) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let mut problem = |field: String, reason: String| problems.push(FieldError::new(field, reason));

    match &d.trigger {
        Trigger::Event { event, .. } if event.trim().is_empty() => problem("trigger.event".into(), "is empty".into()),
        Trigger::SegmentEntered { segment } | Trigger::SegmentLeft { segment } if !known.segments.contains(segment) => {
            problem("trigger.segment".into(), format!("there is no segment {segment}"))
        }
        Trigger::Schedule { once_at, daily_at, weekdays } => {
            if once_at.is_some() == daily_at.is_some() {
                problem("trigger".into(), "needs exactly one of once_at and daily_at".into());
            }
            if weekdays.iter().any(|d| !(1..=7).contains(d)) {
                problem("trigger.weekdays".into(), "days are 1 (Monday) to 7 (Sunday)".into());
            }
            if d.audience.is_none() {
                problem("audience".into(), "a scheduled journey needs an audience rule".into());
            }
        }
        Trigger::Depletion { days_before, .. } | Trigger::Birthday { days_before, .. } if *days_before > 60 => {
            problem("trigger.days_before".into(), "must be at most 60".into())
        }
        Trigger::LiveSession { hours_before } if !(1..=168).contains(hours_before) => {
            problem("trigger.hours_before".into(), "must be between 1 and 168".into())
        }
        Trigger::LiveLeft { within_minutes } if !(1..=240).contains(within_minutes) => {
            problem("trigger.within_minutes".into(), "must be between 1 and 240".into())
        }
        Trigger::LiveNoOrder { watched_minutes } if !(1..=600).contains(watched_minutes) => {
            problem("trigger.watched_minutes".into(), "must be between 1 and 600".into())
        }
        Trigger::LiveUnanswered { seconds } if !(5..=3600).contains(seconds) => {
            problem("trigger.seconds".into(), "must be between 5 and 3600".into())
        }
        _ => {}
    }
    if let Some(e) = d.audience.as_deref().and_then(&rule) {
        problem("audience".into(), e);
    }
    if let Some(g) = &d.goal
        && !(1..=90).contains(&g.within_days)
    {
        problem("goal.within_days".into(), "must be between 1 and 90".into());
    }
    for (i, exit) in d.exit.iter().enumerate() {
        match exit {
            Exit::Event { event } if event.trim().is_empty() => problem(format!("exit[{i}].event"), "is empty".into()),
            Exit::Rule { rule: text } => {
                if let Some(e) = rule(text) {
                    problem(format!("exit[{i}].rule"), e);
                }
            }
            _ => {}
        }
    }
    let limits = &d.limits;
    if !(1..=9).contains(&limits.priority) {
        problem("limits.priority".into(), "must be between 1 and 9".into());
    }
    if limits.message_tag.as_ref().is_some_and(|t| t.trim().is_empty() || t.chars().count() > 32) {
        problem("limits.message_tag".into(), "must be 1 to 32 characters".into());
    }
    for (field, v) in [
        ("limits.entries_per_day", limits.entries_per_day),
        ("limits.entries_total", limits.entries_total),
        ("limits.coupon_budget", limits.coupon_budget),
    ] {
        if v == Some(0) {
            problem(field.into(), "must be at least 1 (leave it out for no limit)".into());
        }
    }
    if let super::Reentry::After { days: 0 } = d.reentry {
        problem("reentry.days".into(), "must be at least 1".into());
    }

    if d.steps.is_empty() {
        problem("steps".into(), "a journey needs at least one step".into());
        return problems;
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, s) in d.steps.iter().enumerate() {
        if s.id.trim().is_empty() {
            problem(format!("steps[{i}].id"), "is empty".into());
        } else if s.id.starts_with(super::AWAITING) {
            problem(format!("steps[{i}].id"), format!("cannot start with {:?}", super::AWAITING));
        } else if index.insert(&s.id, i).is_some() {
            problem(format!("steps[{i}].id"), format!("{:?} is used by an earlier step", s.id));
        }
    }
    for (i, s) in d.steps.iter().enumerate() {
        let at = |f: &str| format!("steps[{i}].{f}");
        if let Some(next) = &s.next
            && !index.contains_key(next.as_str())
        {
            problem(at("next"), format!("there is no step {next:?}"));
        }
        match &s.action {
            Action::Wait { minutes, until, weekdays, date } => {
                let given = usize::from(minutes.is_some()) + usize::from(until.is_some()) + usize::from(date.is_some());
                if given != 1 {
                    problem(at("minutes"), "a wait needs exactly one of minutes, until and date".into());
                }
                if *minutes == Some(0) {
                    problem(at("minutes"), "must be above 0".into());
                }
                if !weekdays.is_empty() && until.is_none() {
                    problem(at("weekdays"), "weekdays go with until (a time of day)".into());
                }
                if weekdays.iter().any(|d| !(1..=7).contains(d)) {
                    problem(at("weekdays"), "days are 1 (Monday) to 7 (Sunday)".into());
                }
                if let Some(w) = date {
                    if !super::definition::DATE_FIELDS.contains(&w.field.as_str())
                        && !w.field.strip_prefix("trigger.").is_some_and(|p| !p.is_empty() && p.len() <= 64)
                    {
                        let fields = super::definition::DATE_FIELDS.join(", ");
                        problem(at("date.field"), format!("a trigger property (trigger.…) or one of {fields}"));
                    }
                    if !(-366..=366).contains(&w.offset_days) {
                        problem(at("date.offset_days"), "must be between -366 and 366".into());
                    }
                }
            }
            Action::WaitFor { paths, timeout_minutes, on_timeout } => {
                if paths.is_empty() || paths.len() > 8 {
                    problem(at("paths"), "an action path needs 1 to 8 paths".into());
                }
                if !(1..=60 * 24 * 90).contains(timeout_minutes) {
                    problem(at("timeout_minutes"), "must be between 1 and 129600 (90 days)".into());
                }
                for (j, p) in paths.iter().enumerate() {
                    if p.event.trim().is_empty() || p.event.chars().count() > 200 {
                        problem(format!("steps[{i}].paths[{j}].event"), "must be 1 to 200 characters".into());
                    }
                    if p.properties.len() > 20 {
                        problem(format!("steps[{i}].paths[{j}].properties"), "at most 20 properties".into());
                    }
                    if !index.contains_key(p.next.as_str()) {
                        problem(format!("steps[{i}].paths[{j}].next"), format!("there is no step {:?}", p.next));
                    }
                }
                if let Some(t) = on_timeout
                    && !index.contains_key(t.as_str())
                {
                    problem(at("on_timeout"), format!("there is no step {t:?}"));
                }
            }
            Action::Branch { rule: text, then, otherwise } => {
                if let Some(e) = rule(text) {
                    problem(at("rule"), e);
                }
                for (f, target) in [("then", then), ("else", otherwise)] {
                    if !index.contains_key(target.as_str()) {
                        problem(at(f), format!("there is no step {target:?}"));
                    }
                }
            }
            Action::Split { variants, holdout_percent, auto_winner } => {
                if auto_winner.is_some_and(|w| !(10..=1_000_000).contains(&w.min_per_variant)) {
                    problem(at("auto_winner.min_per_variant"), "must be between 10 and 1000000".into());
                }
                if auto_winner.is_some() && variants.len() < 2 {
                    problem(at("auto_winner"), "a winner is picked among two variants or more".into());
                }
                if variants.is_empty() {
                    problem(at("variants"), "a split needs at least one variant".into());
                }
                let total: u32 =
                    variants.iter().map(|v| u32::from(v.percent)).sum::<u32>() + u32::from(*holdout_percent);
                if total != 100 {
                    problem(at("variants"), format!("percentages and holdout add up to {total}, not 100"));
                }
                let mut names = BTreeSet::new();
                for (j, v) in variants.iter().enumerate() {
                    if !names.insert(&v.name) {
                        problem(format!("steps[{i}].variants[{j}].name"), format!("{:?} is used twice", v.name));
                    }
                    if !index.contains_key(v.next.as_str()) {
                        problem(format!("steps[{i}].variants[{j}].next"), format!("there is no step {:?}", v.next));
                    }
                }
            }
            Action::Send { channel, template, sender, fallback, .. } => {
                let mut check_template = |field: String, channel: &ChannelKind, template: &String| match known
                    .templates
                    .get(template)
                {
                    None => problem(field, format!("there is no message template {template:?}")),
                    Some(c) if c != channel => problem(field, format!("{template:?} is a {c} template, not {channel}")),
                    Some(_) => {}
                };
                check_template(at("template"), channel, template);
                for (j, f) in fallback.iter().enumerate() {
                    check_template(format!("steps[{i}].fallback[{j}].template"), &f.channel, &f.template);
                }
                let mut seen = BTreeSet::from([*channel]);
                for (j, f) in fallback.iter().enumerate() {
                    if !seen.insert(f.channel) {
                        problem(format!("steps[{i}].fallback[{j}].channel"), format!("{} is tried already", f.channel));
                    }
                }
                match sender {
                    Some(_) if *channel != crate::outreach::ChannelKind::Wecom => {
                        problem(at("sender"), "only a WeCom message has a sending staff member".into())
                    }
                    Some(crate::contacts::SenderRule::Staff(id))
                        if id.is_empty()
                            || id.len() > 64
                            || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) =>
                    {
                        problem(at("sender"), "a WeCom userid: letters, digits and - _ . @".into())
                    }
                    _ => {}
                }
            }
            Action::Coupon { coupon, .. } if !known.coupons.contains(coupon) => {
                problem(at("coupon"), format!("there is no coupon {coupon:?}"))
            }
            Action::Tag { tag, .. } if !known.tags.contains(tag) => {
                problem(at("tag"), format!("there is no tag {tag:?}"))
            }
            Action::Webhook { topic } if topic.trim().is_empty() || topic.len() > 100 => {
                problem(at("topic"), "must be 1 to 100 characters".into())
            }
            Action::AwardPoints { points, reason, .. } => {
                if let Err(e) = crate::loyalty::entries::check_points("points", *points) {
                    problem(at("points"), e.reason);
                }
                if reason.as_deref().is_some_and(|r| {
                    r.trim().is_empty() || r.chars().count() > crate::loyalty::entries::MAX_REASON_CHARS
                }) {
                    let max = crate::loyalty::entries::MAX_REASON_CHARS;
                    problem(at("reason"), format!("must be 1 to {max} characters"));
                }
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    // Every step reachable from the first, and no loop without a wait in it (a person would
    // walk it forever within one instant).
    let edges = |i: usize| -> Vec<usize> {
        let s = &d.steps[i];
        s.next.iter().map(String::as_str).chain(s.action.targets()).filter_map(|t| index.get(t).copied()).collect()
    };
    let mut seen = vec![false; d.steps.len()];
    let mut stack = vec![0];
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut seen[i], true) {
            stack.extend(edges(i));
        }
    }
    for (i, s) in d.steps.iter().enumerate().filter(|(i, _)| !seen[*i]) {
        problems.push(FieldError::new(format!("steps[{i}]"), format!("step {:?} is never reached", s.id)));
    }
    if let Some(i) = loop_without_wait(d.steps.len(), |i| {
        if matches!(d.steps[i].action, Action::Wait { .. } | Action::WaitFor { .. }) { vec![] } else { edges(i) }
    }) {
        problems.push(FieldError::new(
            format!("steps[{i}]"),
            format!("step {:?} is on a loop without a wait", d.steps[i].id),
        ));
    }
    problems
}

/// A node on a cycle of the graph, if there is one (depth-first, colouring nodes).
fn loop_without_wait(n: usize, edges: impl Fn(usize) -> Vec<usize>) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![Colour::White; n];
    for root in 0..n {
        if colour[root] != Colour::White {
            continue;
        }
        let mut stack = vec![(root, edges(root), 0usize)];
        colour[root] = Colour::Grey;
        while let Some((node, out, pos)) = stack.last_mut() {
            if let Some(&next) = out.get(*pos) {
                *pos += 1;
                match colour[next] {
                    Colour::Grey => return Some(next),
                    Colour::White => {
                        colour[next] = Colour::Grey;
                        let e = edges(next);
                        stack.push((next, e, 0));
                    }
                    Colour::Black => {}
                }
            } else {
                colour[*node] = Colour::Black;
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // The journey checks are tested with the real parser in rekindle-rules (`journey::validate`);
    // here only that each rule reaches the checker and its answer lands at the rule's field.
    #[test]
    fn each_rule_is_checked_at_its_field() {
        let d: Definition = serde_json::from_value(serde_json::json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "audience": "no",
            "steps": [{"id": "a", "type": "branch", "rule": "no", "then": "b", "else": "b"}, {"id": "b", "type": "exit"}],
            "exit": [{"type": "rule", "rule": "yes"}, {"type": "rule", "rule": "no"}],
        }))
        .unwrap();
        let problems = validate_with(&d, &Known::default(), |text| (text == "no").then(|| "refused".to_string()));
        let fields: Vec<_> = problems.iter().map(|p| (p.field.as_str(), p.reason.as_str())).collect();
        assert_eq!(fields, [("audience", "refused"), ("exit[1].rule", "refused"), ("steps[0].rule", "refused")]);
    }
}

#[cfg(test)]
mod sender_tests {
    use super::*;

    #[test]
    fn a_sender_is_a_wecom_userid_on_a_wecom_step() {
        let mut known = Known::default();
        known.templates.insert("t".into(), crate::outreach::ChannelKind::Wecom);
        known.templates.insert("s".into(), crate::outreach::ChannelKind::Sms);
        let check = |step: serde_json::Value| {
            let d: Definition = serde_json::from_value(serde_json::json!({
                "trigger": {"type": "event", "event": "Ping"}, "steps": [step],
            }))
            .unwrap();
            validate_with(&d, &known, |_| None).into_iter().map(|p| p.field).collect::<Vec<_>>()
        };
        let send = |template: &str, sender: serde_json::Value| serde_json::json!({"id": "a", "type": "send", "channel": if template == "s" { "sms" } else { "wecom" }, "template": template, "sender": sender});
        assert!(check(send("t", serde_json::json!("recent"))).is_empty());
        assert!(check(send("t", serde_json::json!({"staff": "guide-3"}))).is_empty());
        assert_eq!(check(send("t", serde_json::json!({"staff": ""}))), ["steps[0].sender"]);
        assert_eq!(check(send("t", serde_json::json!({"staff": "<x>"}))), ["steps[0].sender"]);
        assert_eq!(check(send("s", serde_json::json!("owner"))), ["steps[0].sender"]);
    }
}
