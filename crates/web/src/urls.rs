//! Every URL of the UI, built in one place. Ids are percent-encoded as path segments, so an id
//! that holds `/`, `?` or quotes (operator-supplied ids may) still names the right page.

use sightline_domain::{OrgId, ProjectId};

pub const ROOT: &str = "/ui";
pub const SIGN_IN: &str = "/ui/sign-in";
pub const ORGANIZATIONS: &str = "/ui/organizations";

/// The sign-in page, returning to `next` afterwards when it is a safe local page.
pub fn sign_in(next: Option<&str>) -> String {
    match next.filter(|next| is_local_page(next)) {
        Some(next) => format!("{SIGN_IN}?next={}", segment(next)),
        None => SIGN_IN.to_owned(),
    }
}

/// Whether `target` is a UI page of this instance (not another host, not a scheme): only such
/// targets are followed after sign-in, so the parameter cannot make an open redirect.
pub fn is_local_page(target: &str) -> bool {
    target.starts_with("/ui")
        && !target.starts_with("/ui/sign-")
        && !target.contains("//")
        && !target.contains('\\')
        && target.chars().all(|c| !c.is_control())
}

/// Percent-encodes one path segment (everything but unreserved characters).
pub fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn organization(org: &OrgId) -> String {
    format!("/ui/org/{}", segment(org.as_str()))
}

pub fn org_members(org: &OrgId) -> String {
    format!("{}/members", organization(org))
}

pub fn project(project: &ProjectId) -> String {
    format!("/ui/project/{}", segment(project.as_str()))
}

/// A section of a project (`traces`, `settings`, `settings/api-keys`, …).
pub fn project_section(project_id: &ProjectId, section: &str) -> String {
    format!("{}/{section}", project(project_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_pages_are_return_targets() {
        assert!(is_local_page("/ui/project/p1/traces?x=1"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/ui//evil.example",
            "/\\evil.example",
            "/api/public/projects",
            "/ui/sign-out",
            "/ui\n",
        ] {
            assert!(!is_local_page(bad), "{bad}");
        }
        assert_eq!(
            sign_in(Some("/ui/account")),
            "/ui/sign-in?next=%2Fui%2Faccount"
        );
        assert_eq!(sign_in(Some("https://evil.example")), "/ui/sign-in");
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("abc-1_2.3~"), "abc-1_2.3~");
        assert_eq!(segment("a/b?c\"d"), "a%2Fb%3Fc%22d");
        assert_eq!(
            project(&ProjectId::parse("p/1").unwrap()),
            "/ui/project/p%2F1"
        );
    }
}
