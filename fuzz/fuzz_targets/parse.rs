//! Parsing, body decoding and segmentation of one message: never panics,
//! and the segments are in order, inside the body and on char boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use whosaid::message::{self, ParseOutcome};

fuzz_target!(|raw: &[u8]| {
    if let ParseOutcome::Message(msg, _warnings) = message::parse(raw) {
        let doc = whosaid::index::IndexDoc::from_message(&msg);
        let _ = whosaid::store::fingerprint(&msg);
        let _ = whosaid::series::facts(&msg, !doc.diff_files.is_empty());
    }
    let body = message::body_text(raw);
    let segments = whosaid::quote::segment(&body);
    let mut at = 0;
    for s in &segments {
        assert!(
            at <= s.start && s.start <= s.end && s.end <= body.len(),
            "in order, inside"
        );
        let _ = s.text(&body); // panics off a char boundary
        at = s.end;
    }
    let _ = whosaid::index::quoted_text(&body);
});
