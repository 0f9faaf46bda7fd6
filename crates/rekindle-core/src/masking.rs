//! Masking personal data by what a value is, not only by where it sits.
//!
//! Roles without `pii.read` (see [`crate::access`]) see documents — event payloads, traits,
//! nested objects and arrays of any shape — through [`mask_document`]:
//!
//! - **by key**: a value under a key that names personal data (`phone`, `mobile`, `email`,
//!   `address`, `receiver`, `id_card`, `ip`, `userId`, `anonymousId`, `previousId`, a person's
//!   `name` among their traits (not a product's or a page's),
//!   the WeChat ids…, compared without case or `_`/`-`) is masked whole, and so is everything
//!   nested under it;
//! - **by shape**, anywhere, keys included: mobile numbers (`13812345678`, `+86 138-1234-5678`,
//!   full-width digits) and any other run of 11 or more digits, `+` followed by 8 or more digits,
//!   email addresses, IPv4 addresses inside text, a whole-value IPv6 address and opaque ids
//!   shaped like WeChat openids/unionids (20+ letters, digits, `_`, `-` mixing upper case,
//!   lower case and digits). Integers of 11 or more digits become masked text.
//!
//! The forms are the ones people know: a phone as `138****5678`, an email as `l***@example.com`,
//! an IPv4 address as `192.168.*.*`, an id as its first and last four characters around `****`
//! (all `*` when 8 characters or fewer). Masking is idempotent and never leaves an 11-digit
//! mobile or an email of the input in its output. Pure: no IO.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::phone;

/// Digit runs at least this long are masked wherever they appear (a mainland mobile has 11).
const LONG_RUN: usize = 11;
/// After a `+`, runs at least this long are read as international phone numbers.
const PLUS_RUN: usize = 8;

/// Keys (lower case, without `_`, `-`, `.` or spaces) whose values are personal data whole.
const PERSONAL_KEYS: &[&str] = &[
    "phone",
    "mobile",
    "tel",
    "telephone",
    "cellphone",
    "phonenumber",
    "mobilephone",
    "email",
    "mail",
    "emailaddress",
    "ip",
    "ipaddress",
    "clientip",
    "remoteip",
    "address",
    "addr",
    "street",
    "receiver",
    "consignee",
    "recipient",
    "realname",
    "fullname",
    "firstname",
    "lastname",
    "idcard",
    "idnumber",
    "idno",
    "identitycard",
    "passport",
    "bankcard",
    "cardno",
    "userid",
    "anonymousid",
    "previousid",
    "openid",
    "unionid",
    "externaluserid",
    // Sensors Data records (kept under `context.sensors`): who the record is about.
    "distinctid",
    "loginid",
    "originalid",
    "identities",
];
/// Endings that make a key personal too (`receiver_phone`, `contactMobile`, `wechat_openid`).
const PERSONAL_SUFFIXES: &[&str] = &[
    "phone",
    "mobile",
    "email",
    "address",
    "openid",
    "unionid",
    "userid",
    "idcard",
    "realname",
    "loginid",
    "anonymousid",
    "cookieid",
];

/// Mask every personal value in `doc`, in place: by key and by shape (see the module docs).
pub fn mask_document(doc: &mut Value) {
    mask_value(doc, false, false);
}

/// Mask the personal values of a map of traits, in place, as [`mask_document`] does.
pub fn mask_map(map: &mut Map<String, Value>) {
    mask_object(map, false, true);
}

/// Whether a value under `key` is personal data whatever it looks like.
pub fn is_personal_key(key: &str) -> bool {
    // `$` starts Sensors Data's preset names (`$ip`, `$identity_mobile`).
    let k: String =
        key.chars().filter(|c| !matches!(c, '_' | '-' | '.' | ' ' | '$')).flat_map(char::to_lowercase).collect();
    PERSONAL_KEYS.contains(&k.as_str()) || PERSONAL_SUFFIXES.iter().any(|s| k.ends_with(s))
}

/// An opaque value as its first and last four characters (`oUni****7890`), or all `*` when it
/// has 8 characters or fewer.
pub fn mask_opaque(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A value known to be personal, masked whole: by shape where it has one (a phone keeps its
/// `138****5678` form), as an opaque value otherwise.
pub fn mask_personal(value: &str) -> String {
    let text = mask_text(value);
    if matches!(text, Cow::Owned(_)) || text.contains('*') {
        return text.into_owned();
    }
    if let Some(ip) = mask_ipv6(value) {
        return ip;
    }
    mask_opaque(value)
}

/// Free text with the phone numbers, long digit runs, emails and IPv4 addresses in it masked;
/// everything else kept.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    let emails = mask_emails(text);
    let ips = mask_ipv4s(&emails);
    let runs = mask_digit_runs(&ips);
    if runs == text { Cow::Borrowed(text) } else { Cow::Owned(runs.into_owned()) }
}

/// `traits`: `v` is a person's traits, where `name` is their name (Segment's identify spec); a
/// `name` elsewhere (a product's, a page's) is not personal.
fn mask_value(v: &mut Value, personal: bool, traits: bool) {
    match v {
        Value::Object(map) => mask_object(map, personal, traits),
        Value::Array(items) => items.iter_mut().for_each(|i| mask_value(i, personal, false)),
        Value::String(s) => {
            let masked = if personal { mask_personal(s) } else { mask_shaped(s).into_owned() };
            *s = masked;
        }
        Value::Number(n) => {
            let text = n.to_string();
            let masked = if personal { mask_personal(&text) } else { mask_text(&text).into_owned() };
            if masked != text {
                *v = Value::String(masked);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

fn mask_object(map: &mut Map<String, Value>, personal: bool, traits: bool) {
    for (key, mut value) in std::mem::take(map) {
        let named = traits && key.eq_ignore_ascii_case("name");
        mask_value(&mut value, personal || named || is_personal_key(&key), key == "traits");
        map.insert(mask_text(&key).into_owned(), value);
    }
}

/// A string under a key that says nothing: masked where its shape is personal.
fn mask_shaped(s: &str) -> Cow<'_, str> {
    if let Some(ip) = mask_ipv6(s) {
        return Cow::Owned(ip);
    }
    if is_opaque_id(s) {
        return Cow::Owned(mask_opaque(s));
    }
    mask_text(s)
}

/// Shaped like a WeChat openid/unionid or WeCom external_userid: 20 to 128 characters of
/// letters, digits, `_` and `-`, with upper case, lower case and digits all present.
fn is_opaque_id(s: &str) -> bool {
    (20..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes().any(|b| b.is_ascii_digit())
}

fn mask_ipv6(s: &str) -> Option<String> {
    let ip: std::net::Ipv6Addr = s.trim().parse().ok()?;
    Some(format!("{:x}:****", ip.segments()[0]))
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// `li.hua@example.com` → `l***@example.com`.
fn mask_emails(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for at in (0..chars.len()).filter(|&i| chars[i] == '@') {
        let mut start = at;
        while start > copied && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_domain_char(chars[end]) {
            end += 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let is_email = start < at
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2);
        if is_email {
            out.extend(&chars[copied..=start]);
            out.push_str("***");
            copied = at;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.extend(&chars[copied..]);
    Cow::Owned(out)
}

/// `192.168.10.20` → `192.168.*.*`, for dotted quads standing on their own in the text.
fn mask_ipv4s(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit() && (i == 0 || !(chars[i - 1].is_ascii_digit() || chars[i - 1] == '.'));
        if let Some((end, octets)) = starts.then(|| dotted_quad(&chars, i)).flatten() {
            out.extend(&chars[copied..i]);
            out.push_str(&format!("{}.{}.*.*", octets[0], octets[1]));
            copied = end;
            i = end;
        } else {
            i += 1;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.extend(&chars[copied..]);
    Cow::Owned(out)
}

fn dotted_quad(chars: &[char], mut i: usize) -> Option<(usize, [u32; 4])> {
    let mut octets = [0u32; 4];
    for (n, octet) in octets.iter_mut().enumerate() {
        if n > 0 {
            if chars.get(i) != Some(&'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() && i - start < 4 {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        if digits.is_empty() || digits.len() > 3 {
            return None;
        }
        *octet = digits.parse().ok().filter(|v| *v <= 255)?;
    }
    let followed = chars.get(i).is_some_and(|c| c.is_ascii_digit())
        || (chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()));
    (!followed).then_some((i, octets))
}

fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + '0' as u32),
        _ => None,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}')
}

/// Phone numbers and long digit runs: a run is digits (ASCII or full-width) with single
/// spaces or dashes between them, and a `+` just before it.
fn mask_digit_runs(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i]).is_none() {
            i += 1;
            continue;
        }
        let plus = i > 0 && matches!(chars[i - 1], '+' | '\u{FF0B}');
        let mut digits = String::new();
        let mut end = i;
        loop {
            if let Some(d) = chars.get(end).copied().and_then(digit) {
                digits.push(d);
                end += 1;
            } else if chars.get(end).is_some_and(|c| is_separator(*c))
                && chars.get(end + 1).copied().and_then(digit).is_some()
            {
                end += 1;
            } else {
                break;
            }
        }
        if digits.len() >= LONG_RUN || (plus && digits.len() >= PLUS_RUN) {
            let start = if plus { i - 1 } else { i };
            out.extend(&chars[copied..start]);
            out.push_str(&mask_digits(&digits, plus));
            copied = end;
        }
        i = end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.extend(&chars[copied..]);
    Cow::Owned(out)
}

/// A phone the way phones are masked (`138****5678`); other runs keep their first three and
/// last four digits.
fn mask_digits(digits: &str, plus: bool) -> String {
    let written = if plus { format!("+{digits}") } else { digits.to_string() };
    if let Ok(e164) = phone::normalize(&written)
        && (plus || e164.starts_with("+86"))
    {
        return phone::mask(&e164);
    }
    let n = digits.len();
    let head = if n >= LONG_RUN { &digits[..3] } else { "" };
    format!("{}{head}****{}", if plus { "+" } else { "" }, &digits[n - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn a_sensors_records_ids_are_masked_by_key() {
        let mut doc = serde_json::json!({"context": {"ip": "10.1.2.3", "sensors": {
            "distinct_id": "member-42", "login_id": "member-42", "anonymous_id": "c-7", "original_id": "c-7",
            "identities": {"$identity_login_id": "member-42", "$identity_cookie_id": "c-7", "$identity_mobile": "13800138000"},
            "lib": {"$lib": "js"}, "event": "$pageview"}},
            "properties": {"$ip": "10.1.2.3", "$title": "鲜果团购", "$identity_login_id": "member-42"}});
        mask_document(&mut doc);
        let text = doc.to_string();
        for leaked in ["member-42", "c-7", "13800138000", "10.1.2.3"] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
        assert_eq!(doc["context"]["sensors"]["lib"]["$lib"], "js", "what is not personal stays");
        assert_eq!(doc["properties"]["$title"], "鲜果团购");
    }

    #[test]
    fn phones_are_masked_in_every_written_form() {
        for written in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(mask_text(written), "138****5678", "{written}");
        }
        assert_eq!(mask_text("请联系李姐13812345678谢谢"), "请联系李姐138****5678谢谢");
        assert_eq!(mask_text("订单 2024-05-01 10:00 共 3 件"), "订单 2024-05-01 10:00 共 3 件");
        assert_eq!(mask_text("身份证 110101199003071234"), "身份证 110****1234");
    }

    #[test]
    fn emails_and_ip_addresses_are_masked() {
        assert_eq!(mask_text("写信到 li.hua@example.com 吧"), "写信到 l***@example.com 吧");
        assert_eq!(mask_text("from 192.168.10.20"), "from 192.168.*.*");
        assert_eq!(mask_text("v1.2.3 and 1.2.3.4.5"), "v1.2.3 and 1.2.3.4.5");
        assert_eq!(mask_shaped("2001:db8::1"), "2001:****");
    }

    #[test]
    fn documents_are_masked_by_key_and_by_shape_at_any_depth() {
        let mut doc = json!({
            "userId": "u1", "anonymousId": "a-1", "previousId": "13812345678",
            "context": {"ip": "203.0.113.9", "traits": {"Phone": "13912345678"}},
            "properties": {"phone": 13712345678u64, "receiver": {"name": "张三", "phone": "13612345678",
                "address": "浙江省杭州市西湖区文三路100号"}, "sku": "SKU-1", "price": 1990,
                "items": [{"note": "call 13512345678"}], "who": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "traits": {"mobile": "+86 133 1234 5678", "email": "li@example.com", "nickname": "小李", "id_card": "x"},
        });
        mask_document(&mut doc);
        let text = doc.to_string();
        for leaked in ["u1", "a-1", "1234567", "203.0.113", "张三", "文三路", "li@", "oUpF8uMuAJO"] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
        assert_eq!(doc["previousId"], "138****5678");
        assert_eq!(doc["context"]["ip"], "203.0.*.*");
        assert_eq!(doc["properties"]["phone"], "137****5678");
        assert_eq!(doc["properties"]["receiver"]["address"], "浙江省杭****100号");
        assert_eq!(doc["traits"]["email"], "l***@example.com");
        assert_eq!(doc["properties"]["who"], "oUpF****eS6o");
        assert_eq!(doc["traits"]["nickname"], "小李", "what is not personal stays readable");
        assert_eq!(doc["properties"]["sku"], "SKU-1");
        assert_eq!(doc["properties"]["price"], 1990);
    }

    #[test]
    fn a_name_is_personal_among_traits_only() {
        let mut doc = json!({"traits": {"name": "王小明"}, "context": {"traits": {"Name": "王小明"}},
            "properties": {"name": "首页", "products": [{"name": "红颜草莓 500g"}]}});
        mask_document(&mut doc);
        assert!(!doc.to_string().contains("王小明"), "{doc}");
        assert_eq!(doc["properties"]["name"], "首页");
        assert_eq!(doc["properties"]["products"][0]["name"], "红颜草莓 500g");
        let mut traits = json!({"name": "王小明", "nickname": "小明"});
        mask_map(traits.as_object_mut().unwrap());
        assert_ne!(traits["name"], "王小明");
        assert_eq!(traits["nickname"], "小明");
    }

    #[test]
    fn keys_are_recognised_without_case_or_separators() {
        for key in ["Phone", "mobile", "receiver_phone", "contactMobile", "E-mail", "wechat_openid", "ID_CARD"] {
            assert!(is_personal_key(key), "{key}");
        }
        for key in ["nickname", "sku", "price", "event"] {
            assert!(!is_personal_key(key), "{key}");
        }
    }

    /// The 11-digit mobiles written in `text` (within runs of consecutive digits).
    fn mobiles(text: &str) -> Vec<String> {
        let folded: String = text.chars().map(|c| digit(c).unwrap_or(' ')).collect();
        folded
            .split(' ')
            .flat_map(|run| {
                run.as_bytes().windows(11).map(|w| String::from_utf8_lossy(w).into_owned()).collect::<Vec<_>>()
            })
            .filter(|w| w.starts_with('1') && (b'3'..=b'9').contains(&w.as_bytes()[1]))
            .collect()
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            "[a-z ]{0,6}1[3-9][0-9]{9}[a-z ]{0,6}",
            "\\+86[ -]?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}",
            "[a-z.]{1,8}@[a-z]{1,6}\\.(com|cn)",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            "\\PC{0,20}",
            "[0-9 +@.-]{0,24}",
        ];
        let leaf = prop_oneof![
            text.prop_map(Value::String),
            (13_000_000_000u64..19_999_999_999).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("(phone|Mobile|note|name|[a-z]{1,6}|1[3-9][0-9]{9})", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn no_mobile_or_email_of_the_input_survives(mut doc in any_json()) {
            let input = doc.to_string();
            mask_document(&mut doc);
            let output = doc.to_string();
            let left = mobiles(&output);
            for m in mobiles(&input) {
                prop_assert!(!left.contains(&m), "{} left in {}", m, output);
            }
            for word in input.split(|c: char| !(is_local_char(c) || c == '@')) {
                if mask_emails(word) != word {
                    prop_assert!(!output.contains(word), "{} left in {}", word, output);
                }
            }
        }

        #[test]
        fn masking_is_idempotent(mut doc in any_json()) {
            mask_document(&mut doc);
            let once = doc.clone();
            mask_document(&mut doc);
            prop_assert_eq!(once, doc);
        }
    }
}
