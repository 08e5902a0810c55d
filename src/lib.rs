//! whosaid: a mailing-list archiver that records who said what in review.
pub mod cli;
pub mod consensus;
pub mod error;
pub mod import;
pub mod index;
pub mod links;
pub mod mailmap;
pub mod maintainers;
pub mod mbox;
pub mod message;
pub mod query;
pub mod quote;
pub mod series;
pub mod stance;
pub mod store;
pub mod thread;
pub mod trailers;
