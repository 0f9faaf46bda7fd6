//! What goes with a WeCom message or group post besides its text (docs/groups.md): a link card,
//! a picture or a short video by its https address (the delivery layer fetches and uploads it
//! to WeCom once, then reuses the media id), or a mini-program card. Seed 000: a 15-second video
//! from the host tripled the open rate.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// WeCom takes at most this many attachments with one message.
pub const MAX_ATTACHMENTS: usize = 9;
/// Longest address an attachment names.
const MAX_URL: usize = 1024;
/// Longest title, app id or page.
const MAX_TEXT: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Attachment {
    Link {
        title: String,
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        desc: Option<String>,
    },
    Image {
        url: String,
    },
    Video {
        url: String,
    },
    Miniprogram {
        title: String,
        appid: String,
        page: String,
        pic_url: String,
    },
}

/// Only https: the server fetches these, and must not be pointed inside its own network.
fn https(field: String, url: &str) -> Result<(), FieldError> {
    let ok = url.len() <= MAX_URL
        && url.len() > 8
        && url.starts_with("https://")
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, format!("must be an https:// address of at most {MAX_URL} characters")))
    }
}

fn short(field: String, value: &str) -> Result<(), FieldError> {
    let n = value.trim().chars().count();
    if n == 0 || n > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(FieldError::new(field, format!("must be 1 to {MAX_TEXT} characters")));
    }
    Ok(())
}

impl Attachment {
    /// The first problem, its field named under `at` (`attachments[0]`).
    pub fn check(&self, at: &str) -> Result<(), FieldError> {
        let f = |name: &str| format!("{at}.{name}");
        match self {
            Self::Link { title, url, desc } => {
                short(f("title"), title)?;
                https(f("url"), url)?;
                if desc.as_ref().is_some_and(|d| d.chars().count() > 512) {
                    return Err(FieldError::new(f("desc"), "at most 512 characters"));
                }
                Ok(())
            }
            Self::Image { url } | Self::Video { url } => https(f("url"), url),
            Self::Miniprogram { title, appid, page, pic_url } => {
                short(f("title"), title)?;
                short(f("appid"), appid)?;
                short(f("page"), page)?;
                https(f("pic_url"), pic_url)
            }
        }
    }

    /// Every attachment of a list, and the list's length.
    pub fn check_all(list: &[Attachment], field: &str) -> Result<(), FieldError> {
        if list.len() > MAX_ATTACHMENTS {
            return Err(FieldError::new(field, format!("at most {MAX_ATTACHMENTS}")));
        }
        list.iter().enumerate().try_for_each(|(i, a)| a.check(&format!("{field}[{i}]")))
    }

    /// A file name for a fetched picture or video: the address's last segment, with the kind's
    /// extension if it has none.
    pub fn file_name(url: &str, ext: &str) -> String {
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let last = path.rsplit('/').next().filter(|s| !s.is_empty() && !s.contains(':')).unwrap_or("asset");
        if last.contains('.') { last.to_owned() } else { format!("{last}.{ext}") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_checked_by_field() {
        let ok = [
            Attachment::Link { title: "直播间".into(), url: "https://x.cn/r/1".into(), desc: None },
            Attachment::Image { url: "https://img.x.cn/a.jpg".into() },
            Attachment::Miniprogram {
                title: "草莓".into(),
                appid: "wx1".into(),
                page: "pages/a.html".into(),
                pic_url: "https://x/p.png".into(),
            },
        ];
        assert_eq!(Attachment::check_all(&ok, "attachments"), Ok(()));
        let bad = [Attachment::Video { url: "http://10.0.0.1/v.mp4".into() }];
        assert_eq!(Attachment::check_all(&bad, "attachments").unwrap_err().field, "attachments[0].url");
        let many = vec![ok[1].clone(); 10];
        assert_eq!(Attachment::check_all(&many, "attachments").unwrap_err().field, "attachments");
        let untitled = [Attachment::Link { title: " ".into(), url: "https://x".into(), desc: None }];
        assert_eq!(Attachment::check_all(&untitled, "a").unwrap_err().field, "a[0].title");
        assert_eq!(Attachment::file_name("https://x/v/host?s=1", "mp4"), "host.mp4");
        assert_eq!(Attachment::file_name("https://x/a.jpg#f", "jpg"), "a.jpg");
        assert_eq!(Attachment::file_name("https://x/", "jpg"), "asset.jpg");
    }
}
