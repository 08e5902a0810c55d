//! whosaid: a mailing-list archiver that records who said what in review.
pub mod mbox;
pub mod message;
pub mod quote;
pub mod trailers;
