//! Read latency: a query's requests sent one after the other on one connection, each timed from
//! sending to the last byte of the reply, then checked.

use std::time::Instant;

use serde_json::Value;

use crate::http::Client;
use crate::load::percentile;

/// A latency target: the `percentile`th request at most `ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub percentile: f64,
    pub ms: f64,
}

/// What a reply must hold, besides status 200 and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// A `data` array (and `meta.totalItems` equal to this, when given).
    List { total_items: Option<u64> },
    /// A `data` array whose every item has `key` equal to `value`, or holding it when the item's
    /// `key` is an array.
    ListWhere { key: &'static str, value: String },
    /// A trace with this many observations.
    Trace { observations: usize },
    /// A prompt of this name and version.
    Prompt { name: String, version: u64 },
    /// A metrics answer with rows.
    Rows,
}

/// One query of the benchmark: the paths it requests, in order.
pub struct Query {
    pub name: String,
    pub target: Option<Target>,
    pub paths: Vec<String>,
    pub check: Vec<Check>,
}

pub struct QueryResult {
    pub name: String,
    pub example: String,
    pub target: Option<Target>,
    /// Per measured request that answered 200, in milliseconds.
    pub latencies_ms: Vec<f64>,
    pub failures: Vec<String>,
    /// Reply bodies of measured requests, in bytes.
    pub reply_bytes: u64,
}

impl QueryResult {
    pub fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// Whether the target is met; `None` without a target or a measurement.
    pub fn met(&self) -> Option<bool> {
        let target = self.target?;
        if self.latencies_ms.is_empty() {
            return None;
        }
        Some(percentile(&self.sorted(), target.percentile) <= target.ms)
    }
}

/// Sends `warmup` unmeasured requests (the query's paths from the start, round and round), then
/// every path once, timed. `query.check` holds one check per path, or one for all.
pub fn measure(client: &Client, query: &Query, warmup: usize) -> QueryResult {
    for path in query.paths.iter().cycle().take(warmup) {
        let _ = client.get(path);
    }
    let mut result = QueryResult {
        name: query.name.clone(),
        example: query.paths.first().cloned().unwrap_or_default(),
        target: query.target,
        latencies_ms: Vec::with_capacity(query.paths.len()),
        failures: Vec::new(),
        reply_bytes: 0,
    };
    for (index, path) in query.paths.iter().enumerate() {
        let sent = Instant::now();
        let reply = client.get(path);
        let elapsed_ms = sent.elapsed().as_secs_f64() * 1000.0;
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) => {
                result.failures.push(format!("{error:#}"));
                continue;
            }
        };
        if reply.status != 200 {
            let body = String::from_utf8_lossy(&reply.body);
            let body: String = body.chars().take(200).collect();
            result
                .failures
                .push(format!("GET {path}: status {}: {body}", reply.status));
            continue;
        }
        result.latencies_ms.push(elapsed_ms);
        result.reply_bytes += reply.body.len() as u64;
        let check = query.check.get(index).or(query.check.first());
        if let Some(check) = check
            && let Err(problem) = check_reply(check, &reply.body)
        {
            result.failures.push(format!("GET {path}: {problem}"));
        }
    }
    result
}

fn check_reply(check: &Check, body: &[u8]) -> Result<(), String> {
    let reply: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    match check {
        Check::List { total_items } => {
            reply["data"].as_array().ok_or("no data array")?;
            match total_items {
                Some(expected) if reply["meta"]["totalItems"] != *expected => Err(format!(
                    "meta.totalItems {}, expected {expected}",
                    reply["meta"]["totalItems"]
                )),
                _ => Ok(()),
            }
        }
        Check::ListWhere { key, value } => {
            let data = reply["data"].as_array().ok_or("no data array")?;
            if data.is_empty() {
                return Err(format!("no item with {key} {value}"));
            }
            let matches = |item: &Value| match &item[*key] {
                Value::Array(values) => values.iter().any(|v| v == value.as_str()),
                other => other == value.as_str(),
            };
            match data.iter().find(|item| !matches(item)) {
                Some(item) => Err(format!("item {} has {key} {}", item["id"], item[*key])),
                None => Ok(()),
            }
        }
        Check::Trace { observations } => {
            let found = reply["observations"].as_array().map_or(0, Vec::len);
            if found == *observations {
                Ok(())
            } else {
                Err(format!("{found} observations, expected {observations}"))
            }
        }
        Check::Rows => match reply["data"].as_array() {
            Some(rows) if !rows.is_empty() => Ok(()),
            _ => Err("no rows".to_owned()),
        },
        Check::Prompt { name, version } => {
            if reply["name"] != name.as_str() || reply["version"] != *version {
                Err(format!(
                    "prompt {} version {}, expected {name} version {version}",
                    reply["name"], reply["version"]
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// `text` percent-encoded for a URL path segment or query value (RFC 3986 unreserved kept).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode("support/chat v2"), "support%2Fchat%20v2");
        assert_eq!(encode("user-00042"), "user-00042");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn list_checks_look_at_every_item() {
        let check = Check::ListWhere {
            key: "tags",
            value: "rag".into(),
        };
        let good = br#"{"data":[{"id":"a","tags":["x","rag"]},{"id":"b","tags":["rag"]}]}"#;
        let bad = br#"{"data":[{"id":"a","tags":["x","rag"]},{"id":"b","tags":["x"]}]}"#;
        assert!(check_reply(&check, good).is_ok());
        assert!(check_reply(&check, bad).is_err());
        assert!(check_reply(&check, br#"{"data":[]}"#).is_err());
        let total = Check::List {
            total_items: Some(3),
        };
        assert!(check_reply(&total, br#"{"data":[],"meta":{"totalItems":3}}"#).is_ok());
        assert!(check_reply(&total, br#"{"data":[],"meta":{"totalItems":2}}"#).is_err());
    }

    #[test]
    fn a_target_is_met_by_its_percentile() {
        let result = QueryResult {
            name: "q".into(),
            example: String::new(),
            target: Some(Target {
                percentile: 95.0,
                ms: 20.0,
            }),
            latencies_ms: (1..=100).map(f64::from).map(|n| n / 4.0).collect(),
            failures: Vec::new(),
            reply_bytes: 0,
        };
        // p95 of 0.25..=25 in steps of 0.25 is 23.75.
        assert_eq!(result.met(), Some(false));
        let fast = QueryResult {
            latencies_ms: vec![1.0; 10],
            ..result
        };
        assert_eq!(fast.met(), Some(true));
    }
}
