//! The web UI served by the binary next to the API: sign up on a fresh instance, create an API
//! key in the UI, and use that key on the public API.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::harness::{Server, WorkDir};

struct Client {
    agent: ureq::Agent,
    base: String,
    cookies: BTreeMap<String, String>,
}

struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into(),
            base: base.to_owned(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(&mut self, mut response: ureq::http::Response<ureq::Body>) -> Answer {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, cookie) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), cookie.to_owned());
        }
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    fn get(&mut self, path: &str) -> Answer {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .call()
            .unwrap();
        self.finish(response)
    }

    /// Loads `form_page` for its CSRF token, then posts `fields` to `action`.
    fn submit(&mut self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let page = self.get(form_page);
        let marker = "name=\"csrf_token\" value=\"";
        let start = page.body.find(marker).expect("form has a CSRF token") + marker.len();
        let token = page.body[start..start + 64].to_owned();
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &token));
        let response = self
            .agent
            .post(&format!("{}{action}", self.base))
            .header("cookie", &self.cookie_header())
            .send_form(fields)
            .unwrap();
        self.finish(response)
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in page"))
        + start.len();
    let to = text[from..].find(end).unwrap() + from;
    &text[from..to]
}

#[test]
fn sign_up_create_a_key_and_use_it() {
    let dir = WorkDir::new();
    let server = Server::start(dir.path(), &[]);
    let mut browser = Client::new(&server.base);

    assert_eq!(browser.get("/").location.as_deref(), Some("/ui"));
    let page = browser.submit(
        "/ui/sign-up",
        "/ui/sign-up",
        &[
            ("email", "owner@example.com"),
            ("name", "Owner"),
            ("password", "a-long-password"),
        ],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(browser.cookies.contains_key("sightline_session"));

    let project_path = browser.get("/ui").location.expect("redirect to a project");
    assert!(project_path.starts_with("/ui/project/"));
    let keys = format!("{project_path}/settings/api-keys");
    let page = browser.submit(&keys, &keys, &[("note", "e2e")]);
    assert_eq!(page.status, 200, "{}", page.body);
    let public_key = between(&page.body, "LANGFUSE_PUBLIC_KEY=\"", "\"").to_owned();
    let secret_key = between(&page.body, "LANGFUSE_SECRET_KEY=\"", "\"").to_owned();
    assert_eq!(
        between(&page.body, "LANGFUSE_HOST=\"", "\""),
        server.base.as_str()
    );

    let (status, body) = server.get("/api/public/projects", Some((&public_key, &secret_key)));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        format!("/ui/project/{}", body["data"][0]["id"].as_str().unwrap()),
        project_path
    );
    server.terminate();
}
