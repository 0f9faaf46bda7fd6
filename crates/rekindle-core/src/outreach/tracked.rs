//! Tracked links (docs/journeys.md, "Tracked links"): every web address in a message Rekindle
//! sends to a person becomes a short link on Rekindle, `{base}/l/{code}`, which records
//! `Message Clicked` and redirects to the address. WeCom reports no clicks of its own, and the
//! win-back journey exits on one.
//!
//! No IO here: where the addresses in a text are, what a message says with them replaced, and
//! the code each gets. The code of a send's i-th address comes from the workspace, the send
//! key and i, so a retried send names the same links, and codes are unique across workspaces
//! (a short link is looked up by its code alone).

use std::ops::Range;

use sha2::{Digest, Sha256};

use super::template::SMS_PARAM_MAX_CHARS;
use super::{Attachment, ChannelKind};
use crate::WorkspaceId;

/// Crockford's base 32: digits and capitals without I, L, O and U, which are misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code: 60 bits, so two sends meeting on one code is not to be expected in
/// any store's lifetime (and is refused, never redirected wrongly, if it happens).
pub const CODE_LEN: usize = 12;

/// The path short links are served under: `{base}/l/{code}`.
pub const LINK_PATH: &str = "/l/";

/// The code of the `index`-th distinct address of send `send_key` in workspace `ws`.
pub fn link_code(ws: WorkspaceId, send_key: &str, index: usize) -> String {
    let digest = Sha256::new()
        .chain_update(b"rekindle tracked link\0")
        .chain_update(ws.0.to_be_bytes())
        .chain_update((send_key.len() as u64).to_be_bytes())
        .chain_update(send_key.as_bytes())
        .chain_update((index as u64).to_be_bytes())
        .finalize();
    let bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (0..CODE_LEN).map(|i| ALPHABET[((bits >> (59 - 5 * i)) & 31) as usize] as char).collect()
}

/// The code as a path names it (any case), if it has a code's shape.
pub fn parse_code(text: &str) -> Option<String> {
    let code = text.to_ascii_uppercase();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// Whether `url` is a web address Rekindle may send people to: `http://` or `https://`
/// (any case) and something after it, with no whitespace or control characters.
pub fn is_web_address(url: &str) -> bool {
    let rest = scheme_len(url.as_bytes()).map(|n| &url[n..]);
    rest.is_some_and(|r| !r.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// The length of an `http://` or `https://` at the start of `bytes`, any case.
fn scheme_len(bytes: &[u8]) -> Option<usize> {
    let starts = |p: &[u8]| bytes.len() >= p.len() && bytes[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"https://") {
        Some(8)
    } else if starts(b"http://") {
        Some(7)
    } else {
        None
    }
}

/// What an address in running text is made of: printable ASCII, less what RFC 3986 leaves out
/// and text puts around addresses. Anything else ends it: whitespace, and every non-ASCII
/// character (CJK punctuation such as `，。！？）】」`, full-width forms, Chinese text written
/// straight after a link) — as WeChat's own link detection does. Non-ASCII in an address must
/// be percent-encoded to be tracked whole.
fn in_address(b: u8) -> bool {
    b.is_ascii_graphic() && !b"\"<>`{}|\\^".contains(&b)
}

/// Sentence punctuation after an address is not part of it; a closing bracket is only when it
/// closes one opened inside the address (`(see https://x.cn/a)`).
fn trim_end(s: &[u8], start: usize, mut end: usize) -> usize {
    let count = |from: usize, to: usize, c: u8| s[from..to].iter().filter(|b| **b == c).count();
    while end > start {
        let trailing = match s[end - 1] {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' => true,
            b')' => count(start, end, b'(') < count(start, end, b')'),
            b']' => count(start, end, b'[') < count(start, end, b']'),
            _ => false,
        };
        if !trailing {
            break;
        }
        end -= 1;
    }
    end
}

/// Where the web addresses in `text` are, as byte ranges, in order.
pub fn find_urls(text: &str) -> Vec<Range<usize>> {
    let s = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let Some(scheme) = scheme_len(&s[i..]) else {
            i += 1;
            continue;
        };
        let host = i + scheme;
        let mut end = host;
        while end < s.len() && in_address(s[end]) {
            end += 1;
        }
        let end = trim_end(s, host, end);
        if end > host {
            found.push(i..end);
            i = end;
        } else {
            i = host;
        }
    }
    found
}

/// What a message says, as the dispatcher hands it to a channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    pub text: String,
    pub link: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The provider template's parameters (SMS, mini-program).
    pub params: Vec<(String, String)>,
}

/// One short link: its code and the address it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortLink {
    pub code: String,
    pub url: String,
}

/// A message with its addresses replaced, and the short links that replace them (one per
/// distinct address, in the order first met: text, link, attachments, parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub content: Content,
    pub links: Vec<ShortLink>,
}

/// Gives out short links, one per distinct address.
struct Shortener<'a, F> {
    base: &'a str,
    code: F,
    links: Vec<ShortLink>,
}

impl<F: FnMut(usize) -> String> Shortener<'_, F> {
    fn short(&self, code: &str) -> String {
        format!("{}{LINK_PATH}{code}", self.base)
    }

    /// The short link for `url`, or `None` to leave it: it is one of ours already.
    fn shorten(&mut self, url: &str) -> Option<String> {
        let ours = url
            .get(..self.base.len() + LINK_PATH.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{}{LINK_PATH}", self.base)));
        if ours {
            return None;
        }
        if let Some(l) = self.links.iter().find(|l| l.url == url) {
            return Some(self.short(&l.code));
        }
        let code = (self.code)(self.links.len());
        let short = self.short(&code);
        self.links.push(ShortLink { code, url: url.to_owned() });
        Some(short)
    }

    fn text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for r in find_urls(text) {
            out.push_str(&text[at..r.start]);
            match self.shorten(&text[r.clone()]) {
                Some(short) => out.push_str(&short),
                None => out.push_str(&text[r.clone()]),
            }
            at = r.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// A whole value that is an address (a link, a card's address).
    fn address(&mut self, url: &str) -> String {
        if is_web_address(url) { self.shorten(url).unwrap_or_else(|| url.to_owned()) } else { url.to_owned() }
    }
}

/// `content` as channel `channel` sends it with its addresses tracked through `base` (the
/// public address, `https://rekindle.shop.cn`), `code(i)` naming the i-th distinct address.
///
/// - WeCom: the text, the link and link cards. Pictures and videos are fetched by Rekindle,
///   mini-program cards open a page: left.
/// - SMS: the text and the template parameters (what the provider sends); a parameter whose
///   short link would pass SMS's 35 characters keeps its address, untracked.
/// - Mini-program subscribe messages (WeChat checks their fields) and webhooks (the
///   operator's own systems): left.
///
/// Addresses that are short links of `base` already are left.
pub fn track(channel: ChannelKind, base: &str, content: Content, code: impl FnMut(usize) -> String) -> Tracked {
    let mut s = Shortener { base: base.trim_end_matches('/'), code, links: Vec::new() };
    let Content { text, link, attachments, params } = content;
    let content = match channel {
        ChannelKind::Wecom => Content {
            text: s.text(&text),
            link: link.map(|l| s.address(&l)),
            attachments: attachments
                .into_iter()
                .map(|a| match a {
                    Attachment::Link { title, url, desc } => Attachment::Link { title, url: s.address(&url), desc },
                    other => other,
                })
                .collect(),
            params,
        },
        ChannelKind::Sms => {
            let text = s.text(&text);
            let params = params
                .into_iter()
                .map(|(name, value)| {
                    let before = s.links.len();
                    let short = s.text(&value);
                    if short.chars().count() > SMS_PARAM_MAX_CHARS {
                        s.links.truncate(before);
                        (name, value)
                    } else {
                        (name, short)
                    }
                })
                .collect();
            Content { text, link, attachments, params }
        }
        ChannelKind::Miniprogram | ChannelKind::Webhook => Content { text, link, attachments, params },
    };
    Tracked { content, links: s.links }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "https://rk.shop.cn";

    fn urls(text: &str) -> Vec<&str> {
        find_urls(text).into_iter().map(|r| &text[r]).collect()
    }

    /// Replace every short link of ours that `links` knows by its address.
    fn resolve(text: &str, links: &[ShortLink]) -> String {
        let mut out = String::new();
        let mut at = 0;
        for r in find_urls(text) {
            let found = &text[r.clone()];
            let code = found.strip_prefix(&format!("{BASE}{LINK_PATH}"));
            if let Some(l) = code.and_then(|c| links.iter().find(|l| l.code == c)) {
                out.push_str(&text[at..r.start]);
                out.push_str(&l.url);
                at = r.end;
            }
        }
        out.push_str(&text[at..]);
        out
    }

    fn counting(i: usize) -> String {
        format!("C{i:011}")
    }

    #[test]
    fn addresses_end_where_text_resumes() {
        assert_eq!(urls("戳这里https://x.cn/a?b=1，马上领"), ["https://x.cn/a?b=1"]);
        assert_eq!(urls("链接：https://x.cn/a。"), ["https://x.cn/a"]);
        assert_eq!(urls("（https://x.cn/a）"), ["https://x.cn/a"]);
        assert_eq!(urls("【https://x.cn/a】「http://y.cn」"), ["https://x.cn/a", "http://y.cn"]);
        assert_eq!(urls("see https://x.cn/a. Then https://y.cn/b, or!"), ["https://x.cn/a", "https://y.cn/b"]);
        assert_eq!(urls("(see https://x.cn/a)"), ["https://x.cn/a"]);
        assert_eq!(urls("https://en.wikipedia.org/wiki/Tea_(meal))."), ["https://en.wikipedia.org/wiki/Tea_(meal)"]);
        assert_eq!(urls("a https://x.cn/草莓 b"), ["https://x.cn/"]);
        assert_eq!(urls("HTTPS://X.CN/A?!"), ["HTTPS://X.CN/A"]);
        assert_eq!(urls("https:// nothing, http://. either"), Vec::<&str>::new());
        assert_eq!(urls("mailto:a@b.cn ftp://x.cn wxp://f2f0"), Vec::<&str>::new());
        assert_eq!(urls("<https://x.cn/a>\"https://y.cn\""), ["https://x.cn/a", "https://y.cn"]);
        assert_eq!(urls("https://x.cn:8080/a:b;c"), ["https://x.cn:8080/a:b;c"]);
    }

    #[test]
    fn codes_are_stable_distinct_and_readable() {
        let ws = WorkspaceId(1);
        let a = link_code(ws, "7:1:care", 0);
        assert_eq!(a.len(), CODE_LEN);
        assert_eq!(a, link_code(ws, "7:1:care", 0), "a retried send names the same link");
        assert_ne!(a, link_code(ws, "7:1:care", 1));
        assert_ne!(a, link_code(ws, "7:2:care", 0));
        assert_ne!(a, link_code(WorkspaceId(2), "7:1:care", 0), "another store's send, another code");
        assert!(!a.contains(['I', 'L', 'O', 'U']));
        assert_eq!(parse_code(&a.to_lowercase()), Some(a.clone()));
        for bad in ["", "ABC", "../../etc/pa", "ABCDEFGHIJKL", "ＡＢＣＤＥＦＧＨＪＫＭＮ", &"A".repeat(5000)]
        {
            assert_eq!(parse_code(bad), None, "{bad:.20}");
        }
    }

    #[test]
    fn wecom_text_link_and_cards_are_tracked_once_per_address() {
        let content = Content {
            text: "王姐，今晚直播 https://x.cn/live?id=9 ，预约：https://x.cn/live?id=9。".into(),
            link: Some("https://x.cn/live?id=9".into()),
            attachments: vec![
                Attachment::Link { title: "直播间".into(), url: "https://x.cn/card".into(), desc: None },
                Attachment::Image { url: "https://img.x.cn/a.jpg".into() },
                Attachment::Miniprogram {
                    title: "草莓".into(),
                    appid: "wx1".into(),
                    page: "pages/a".into(),
                    pic_url: "https://x.cn/p.png".into(),
                },
            ],
            params: vec![],
        };
        let t = track(ChannelKind::Wecom, "https://rk.shop.cn/", content.clone(), counting);
        assert_eq!(
            t.content.text,
            "王姐，今晚直播 https://rk.shop.cn/l/C00000000000 ，预约：https://rk.shop.cn/l/C00000000000。"
        );
        assert_eq!(t.content.link.as_deref(), Some("https://rk.shop.cn/l/C00000000000"));
        assert_eq!(
            t.content.attachments[0],
            Attachment::Link { title: "直播间".into(), url: "https://rk.shop.cn/l/C00000000001".into(), desc: None }
        );
        assert_eq!(t.content.attachments[1..], content.attachments[1..], "pictures and mini-program cards are left");
        assert_eq!(
            t.links,
            [
                ShortLink { code: counting(0), url: "https://x.cn/live?id=9".into() },
                ShortLink { code: counting(1), url: "https://x.cn/card".into() },
            ]
        );
        // Tracking a message twice changes nothing the second time.
        let again = track(ChannelKind::Wecom, "https://rk.shop.cn", t.content.clone(), counting);
        assert_eq!((again.content, again.links.len()), (t.content, 0));
    }

    #[test]
    fn sms_parameters_are_tracked_when_they_fit_and_mini_programs_never() {
        let content = Content {
            text: "领券 https://x.cn/c 拒收请回复R".into(),
            link: None,
            attachments: vec![],
            params: vec![("url".into(), "https://x.cn/c".into()), ("long".into(), "看看 https://x.cn/long".into())],
        };
        let t = track(ChannelKind::Sms, "https://s.cn", content.clone(), counting);
        assert_eq!(t.content.text, "领券 https://s.cn/l/C00000000000 拒收请回复R");
        assert_eq!(t.content.params[0].1, "https://s.cn/l/C00000000000");
        assert_eq!(t.content.params[1].1, "看看 https://s.cn/l/C00000000001");
        // A base so long the short link passes 35 characters: the parameter keeps its address.
        let long = "https://rekindle.a-very-long-host.example.com";
        let t = track(ChannelKind::Sms, long, content.clone(), counting);
        assert_eq!(t.content.params, content.params);
        assert_eq!(t.links.len(), 1, "only the text's address: {:?}", t.links);
        for channel in [ChannelKind::Miniprogram, ChannelKind::Webhook] {
            let t = track(channel, "https://s.cn", content.clone(), counting);
            assert_eq!((t.content, t.links.len()), (content.clone(), 0));
        }
    }

    #[test]
    fn a_link_that_is_not_a_web_address_is_left() {
        let content = Content { link: Some("pages/index/index?ref=1".into()), ..Content::default() };
        let t = track(ChannelKind::Wecom, BASE, content.clone(), counting);
        assert_eq!((t.content, t.links.len()), (content, 0));
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "https://x.cn/a",
                "http://shop.cn/p?id=1&x=2#f",
                "HTTPS://Y.CN/Q",
                "https://",
                "http://",
                "https://rk.shop.cn/l/ABCDEFGHJKMN",
                "，",
                "。",
                "！",
                "？",
                "）",
                "】",
                "」",
                "（",
                " ",
                "\n",
                ".",
                ",",
                ";",
                ":",
                "!",
                "?",
                "'",
                "(",
                ")",
                "[",
                "]",
                "草莓",
                "abc",
                "\"",
                "<",
                "%E8",
            ])
            .prop_map(str::to_owned),
            "[a-z0-9/?=&#%._~-]{0,8}",
            "\\PC{0,4}",
        ]
    }

    proptest! {
        #[test]
        fn resolving_the_codes_gives_back_the_text(parts in prop::collection::vec(fragment(), 0..24)) {
            let text: String = parts.concat();
            let content = Content { text: text.clone(), ..Content::default() };
            let t = track(ChannelKind::Wecom, BASE, content, |i| link_code(WorkspaceId(3), "k", i));
            prop_assert_eq!(resolve(&t.content.text, &t.links), text.clone());
            // Every address left is one of ours; every link leads to a web address of the text.
            for u in urls(&t.content.text) {
                prop_assert!(u.starts_with(&format!("{BASE}{LINK_PATH}")), "{} left in {:?}", u, t.content.text);
            }
            for l in &t.links {
                prop_assert!(is_web_address(&l.url) && text.contains(&l.url));
            }
            let distinct: std::collections::BTreeSet<_> = t.links.iter().map(|l| &l.code).collect();
            prop_assert_eq!(distinct.len(), t.links.len());
        }
    }
}
