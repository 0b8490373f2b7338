//! The traces table's query string and columns: the filters, sort and page a GET form submits
//! (read leniently: a value that does not parse is left out and reported, never an error page),
//! turned into a [`TraceQuery`]; and the columns shown, chosen in the form and remembered in the
//! cookie [`COLUMNS_COOKIE`] as `<user tag>~<ids>`, where the tag is a hash of the user's id, so
//! that another account signing in on the same browser gets the default columns.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use sightline_domain::filter::{Comparison, FilterCondition, Test, TextOperator};
use sightline_domain::ingest::Level;
use sightline_domain::time::Millis;
use sightline_store::{TraceOrderColumn, TraceQuery};

use crate::session::{self, SignedIn};

pub const COLUMNS_COOKIE: &str = "sightline_trace_columns";

/// The table's optional columns: (id, label).
pub const COLUMNS: &[(&str, &str)] = &[
    ("timestamp", "Timestamp"),
    ("name", "Name"),
    ("user", "User"),
    ("session", "Session"),
    ("latency", "Latency"),
    ("input", "Input"),
    ("output", "Output"),
    ("tokens", "Tokens"),
    ("cost", "Cost"),
    ("scores", "Scores"),
    ("tags", "Tags"),
    ("level", "Level"),
    ("environment", "Environment"),
];

/// The columns shown until the user picks others: what fits a 1440-pixel window. Session,
/// level and environment are a click away in the picker (and filters of their own).
pub const DEFAULT_COLUMNS: &[&str] = &[
    "timestamp",
    "name",
    "user",
    "latency",
    "input",
    "output",
    "tokens",
    "cost",
    "scores",
    "tags",
];

pub const RANGES: &[(&str, &str, Millis)] = &[
    ("1h", "Last hour", 3_600_000),
    ("24h", "Last 24 hours", 86_400_000),
    ("7d", "Last 7 days", 7 * 86_400_000),
    ("30d", "Last 30 days", 30 * 86_400_000),
];
pub const PAGE_SIZES: &[u64] = &[10, 25, 50, 100];
const DEFAULT_PAGE_SIZE: u64 = 50;
/// Pages beyond this are not asked for (the offset stays far inside the databases' integers).
const MAX_PAGE: u64 = 1_000_000;

/// The filters, sort and page of the query string, kept as typed so the form shows them again.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub range: String,
    pub from: String,
    pub to: String,
    pub name: String,
    pub user_id: String,
    pub session_id: String,
    pub tags: String,
    pub level: String,
    pub environment: String,
    pub score_name: String,
    pub score_min: String,
    pub score_max: String,
    pub search: String,
    pub order: String,
    pub dir: String,
    pub page: u64,
    pub limit: u64,
    /// The columns the form submitted (`col`), when it did (`columns=1`).
    pub columns: Option<Vec<String>>,
}

impl Filters {
    pub fn parse(raw: Option<&str>) -> Filters {
        let mut filters = Filters {
            page: 1,
            limit: DEFAULT_PAGE_SIZE,
            ..Filters::default()
        };
        let mut columns = Vec::new();
        let mut columns_set = false;
        for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let value = value.trim().to_owned();
            match key.as_ref() {
                "range" => filters.range = value,
                "from" => filters.from = value,
                "to" => filters.to = value,
                "name" => filters.name = value,
                "user_id" => filters.user_id = value,
                "session_id" => filters.session_id = value,
                "tags" => filters.tags = value,
                "level" => filters.level = value,
                "environment" => filters.environment = value,
                "score_name" => filters.score_name = value,
                "score_min" => filters.score_min = value,
                "score_max" => filters.score_max = value,
                "search" => filters.search = value,
                "order" => filters.order = value,
                "dir" => filters.dir = value,
                "page" => filters.page = value.parse().unwrap_or(1).clamp(1, MAX_PAGE),
                "limit" => {
                    filters.limit = value
                        .parse()
                        .ok()
                        .filter(|size| PAGE_SIZES.contains(size))
                        .unwrap_or(DEFAULT_PAGE_SIZE);
                }
                "columns" => columns_set = true,
                "col" => columns.push(value),
                _ => {}
            }
        }
        if columns_set {
            filters.columns = Some(known_columns(columns.iter().map(String::as_str)));
        }
        filters
    }

    pub fn is_filtered(&self) -> bool {
        [
            &self.range,
            &self.from,
            &self.to,
            &self.name,
            &self.user_id,
            &self.session_id,
            &self.tags,
            &self.level,
            &self.environment,
            &self.score_name,
            &self.search,
        ]
        .iter()
        .any(|value| !value.is_empty())
    }

    /// The store query these filters ask for, at time `now`, and what could not be read (those
    /// values are left out and named in a notice above the table, never an error page).
    pub fn query(&self, now: Millis) -> (TraceQuery, Vec<String>) {
        let mut problems = Vec::new();
        let text = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        let mut query = TraceQuery {
            name: text(&self.name),
            user_id: text(&self.user_id),
            session_id: text(&self.session_id),
            tags: split_list(&self.tags),
            environments: split_list(&self.environment),
            order_by: match self.order.as_str() {
                "name" => TraceOrderColumn::Name,
                "userId" => TraceOrderColumn::UserId,
                _ => TraceOrderColumn::Timestamp,
            },
            descending: self.dir != "asc",
            limit: self.limit,
            offset: (self.page - 1).saturating_mul(self.limit),
            ..TraceQuery::default()
        };
        if query.environments.is_empty() {
            query
                .filter
                .push(sightline_domain::ingest::environment::hide_internal());
        }
        if let Some((_, _, span)) = RANGES.iter().find(|(id, _, _)| *id == self.range) {
            query.from_timestamp = Some(now - span);
        }
        for (field, raw, slot) in [
            ("From", &self.from, &mut query.from_timestamp),
            ("To", &self.to, &mut query.to_timestamp),
        ] {
            if raw.is_empty() {
                continue;
            }
            match parse_time(raw) {
                Some(time) => *slot = Some(time),
                None => problems.push(format!(
                    "{field}: expected a date and time like 2025-01-31T14:00 (UTC)"
                )),
            }
        }
        if !self.level.is_empty() {
            match self.level.parse::<Level>() {
                Ok(level) => query.filter.push(FilterCondition {
                    column: "level".into(),
                    key: None,
                    test: Test::Text(TextOperator::Equal, level.as_str().into()),
                }),
                Err(_) => problems.push("Level: not a level".into()),
            }
        }
        if !self.score_name.is_empty() {
            let mut bound = |field: &str, raw: &str| -> Option<f64> {
                if raw.is_empty() {
                    return None;
                }
                let value = raw.parse::<f64>().ok().filter(|value| value.is_finite());
                if value.is_none() {
                    problems.push(format!("{field}: not a number"));
                }
                value
            };
            let min = bound("Score average ≥", &self.score_min);
            let max = bound("Score average ≤", &self.score_max);
            // Without bounds: any trace with a numeric score of that name.
            let mut tests = vec![(Comparison::GreaterOrEqual, min.unwrap_or(f64::MIN))];
            if let Some(max) = max {
                tests.push((Comparison::LessOrEqual, max));
            }
            for (comparison, value) in tests {
                query.filter.push(FilterCondition {
                    column: "scores_avg".into(),
                    key: Some(self.score_name.clone()),
                    test: Test::Number(comparison, value),
                });
            }
        }
        (query, problems)
    }

    /// `?…` with every non-empty filter, the sort and page size, and `page`.
    pub fn href(&self, base: &str, page: u64, order: Option<(&str, &str)>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.pairs(order) {
            out.append_pair(key, &value);
        }
        if page > 1 {
            out.append_pair("page", &page.to_string());
        }
        let query = out.finish();
        if query.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{query}")
        }
    }

    /// The non-empty filters, the sort (`order` overrides it) and a page size other than the
    /// default, as query parameters (also the hidden fields of the column picker's form).
    pub fn pairs(&self, order: Option<(&str, &str)>) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = [
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
            ("name", &self.name),
            ("user_id", &self.user_id),
            ("session_id", &self.session_id),
            ("tags", &self.tags),
            ("level", &self.level),
            ("environment", &self.environment),
            ("score_name", &self.score_name),
            ("score_min", &self.score_min),
            ("score_max", &self.score_max),
            ("search", &self.search),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key, value.clone()))
        .collect();
        let (order, dir) = order.unwrap_or((&self.order, &self.dir));
        if !order.is_empty() {
            pairs.push(("order", order.to_owned()));
        }
        if !dir.is_empty() {
            pairs.push(("dir", dir.to_owned()));
        }
        if self.limit != DEFAULT_PAGE_SIZE {
            pairs.push(("limit", self.limit.to_string()));
        }
        pairs
    }
}

/// A comma-separated list, trimmed, without empty items.
fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A `datetime-local` value (UTC) or an RFC 3339 time, in milliseconds.
fn parse_time(raw: &str) -> Option<Millis> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(time.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|time| time.and_utc().timestamp_millis())
}

fn known_columns<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let chosen: Vec<&str> = ids.collect();
    COLUMNS
        .iter()
        .filter(|(id, _)| chosen.contains(id))
        .map(|(id, _)| (*id).to_owned())
        .collect()
}

/// The columns shown.
#[derive(Debug, Clone)]
pub struct Columns(Vec<String>);

impl Columns {
    pub fn shows(&self, id: &str) -> bool {
        self.0.iter().any(|shown| shown == id)
    }

    /// Every column with whether it is shown, for the picker.
    pub fn choices(&self) -> Vec<(&'static str, &'static str, bool)> {
        COLUMNS
            .iter()
            .map(|(id, label)| (*id, *label, self.shows(id)))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.0.len() + 1
    }
}

pub fn user_tag(signed_in: &SignedIn) -> String {
    let digest = Sha256::digest(signed_in.user.id.as_str().as_bytes());
    hex::encode(&digest[..8])
}

/// The form's choice, else the user's remembered one, else every column.
pub fn columns(filters: &Filters, headers: &HeaderMap, signed_in: &SignedIn) -> Columns {
    if let Some(chosen) = &filters.columns {
        return Columns(chosen.clone());
    }
    let remembered = session::cookie(headers, COLUMNS_COOKIE)
        .and_then(|value| value.split_once('~'))
        .filter(|(tag, _)| *tag == user_tag(signed_in))
        .map(|(_, ids)| known_columns(ids.split('.')));
    Columns(remembered.unwrap_or_else(|| known_columns(DEFAULT_COLUMNS.iter().copied())))
}

/// The store query of a traces table's query string, as the table reads it (its search as a
/// name filter); the table's own complaints when a filter cannot be used. For what acts on
/// the whole filtered table: exports and batch deletes.
pub fn table_query(raw: &str, now: Millis) -> Result<TraceQuery, String> {
    let filters = Filters::parse(Some(raw));
    let (mut query, problems) = filters.query(now);
    if !problems.is_empty() {
        return Err(problems.join(" "));
    }
    if !filters.search.is_empty() {
        query.filter.push(FilterCondition {
            column: "name".into(),
            key: None,
            test: Test::Text(TextOperator::Contains, filters.search.clone()),
        });
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_query_string() {
        let filters = Filters::parse(Some(
            "name=chat&tags=a,+b&level=ERROR&score_name=q&score_min=0.5&order=name&dir=asc&page=3&limit=10&columns=1&col=name&col=bogus",
        ));
        assert_eq!(filters.columns.as_deref(), Some(&["name".to_owned()][..]));
        let (query, problems) = filters.query(1_000_000);
        assert!(problems.is_empty());
        assert_eq!(query.name.as_deref(), Some("chat"));
        assert_eq!(query.tags, ["a", "b"]);
        assert_eq!(query.filter.len(), 3, "internal environments, level, score");
        assert_eq!(
            query.filter[0],
            sightline_domain::ingest::environment::hide_internal()
        );
        let (named, _) = Filters::parse(Some("environment=langfuse-playground")).query(0);
        assert_eq!(named.environments, ["langfuse-playground"]);
        assert!(named.filter.is_empty(), "a named environment is shown");
        assert_eq!(query.offset, 20);
        assert!(!query.descending);
        let href = filters.href("/t", 4, None);
        assert!(href.starts_with("/t?name=chat&tags=a%2C+b&level=ERROR"));
        assert!(href.ends_with("&order=name&dir=asc&limit=10&page=4"));
        let far = Filters::parse(Some("page=18446744073709551615&limit=100"));
        assert_eq!(far.query(0).0.offset, 99_999_900);
        let (query, problems) = Filters::parse(Some("from=yesterday&level=LOUD")).query(0);
        assert_eq!(problems.len(), 2);
        assert!(query.from_timestamp.is_none() && query.filter.len() == 1);
        assert_eq!(
            Filters::parse(Some("from=2025-01-31T14:00"))
                .query(0)
                .0
                .from_timestamp,
            Some(1_738_332_000_000)
        );
    }
}
