//! The ingestion writer's own account of a scenario. The server logs one debug line per group
//! commit on target `sightline_server::services::ingest::writer`, for example
//! `… DEBUG sightline_server::services::ingest::writer: ingestion group committed requests=3
//! spans=300 events=0 duration_ms=23.02`; from those lines, how busy the writer was and how large
//! its groups were.

use std::time::Duration;

use serde_json::{Value, json};

use crate::load::percentile;

/// The filter directive that makes the server log its group commits.
pub const LOG_DIRECTIVE: &str = "sightline_server::services::ingest::writer=debug";

/// The message of a group-commit line.
const MESSAGE: &str = "ingestion group committed";

/// The server's `LOG_LEVEL`: `log_level` with the group-commit lines added.
pub fn log_level(log_level: &str) -> String {
    if log_level.trim().is_empty() {
        LOG_DIRECTIVE.to_owned()
    } else {
        format!("{log_level},{LOG_DIRECTIVE}")
    }
}

/// One group commit, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub requests: u64,
    /// Absent from servers that logged only `requests` and `duration_ms`.
    pub spans: Option<u64>,
    pub events: Option<u64>,
    pub duration_ms: f64,
}

impl Group {
    /// The group's spans (`unit` `spans`) or events (anything else).
    fn items(&self, unit: &str) -> Option<u64> {
        if unit == "spans" {
            self.spans
        } else {
            self.events
        }
    }
}

/// The group-commit lines of `log`.
pub fn groups(log: &str) -> Vec<Group> {
    log.lines().filter_map(parse_line).collect()
}

/// A group-commit line's fields; `None` for any other line, or one without `requests` and
/// `duration_ms`.
pub fn parse_line(line: &str) -> Option<Group> {
    let line = strip_ansi(line);
    let (_, fields) = line.split_once(MESSAGE)?;
    let mut group = Group {
        requests: 0,
        spans: None,
        events: None,
        duration_ms: f64::NAN,
    };
    let mut requests = None;
    for (key, value) in fields
        .split_whitespace()
        .filter_map(|token| token.split_once('='))
    {
        match key {
            "requests" => requests = value.parse().ok(),
            "spans" => group.spans = value.parse().ok(),
            "events" => group.events = value.parse().ok(),
            "duration_ms" => group.duration_ms = value.parse().ok()?,
            _ => {}
        }
    }
    group.requests = requests?;
    group.duration_ms.is_finite().then_some(group)
}

/// `line` without terminal escape sequences (`ESC [ … letter`), which a server writing to a
/// terminal puts around field names.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        }
    }
    out
}

/// Percentiles of one quantity over the groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizes {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
    pub mean: f64,
}

impl Sizes {
    fn of(values: impl Iterator<Item = u64>) -> Sizes {
        let mut sorted: Vec<f64> = values.map(|v| v as f64).collect();
        sorted.sort_by(f64::total_cmp);
        Sizes {
            p50: percentile(&sorted, 50.0),
            p95: percentile(&sorted, 95.0),
            max: sorted.last().copied().unwrap_or(0.0),
            mean: sorted.iter().sum::<f64>() / sorted.len().max(1) as f64,
        }
    }

    fn json(&self) -> Value {
        json!({"p50": self.p50, "p95": self.p95, "max": self.max, "mean": self.mean})
    }

    fn text(&self) -> String {
        format!(
            "p50 {:.0}, p95 {:.0}, max {:.0} (mean {:.1})",
            self.p50, self.p95, self.max, self.mean
        )
    }
}

/// The writer over one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterStats {
    pub groups: usize,
    /// Time spent committing groups, summed.
    pub busy_ms: f64,
    /// `busy_ms` as a share of the scenario's wall time, in percent.
    pub busy_pct: f64,
    /// Requests the groups held, summed.
    pub requests: u64,
    pub requests_per_group: Sizes,
    /// Spans or events (the scenario's unit) per group; `None` when the server did not log them.
    pub items_per_group: Option<Sizes>,
    pub unit: &'static str,
}

impl WriterStats {
    /// The figures of `groups` over a scenario of `wall` sending `unit`; `None` without groups.
    pub fn of(groups: &[Group], unit: &'static str, wall: Duration) -> Option<WriterStats> {
        if groups.is_empty() {
            return None;
        }
        let busy_ms: f64 = groups.iter().map(|g| g.duration_ms).sum();
        let items: Option<Vec<u64>> = groups.iter().map(|g| g.items(unit)).collect();
        Some(WriterStats {
            groups: groups.len(),
            busy_ms,
            busy_pct: busy_ms / (wall.as_secs_f64() * 1000.0).max(1e-9) * 100.0,
            requests: groups.iter().map(|g| g.requests).sum(),
            requests_per_group: Sizes::of(groups.iter().map(|g| g.requests)),
            items_per_group: items.map(|items| Sizes::of(items.into_iter())),
            unit,
        })
    }

    /// The report's lines, without the label.
    pub fn text(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "busy {:.1}% of the wall time ({:.0} ms committing {} groups of {} requests)",
                self.busy_pct, self.busy_ms, self.groups, self.requests
            ),
            format!("requests per group {}", self.requests_per_group.text()),
        ];
        lines.push(match &self.items_per_group {
            Some(items) => format!("{} per group {}", self.unit, items.text()),
            None => format!("{} per group not reported by this server", self.unit),
        });
        lines
    }

    pub fn json(&self) -> Value {
        json!({
            "busy_pct": self.busy_pct,
            "busy_ms": self.busy_ms,
            "groups": self.groups,
            "requests": self.requests,
            "requests_per_group": self.requests_per_group.json(),
            "items_per_group": self.items_per_group.as_ref().map(Sizes::json),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "2026-12-06T23:01:02.123456Z DEBUG sightline_server::services::ingest::writer: \
                        ingestion group committed requests=3 spans=300 events=0 duration_ms=23.02";

    #[test]
    fn a_group_line_is_parsed() {
        assert_eq!(
            parse_line(LINE),
            Some(Group {
                requests: 3,
                spans: Some(300),
                events: Some(0),
                duration_ms: 23.02,
            })
        );
    }

    #[test]
    fn terminal_colours_and_older_lines_are_read() {
        let coloured = "\u{1b}[2m2026-12-06T23:01:02.123Z\u{1b}[0m \u{1b}[34mDEBUG\u{1b}[0m \
                        \u{1b}[2msightline_server::services::ingest::writer\u{1b}[0m\u{1b}[2m:\
                        \u{1b}[0m ingestion group committed \u{1b}[3mrequests\u{1b}[0m\u{1b}[2m=\
                        \u{1b}[0m2 \u{1b}[3mduration_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m4.5";
        assert_eq!(
            parse_line(coloured),
            Some(Group {
                requests: 2,
                spans: None,
                events: None,
                duration_ms: 4.5,
            })
        );
    }

    #[test]
    fn other_lines_are_not_groups() {
        let log = format!(
            "2026-12-06T23:01:02Z  WARN sightline_server: group commit failed; retrying one by one requests=4\n\
             2026-12-06T23:01:02Z  INFO sightline: listening on 127.0.0.1:3000\n\
             2026-12-06T23:01:02Z DEBUG x: ingestion group committed requests=two duration_ms=1\n\
             {LINE}\n"
        );
        assert_eq!(groups(&log).len(), 1);
    }

    #[test]
    fn busy_time_and_group_sizes_are_summed() {
        let group = |requests, spans, duration_ms| Group {
            requests,
            spans: Some(spans),
            events: Some(0),
            duration_ms,
        };
        let groups = [
            group(1, 100, 100.0),
            group(3, 300, 200.0),
            group(2, 200, 100.0),
        ];
        let stats = WriterStats::of(&groups, "spans", Duration::from_secs(2)).unwrap();
        assert_eq!(stats.groups, 3);
        assert_eq!(stats.requests, 6);
        assert!((stats.busy_pct - 20.0).abs() < 1e-9);
        assert_eq!(stats.requests_per_group.p50, 2.0);
        assert_eq!(stats.requests_per_group.max, 3.0);
        assert_eq!(stats.requests_per_group.mean, 2.0);
        assert_eq!(stats.items_per_group.unwrap().p95, 300.0);
        let events = WriterStats::of(&groups, "events", Duration::from_secs(2)).unwrap();
        assert_eq!(events.items_per_group.unwrap().max, 0.0);
        assert_eq!(WriterStats::of(&[], "spans", Duration::from_secs(1)), None);
    }

    #[test]
    fn the_directive_is_added_to_the_level() {
        assert_eq!(
            log_level("warn"),
            "warn,sightline_server::services::ingest::writer=debug"
        );
        assert_eq!(log_level(""), LOG_DIRECTIVE);
    }
}
