//! Integration tests: one binary, one module per area (see ARCHITECTURE.md).

mod import;
mod samples;
mod series;
mod support;
mod thread;
