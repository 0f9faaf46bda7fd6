//! Tokens, each with the characters it spans (for error messages).

use crate::error::{Expected, Found, ParseError};
use crate::words::{ZH_UNITS, keyword_at, narrow};

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A word as read, lower-cased: a keyword in either language, a value or a name.
    Word(String),
    Str(String),
    Number(f64),
    /// A number with a unit: `30d`, `48h`, `30m`, `90s`, `30天`; in seconds.
    Duration(i64),
    /// `¥2000`, `¥19.9` or `2000元`; in fen.
    Money(i64),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    End,
}

/// A token and the characters `start..end` it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub start: usize,
    pub end: usize,
    pub token: Token,
}

fn refuse(position: usize, expected: Expected, found: Found) -> ParseError {
    ParseError { position, expected, found, over_limit: false }
}

/// What stands at `at`: the character, or the end of the rule.
fn found_at(chars: &[char], at: usize) -> Found {
    chars.get(at).map_or(Found::End, |c| Found::Char(*c))
}

/// Split `chars` into tokens, or say where a character makes no sense.
pub fn lex(chars: &[char]) -> Result<Vec<Spanned>, ParseError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = narrow(chars[i]);
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let token = match c {
            '(' => {
                i += 1;
                Token::LParen
            }
            ')' => {
                i += 1;
                Token::RParen
            }
            ',' => {
                i += 1;
                Token::Comma
            }
            '"' | '“' | '”' => {
                i += 1;
                let mut s = String::new();
                while i < chars.len() && !matches!(chars[i], '"' | '“' | '”') {
                    s.push(chars[i]);
                    i += 1;
                }
                if i == chars.len() {
                    return Err(refuse(start, Expected::ClosingQuote, Found::End));
                }
                i += 1;
                Token::Str(s)
            }
            '≥' | '≤' | '≠' => {
                i += 1;
                Token::Op(match c {
                    '≥' => ">=",
                    '≤' => "<=",
                    _ => "!=",
                })
            }
            '>' | '<' | '=' | '!' => {
                let next = chars.get(i + 1).map(|n| narrow(*n));
                let (op, len) = match (c, next) {
                    ('<', Some('=')) => ("<=", 2),
                    ('>', Some('=')) => (">=", 2),
                    ('!', Some('=')) => ("!=", 2),
                    ('=', Some('=')) => ("=", 2),
                    ('>', _) => (">", 1),
                    ('<', _) => ("<", 1),
                    ('=', _) => ("=", 1),
                    _ => return Err(refuse(start, Expected::Comparison, Found::Char(chars[start]))),
                };
                i += len;
                Token::Op(op)
            }
            '¥' | '￥' => {
                i += 1;
                let (n, next) =
                    number(chars, i).ok_or_else(|| refuse(i, Expected::AmountAfterYen, found_at(chars, i)))?;
                i = next;
                Token::Money((n * 100.0).round() as i64)
            }
            c if c.is_ascii_digit() => {
                let (n, next) = number(chars, i).ok_or_else(|| {
                    let run: String =
                        chars[i..].iter().take_while(|c| narrow(**c).is_ascii_digit() || narrow(**c) == '.').collect();
                    refuse(start, Expected::WellFormedNumber, Found::Word(run))
                })?;
                i = next;
                let (unit, len) = unit(chars, i)?;
                i += len;
                match unit {
                    "" => Token::Number(n),
                    "d" => Token::Duration((n * 86_400.0) as i64),
                    "h" => Token::Duration((n * 3_600.0) as i64),
                    "m" | "min" => Token::Duration((n * 60.0) as i64),
                    "s" => Token::Duration(n as i64),
                    _ => Token::Money((n * 100.0).round() as i64),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                if let Some(keyword) = keyword_at(chars, i) {
                    i += keyword.chars().count();
                    Token::Word(keyword.to_owned())
                } else {
                    // A word runs on until a character that cannot be in one, or a Chinese
                    // keyword: `沉默且分层` is three words.
                    i += 1;
                    while i < chars.len()
                        && (chars[i].is_alphanumeric() || chars[i] == '_')
                        && keyword_at(chars, i).is_none()
                    {
                        i += 1;
                    }
                    Token::Word(chars[start..i].iter().collect::<String>().to_lowercase())
                }
            }
            _ => return Err(refuse(start, Expected::Token, Found::Char(chars[start]))),
        };
        out.push(Spanned { start, end: i, token });
    }
    out.push(Spanned { start: chars.len(), end: chars.len(), token: Token::End });
    Ok(out)
}

/// The unit right after a number at `at` and how many characters it takes: "" for none, or
/// `d`, `h`, `m`, `min`, `s`, `元` (Chinese units are read as their English twins).
fn unit(chars: &[char], at: usize) -> Result<(&'static str, usize), ParseError> {
    let Some(first) = chars.get(at) else { return Ok(("", 0)) };
    if first.is_ascii_alphabetic() {
        let run: String = chars[at..].iter().take_while(|c| c.is_ascii_alphabetic()).collect();
        let unit = ["d", "h", "m", "min", "s"].into_iter().find(|u| *u == run);
        return unit.map(|u| (u, run.len())).ok_or_else(|| refuse(at, Expected::Unit, Found::Word(run)));
    }
    let zh = ZH_UNITS.iter().find(|(zh, _)| zh.chars().enumerate().all(|(k, c)| chars.get(at + k) == Some(&c)));
    if let Some((zh, en)) = zh {
        return Ok((en, zh.chars().count()));
    }
    // A keyword may follow a number at once: `订单数>3且…`.
    if first.is_alphabetic() && keyword_at(chars, at).is_none() {
        return Err(refuse(at, Expected::Unit, Found::Word(first.to_string())));
    }
    Ok(("", 0))
}

/// A number of ASCII or full-width digits and dots from `from`, and where it ends.
fn number(chars: &[char], from: usize) -> Option<(f64, usize)> {
    let text: String =
        chars[from..].iter().map(|c| narrow(*c)).take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let n = text.parse().ok()?;
    Some((n, from + text.chars().count()))
}
