//! What a WeCom message may carry besides its text: images, videos, files (uploaded as media
//! first), link cards and mini-program cards; the limits WeCom sets on them, checked before any
//! call; and their JSON in `add_msg_template`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{FailureKind, SendError};

/// Attachments one `add_msg_template` takes at most.
pub const MAX_ATTACHMENTS: usize = 9;
/// `text.content` at most, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 4000;
const MAX_LINK_TITLE_BYTES: usize = 128;
const MAX_LINK_DESC_BYTES: usize = 512;
const MAX_LINK_URL_BYTES: usize = 2048;
const MAX_MINIPROGRAM_TITLE_BYTES: usize = 64;

/// The kinds of temporary media `media/upload` takes (the `type` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Image,
    Video,
    File,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::File => "file",
        }
    }

    /// WeCom's upload limit for the type.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::Image | Self::Video => 10 * 1024 * 1024,
            Self::File => 20 * 1024 * 1024,
        }
    }

    /// WeCom refuses files of 5 bytes or fewer.
    pub const MIN_BYTES: u64 = 6;
}

/// A picture, video or file to upload, named by the caller. The media cache keys uploads by
/// content (SHA-256), so the same bytes under any key upload once per three days.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// The caller's stable name for it ("product/42/cover"), used in logs and errors. For
    /// [`AssetSource::Url`] it also stands for the content: change the key when the content
    /// changes, or the cached upload is reused for up to three days.
    pub key: String,
    /// The name WeCom shows and infers the format from: `.jpg`/`.png` images, `.mp4` videos.
    pub file_name: String,
    /// Defaults to `application/octet-stream`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub source: AssetSource,
}

/// Where an asset's bytes are.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetSource {
    /// In memory (base64 when serialised).
    Bytes(#[serde(with = "base64_bytes")] Arc<[u8]>),
    /// A local file, read at send time.
    Path(PathBuf),
    /// An http(s) URL, fetched only when no upload of it is cached.
    Url(String),
}

impl Asset {
    pub fn bytes(key: impl Into<String>, file_name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self::from_source(key, file_name, AssetSource::Bytes(bytes.into()))
    }

    /// A local file; its name is the path's last component.
    pub fn path(key: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Self::from_source(key, file_name, AssetSource::Path(path))
    }

    pub fn url(key: impl Into<String>, file_name: impl Into<String>, url: impl Into<String>) -> Self {
        Self::from_source(key, file_name, AssetSource::Url(url.into()))
    }

    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    fn from_source(key: impl Into<String>, file_name: impl Into<String>, source: AssetSource) -> Self {
        Self { key: key.into(), file_name: file_name.into(), content_type: None, source }
    }
}

// Bytes would flood logs: show their size.
impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            AssetSource::Bytes(b) => format!("{} bytes", b.len()),
            AssetSource::Path(p) => format!("path {}", p.display()),
            AssetSource::Url(u) => format!("url {u}"),
        };
        f.debug_struct("Asset")
            .field("key", &self.key)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("source", &source)
            .finish()
    }
}

/// A link card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub title: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// The card's picture, by URL (WeCom does not take a media id here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picurl: Option<String>,
}

/// A mini-program card: opens `page` of the mini-program `appid` (which must be linked to the
/// corp), with `pic` as its cover (WeCom suggests 520×416).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniprogramCard {
    pub title: String,
    pub appid: String,
    /// WeCom needs the `.html` suffix: `pages/item/index.html?id=42`.
    pub page: String,
    pub pic: Asset,
}

/// One attachment of a WeCom message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Attachment {
    Image(Asset),
    Video(Asset),
    File(Asset),
    Link(Link),
    Miniprogram(MiniprogramCard),
}

impl Attachment {
    /// The media this attachment needs uploaded, if any.
    pub(crate) fn media(&self) -> Option<(MediaType, &Asset)> {
        match self {
            Self::Image(asset) => Some((MediaType::Image, asset)),
            Self::Video(asset) => Some((MediaType::Video, asset)),
            Self::File(asset) => Some((MediaType::File, asset)),
            Self::Miniprogram(card) => Some((MediaType::Image, &card.pic)),
            Self::Link(_) => None,
        }
    }

    /// The attachment in `add_msg_template`'s JSON; `media_id` is the upload of
    /// [`Attachment::media`].
    pub(crate) fn to_wecom(&self, media_id: Option<&str>) -> Value {
        let media_id = media_id.unwrap_or_default();
        match self {
            Self::Image(_) => json!({"msgtype": "image", "image": {"media_id": media_id}}),
            Self::Video(_) => json!({"msgtype": "video", "video": {"media_id": media_id}}),
            Self::File(_) => json!({"msgtype": "file", "file": {"media_id": media_id}}),
            Self::Link(link) => {
                let mut body = json!({"title": link.title, "url": link.url});
                if let Some(desc) = &link.desc {
                    body["desc"] = json!(desc);
                }
                if let Some(picurl) = &link.picurl {
                    body["picurl"] = json!(picurl);
                }
                json!({"msgtype": "link", "link": body})
            }
            Self::Miniprogram(card) => json!({"msgtype": "miniprogram", "miniprogram": {
                "title": card.title, "pic_media_id": media_id, "appid": card.appid, "page": card.page,
            }}),
        }
    }
}

/// Refuse, before any call, a message WeCom would refuse: too many attachments, text too long,
/// nothing to send, in-memory assets of the wrong size, cards missing what WeCom requires.
pub(crate) fn check(text: &str, attachments: &[Attachment]) -> Result<(), SendError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(refuse(
            "too_many_attachments",
            format!("WeCom takes at most {MAX_ATTACHMENTS} attachments a message; this one has {}", attachments.len()),
        ));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(refuse(
            "text_too_long",
            format!("the text is {} bytes; WeCom takes at most {MAX_TEXT_BYTES} bytes", text.len()),
        ));
    }
    if text.trim().is_empty() && attachments.is_empty() {
        return Err(refuse("empty", "the message has neither text nor attachments"));
    }
    attachments.iter().try_for_each(check_one)
}

fn check_one(attachment: &Attachment) -> Result<(), SendError> {
    if let Some((media, asset)) = attachment.media() {
        if asset.file_name.trim().is_empty() {
            return Err(misconfigured(format!("{} '{}' has no file name", media.as_str(), asset.key)));
        }
        if let AssetSource::Bytes(bytes) = &asset.source {
            check_size(media, asset, bytes.len() as u64)?;
        }
    }
    match attachment {
        Attachment::Link(link) => {
            required("link title", &link.title, MAX_LINK_TITLE_BYTES)?;
            required("link url", &link.url, MAX_LINK_URL_BYTES)?;
            if let Some(desc) = &link.desc {
                at_most("link description", desc, MAX_LINK_DESC_BYTES)?;
            }
        }
        Attachment::Miniprogram(card) => {
            required("mini-program title", &card.title, MAX_MINIPROGRAM_TITLE_BYTES)?;
            if card.appid.trim().is_empty() {
                return Err(misconfigured("the mini-program card has no appid"));
            }
            let path = card.page.split('?').next().unwrap_or_default();
            if !path.ends_with(".html") {
                return Err(misconfigured(format!(
                    "the mini-program page '{}' must end in .html (WeCom's rule), e.g. pages/item/index.html?id=42",
                    card.page
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

/// An asset of `len` bytes against WeCom's limits for `media`.
pub(crate) fn check_size(media: MediaType, asset: &Asset, len: u64) -> Result<(), SendError> {
    let what = format!("{} '{}' ({})", media.as_str(), asset.key, asset.file_name);
    if len > media.max_bytes() {
        let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
        return Err(refuse(
            "asset_too_large",
            format!("{what} is {:.1} MB; WeCom takes at most {:.0} MB", mb(len), mb(media.max_bytes())),
        ));
    }
    if len < MediaType::MIN_BYTES {
        return Err(refuse("asset_too_small", format!("{what} is {len} bytes; WeCom needs more than 5")));
    }
    Ok(())
}

fn required(what: &str, value: &str, max_bytes: usize) -> Result<(), SendError> {
    if value.trim().is_empty() {
        return Err(misconfigured(format!("the {what} is empty")));
    }
    at_most(what, value, max_bytes)
}

fn at_most(what: &str, value: &str, max_bytes: usize) -> Result<(), SendError> {
    if value.len() > max_bytes {
        return Err(refuse(
            "attachment_too_long",
            format!("the {what} is {} bytes; WeCom takes at most {max_bytes}", value.len()),
        ));
    }
    Ok(())
}

fn refuse(code: &str, message: impl Into<String>) -> SendError {
    SendError::rejected(FailureKind::ContentRejected, code, message)
}

fn misconfigured(message: impl Into<String>) -> SendError {
    SendError::rejected(FailureKind::Misconfigured, "invalid_attachment", message)
}

/// Bytes as base64 in JSON: Outgoing messages are serialised into the outbox.
mod base64_bytes {
    use std::sync::Arc;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &Arc<[u8]>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<[u8]>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map(Arc::from).map_err(serde::de::Error::custom)
    }
}

/// An operator's attachment (a template's or a group post's) as WeCom sends it: pictures and
/// videos by address, fetched and uploaded once, keyed by their address.
impl From<&rekindle_core::outreach::Attachment> for Attachment {
    fn from(a: &rekindle_core::outreach::Attachment) -> Self {
        use rekindle_core::outreach::Attachment as Said;
        let fetched = |url: &str, ext: &str| Asset::url(url, Said::file_name(url, ext), url);
        match a {
            Said::Link { title, url, desc } => {
                Self::Link(Link { title: title.clone(), url: url.clone(), desc: desc.clone(), picurl: None })
            }
            Said::Image { url } => Self::Image(fetched(url, "jpg")),
            Said::Video { url } => Self::Video(fetched(url, "mp4")),
            Said::Miniprogram { title, appid, page, pic_url } => Self::Miniprogram(MiniprogramCard {
                title: title.clone(),
                appid: appid.clone(),
                page: page.clone(),
                pic: fetched(pic_url, "jpg"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(key: &str) -> Asset {
        Asset::bytes(key, "cover.png", vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4])
    }

    fn card() -> MiniprogramCard {
        MiniprogramCard {
            title: "草莓到货".into(),
            appid: "wx8bd80126147dfAAA".into(),
            page: "pages/item/index.html?id=42".into(),
            pic: png("cover"),
        }
    }

    #[test]
    fn attachments_map_to_wecom_json() {
        let image = Attachment::Image(png("a"));
        assert_eq!(image.to_wecom(Some("M1")), json!({"msgtype": "image", "image": {"media_id": "M1"}}));
        let video = Attachment::Video(Asset::bytes("v", "clip.mp4", vec![0; 8]));
        assert_eq!(video.to_wecom(Some("M2")), json!({"msgtype": "video", "video": {"media_id": "M2"}}));
        let file = Attachment::File(Asset::bytes("f", "menu.pdf", vec![0; 8]));
        assert_eq!(file.to_wecom(Some("M3")), json!({"msgtype": "file", "file": {"media_id": "M3"}}));
        let mini = Attachment::Miniprogram(card());
        assert_eq!(
            mini.to_wecom(Some("M4")),
            json!({"msgtype": "miniprogram", "miniprogram": {
                "title": "草莓到货", "pic_media_id": "M4", "appid": "wx8bd80126147dfAAA",
                "page": "pages/item/index.html?id=42"}})
        );
        let link = Attachment::Link(Link {
            title: "今日鲜果".into(),
            url: "https://shop.example/p/42".into(),
            desc: Some("到店自提".into()),
            picurl: None,
        });
        assert_eq!(link.media(), None);
        assert_eq!(
            link.to_wecom(None),
            json!({"msgtype": "link", "link": {"title": "今日鲜果", "url": "https://shop.example/p/42", "desc": "到店自提"}})
        );
    }

    #[test]
    fn a_card_uploads_its_picture_as_an_image() {
        let mini = Attachment::Miniprogram(card());
        assert_eq!(mini.media().map(|(t, a)| (t, a.key.as_str())), Some((MediaType::Image, "cover")));
    }

    #[test]
    fn limits_are_checked_before_any_call() {
        let ten: Vec<_> = (0..10).map(|i| Attachment::Image(png(&i.to_string()))).collect();
        assert_eq!(check("hi", &ten).unwrap_err().code(), "too_many_attachments");
        assert!(check("hi", &ten[..9]).is_ok());
        assert_eq!(check(&"长".repeat(1334), &[]).unwrap_err().code(), "text_too_long");
        assert!(check(&"长".repeat(1333), &[]).is_ok());
        assert_eq!(check(" ", &[]).unwrap_err().code(), "empty");

        let big = Attachment::Image(Asset::bytes("big", "big.png", vec![0; 10 * 1024 * 1024 + 1]));
        let err = check("", &[big]).unwrap_err();
        assert_eq!((err.kind(), err.code()), (FailureKind::ContentRejected, "asset_too_large"));
        assert!(err.message().contains("image 'big' (big.png) is 10.0 MB; WeCom takes at most 10 MB"), "{err}");
        let file = Attachment::File(Asset::bytes("f", "f.pdf", vec![0; 10 * 1024 * 1024 + 1]));
        assert!(check("", &[file]).is_ok());
        let tiny = Attachment::Video(Asset::bytes("t", "t.mp4", vec![0; 5]));
        assert_eq!(check("", &[tiny]).unwrap_err().code(), "asset_too_small");
    }

    #[test]
    fn cards_need_what_wecom_requires() {
        let no_html = MiniprogramCard { page: "pages/item/index?id=42".into(), ..card() };
        let err = check("", &[Attachment::Miniprogram(no_html)]).unwrap_err();
        assert_eq!(err.kind(), FailureKind::Misconfigured);
        assert!(err.message().contains(".html"), "{err}");
        let no_appid = MiniprogramCard { appid: String::new(), ..card() };
        assert!(check("", &[Attachment::Miniprogram(no_appid)]).is_err());
        let no_title = Link { title: String::new(), url: "https://x".into(), desc: None, picurl: None };
        assert!(check("", &[Attachment::Link(no_title)]).is_err());
        let nameless = Asset { file_name: String::new(), ..png("n") };
        assert!(check("", &[Attachment::Image(nameless)]).is_err());
    }

    #[test]
    fn attachments_round_trip_through_json_with_base64_bytes() {
        let all = vec![
            Attachment::Image(png("a").with_content_type("image/png")),
            Attachment::Video(Asset::path("v", "/srv/assets/clip.mp4")),
            Attachment::File(Asset::url("f", "menu.pdf", "https://cdn.example/menu.pdf")),
            Attachment::Miniprogram(card()),
        ];
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json[0]["type"], "image");
        assert_eq!(json[0]["source"]["bytes"], "iVBORwECAwQ=");
        assert_eq!(json[1]["file_name"], "clip.mp4");
        assert_eq!(serde_json::from_value::<Vec<Attachment>>(json).unwrap(), all);
        assert!(!format!("{:?}", png("a")).contains("137"), "bytes stay out of Debug");
    }
}
