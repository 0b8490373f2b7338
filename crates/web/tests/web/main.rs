//! The web UI through its real router, on SQLite and PostgreSQL: accounts and sessions, CSRF,
//! RBAC and tenant isolation, settings, escaping of hostile names. One test binary.

mod access;
mod accounts;
mod security;
mod settings;
mod support;
