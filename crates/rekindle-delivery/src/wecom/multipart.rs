//! The `multipart/form-data` body `media/upload` takes: one part named `media` with the file's
//! name and length. Built by hand: reqwest's multipart feature would add dependencies for one
//! fixed form.

/// A form ready to POST.
pub(crate) struct Form {
    /// `multipart/form-data; boundary=…`
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The `media` part WeCom documents: `Content-Disposition: form-data; name="media";
/// filename="…"; filelength=…`.
pub(crate) fn media_form(file_name: &str, content_type: &str, bytes: &[u8]) -> Form {
    let boundary = format!("----rekindle{}", hex::encode(rand::random::<[u8; 12]>()));
    let mut body = Vec::with_capacity(bytes.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!(
            "Content-Disposition: form-data; name=\"media\"; filename=\"{}\"; filelength={}\r\n",
            quoted(file_name),
            bytes.len()
        )
        .as_bytes(),
    );
    body.extend_from_slice(format!("Content-Type: {}\r\n\r\n", single_line(content_type)).as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Form { content_type: format!("multipart/form-data; boundary={boundary}"), body }
}

/// A file name safe inside the header's quotes, as browsers escape it.
fn quoted(name: &str) -> String {
    single_line(name).replace('"', "%22")
}

fn single_line(value: &str) -> String {
    value.chars().filter(|c| !matches!(c, '\r' | '\n')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_media_part_carries_name_length_and_bytes() {
        let form = media_form("封面\"1\".png", "image/png", b"\x89PNG-bytes");
        let boundary = form.content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&form.body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"media\"; filename=\"封面%221%22.png\"; filelength=10\r\n"), "{text}");
        assert!(text.contains("Content-Type: image/png\r\n\r\n\u{fffd}PNG-bytes\r\n"), "{text}");
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    }
}
