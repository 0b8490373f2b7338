//! Media attached to traces, observations and dataset items (wire-spec §5.10 and §9): the content
//! types Langfuse accepts and their file extensions, the media id the SDKs derive from a
//! content hash, the fields media can be attached to, and the `@@@langfuseMedia:…@@@` reference
//! strings the SDKs put in place of the bytes.

/// Langfuse's `MediaContentType` (packages/shared/src/domain/media.ts), each with the extension
/// of its stored object.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpeg"),
    ("image/jpg", "jpg"),
    ("image/webp", "webp"),
    ("image/gif", "gif"),
    ("image/svg+xml", "svg"),
    ("image/tiff", "tiff"),
    ("image/bmp", "bmp"),
    ("image/avif", "avif"),
    ("image/heic", "heic"),
    ("audio/mpeg", "mp3"),
    ("audio/mp3", "mp3"),
    ("audio/wav", "wav"),
    ("audio/ogg", "ogg"),
    ("audio/oga", "oga"),
    ("audio/aac", "aac"),
    ("audio/mp4", "m4a"),
    ("audio/flac", "flac"),
    ("audio/opus", "opus"),
    ("audio/webm", "weba"),
    ("video/mp4", "mp4"),
    ("video/webm", "webm"),
    ("video/ogg", "ogv"),
    ("video/mpeg", "mpeg"),
    ("video/quicktime", "mov"),
    ("video/x-msvideo", "avi"),
    ("video/x-matroska", "mkv"),
    ("text/plain", "txt"),
    ("text/html", "html"),
    ("text/css", "css"),
    ("text/csv", "csv"),
    ("text/markdown", "md"),
    ("text/x-python", "py"),
    ("application/javascript", "js"),
    ("text/x-typescript", "ts"),
    ("application/x-yaml", "yaml"),
    ("application/pdf", "pdf"),
    ("application/msword", "doc"),
    ("application/vnd.ms-excel", "xls"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application/zip", "zip"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("application/octet-stream", "bin"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    ("application/rtf", "rtf"),
    ("application/x-ndjson", "jsonl"),
    ("application/vnd.apache.parquet", "parquet"),
    ("application/gzip", "gz"),
    ("application/x-tar", "tar"),
    ("application/x-7z-compressed", "7z"),
];

/// The file extension of an accepted content type; `None` for a type Langfuse refuses.
pub fn extension(content_type: &str) -> Option<&'static str> {
    CONTENT_TYPES
        .iter()
        .find(|(known, _)| *known == content_type)
        .map(|(_, extension)| *extension)
}

/// Every accepted content type, in Langfuse's order (for error messages).
pub fn content_types() -> impl Iterator<Item = &'static str> {
    CONTENT_TYPES.iter().map(|(content_type, _)| *content_type)
}

/// What kind of media a content type is, for rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Pdf,
    Other,
}

impl MediaKind {
    pub fn of(content_type: &str) -> MediaKind {
        if content_type == "application/pdf" {
            MediaKind::Pdf
        } else if content_type.starts_with("image/") {
            MediaKind::Image
        } else if content_type.starts_with("audio/") {
            MediaKind::Audio
        } else if content_type.starts_with("video/") {
            MediaKind::Video
        } else {
            MediaKind::Other
        }
    }
}

/// Whether `hash` has the shape of a base64 SHA-256 digest (44 characters of the standard
/// alphabet with padding), as Langfuse checks it.
pub fn is_sha256_base64(hash: &str) -> bool {
    hash.len() == 44
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// The media id of content with this base64 SHA-256: its URL-safe form (`+` → `-`, `/` → `_`),
/// first 22 characters. The SDKs compute the same id before they ask, and refuse another.
pub fn media_id(sha256_base64: &str) -> String {
    sha256_base64
        .chars()
        .take(22)
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect()
}

/// A field media can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaField {
    Input,
    Output,
    ExpectedOutput,
    Metadata,
}

impl MediaField {
    /// A trace's or observation's field: `input`, `output` or `metadata`.
    pub fn of_trace(raw: &str) -> Option<MediaField> {
        match raw {
            "input" => Some(MediaField::Input),
            "output" => Some(MediaField::Output),
            "metadata" => Some(MediaField::Metadata),
            _ => None,
        }
    }

    /// A dataset item's field: `input`, `expectedOutput` or `metadata`.
    pub fn of_dataset_item(raw: &str) -> Option<MediaField> {
        match raw {
            "input" => Some(MediaField::Input),
            "expectedOutput" => Some(MediaField::ExpectedOutput),
            "metadata" => Some(MediaField::Metadata),
            _ => None,
        }
    }

    pub fn parse(raw: &str) -> Option<MediaField> {
        MediaField::of_dataset_item(raw).or_else(|| MediaField::of_trace(raw))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaField::Input => "input",
            MediaField::Output => "output",
            MediaField::ExpectedOutput => "expectedOutput",
            MediaField::Metadata => "metadata",
        }
    }
}

/// A parsed `@@@langfuseMedia:type=…|id=…|source=…@@@` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaReference {
    pub content_type: String,
    pub media_id: String,
    pub source: String,
}

const REFERENCE_START: &str = "@@@langfuseMedia:";
const REFERENCE_END: &str = "@@@";

impl MediaReference {
    /// Parses a whole string as one reference: `key=value` parts separated by `|`, with `type`,
    /// `id` and `source` required (Langfuse's `parseMediaReferenceString`).
    pub fn parse(raw: &str) -> Option<MediaReference> {
        let body = raw
            .strip_prefix(REFERENCE_START)?
            .strip_suffix(REFERENCE_END)?;
        let (mut content_type, mut media_id, mut source) = (None, None, None);
        for part in body.split('|') {
            let (key, value) = part.split_once('=')?;
            match key {
                "type" => content_type = Some(value.to_owned()),
                "id" => media_id = Some(value.to_owned()),
                "source" => source = Some(value.to_owned()),
                _ => {}
            }
        }
        Some(MediaReference {
            content_type: content_type.filter(|v| !v.is_empty())?,
            media_id: media_id.filter(|v| !v.is_empty())?,
            source: source.filter(|v| !v.is_empty())?,
        })
    }

    /// The reference string of this media.
    pub fn to_reference_string(&self) -> String {
        format!(
            "{REFERENCE_START}type={}|id={}|source={}{REFERENCE_END}",
            self.content_type, self.media_id, self.source
        )
    }
}

/// A piece of text split around the media references in it (the UI renders references found
/// anywhere in a string, as Langfuse's `@@@langfuseMedia:.+?@@@` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextPart<'a> {
    Text(&'a str),
    Media(MediaReference),
}

/// Splits `text` into plain text and the references in it; a malformed reference stays text.
pub fn split_references(text: &str) -> Vec<TextPart<'_>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(REFERENCE_START) {
        let after = &rest[start + REFERENCE_START.len()..];
        let Some(end) = after.find(REFERENCE_END) else {
            break;
        };
        let candidate = &rest[start..start + REFERENCE_START.len() + end + REFERENCE_END.len()];
        match MediaReference::parse(candidate) {
            Some(reference) => {
                if start > 0 {
                    parts.push(TextPart::Text(&rest[..start]));
                }
                parts.push(TextPart::Media(reference));
            }
            None => parts.push(TextPart::Text(&rest[..start + candidate.len()])),
        }
        rest = &rest[start + candidate.len()..];
    }
    if !rest.is_empty() {
        parts.push(TextPart::Text(rest));
    }
    parts
}

/// A reference that is a whole string value of a JSON document, with the JSONPath of that
/// string in bracket notation (`$`, `$['image']`, `$['messages'][0]['content']`), as Langfuse
/// returns a dataset item's `mediaReferences`. References inside longer text are not counted
/// (wire-spec §9: a reference must be the entire string value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedReference {
    pub json_path: String,
    pub reference_string: String,
    pub reference: MediaReference,
}

/// The whole-string references in `value`, in document order.
pub fn placed_references(value: &serde_json::Value) -> Vec<PlacedReference> {
    fn walk(value: &serde_json::Value, path: &mut String, found: &mut Vec<PlacedReference>) {
        let depth = path.len();
        match value {
            serde_json::Value::String(text) => {
                if let Some(reference) = MediaReference::parse(text) {
                    found.push(PlacedReference {
                        json_path: path.clone(),
                        reference_string: text.clone(),
                        reference,
                    });
                }
            }
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push_str(&format!("[{index}]"));
                    walk(item, path, found);
                    path.truncate(depth);
                }
            }
            serde_json::Value::Object(fields) => {
                for (key, item) in fields {
                    let key = key.replace('\\', "\\\\").replace('\'', "\\'");
                    path.push_str(&format!("['{key}']"));
                    walk(item, path, found);
                    path.truncate(depth);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, &mut "$".to_owned(), &mut found);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_string_references_are_placed_by_json_path() {
        let image = "@@@langfuseMedia:type=image/png|id=img|source=bytes@@@";
        let value = serde_json::json!({
            "image": image,
            "messages": [{"content": "text"}, {"content": image}],
            "caption": format!("see {image}"),
            "it's": "@@@langfuseMedia:type=audio/wav|id=snd|source=file@@@",
        });
        let placed: Vec<(String, String)> = placed_references(&value)
            .into_iter()
            .map(|p| (p.json_path, p.reference.media_id))
            .collect();
        assert_eq!(
            placed,
            [
                ("$['image']".to_owned(), "img".to_owned()),
                ("$['messages'][1]['content']".to_owned(), "img".to_owned()),
                ("$['it\\'s']".to_owned(), "snd".to_owned()),
            ]
        );
        assert_eq!(placed_references(&serde_json::json!(image)).len(), 1);
        assert_eq!(
            placed_references(&serde_json::json!(image))[0].json_path,
            "$"
        );
    }

    #[test]
    fn media_id_is_the_url_safe_hash_prefix() {
        // base64 of SHA-256("hello"): LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=
        assert_eq!(
            media_id("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="),
            "LPJNul-wow4m6Dsqxbninh"
        );
        assert_eq!(media_id("ab/cd+ef").as_str(), "ab_cd-ef");
    }

    #[test]
    fn hashes_are_checked_for_shape() {
        assert!(is_sha256_base64(
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        ));
        assert!(!is_sha256_base64("short"));
        assert!(!is_sha256_base64(
            "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        ));
    }

    #[test]
    fn content_types_have_extensions() {
        assert_eq!(extension("image/png"), Some("png"));
        assert_eq!(extension("audio/mp3"), Some("mp3"));
        assert_eq!(extension("video/ogg"), Some("ogv"));
        assert_eq!(extension("image/x-unknown"), None);
        assert_eq!(content_types().count(), CONTENT_TYPES.len());
    }

    #[test]
    fn references_parse_and_print() {
        let raw = "@@@langfuseMedia:type=image/png|id=abc|source=base64_data_uri@@@";
        let reference = MediaReference::parse(raw).unwrap();
        assert_eq!(reference.content_type, "image/png");
        assert_eq!(reference.media_id, "abc");
        assert_eq!(reference.source, "base64_data_uri");
        assert_eq!(reference.to_reference_string(), raw);
        assert!(MediaReference::parse("@@@langfuseMedia:type=image/png|id=abc@@@").is_none());
        assert!(MediaReference::parse("x@@@langfuseMedia:type=a|id=b|source=c@@@").is_none());
    }

    #[test]
    fn text_splits_around_references() {
        let text = "see @@@langfuseMedia:type=image/png|id=abc|source=bytes@@@ and \
                    @@@langfuseMedia:broken@@@ end";
        let parts = split_references(text);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], TextPart::Text("see "));
        assert!(matches!(&parts[1], TextPart::Media(r) if r.media_id == "abc"));
        assert_eq!(parts[2], TextPart::Text(" and @@@langfuseMedia:broken@@@"));
        assert_eq!(parts[3], TextPart::Text(" end"));
        assert_eq!(split_references("plain"), vec![TextPart::Text("plain")]);
    }
}
