//! Public API handlers, one file per resource. Each extracts, calls a service or the store, and
//! answers in Langfuse's shapes.

pub mod fallback;
pub mod health;
pub mod projects;
