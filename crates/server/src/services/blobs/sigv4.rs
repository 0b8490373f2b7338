//! Presigned S3 URLs that sign request headers besides `host` (AWS Signature Version 4, query
//! authentication). `object_store` presigns with `host` alone, but the SDKs send
//! `x-amz-checksum-sha256` with a media upload, and S3 refuses `x-amz-*` headers that the URL
//! does not sign; Langfuse signs the content type, length and checksum, so a URL uploads
//! exactly the declared content. Reference: AWS's "Authenticating Requests: Using Query
//! Parameters (AWS Signature Version 4)".

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What signing needs of a bucket.
#[derive(Clone)]
pub struct Presigner {
    /// `scheme://host[:port]` of the endpoint.
    pub origin: String,
    pub host: String,
    pub bucket: String,
    pub region: String,
    /// The bucket in the path (`/{bucket}/{key}`), not in the host.
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` in paths).
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && byte == b'/')
        {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Presigner {
    /// A URL for `method` on `key`, valid for `ttl` from `now`, that signs `headers` (names
    /// in any case; the client must send them with exactly these values).
    pub fn url(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> String {
        let (host, path) = if self.path_style {
            (self.host.clone(), format!("/{}/{}", self.bucket, key))
        } else {
            (format!("{}.{}", self.bucket, self.host), format!("/{key}"))
        };
        let origin = if self.path_style {
            self.origin.clone()
        } else {
            self.origin
                .replacen("://", &format!("://{}.", self.bucket), 1)
        };
        let path = encode(&path, true);
        let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
        let day = now.format("%Y%m%d").to_string();
        let scope = format!("{day}/{}/s3/aws4_request", self.region);

        let mut signed: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        signed.push(("host".into(), host));
        signed.sort();
        let signed_names: Vec<&str> = signed.iter().map(|(name, _)| name.as_str()).collect();
        let signed_names = signed_names.join(";");

        let mut query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            (
                "X-Amz-Credential",
                format!("{}/{scope}", self.access_key_id),
            ),
            ("X-Amz-Date", stamp.clone()),
            ("X-Amz-Expires", ttl.as_secs().max(1).to_string()),
            ("X-Amz-SignedHeaders", signed_names.clone()),
        ]
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name, false), encode(value, false)))
        .collect::<Vec<_>>();
        query.sort();
        let query = query.join("&");

        let canonical_headers: String = signed
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect();
        let canonical_request = format!(
            "{method}\n{path}\n{query}\n{canonical_headers}\n{signed_names}\nUNSIGNED-PAYLOAD"
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{}", self.secret_access_key).as_bytes(), &day);
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            key = hmac(&key, part);
        }
        let signature = hex(&hmac(&key, &string_to_sign));
        format!("{origin}{path}?{query}&X-Amz-Signature={signature}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example of a presigned GET (the query-authentication page).
    #[test]
    fn signs_as_aws_documents() {
        let presigner = Presigner {
            origin: "https://s3.amazonaws.com".into(),
            host: "s3.amazonaws.com".into(),
            bucket: "examplebucket".into(),
            region: "us-east-1".into(),
            path_style: false,
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        };
        let now = DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let url = presigner.url("GET", "test.txt", &[], Duration::from_secs(86400), now);
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn extra_headers_are_signed_in_order() {
        let presigner = Presigner {
            origin: "http://127.0.0.1:9000".into(),
            host: "127.0.0.1:9000".into(),
            bucket: "media".into(),
            region: "us-east-1".into(),
            path_style: true,
            access_key_id: "key".into(),
            secret_access_key: "secret".into(),
        };
        let now = Utc::now();
        let url = presigner.url(
            "PUT",
            "p/a b.png",
            &[
                ("x-amz-checksum-sha256", "abc="),
                ("Content-Type", "image/png"),
            ],
            Duration::from_secs(60),
            now,
        );
        assert!(
            url.starts_with("http://127.0.0.1:9000/media/p/a%20b.png?"),
            "{url}"
        );
        assert!(
            url.contains("X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-checksum-sha256"),
            "{url}"
        );
        let other = presigner.url(
            "PUT",
            "p/a b.png",
            &[
                ("x-amz-checksum-sha256", "abd="),
                ("Content-Type", "image/png"),
            ],
            Duration::from_secs(60),
            now,
        );
        assert_ne!(url, other, "the checksum is part of the signature");
    }
}
