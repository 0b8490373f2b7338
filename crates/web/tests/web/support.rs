//! `TestUi`: the web router over a throwaway database (with the default setup a first
//! `sightline serve` creates), and `Browser`, a client that keeps cookies, sends a client
//! address, and submits forms with the CSRF token of the page it loaded them from.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use sightline_domain::{Email, OrgId, ProjectId, Role};
use sightline_server::AppState;
use sightline_server::services::identity::{self, DefaultSetup};
use sightline_server::services::llm_connections::LlmSettings;
use sightline_store::testing::TestDb;
use sightline_store::{Store, User};
use sightline_web::{WebConfig, WebState};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestUi {
    pub router: Router,
    pub default: DefaultSetup,
    pub default_org: OrgId,
    app: AppState,
    db: TestDb,
}

impl TestUi {
    pub async fn new(db: TestDb) -> TestUi {
        TestUi::with_llm(db, LlmSettings::default()).await
    }

    /// A UI whose LLM features have these settings (an `ENCRYPTION_KEY`, an allow-list).
    pub async fn with_llm(db: TestDb, llm: LlmSettings) -> TestUi {
        let store = &db.store;
        let salt = identity::resolve_salt(store, None).await.unwrap();
        let default = identity::create_default_setup(store, &salt)
            .await
            .unwrap()
            .expect("fresh database");
        let default_org = store
            .metadata()
            .project(&default.project_id)
            .await
            .unwrap()
            .unwrap()
            .organization
            .id;
        let app = AppState::with_settings(
            db.store.clone(),
            salt,
            sightline_server::Settings {
                llm,
                blobs: sightline_server::services::blobs::Blobs::one(
                    sightline_server::services::blobs::BlobStorage::in_memory(),
                ),
                ..sightline_server::Settings::default()
            },
        );
        let router = sightline_web::router(WebState::new(app.clone(), WebConfig::default()));
        TestUi {
            router,
            default,
            default_org,
            app,
            db,
        }
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// The server state the UI's pages and the API share.
    pub fn app(&self) -> &AppState {
        &self.app
    }

    /// The prompt cache the UI's pages and the API share.
    pub fn prompt_cache(&self) -> &sightline_server::services::prompts::PromptCache {
        self.app.prompts()
    }

    pub fn browser(&self) -> Browser {
        self.browser_from("10.0.0.1")
    }

    pub fn browser_from(&self, ip: &str) -> Browser {
        Browser {
            router: self.router.clone(),
            cookies: BTreeMap::new(),
            address: format!("{ip}:40000").parse().unwrap(),
        }
    }

    /// A user created directly in the store, with the password [`PASSWORD`] and the given
    /// organization role.
    pub async fn user(&self, email: &str, org: Option<(&OrgId, Role)>) -> User {
        let email = Email::parse(email).unwrap();
        let user = identity::create_user(self.store(), &email, None, Some(PASSWORD))
            .await
            .unwrap();
        if let Some((org, role)) = org {
            self.store()
                .metadata()
                .set_org_role(org, &user.id, role)
                .await
                .unwrap();
        }
        user
    }

    /// A browser signed in as `email` (an existing user with [`PASSWORD`]).
    pub async fn signed_in(&self, email: &str) -> Browser {
        let mut browser = self.browser();
        let page = browser
            .submit(
                "/ui/sign-in",
                "/ui/sign-in",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {email}: {}",
            page.body
        );
        browser
    }

    /// The default project of the default organization.
    pub fn project(&self) -> &ProjectId {
        &self.default.project_id
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap())
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> Option<String> {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

pub struct Browser {
    router: Router,
    cookies: BTreeMap<String, String>,
    address: SocketAddr,
}

impl Browser {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).unwrap();
        request.extensions_mut().insert(ConnectInfo(self.address));
        let response = self.router.clone().oneshot(request).await.unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, cookie) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), cookie.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.request(Method::GET, path, &[], None).await
    }

    /// POSTs the fields as they are (no CSRF token unless among them).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.request(Method::POST, path, &[], Some(encode(fields)))
            .await
    }

    /// Loads `form_page`, then POSTs the fields to `action` with that page's CSRF token, as a
    /// browser submitting the form would.
    pub async fn submit(&mut self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        let token = page
            .csrf()
            .unwrap_or_else(|| panic!("{form_page} ({}) has no CSRF token", page.status));
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &token));
        self.post(action, &fields).await
    }
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// `/ui/project/<id>` plus `rest`.
pub fn project_url(project: &ProjectId, rest: &str) -> String {
    format!("/ui/project/{}{rest}", project.as_str())
}

pub fn org_url(org: &OrgId, rest: &str) -> String {
    format!("/ui/org/{}{rest}", org.as_str())
}
