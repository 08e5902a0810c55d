//! Trailer and stance rules over any text: never panic, and what they
//! report lies inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let segments = whosaid::quote::segment(&body);
    for t in whosaid::trailers::find(&body, &segments) {
        assert!(t.offset <= body.len(), "a trailer inside the body");
    }
    let original = whosaid::consensus::original_text(&body);
    let (found, scopes) = whosaid::stance::read(&original);
    for f in &found {
        assert!(f.offset <= original.len(), "evidence inside the text");
    }
    for (at, _) in &scopes {
        assert!(*at <= original.len());
    }
    let _ = whosaid::stance::sentences(&original);
});
