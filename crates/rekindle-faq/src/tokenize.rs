//! Chinese text as terms: jieba's search-mode cut (a long word also yields its shorter words,
//! so "保质期" meets "保质"), lower-cased, without punctuation and the particles and pronouns
//! every question has.

use std::sync::OnceLock;

use jieba_rs::Jieba;

/// jieba with its dictionary: loading it takes a few hundred milliseconds, so once a process.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Words that say nothing about which question it is.
const STOP: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "哦",
    "哈",
    "么",
    "是",
    "我",
    "你",
    "您",
    "我们",
    "这个",
    "那个",
    "一下",
    "请问",
    "想",
    "要",
    "就",
    "都",
    "也",
    "还",
    "在",
    "和",
    "跟",
    "把",
    "给",
    "被",
    "有没有",
    "能不能",
    "可以",
    "可不可以",
    "亲",
    "老板",
    "谢谢",
    "麻烦",
];

/// What retrieval indexes: the words, and the character pairs inside and across them (so
/// "鲜奶" still meets "牛奶" by "奶"-pairs, and a word jieba splits differently still shares
/// pairs), marked apart from words.
pub fn terms(text: &str) -> Vec<String> {
    let words = tokens(text);
    let chars: Vec<char> = text.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    let pairs = chars.windows(2).map(|w| format!("\u{1}{}{}", w[0], w[1]));
    words.iter().cloned().chain(pairs).collect()
}

/// The terms of `text`, in order, repeats kept (term frequency counts them).
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    jieba()
        .cut_for_search(&lower, true)
        .into_iter()
        .map(str::trim)
        .filter(|w| !w.is_empty() && w.chars().any(char::is_alphanumeric) && !STOP.contains(w))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_become_their_meaningful_words() {
        let t = tokens("请问鲜牛奶的保质期是几天呀？");
        assert!(t.contains(&"牛奶".to_string()) && t.contains(&"保质期".to_string()), "{t:?}");
        assert!(!t.iter().any(|w| w == "的" || w == "呀" || w == "？"), "{t:?}");
        assert_eq!(tokens("？？！ ，。"), Vec::<String>::new());
        assert_eq!(tokens("IPHONE"), vec!["iphone".to_string()]);
    }
}
