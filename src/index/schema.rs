//! The index schema: one document per stored message, its fields and how
//! each is tokenized.

use super::*;

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) row: Field,
    pub(super) msgid: Field,
    pub(super) subject: Field,
    pub(super) from: Field,
    pub(super) from_name: Field,
    pub(super) from_email: Field,
    pub(super) to: Field,
    pub(super) cc: Field,
    pub(super) list: Field,
    pub(super) date: Field,
    pub(super) tz: Field,
    pub(super) original: Field,
    pub(super) quoted: Field,
    pub(super) extra: Field,
    pub(super) dfn: Field,
    pub(super) dfa: Field,
    pub(super) dfb: Field,
    pub(super) dfhh: Field,
    pub(super) trailer: Field,
    pub(super) from_addr: Field,
    pub(super) to_addr: Field,
    pub(super) cc_addr: Field,
}

pub(super) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { opts.set_stored() } else { opts }
    };
    let fields = Fields {
        row: b.add_u64_field(
            "row",
            NumericOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast(),
        ),
        msgid: b.add_text_field("msgid", STRING | STORED),
        subject: b.add_text_field("subject", text(true)),
        from: b.add_text_field("from", text(false)),
        from_name: b.add_text_field("from_name", STORED),
        from_email: b.add_text_field("from_email", STORED),
        to: b.add_text_field("to", text(false)),
        cc: b.add_text_field("cc", text(false)),
        list: b.add_text_field("list", STRING),
        date: b.add_date_field(
            "date",
            DateOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast()
                .set_precision(DateTimePrecision::Seconds),
        ),
        tz: b.add_i64_field("tz", STORED),
        original: b.add_text_field("original", text(true)),
        // Searchable but not stored: quoted text is half of what the doc
        // store would hold (8.6 of 16.5 MB on linux-kbuild), and only hits
        // whose words appear in quotes alone need it, which
        // `Index::search` asks the store for.
        quoted: b.add_text_field("quoted", text(false)),
        extra: b.add_text_field("extra", text(false)),
        dfn: b.add_text_field("dfn", text(false)),
        dfa: b.add_text_field("dfa", text(false)),
        dfb: b.add_text_field("dfb", text(false)),
        dfhh: b.add_text_field("dfhh", text(false)),
        trailer: b.add_text_field("trailer", STRING),
        // Whole addresses, for `f:`/`t:`/`c:`/`a:` with a full address: one
        // term instead of a phrase over tokens ("kernel", "org") that nearly
        // every message carries (`a:masahiroy@kernel.org` was 7 ms).
        from_addr: b.add_text_field("from_addr", STRING),
        to_addr: b.add_text_field("to_addr", STRING),
        cc_addr: b.add_text_field("cc_addr", STRING),
    };
    (b.build(), fields)
}
