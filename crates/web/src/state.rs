//! What every page handler shares: the API's state (store, salt, key cache), the UI's settings
//! and the sign-in rate limiter.

use std::sync::Arc;

use sightline_server::AppState;
use sightline_store::Store;

use crate::rate_limit::SignInLimiter;

/// Settings of the web UI.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The instance's public base URL (`NEXTAUTH_URL`), e.g. `https://sightline.example.com`:
    /// shown as `LANGFUSE_HOST` next to new keys. When unset, the request's `Host` is used.
    pub public_url: Option<String>,
    /// Marks cookies `Secure` (set when the public URL is https).
    pub secure_cookies: bool,
}

impl WebConfig {
    /// Settings for an instance reached at `public_url` (cookies are `Secure` when it is https).
    pub fn for_public_url(public_url: Option<String>) -> Self {
        let public_url = public_url.map(|url| url.trim_end_matches('/').to_owned());
        let secure_cookies = public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"));
        Self {
            public_url,
            secure_cookies,
        }
    }
}

#[derive(Clone)]
pub struct WebState {
    inner: Arc<Inner>,
}

struct Inner {
    app: AppState,
    config: WebConfig,
    limiter: SignInLimiter,
}

impl WebState {
    pub fn new(app: AppState, config: WebConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                app,
                config,
                limiter: SignInLimiter::default(),
            }),
        }
    }

    pub fn app(&self) -> &AppState {
        &self.inner.app
    }

    pub fn store(&self) -> &Store {
        self.inner.app.store()
    }

    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub(crate) fn limiter(&self) -> &SignInLimiter {
        &self.inner.limiter
    }
}
