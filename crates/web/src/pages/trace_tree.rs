//! A trace's observation tree and timeline, from the payload-free outlines: depth-first order
//! with type badges, levels and durations, each node with a bar placed in whole percents of the
//! trace's span (the stylesheet's `o0`…`o99` and `w0`…`w100` classes: the CSP allows no inline
//! styles). Built iteratively, so 20,000 nodes or a deep chain cost little.

use std::collections::HashMap;

use sightline_store::{ObservationOutline, StoredTrace};

use crate::pages::traces::seconds;
use crate::urls;

/// Deepest indentation the tree draws; deeper nodes line up at this depth.
const MAX_DEPTH_CLASS: usize = 12;
/// The timeline's resolution: bars start and span whole percents of the trace (the stylesheet's
/// `o0`…`o99` and `w0`…`w100` classes; the CSP allows no inline styles).
const TIMELINE_UNITS: i64 = 100;

/// A node of the observation tree, with its bar on the timeline.
pub struct TreeNode {
    pub href: String,
    pub name: String,
    pub kind: &'static str,
    pub icon: &'static str,
    pub depth: usize,
    pub level: &'static str,
    pub duration: String,
    pub offset: i64,
    pub width: i64,
    pub selected: bool,
}

fn icon(kind: &str) -> &'static str {
    match kind {
        "GENERATION" => "GEN",
        "EVENT" => "EVT",
        "AGENT" => "AGT",
        "TOOL" => "TOOL",
        "CHAIN" => "CHN",
        "RETRIEVER" => "RET",
        "EVALUATOR" => "EVAL",
        "EMBEDDING" => "EMB",
        "GUARDRAIL" => "GRD",
        _ => "SPAN",
    }
}

/// A node's link, relative to the trace page (`…/traces/{trace}`, the only page the tree is on):
/// `{trace}/observations/{id}`, both percent-encoded, so no id can make it another scheme or
/// path. Relative, because a tree of 20,000 nodes repeats it 20,000 times.
fn observation_href(trace_id: &str, observation_id: &str) -> String {
    format!(
        "{}/observations/{}",
        urls::segment(trace_id),
        urls::segment(observation_id)
    )
}

/// The tree in depth-first order (children by start time), iteratively so that deep chains
/// cannot overflow the stack; nodes whose parent is missing are roots.
pub fn tree(
    trace: &StoredTrace,
    outlines: &[ObservationOutline],
    selected: Option<&str>,
) -> Vec<TreeNode> {
    let index: HashMap<&str, usize> = outlines
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, outline) in outlines.iter().enumerate() {
        match outline
            .parent_observation_id
            .as_deref()
            .and_then(|parent| index.get(parent))
        {
            Some(&parent) if parent != i => children.entry(parent).or_default().push(i),
            _ => roots.push(i),
        }
    }
    let start = outlines
        .iter()
        .map(|o| o.start_time)
        .min()
        .unwrap_or(trace.row.timestamp);
    let end = outlines
        .iter()
        .map(|o| o.end_time.unwrap_or(o.start_time))
        .max()
        .unwrap_or(start);
    let span = (end - start).max(1);
    let mut nodes = Vec::with_capacity(outlines.len());
    let mut visited = vec![false; outlines.len()];
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&i| (i, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut visited[i], true) {
            continue;
        }
        let o = &outlines[i];
        let finish = o.end_time.unwrap_or(o.start_time);
        let offset = ((o.start_time - start) * TIMELINE_UNITS / span).clamp(0, TIMELINE_UNITS - 1);
        let width =
            ((finish - o.start_time) * TIMELINE_UNITS / span).clamp(0, TIMELINE_UNITS - offset);
        nodes.push(TreeNode {
            href: observation_href(&trace.row.id, &o.id),
            name: o.name.clone().unwrap_or_else(|| o.id.clone()),
            kind: o.r#type.as_str(),
            icon: icon(o.r#type.as_str()),
            depth: depth.min(MAX_DEPTH_CLASS),
            level: o.level.as_str(),
            duration: o
                .end_time
                .map(|end| seconds(end - o.start_time))
                .unwrap_or_default(),
            offset,
            width,
            selected: selected == Some(o.id.as_str()),
        });
        if let Some(kids) = children.get(&i) {
            stack.extend(kids.iter().rev().map(|&kid| (kid, depth + 1)));
        }
    }
    nodes
}
