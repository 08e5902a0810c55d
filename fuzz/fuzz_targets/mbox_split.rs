//! The mbox splitter: never panics, and what it yields does not depend on
//! how the input arrives (the first byte picks a tiny read size, which puts
//! separator lines across every chunk boundary).
#![no_main]
use libfuzzer_sys::fuzz_target;
use whosaid::mbox::{Item, MboxReader, SplitConfig};

fn split(data: &[u8], chunk_bytes: usize) -> Vec<Item> {
    let config = SplitConfig {
        chunk_bytes,
        max_message_bytes: 64 << 10,
    };
    MboxReader::with_config(data, config)
        .map(|item| item.expect("reading a slice cannot fail"))
        .collect()
}

fuzz_target!(|input: &[u8]| {
    let Some((&first, data)) = input.split_first() else {
        return;
    };
    let small = split(data, usize::from(first % 64) + 1);
    let large = split(data, 1 << 20);
    assert_eq!(small, large, "the split depends on the read size");
    let mut last = 0;
    for item in &large {
        let offset = match item {
            Item::Message(m) => m.offset,
            Item::Skipped { offset, .. } => *offset,
        };
        assert!(
            offset >= last && offset <= data.len() as u64,
            "offsets go forward"
        );
        last = offset;
    }
});
