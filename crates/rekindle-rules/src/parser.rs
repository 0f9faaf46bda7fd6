//! Recursive descent over the grammar at the top of the crate's docs.

use chrono::Duration;

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::scores::Risk;

use crate::ast::{Metric, Op, RfmAxis, Rule, Unit};
use crate::error::ParseError;
use crate::lexer::{Token, lex};

/// Names kept for what later capabilities bring, so a rule using one gets a clear answer.
const COMING: [(&str, &str); 3] =
    [("level", "points and member levels"), ("points", "points and member levels"), ("invited", "referrals")];

/// Longest rule, in characters, wherever a rule is written (segments, tags, journey audiences,
/// branches and exits): one cap in the parser, so no caller can forget it.
pub const MAX_RULE_CHARS: usize = 2000;
/// Deepest nesting of parentheses and `not`. The parser and every walk over a rule recurse, so
/// an unbounded depth would let one rule overflow a thread's stack and abort the process.
pub const MAX_NESTING: usize = 64;

/// A rule, or the first place it stops making sense.
pub fn parse(text: &str) -> Result<Rule, ParseError> {
    let chars = text.chars().count();
    if chars > MAX_RULE_CHARS {
        return Err(ParseError {
            position: MAX_RULE_CHARS,
            expected: format!("a rule of at most {MAX_RULE_CHARS} characters"),
            found: format!("{chars} characters"),
            over_limit: true,
        });
    }
    let tokens = lex(text).map_err(|(position, expected)| ParseError {
        position,
        expected,
        found: text.chars().nth(position).map_or("the end of the rule".into(), |c| format!("{c:?}")),
        over_limit: false,
    })?;
    let mut p = Parser { tokens, at: 0, depth: 0 };
    let rule = p.or()?;
    match p.peek() {
        Token::End => Ok(rule),
        _ => Err(p.error("\"and\", \"or\" or the end of the rule")),
    }
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    /// How many parentheses and `not`s enclose the current token.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].1
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.at].1.clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    fn error(&self, expected: &str) -> ParseError {
        let (position, token) = &self.tokens[self.at];
        ParseError { position: *position, expected: expected.into(), found: token.describe(), over_limit: false }
    }

    fn word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Token::Word(x) if x == w) {
            self.next();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Rule, ParseError> {
        let mut left = self.and()?;
        while self.word("or") {
            left = Rule::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Rule, ParseError> {
        let mut left = self.unary()?;
        while self.word("and") {
            left = Rule::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Rule, ParseError> {
        let nests = matches!(self.peek(), Token::LParen) || matches!(self.peek(), Token::Word(w) if w == "not");
        if !nests {
            return self.predicate();
        }
        if self.depth == MAX_NESTING {
            let e = self.error(&format!("at most {MAX_NESTING} levels of parentheses and \"not\""));
            return Err(ParseError { over_limit: true, ..e });
        }
        self.depth += 1;
        let rule = self.nested();
        self.depth -= 1;
        rule
    }

    /// `not …` or `( … )`, one level deeper.
    fn nested(&mut self) -> Result<Rule, ParseError> {
        if self.word("not") {
            return Ok(Rule::Not(Box::new(self.unary()?)));
        }
        self.next();
        let inner = self.or()?;
        if *self.peek() != Token::RParen {
            return Err(self.error("\")\""));
        }
        self.next();
        Ok(inner)
    }

    fn text(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek().clone() {
            Token::Str(s) | Token::Word(s) => {
                self.next();
                Ok(s)
            }
            _ => Err(self.error(what)),
        }
    }

    fn duration(&mut self) -> Result<Duration, ParseError> {
        match self.peek() {
            Token::Duration(s) => {
                let d = Duration::seconds(*s);
                self.next();
                Ok(d)
            }
            _ => Err(self.error("a duration like 30d, 48h or 30m")),
        }
    }

    fn within(&mut self) -> Result<Option<Duration>, ParseError> {
        if self.word("within") { Ok(Some(self.duration()?)) } else { Ok(None) }
    }

    fn predicate(&mut self) -> Result<Rule, ParseError> {
        let Token::Word(word) = self.peek().clone() else {
            return Err(self.error("a condition such as bought, watched, lifecycle, tier, tag, orders or spend"));
        };
        if let Some((_, capability)) = COMING.iter().find(|(w, _)| *w == word) {
            return Err(self.error(&format!("a condition available now ({word:?} comes with {capability})")));
        }
        self.next();
        match word.as_str() {
            "bought" if matches!(self.peek(), Token::Word(w) if w == "tagged") => {
                self.next();
                let tag = self.text("a product tag from the catalogue, in quotes, like \"large_pack\"")?;
                Ok(Rule::BoughtTagged { tag, within: self.within()? })
            }
            "bought" => {
                let what = self.text("what was bought, in quotes: a product, SKU or category")?;
                Ok(Rule::Bought { what, within: self.within()? })
            }
            "watched" => {
                let session = match self.peek() {
                    Token::Str(_) => Some(self.text("a live session id")?),
                    _ => None,
                };
                if let Token::Op(_) = self.peek() {
                    let op = self.op()?;
                    let value = self.duration()?.num_seconds() as f64;
                    return Ok(Rule::Compare { metric: Metric::Watched(session), op, value });
                }
                Ok(Rule::Watched { session, within: self.within()? })
            }
            "lifecycle" => {
                let (values, negated) = self.one_or_many("a lifecycle stage")?;
                let stages = values
                    .iter()
                    .map(|(pos, v)| v.parse::<Stage>().map_err(|e| self.error_at(*pos, &e, v)))
                    .collect::<Result<_, _>>()?;
                Ok(Rule::Lifecycle { stages, negated })
            }
            "tier" => {
                let (values, negated) = self.one_or_many("a tier")?;
                let [(pos, v)] = &values[..] else {
                    return Err(self.error_at(values[0].0, "one tier: high, potential or edge", "a list"));
                };
                let tier = v.parse::<Tier>().map_err(|e| self.error_at(*pos, &e, v))?;
                Ok(Rule::Tier { tier, negated })
            }
            "tag" => Ok(Rule::Tag { tag: self.text("a tag, in quotes")? }),
            "churn_risk" => {
                let (values, negated) = self.one_or_many("a churn risk")?;
                let risks = values
                    .iter()
                    .map(|(pos, v)| v.parse::<Risk>().map_err(|e| self.error_at(*pos, &e, v)))
                    .collect::<Result<_, _>>()?;
                Ok(Rule::ChurnRisk { risks, negated })
            }
            "depletes" => {
                let category = match self.peek() {
                    Token::Str(_) => Some(self.text("a category")?),
                    _ => None,
                };
                if !self.word("within") {
                    return Err(self.error("\"within\" and a duration, like depletes within 3d"));
                }
                Ok(Rule::Depletes { category, within: self.duration()? })
            }
            _ => {
                let metric = self.metric(&word)?;
                let op = self.op()?;
                let value = self.value(metric.unit())?;
                Ok(Rule::Compare { metric, op, value })
            }
        }
    }

    fn error_at(&self, position: usize, expected: &str, found: &str) -> ParseError {
        ParseError { position, expected: expected.into(), found: format!("{found:?}"), over_limit: false }
    }

    /// `= x`, `!= x` or `in (x, y)`, with the offset of each value.
    fn one_or_many(&mut self, what: &str) -> Result<(Vec<(usize, String)>, bool), ParseError> {
        let negated = match self.peek() {
            Token::Op("=") => false,
            Token::Op("!=") => true,
            Token::Word(w) if w == "in" => {
                self.next();
                if *self.peek() != Token::LParen {
                    return Err(self.error("\"(\""));
                }
                self.next();
                let mut values = Vec::new();
                loop {
                    let pos = self.tokens[self.at].0;
                    values.push((pos, self.text(what)?));
                    match self.next() {
                        Token::Comma => continue,
                        Token::RParen => return Ok((values, false)),
                        _ => {
                            self.at -= 1;
                            return Err(self.error("\",\" or \")\""));
                        }
                    }
                }
            }
            _ => return Err(self.error("=, != or in (…)")),
        };
        self.next();
        let pos = self.tokens[self.at].0;
        Ok((vec![(pos, self.text(what)?)], negated))
    }

    fn metric(&mut self, word: &str) -> Result<Metric, ParseError> {
        Ok(match word {
            "orders" => Metric::Orders,
            "spend" => {
                if *self.peek() == Token::LParen {
                    self.next();
                    let d = self.duration()?;
                    if *self.peek() != Token::RParen {
                        return Err(self.error("\")\""));
                    }
                    self.next();
                    Metric::Spend(Some(d))
                } else {
                    Metric::Spend(None)
                }
            }
            "aov" => Metric::Aov,
            "days_since_order" => Metric::DaysSinceOrder,
            "days_since_seen" => Metric::DaysSinceSeen,
            "comments" => Metric::Comments,
            "shares" => Metric::Shares,
            "open_ticket_age" => Metric::OpenTicketAge,
            "categories" => Metric::Categories,
            "rfm_r" => Metric::Rfm(RfmAxis::Recency),
            "rfm_f" => Metric::Rfm(RfmAxis::Frequency),
            "rfm_m" => Metric::Rfm(RfmAxis::Monetary),
            "p_alive" => Metric::PAlive,
            "clv" => Metric::Clv,
            _ => {
                self.at -= 1;
                return Err(self.error(
                    "a condition: bought, watched, lifecycle, tier, tag, orders, spend, aov, days_since_order, \
                     days_since_seen, comments, shares, open_ticket_age, categories, rfm_r, rfm_f, rfm_m, p_alive, clv, \
                     churn_risk or depletes",
                ));
            }
        })
    }

    fn op(&mut self) -> Result<Op, ParseError> {
        let op = match self.peek() {
            Token::Op("<") => Op::Lt,
            Token::Op("<=") => Op::Le,
            Token::Op("=") => Op::Eq,
            Token::Op("!=") => Op::Ne,
            Token::Op(">=") => Op::Ge,
            Token::Op(">") => Op::Gt,
            _ => return Err(self.error("a comparison: <, <=, =, !=, >= or >")),
        };
        self.next();
        Ok(op)
    }

    fn value(&mut self, unit: Unit) -> Result<f64, ParseError> {
        let v = match (unit, self.peek()) {
            (Unit::Count | Unit::Days, Token::Number(n)) => *n,
            (Unit::Money, Token::Money(fen)) => *fen as f64,
            (Unit::Duration, Token::Duration(s)) => *s as f64,
            (Unit::Money, _) => return Err(self.error("an amount like ¥2000 or 2000元")),
            (Unit::Duration, _) => return Err(self.error("a duration like 30m or 48h")),
            _ => return Err(self.error("a number")),
        };
        self.next();
        Ok(v)
    }
}
