//! The Message-ID a URL path names: never panics, and what it accepts has
//! no control characters and a bounded length.
#![no_main]
use libfuzzer_sys::fuzz_target;
use whosaid::message::ids;

fuzz_target!(|data: &[u8]| {
    let segment = String::from_utf8_lossy(data);
    if let Some(id) = ids::from_path(&segment) {
        assert!(!id.is_empty() && id.len() <= ids::MAX_PATH_ID);
        assert!(!id.chars().any(char::is_control));
        assert_eq!(
            ids::from_path(&id).as_deref(),
            Some(id.as_str()),
            "decoding is stable"
        );
    }
});
