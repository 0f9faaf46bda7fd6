//! Groups (社群, docs/groups.md): who is in each WeCom customer group, from `Group Joined` /
//! `Group Left`, whether the group still talks (`Group Messaged`), and how many promotional
//! posts a group takes a day. Seed 002: a group flooded with eight ads a day lost 70% of its
//! members in a week; three a day is the default ceiling, shared by every journey and sender.

mod book;
mod post;

pub use book::{Group, GroupRow, Groups, SILENT_AFTER};
pub use post::{GroupPostInput, MAX_POST_CHARS, PostRules};
