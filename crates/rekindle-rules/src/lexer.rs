//! Tokens, each with the character offset it starts at (for error messages).

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Word(String),
    Str(String),
    Number(f64),
    /// A number with a unit: `30d`, `48h`, `30m`, `90s`; in seconds.
    Duration(i64),
    /// `¥2000`, `¥19.9` or `2000元`; in fen.
    Money(i64),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    End,
}

impl Token {
    pub fn describe(&self) -> String {
        match self {
            Self::Word(w) => format!("{w:?}"),
            Self::Str(s) => format!("the text {s:?}"),
            Self::Number(n) => format!("the number {n}"),
            Self::Duration(_) => "a duration".into(),
            Self::Money(_) => "an amount".into(),
            Self::Op(o) => format!("{o:?}"),
            Self::LParen => "\"(\"".into(),
            Self::RParen => "\")\"".into(),
            Self::Comma => "\",\"".into(),
            Self::End => "the end of the rule".into(),
        }
    }
}

/// Split `text` into tokens, or say where a character makes no sense.
pub fn lex(text: &str) -> Result<Vec<(usize, Token)>, (usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
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
                    return Err((start, "a closing quote".into()));
                }
                i += 1;
                Token::Str(s)
            }
            '>' | '<' | '=' | '!' => {
                let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let op = ["<=", ">=", "!=", "=="].into_iter().find(|o| two == *o);
                match (op, c) {
                    (Some(o), _) => {
                        i += 2;
                        Token::Op(if o == "==" { "=" } else { o })
                    }
                    (None, '>') => {
                        i += 1;
                        Token::Op(">")
                    }
                    (None, '<') => {
                        i += 1;
                        Token::Op("<")
                    }
                    (None, '=') => {
                        i += 1;
                        Token::Op("=")
                    }
                    _ => return Err((start, "a comparison such as != or >=".into())),
                }
            }
            '¥' | '￥' => {
                i += 1;
                let (n, next) = number(&chars, i).ok_or((i, "an amount after ¥, like ¥2000".to_string()))?;
                i = next;
                Token::Money((n * 100.0).round() as i64)
            }
            c if c.is_ascii_digit() => {
                let (n, next) = number(&chars, i).ok_or((start, "a number like 30 or 19.9".to_string()))?;
                i = next;
                let unit: String = chars[i..].iter().take_while(|c| c.is_alphabetic()).collect();
                i += unit.chars().count();
                match unit.as_str() {
                    "" => Token::Number(n),
                    "d" => Token::Duration((n * 86_400.0) as i64),
                    "h" => Token::Duration((n * 3_600.0) as i64),
                    "m" | "min" => Token::Duration((n * 60.0) as i64),
                    "s" => Token::Duration(n as i64),
                    "元" => Token::Money((n * 100.0).round() as i64),
                    _ => return Err((start, format!("a unit after {n}: d, h, m, s or 元 (found {unit:?})"))),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let word: String = chars[i..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').collect();
                i += word.chars().count();
                Token::Word(word.to_lowercase())
            }
            other => return Err((start, format!("a word, number or quoted text (found {other:?})"))),
        };
        out.push((start, token));
    }
    out.push((chars.len(), Token::End));
    Ok(out)
}

fn number(chars: &[char], from: usize) -> Option<(f64, usize)> {
    let text: String = chars[from..].iter().take_while(|c| c.is_ascii_digit() || **c == '.').collect();
    let n = text.parse().ok()?;
    Some((n, from + text.chars().count()))
}
