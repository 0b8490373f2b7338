//! What the list pages (sessions, users, observations) share: their query parameters (read
//! leniently: a value that does not parse is ignored, never an error page), time-range presets,
//! page links, and how numbers are shown.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sightline_domain::time::{Millis, now_ms};

/// Rows per page of every list.
pub const PAGE_SIZE: u64 = 50;

/// The query string of a list page.
#[derive(Debug, Clone, Default)]
pub struct ListParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(ListParams(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}

impl ListParams {
    /// A parameter's trimmed value, `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    /// A parameter as a number, `None` when absent or not a finite number.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.text(name)
            .and_then(|value| value.parse::<f64>().ok())
            .filter(|value| value.is_finite())
    }

    /// The 1-based page number.
    pub fn page(&self) -> u64 {
        self.text("page")
            .and_then(|value| value.parse::<u64>().ok())
            .filter(|page| (1..=100_000).contains(page))
            .unwrap_or(1)
    }

    pub fn offset(&self) -> u64 {
        (self.page() - 1) * PAGE_SIZE
    }

    /// The preset `range`, or the custom `from`/`to` (UTC, `YYYY-MM-DD` or
    /// `YYYY-MM-DDTHH:MM`) when either is given.
    pub fn range(&self) -> TimeRange {
        let from = self.text("from").and_then(|raw| parse_utc(&raw));
        let to = self.text("to").and_then(|raw| parse_utc(&raw));
        if from.is_some() || to.is_some() {
            return TimeRange {
                key: "custom",
                from,
                to,
                from_text: from.map(local_input).unwrap_or_default(),
                to_text: to.map(local_input).unwrap_or_default(),
            };
        }
        let (key, _, length) = RANGES
            .iter()
            .find(|(key, _, _)| Some(*key) == self.text("range").as_deref())
            .unwrap_or(&RANGES[RANGES.len() - 1]);
        TimeRange {
            key,
            from: length.map(|length| now_ms() - length),
            to: None,
            from_text: String::new(),
            to_text: String::new(),
        }
    }
}

/// A date or a date and minute in UTC, as milliseconds.
fn parse_utc(raw: &str) -> Option<Millis> {
    let time = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|date| date.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .ok()?;
    Some(time.and_utc().timestamp_millis())
}

/// Milliseconds as a `datetime-local` input's value (UTC), which is also how the lists' `from`
/// and `to` parameters read a time.
pub fn local_input(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// The time-range presets: (parameter value, label, length in milliseconds; `None`: all time).
pub const RANGES: &[(&str, &str, Option<Millis>)] = &[
    ("1h", "Past hour", Some(3_600_000)),
    ("24h", "Past 24 hours", Some(86_400_000)),
    ("7d", "Past 7 days", Some(7 * 86_400_000)),
    ("30d", "Past 30 days", Some(30 * 86_400_000)),
    ("90d", "Past 90 days", Some(90 * 86_400_000)),
    ("all", "All time", None),
];

/// A time range: a preset (`1h` … `all`) or `custom` bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRange {
    pub key: &'static str,
    from: Option<Millis>,
    to: Option<Millis>,
    /// The custom bounds as the form's inputs show them back (empty for presets).
    pub from_text: String,
    pub to_text: String,
}

impl TimeRange {
    /// The inclusive lower bound, `None` for all time.
    pub fn from(&self) -> Option<Millis> {
        self.from
    }

    /// The exclusive upper bound, `None` for up to now.
    pub fn to(&self) -> Option<Millis> {
        self.to
    }

    /// The options of a `<select>`: (value, label, selected); custom bounds select none.
    pub fn options(&self) -> Vec<(&'static str, &'static str, bool)> {
        RANGES
            .iter()
            .map(|(key, label, _)| (*key, *label, *key == self.key))
            .collect()
    }
}

/// The links between pages of a list.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Links to the neighbouring pages of `base` (a path), keeping the other `params`.
    pub fn new(base: &str, params: &ListParams, total: u64) -> Pager {
        let page = params.page();
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        let link = |page: u64| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            let mut keys: Vec<&String> = params.0.keys().filter(|key| *key != "page").collect();
            keys.sort();
            for key in keys {
                if !params.0[key].is_empty() {
                    query.append_pair(key, &params.0[key]);
                }
            }
            query.append_pair("page", &page.to_string());
            format!("{base}?{}", query.finish())
        };
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// USD with enough digits for per-call prices: `$0.000123`, `$1.50`.
pub fn cost(usd: f64) -> String {
    if usd == 0.0 {
        return "$0".into();
    }
    let digits = if usd.abs() >= 1.0 { 2 } else { 6 };
    format!("${usd:.digits$}")
}

/// A token count: whole numbers without decimals.
pub fn tokens(count: f64) -> String {
    if count.fract() == 0.0 {
        format!("{count:.0}")
    } else {
        format!("{count:.2}")
    }
}

/// A duration in milliseconds as seconds: `1.25s`.
pub fn seconds(ms: Millis) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        ListParams(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn pages_link_with_the_other_filters() {
        let pager = Pager::new(
            "/ui/x",
            &params(&[("page", "2"), ("q", "a b&c"), ("empty", "")]),
            120,
        );
        assert_eq!((pager.page, pager.pages), (2, 3));
        assert_eq!(pager.prev.as_deref(), Some("/ui/x?q=a+b%26c&page=1"));
        assert_eq!(pager.next.as_deref(), Some("/ui/x?q=a+b%26c&page=3"));
        let first = Pager::new("/ui/x", &params(&[("page", "zero")]), 0);
        assert_eq!((first.page, first.pages), (1, 1));
        assert!(first.prev.is_none() && first.next.is_none());
    }

    #[test]
    fn ranges_and_numbers() {
        assert_eq!(params(&[("range", "7d")]).range().key, "7d");
        assert_eq!(params(&[("range", "bogus")]).range().key, "all");
        assert!(params(&[]).range().from().is_none());
        let custom = params(&[
            ("range", "7d"),
            ("from", "2026-01-02"),
            ("to", "2026-01-03T10:30"),
        ])
        .range();
        assert_eq!(custom.key, "custom");
        assert_eq!(custom.from(), Some(1_767_312_000_000));
        assert_eq!(
            custom.to(),
            Some(1_767_312_000_000 + 86_400_000 + 37_800_000)
        );
        assert_eq!(custom.to_text, "2026-01-03T10:30");
        assert_eq!(params(&[("from", "yesterday")]).range().key, "all");
        assert_eq!(cost(0.000_123), "$0.000123");
        assert_eq!(cost(1.5), "$1.50");
        assert_eq!(tokens(15.0), "15");
        assert_eq!(seconds(1_250), "1.25s");
        assert_eq!(params(&[("n", " 2.5 ")]).number("n"), Some(2.5));
        assert_eq!(params(&[("n", "NaN")]).number("n"), None);
    }
}
