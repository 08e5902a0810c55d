//! The query parser: never panics, refuses with a reason or gives an
//! expression, and is bounded (parentheses, terms, length).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match whosaid::query::parse(text, 1_711_929_600) {
        Ok(parsed) => {
            let _ = format!("{:?}", parsed.expr);
        }
        Err(e) => assert!(!e.to_string().is_empty(), "a refusal says why"),
    }
    let _ = whosaid::query::parse_date_range(text, 1_711_929_600);
});
