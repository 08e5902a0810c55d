//! Integration tests: one binary, one module per area (see ARCHITECTURE.md).

mod body_text;
mod cluster;
mod commits;
mod crash;
mod e2e;
mod frozen;
mod gold;
mod hostile;
mod import;
mod samples;
mod search;
mod series;
mod support;
mod thread;
mod tls;
mod web;
