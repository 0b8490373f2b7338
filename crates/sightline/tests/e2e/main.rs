//! End-to-end tests: the built `sightline` binary, started on a free port with a temporary
//! working directory, driven over HTTP and through its CLI.

mod harness;

mod admin;
mod durability;
mod evaluations;
mod replicas;
mod startup;
mod web;
