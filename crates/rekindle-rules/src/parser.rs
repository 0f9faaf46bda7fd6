//! Recursive descent over the grammar at the top of the crate's docs.

use chrono::Duration;

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::scores::Risk;

use crate::ast::{DidWhen, Metric, Op, Rule, Session, Unit};
use crate::error::{Expected, Found, ParseError};
use crate::lexer::{Spanned, Token, lex};
use crate::words::{canon, is_zh_keyword};

/// Longest rule, in characters, wherever a rule is written (segments, tags, journey audiences,
/// branches and exits): one cap in the parser, so no caller can forget it.
pub const MAX_RULE_CHARS: usize = 2000;
/// Deepest nesting of parentheses and `not`. The parser and every walk over a rule recurse, so
/// an unbounded depth would let one rule overflow a thread's stack and abort the process.
pub const MAX_NESTING: usize = 64;
/// The most sessions `attended(n)` looks back over.
pub const MAX_SESSIONS: u32 = 1000;

/// A rule, or the first place it stops making sense.
pub fn parse(text: &str) -> Result<Rule, ParseError> {
    let count = text.chars().count();
    if count > MAX_RULE_CHARS {
        return Err(ParseError {
            position: MAX_RULE_CHARS,
            expected: Expected::ShorterRule,
            found: Found::Length(count),
            over_limit: true,
        });
    }
    let chars: Vec<char> = text.chars().collect();
    let tokens = lex(&chars)?;
    let mut p = Parser { chars, tokens, at: 0, depth: 0 };
    let rule = p.or()?;
    match p.peek() {
        Token::End => Ok(rule),
        _ => Err(p.error(Expected::AndOrEnd)),
    }
}

struct Parser {
    chars: Vec<char>,
    tokens: Vec<Spanned>,
    at: usize,
    /// How many parentheses and `not`s enclose the current token.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].token
    }

    /// Whether the current token is the keyword `en`, spelt in English or in Chinese.
    fn is(&self, en: &str) -> bool {
        matches!(self.peek(), Token::Word(w) if canon(w) == en)
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.at].token.clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    /// The error at the current token.
    fn error(&self, expected: Expected) -> ParseError {
        self.error_at(self.at, expected)
    }

    /// The error at the token with index `at`, which is told as written.
    fn error_at(&self, at: usize, expected: Expected) -> ParseError {
        let Spanned { start, end, token } = &self.tokens[at];
        let written: String = self.chars[*start..*end].iter().collect();
        let found = match token {
            Token::End => Found::End,
            Token::Word(_) => Found::Word(written),
            Token::Str(s) => Found::Quoted(s.clone()),
            Token::Number(_) => Found::Number(written),
            Token::Duration(_) => Found::Duration(written),
            Token::Money(_) => Found::Amount(written),
            Token::Op(_) | Token::LParen | Token::RParen | Token::Comma => Found::Symbol(written),
        };
        ParseError { position: *start, expected, found, over_limit: false }
    }

    fn word(&mut self, en: &str) -> bool {
        if self.is(en) {
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
        let nests = matches!(self.peek(), Token::LParen) || self.is("not");
        if !nests {
            return self.predicate();
        }
        if self.depth == MAX_NESTING {
            return Err(ParseError { over_limit: true, ..self.error(Expected::ShallowerNesting) });
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
            return Err(self.error(Expected::CloseParen));
        }
        self.next();
        Ok(inner)
    }

    /// Quoted text or a word. A Chinese keyword is not a name: unquoted text is split at
    /// keywords, so `买过 非转基因` is refused with a hint to quote the name.
    fn text(&mut self, expected: Expected) -> Result<String, ParseError> {
        match self.peek().clone() {
            Token::Word(w) if is_zh_keyword(&w) => {
                let e = self.error(expected);
                Err(ParseError { found: Found::Keyword(w), ..e })
            }
            Token::Str(s) | Token::Word(s) => {
                self.next();
                Ok(s)
            }
            _ => Err(self.error(expected)),
        }
    }

    /// Quoted text, if the current token is one.
    fn quoted(&mut self) -> Option<String> {
        match self.peek().clone() {
            Token::Str(s) => {
                self.next();
                Some(s)
            }
            _ => None,
        }
    }

    /// A session named after `watched` or `live_ordered`: its id in quotes, or the latest one.
    fn session(&mut self) -> Option<Session> {
        if self.word("latest_session") {
            return Some(Session::Latest);
        }
        self.quoted().map(Session::Id)
    }

    /// `( x )` after a metric, if it has one.
    fn argument<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T, ParseError>) -> Result<Option<T>, ParseError> {
        if *self.peek() != Token::LParen {
            return Ok(None);
        }
        self.next();
        let x = read(self)?;
        if *self.peek() != Token::RParen {
            return Err(self.error(Expected::CloseParen));
        }
        self.next();
        Ok(Some(x))
    }

    /// `L3`, `l3` or `3`: the level's number, from 1.
    fn level(&mut self) -> Result<f64, ParseError> {
        let n = match self.peek() {
            Token::Number(n) if n.fract() == 0.0 && (1.0..=99.0).contains(n) => Some(*n),
            Token::Word(w) => {
                w.strip_prefix('l').and_then(|d| d.parse::<u8>().ok()).filter(|d| (1..=99).contains(d)).map(f64::from)
            }
            _ => None,
        };
        let n = n.ok_or_else(|| self.error(Expected::Level))?;
        self.next();
        Ok(n)
    }

    fn session_count(&mut self) -> Result<u32, ParseError> {
        match self.peek() {
            Token::Number(n) if n.fract() == 0.0 && (1.0..=f64::from(MAX_SESSIONS)).contains(n) => {
                let n = *n as u32;
                self.next();
                Ok(n)
            }
            _ => Err(self.error(Expected::SessionCount)),
        }
    }

    fn duration(&mut self) -> Result<Duration, ParseError> {
        match self.peek() {
            Token::Duration(s) => {
                let d = Duration::seconds(*s);
                self.next();
                Ok(d)
            }
            _ => Err(self.error(Expected::Duration)),
        }
    }

    fn within(&mut self) -> Result<Option<Duration>, ParseError> {
        if self.word("within") { Ok(Some(self.duration()?)) } else { Ok(None) }
    }

    fn predicate(&mut self) -> Result<Rule, ParseError> {
        let Token::Word(word) = self.peek().clone() else {
            return Err(self.error(Expected::Condition));
        };
        let word = canon(&word).to_owned();
        self.next();
        match word.as_str() {
            "bought" if self.is("tagged") => {
                self.next();
                let tag = self.text(Expected::ProductTag)?;
                Ok(Rule::BoughtTagged { tag, within: self.within()? })
            }
            "bought" => {
                let what = self.text(Expected::Product)?;
                Ok(Rule::Bought { what, within: self.within()? })
            }
            "watched" => {
                let session = self.session();
                if let Token::Op(_) = self.peek() {
                    let op = self.op()?;
                    let value = self.duration()?.num_seconds() as f64;
                    return Ok(Rule::Compare { metric: Metric::Watched(session), op, value });
                }
                Ok(Rule::Watched { session, within: self.within()? })
            }
            // `points expiring within 30d`: some of their points expire within the window.
            "points" if self.is("expiring") => {
                self.next();
                if !self.word("within") {
                    return Err(self.error(Expected::WithinDuration));
                }
                let within = self.duration()?;
                Ok(Rule::Compare { metric: Metric::PointsExpiring(within), op: Op::Gt, value: 0.0 })
            }
            "level" => {
                let op = self.op()?;
                let value = self.level()?;
                Ok(Rule::Compare { metric: Metric::Level, op, value })
            }
            "live_ordered" => {
                let session = self.session();
                Ok(Rule::LiveOrdered { session, within: self.within()? })
            }
            "lifecycle" => {
                let (values, negated) = self.one_or_many(Expected::Stage)?;
                let stages = values
                    .iter()
                    .map(|(at, v)| crate::words::stage(v).ok_or_else(|| self.error_at(*at, Expected::Stage)))
                    .collect::<Result<Vec<Stage>, _>>()?;
                Ok(Rule::Lifecycle { stages, negated })
            }
            "tier" => {
                let (values, negated) = self.one_or_many(Expected::Tier)?;
                let [(at, v)] = &values[..] else {
                    let e = self.error_at(values[0].0, Expected::OneTier);
                    return Err(ParseError { found: Found::List, ..e });
                };
                let tier: Tier = crate::words::tier(v).ok_or_else(|| self.error_at(*at, Expected::Tier))?;
                Ok(Rule::Tier { tier, negated })
            }
            "tag" => Ok(Rule::Tag { tag: self.text(Expected::Tag)? }),
            "invited_by" => Ok(Rule::InvitedBy),
            "wecom_friend" => Ok(Rule::WecomFriend { staff: self.quoted() }),
            "reachable" => {
                let at = self.at;
                let word = self.text(Expected::Channel)?;
                let channel = crate::words::channel(&word).ok_or_else(|| self.error_at(at, Expected::Channel))?;
                Ok(Rule::Reachable { channel })
            }
            "did" => {
                let event = self.text(Expected::EventName)?;
                // `since entry` in English, 进入后 (since_entry) in Chinese.
                let when = if self.word("since_entry") {
                    DidWhen::SinceEntry
                } else if self.word("since") {
                    if !self.word("entry") {
                        return Err(self.error(Expected::Entry));
                    }
                    DidWhen::SinceEntry
                } else {
                    self.within()?.map_or(DidWhen::Ever, DidWhen::Within)
                };
                Ok(Rule::Did { event, when })
            }
            "churn_risk" => {
                let (values, negated) = self.one_or_many(Expected::Risk)?;
                let risks = values
                    .iter()
                    .map(|(at, v)| crate::words::risk(v).ok_or_else(|| self.error_at(*at, Expected::Risk)))
                    .collect::<Result<Vec<Risk>, _>>()?;
                Ok(Rule::ChurnRisk { risks, negated })
            }
            "depletes" => {
                let category = self.quoted();
                if !self.word("within") {
                    return Err(self.error(Expected::WithinDuration));
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

    /// `= x`, `!= x` or `in (x, y)`, with the index of each value's token.
    fn one_or_many(&mut self, what: Expected) -> Result<(Vec<(usize, String)>, bool), ParseError> {
        let negated = match self.peek() {
            Token::Op("=") => false,
            Token::Op("!=") => true,
            Token::Word(_) if self.is("in") => {
                self.next();
                if *self.peek() != Token::LParen {
                    return Err(self.error(Expected::OpenParen));
                }
                self.next();
                let mut values = Vec::new();
                loop {
                    let at = self.at;
                    values.push((at, self.text(what.clone())?));
                    match self.next() {
                        Token::Comma => continue,
                        Token::RParen => return Ok((values, false)),
                        _ => {
                            self.at -= 1;
                            return Err(self.error(Expected::CommaOrCloseParen));
                        }
                    }
                }
            }
            _ => return Err(self.error(Expected::Choice)),
        };
        self.next();
        let at = self.at;
        Ok((vec![(at, self.text(what)?)], negated))
    }

    fn metric(&mut self, word: &str) -> Result<Metric, ParseError> {
        Ok(match word {
            "spend" => Metric::Spend(self.argument(Self::duration)?),
            "attended" => Metric::Attended(self.argument(Self::session_count)?),
            "question_wait" => Metric::QuestionWait(self.argument(Self::duration)?),
            "points_expiring" => match self.argument(Self::duration)? {
                Some(d) => Metric::PointsExpiring(d),
                None => return Err(self.error(Expected::OpenParen)),
            },
            _ => match Metric::plain(word) {
                Some(m) => m,
                None => {
                    self.at -= 1;
                    return Err(self.error(Expected::KnownCondition));
                }
            },
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
            _ => return Err(self.error(Expected::Comparison)),
        };
        self.next();
        Ok(op)
    }

    /// A value in the metric's unit. A count of days may be written as a duration too
    /// (`days_since_order > 30d`, `距上次下单天数 > 30天`).
    fn value(&mut self, unit: Unit) -> Result<f64, ParseError> {
        let v = match (unit, self.peek()) {
            (Unit::Count | Unit::Days, Token::Number(n)) => *n,
            (Unit::Days, Token::Duration(s)) => *s as f64 / 86_400.0,
            (Unit::Money, Token::Money(fen)) => *fen as f64,
            (Unit::Duration, Token::Duration(s)) => *s as f64,
            (Unit::Money, _) => return Err(self.error(Expected::Amount)),
            (Unit::Duration, _) => return Err(self.error(Expected::Duration)),
            _ => return Err(self.error(Expected::Number)),
        };
        self.next();
        Ok(v)
    }
}
