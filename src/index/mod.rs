//! The search index: tantivy, derived from the store. The only module that
//! knows tantivy types.
//!
//! One document per stored message, keyed by its store row. Original and
//! quoted text are separate fields (so `nq:` and `q:` can tell what someone
//! said from what they quoted), both with positions (so phrases work in
//! either), and original text weighs more in ranking.
//!
//! The index follows the store by a sequence number: every change to a
//! message in the store gets the next `index_seq`, and each index commit
//! records the highest sequence it includes (as the commit payload). Whatever
//! the store has beyond that is indexed again on the next import or
//! `reindex`; a document is always deleted by row before it is added, so no
//! crash or re-import can leave duplicates.

mod doc;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocSet, IndexReader, IndexSettings, Order, ReloadPolicy, TantivyDocument, Term,
};

pub use self::doc::{IndexDoc, quoted_text};
use crate::error::{Error, Result};
use crate::query::{self, Expr};

/// Bumped when the schema changes; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 3;

/// Directory of the index inside the data dir.
pub const INDEX_DIR: &str = "index";

const VERSION_FILE: &str = "whosaid-schema-version";

fn read_version(index_dir: &Path) -> Option<u32> {
    std::fs::read_to_string(index_dir.join(VERSION_FILE))
        .ok()
        .and_then(|v| v.trim().parse().ok())
}

#[derive(Clone, Copy)]
struct Fields {
    row: Field,
    msgid: Field,
    subject: Field,
    from: Field,
    from_name: Field,
    from_email: Field,
    to: Field,
    cc: Field,
    list: Field,
    date: Field,
    tz: Field,
    original: Field,
    quoted: Field,
    extra: Field,
    dfn: Field,
    dfa: Field,
    dfb: Field,
    dfhh: Field,
    trailer: Field,
    from_addr: Field,
    to_addr: Field,
    cc_addr: Field,
}

fn schema() -> (Schema, Fields) {
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

/// The search index of a data dir.
pub struct Index {
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
    /// The commit (opstamp) the reader's searcher shows.
    seen: std::sync::atomic::AtomicU64,
}

/// How to order hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first.
    #[default]
    Date,
    /// Best match first.
    Relevance,
}

/// Options for [`Index::search`].
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Order.
    pub sort: Sort,
    /// Whether hits need snippets (a caller that reads only Message-IDs
    /// saves the doc-store reads and the tokenizing).
    pub snippets: bool,
}

/// One hit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    /// Store row of the message.
    #[serde(skip)]
    pub row: i64,
    /// Message-ID.
    pub message_id: String,
    /// Subject.
    pub subject: String,
    /// Sender's name.
    pub from_name: String,
    /// Sender's address.
    pub from_email: String,
    /// Unix seconds and zone offset.
    pub date: Option<(i64, i32)>,
    /// A fragment of the text around the matches.
    pub snippet: String,
    /// Byte ranges of the matched words in `snippet`.
    pub highlights: Vec<(usize, usize)>,
    /// The words are in what the message quotes, not in what it says. Its
    /// snippet shows the quote when the query asked for quotes (`q:`), and
    /// else the start of the message.
    #[serde(skip)]
    pub in_quotes: bool,
}

/// What [`Index::search`] found.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// Matching messages in all.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
}

/// What went wrong in the index, with the index library's own error kept
/// (only this module knows tantivy's types).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error(transparent)]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// The index was written by a whosaid with another schema.
    #[error("schema version {found}, this whosaid uses {expected}")]
    Version {
        /// The version found (or "unknown").
        found: String,
        /// This whosaid's.
        expected: u32,
    },
}

impl IndexError {
    /// The operating system's error behind it, if one is (a full disk, a
    /// read-only file system): for telling the user what to do.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        use tantivy::TantivyError as T;
        use tantivy::directory::error::{OpenDirectoryError, OpenWriteError};
        match self {
            IndexError::Tantivy(T::IoError(io)) => Some(io.kind()),
            IndexError::Tantivy(T::OpenWriteError(OpenWriteError::IoError {
                io_error, ..
            }))
            | IndexError::Directory(OpenDirectoryError::IoError { io_error, .. }) => {
                Some(io_error.kind())
            }
            IndexError::Tantivy(T::OpenDirectoryError(OpenDirectoryError::IoError {
                io_error,
                ..
            })) => Some(io_error.kind()),
            _ => None,
        }
    }
}

fn index_err(path: &Path) -> impl Fn(tantivy::TantivyError) -> Error + use<> {
    let path = path.to_path_buf();
    move |e| Error::Index {
        path: path.clone(),
        cause: e.into(),
    }
}

impl Index {
    /// Opens the index in `data_dir` for searching, creating an empty one if
    /// there is none. Never deletes anything: an index of another schema
    /// version is an error that says to run `whosaid reindex`.
    pub fn open(data_dir: &Path) -> Result<Index> {
        let path = data_dir.join(INDEX_DIR);
        let found = read_version(&path);
        if path.join("meta.json").exists() && found != Some(SCHEMA_VERSION) {
            return Err(Error::Index {
                path,
                cause: IndexError::Version {
                    found: found.map_or("unknown".to_string(), |v| v.to_string()),
                    expected: SCHEMA_VERSION,
                },
            });
        }
        Self::open_dir(path)
    }

    /// Opens the index for writing (import, reindex): an index of another
    /// schema version is removed and created empty; its sequence is then 0,
    /// so the caller indexes the whole store. Only the holder of the import
    /// lock may call this.
    pub fn open_for_writing(data_dir: &Path) -> Result<Index> {
        let path = data_dir.join(INDEX_DIR);
        if path.join("meta.json").exists() && read_version(&path) != Some(SCHEMA_VERSION) {
            std::fs::remove_dir_all(&path).map_err(|cause| Error::Io {
                path: path.clone(),
                cause,
            })?;
        }
        Self::open_dir(path)
    }

    fn open_dir(path: PathBuf) -> Result<Index> {
        let err = index_err(&path);
        std::fs::create_dir_all(&path).map_err(|cause| Error::Io {
            path: path.clone(),
            cause,
        })?;
        let (schema, fields) = schema();
        let dir = MmapDirectory::open(&path).map_err(|e| Error::Index {
            path: path.clone(),
            cause: e.into(),
        })?;
        let settings = IndexSettings {
            docstore_compression: tantivy::store::Compressor::Zstd(
                tantivy::store::ZstdCompressor::default(),
            ),
            ..IndexSettings::default()
        };
        let index = tantivy::IndexBuilder::new()
            .schema(schema)
            .settings(settings)
            .open_or_create(dir)
            .map_err(&err)?;
        if read_version(&path) != Some(SCHEMA_VERSION) {
            // Written once, atomically, so a concurrent reader never sees it half-written.
            let tmp = path.join(format!(".whosaid-schema-version.{}", std::process::id()));
            let file = path.join(VERSION_FILE);
            std::fs::write(&tmp, SCHEMA_VERSION.to_string())
                .and_then(|()| std::fs::rename(&tmp, &file))
                .map_err(|cause| Error::Io {
                    path: file.clone(),
                    cause,
                })?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(&err)?;
        Ok(Index {
            index,
            reader,
            fields,
            path,
            seen: std::sync::atomic::AtomicU64::new(u64::MAX),
        })
    }

    /// Brings the reader to the latest commit, if there is a newer one. A
    /// reload builds a new searcher and drops its caches (decompressed doc
    /// store blocks), so it is done only when another commit has landed:
    /// reloading on every search cost the search page a third of its time.
    fn refresh(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        let err = index_err(&self.path);
        let opstamp = self.index.load_metas().map_err(&err)?.opstamp;
        if self.seen.load(Ordering::Acquire) != opstamp {
            self.reader.reload().map_err(&err)?;
            self.seen.store(opstamp, Ordering::Release);
        }
        Ok(())
    }

    /// The highest store sequence the last commit includes (0 for none).
    pub fn indexed_seq(&self) -> Result<i64> {
        let meta = self.index.load_metas().map_err(index_err(&self.path))?;
        Ok(meta.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Documents in the index.
    pub fn num_docs(&self) -> Result<u64> {
        self.refresh()?;
        Ok(self.reader.searcher().num_docs())
    }

    /// The one writer. Only the importer holds it.
    pub fn writer(&self) -> Result<IndexWriter<'_>> {
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(2)
            .memory_budget_per_thread(WRITER_HEAP / 2)
            .num_merge_threads(1)
            .build();
        let writer = self
            .index
            .writer_with_options(options)
            .map_err(index_err(&self.path))?;
        writer.set_merge_policy(Box::new(BoundedMerge {
            dir: self.path.clone(),
            budget: MERGE_BUDGET,
        }));
        Ok(IndexWriter {
            writer,
            index: self,
        })
    }

    /// Runs a parsed query. `quoted_text` gives the quoted text of a store
    /// row: the index does not keep it, and a hit whose words appear only in
    /// quotes takes its snippet from there (see [`store::Store::quoted_text`]).
    ///
    /// [`store::Store::quoted_text`]: crate::store::Store::quoted_text
    pub fn search(
        &self,
        parsed: &query::Parsed,
        opts: SearchOptions,
        quoted_text: &(dyn Fn(i64) -> Option<String> + Sync),
    ) -> Result<SearchResults> {
        let err = index_err(&self.path);
        self.refresh()?;
        let searcher = self.reader.searcher();
        let query = self.to_query(&parsed.expr);
        let limit = opts.limit.max(1);
        // One pass over the matches counts them and keeps the page (a
        // separate Count ran the query twice).
        fn count_and_page<S>(
            searcher: &tantivy::Searcher,
            query: &dyn Query,
            page: impl tantivy::collector::Collector<Fruit = Vec<(S, DocAddress)>>,
        ) -> tantivy::Result<(usize, Vec<DocAddress>)> {
            let (total, top) = searcher.search(query, &(Count, page))?;
            Ok((total, top.into_iter().map(|(_, a)| a).collect()))
        }
        let page = TopDocs::with_limit(limit).and_offset(opts.offset);
        let (total, addresses) = match opts.sort {
            Sort::Date => count_and_page(
                &searcher,
                &*query,
                page.order_by_fast_field::<tantivy::DateTime>("date", Order::Desc),
            ),
            Sort::Relevance => count_and_page(&searcher, &*query, page.order_by_score()),
        }
        .map_err(&err)?;
        let highlight_terms = self.highlight_terms(&parsed.expr);
        let snippets: Vec<SnippetGenerator> = [self.fields.original, self.fields.quoted]
            .into_iter()
            .map(|field| {
                let tokenizer = self.analyzer(field);
                let mut g = SnippetGenerator::new(highlight_terms.clone(), tokenizer, field, 200);
                g.set_max_num_chars(200);
                g
            })
            .collect();
        let first_match = FirstMatch::new(highlight_terms.keys());
        let quotes_asked = asks_for_quotes(&parsed.expr);
        let mut hits = Vec::with_capacity(addresses.len());
        let mut in_quotes: Vec<(usize, i64)> = Vec::new();
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(&err)?;
            let f = &self.fields;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let row = doc.get_first(f.row).and_then(|v| v.as_u64()).unwrap_or(0) as i64;
            let original = doc
                .get_first(f.original)
                .and_then(|v| v.as_str())
                .unwrap_or("");
            // Each text is cut only if the postings say it holds a word
            // (tokenizing a text without one was wasted, and for the quoted
            // text it would cost a store read).
            let holds = |field| self.holds_any(&searcher, field, address, highlight_terms.keys());
            let snippet = if opts.snippets && holds(f.original) {
                snippets[0].snippet(first_match.around(original))
            } else {
                tantivy::snippet::Snippet::empty()
            };
            let only_quoted = opts.snippets && snippet.highlighted().is_empty() && holds(f.quoted);
            if only_quoted && quotes_asked {
                in_quotes.push((hits.len(), row));
            }
            let (fragment, highlights) = if !opts.snippets {
                (String::new(), Vec::new())
            } else if snippet.fragment().is_empty() {
                // No match in the text (a subject or address match): the start of the message.
                let start: String = original.split_whitespace().collect::<Vec<_>>().join(" ");
                let cut = start
                    .char_indices()
                    .nth(200)
                    .map_or(start.len(), |(i, _)| i);
                (start[..cut].to_string(), Vec::new())
            } else {
                (
                    snippet.fragment().to_string(),
                    snippet
                        .highlighted()
                        .iter()
                        .map(|r| (r.start, r.end))
                        .collect(),
                )
            };
            hits.push(Hit {
                row,
                message_id: text(f.msgid),
                subject: text(f.subject),
                from_name: text(f.from_name),
                from_email: text(f.from_email),
                date: doc
                    .get_first(f.date)
                    .and_then(|v| v.as_datetime())
                    .map(|d| {
                        (
                            d.into_timestamp_secs(),
                            doc.get_first(f.tz).and_then(|v| v.as_i64()).unwrap_or(0) as i32,
                        )
                    }),
                snippet: fragment,
                highlights,
                in_quotes: only_quoted,
            });
        }
        // Hits matched only in quotes, for a query that asks for quotes:
        // their text comes from the store, a read and a body decode each
        // (0.05 to 0.2 ms), so they are fetched on all cores. Other queries
        // skip it: a search page whose word is often quoted (`reproducible`)
        // went from 1,557 to 580 requests/s with it.
        let quoted = crate::par::map_heavy(&in_quotes, |&(_, row)| quoted_text(row));
        for (&(at, _), text) in in_quotes.iter().zip(quoted) {
            let Some(text) = text else { continue };
            let snippet = snippets[1].snippet(first_match.around(&text));
            if !snippet.highlighted().is_empty() {
                let hit = &mut hits[at];
                hit.snippet = snippet.fragment().to_string();
                hit.highlights = snippet
                    .highlighted()
                    .iter()
                    .map(|r| (r.start, r.end))
                    .collect();
            }
        }
        Ok(SearchResults { total, hits })
    }

    /// Whether `field` of the document at `address` holds any of `words`:
    /// a postings lookup, so the store is read only for hits whose snippet
    /// really is in quotes (not for a subject or address match).
    fn holds_any<'w>(
        &self,
        searcher: &tantivy::Searcher,
        field: Field,
        address: DocAddress,
        mut words: impl Iterator<Item = &'w String>,
    ) -> bool {
        let segment = searcher.segment_reader(address.segment_ord);
        let Ok(inverted) = segment.inverted_index(field) else {
            return false;
        };
        words.any(|w| {
            let term = Term::from_field_text(field, w);
            match inverted.read_postings(&term, IndexRecordOption::Basic) {
                // `seek` wants a target at or after the current document
                // (a debug assertion in tantivy; the first posting may
                // already be past it).
                Ok(Some(mut postings)) => {
                    postings.doc() <= address.doc_id
                        && postings.seek(address.doc_id) == address.doc_id
                }
                _ => false,
            }
        })
    }

    fn analyzer(&self, field: Field) -> TextAnalyzer {
        self.index
            .tokenizer_for_field(field)
            .unwrap_or_else(|_| TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default()))
    }

    fn tokens(&self, field: Field, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer(field);
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    /// Index fields (with boosts) for a query field.
    fn targets(&self, field: query::Field) -> Vec<(Field, f32)> {
        use query::Field as Q;
        let f = &self.fields;
        match field {
            Q::Default => vec![
                (f.subject, 2.0),
                (f.from, 1.0),
                (f.original, 1.5),
                (f.quoted, 0.3),
                (f.extra, 0.2),
                (f.dfb, 0.5),
                (f.dfa, 0.5),
                (f.dfn, 1.0),
            ],
            Q::Subject => vec![(f.subject, 1.0)],
            Q::From => vec![(f.from, 1.0)],
            Q::To => vec![(f.to, 1.0)],
            Q::Cc => vec![(f.cc, 1.0)],
            Q::ToCc => vec![(f.to, 1.0), (f.cc, 1.0)],
            Q::Address => vec![(f.from, 1.0), (f.to, 1.0), (f.cc, 1.0)],
            Q::Body => vec![
                (f.original, 1.5),
                (f.quoted, 0.3),
                (f.extra, 0.2),
                (f.dfb, 0.5),
                (f.dfa, 0.5),
                (f.dfhh, 0.5),
            ],
            Q::Original => vec![(f.original, 1.0)],
            Q::Quoted => vec![(f.quoted, 1.0)],
            Q::MessageId => vec![(f.msgid, 1.0)],
            Q::List => vec![(f.list, 1.0)],
            Q::DiffFile => vec![(f.dfn, 1.0)],
            Q::DiffRemoved => vec![(f.dfa, 1.0)],
            Q::DiffAdded => vec![(f.dfb, 1.0)],
            Q::HunkHeader => vec![(f.dfhh, 1.0)],
            Q::Trailer => vec![(f.trailer, 1.0)],
        }
    }

    fn is_raw(&self, field: Field) -> bool {
        let f = &self.fields;
        field == f.msgid
            || field == f.list
            || field == f.trailer
            || field == f.from_addr
            || field == f.to_addr
            || field == f.cc_addr
    }

    fn word_query(&self, field: Field, text: &str, prefix: bool) -> Box<dyn Query> {
        if self.is_raw(field) {
            let value = if field == self.fields.msgid {
                crate::links::message_id_from_user(text)
            } else {
                text.to_lowercase()
            };
            return Box::new(TermQuery::new(
                Term::from_field_text(field, &value),
                IndexRecordOption::Basic,
            ));
        }
        let tokens = self.tokens(field, text);
        let terms: Vec<Term> = tokens
            .iter()
            .map(|t| Term::from_field_text(field, t))
            .collect();
        match (terms.len(), prefix) {
            (0, _) => Box::new(EmptyQuery),
            (_, true) => {
                let mut q = PhrasePrefixQuery::new(terms);
                q.set_max_expansions(10_000);
                Box::new(q)
            }
            (1, false) => Box::new(TermQuery::new(
                terms[0].clone(),
                IndexRecordOption::WithFreqs,
            )),
            (_, false) => Box::new(PhraseQuery::new(terms)),
        }
    }

    fn to_query(&self, expr: &Expr) -> Box<dyn Query> {
        match expr {
            Expr::Term {
                field,
                text,
                prefix,
            } => self.fields_query(*field, text, *prefix),
            Expr::Phrase { field, text } => self.fields_query(*field, text, false),
            Expr::DateRange { from, to } => {
                let bound = |t: Option<i64>, inclusive: bool| match t {
                    None => Bound::Unbounded,
                    Some(t) => {
                        let term = Term::from_field_date_for_search(
                            self.fields.date,
                            tantivy::DateTime::from_timestamp_secs(t),
                        );
                        if inclusive {
                            Bound::Included(term)
                        } else {
                            Bound::Excluded(term)
                        }
                    }
                };
                Box::new(RangeQuery::new(bound(*from, true), bound(*to, false)))
            }
            Expr::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for p in parts {
                    match p {
                        Expr::Not(inner) => clauses.push((Occur::MustNot, self.to_query(inner))),
                        other => clauses.push((Occur::Must, self.to_query(other))),
                    }
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Expr::Or(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|p| (Occur::Should, self.to_query(p)))
                    .collect(),
            )),
            Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, self.to_query(inner)),
            ])),
        }
    }

    fn fields_query(&self, field: query::Field, text: &str, prefix: bool) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let whole_address = !prefix
            && text.contains('@')
            && !text.contains(char::is_whitespace)
            && !text.starts_with('@')
            && !text.ends_with('@');
        let targets = match (whole_address, field) {
            (true, query::Field::From) => vec![(self.fields.from_addr, 1.0)],
            (true, query::Field::To) => vec![(self.fields.to_addr, 1.0)],
            (true, query::Field::Cc) => vec![(self.fields.cc_addr, 1.0)],
            (true, query::Field::ToCc) => {
                vec![(self.fields.to_addr, 1.0), (self.fields.cc_addr, 1.0)]
            }
            (true, query::Field::Address) => vec![
                (self.fields.from_addr, 1.0),
                (self.fields.to_addr, 1.0),
                (self.fields.cc_addr, 1.0),
            ],
            _ => self.targets(field),
        };
        for (f, boost) in targets {
            let q = self.word_query(f, text, prefix);
            let q: Box<dyn Query> = if (boost - 1.0).abs() > f32::EPSILON {
                Box::new(BoostQuery::new(q, boost))
            } else {
                q
            };
            clauses.push((Occur::Should, q));
        }
        if clauses.len() == 1 {
            clauses.pop().expect("one clause").1
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }

    /// The words to mark in snippets: every positive word of the query.
    fn highlight_terms(&self, expr: &Expr) -> BTreeMap<String, f32> {
        let mut out = BTreeMap::new();
        let mut todo = vec![expr];
        while let Some(e) = todo.pop() {
            match e {
                Expr::Term { field, text, .. } | Expr::Phrase { field, text } => {
                    use query::Field as Q;
                    if matches!(field, Q::Default | Q::Body | Q::Original | Q::Quoted) {
                        for t in self.tokens(self.fields.original, text) {
                            out.insert(t, 1.0);
                        }
                    }
                }
                Expr::And(v) | Expr::Or(v) => todo.extend(v.iter()),
                Expr::Not(_) | Expr::DateRange { .. } => {}
            }
        }
        out
    }
}

/// Whether the query names quoted text (`q:`) outside a negation.
fn asks_for_quotes(expr: &Expr) -> bool {
    let mut todo = vec![expr];
    while let Some(e) = todo.pop() {
        match e {
            Expr::Term { field, .. } | Expr::Phrase { field, .. } => {
                if *field == query::Field::Quoted {
                    return true;
                }
            }
            Expr::And(v) | Expr::Or(v) => todo.extend(v.iter()),
            Expr::Not(_) | Expr::DateRange { .. } => {}
        }
    }
    false
}

/// Merges segments only in groups whose files together stay under a byte
/// budget.
///
/// Why: tantivy reads the segments it merges through mmap, and every page
/// it touches counts in the importer's resident memory until the merge
/// ends. Its default policy merges by document-count levels with no upper
/// bound on the total, so near the end of a large import it merged the whole
/// index at once (linux-kbuild x4: 159 MiB of file pages on top of 212 MiB
/// of heap; x16 183 on 237). Bounding each merge, and running one merge at a
/// time, bounds that peak whatever the archive's size (x16: 55 MiB on 242).
/// The price is more segments in a large index (one per `budget / 2` to
/// `budget` bytes: 14 at x16 instead of 7), which costs a search a term
/// lookup per segment; search_bench at x16 measured no slowdown (p99 11.8 ms
/// against 12.7 with 15 segments and 16.0 in the last growth run).
#[derive(Debug)]
struct BoundedMerge {
    dir: PathBuf,
    budget: u64,
}

/// The writer's indexing heap, shared by its two threads. Each thread
/// flushes a segment when its half is full (about 6,000 kbuild messages,
/// 12 MB on disk). 100 MB kept linux-kbuild to two segments and no merge
/// (0.5 s faster), but it is the largest part of a big import's peak: at
/// x16, 288 MiB (235 anonymous) against 231 (213) with 64 MB.
const WRITER_HEAP: usize = 64_000_000;

/// The most segment bytes one merge reads. With one merge at a time this
/// bounds the index's share of the importer's resident memory.
const MERGE_BUDGET: u64 = 64 << 20;

/// Merge no fewer segments than this at once.
const MIN_MERGE: usize = 2;

impl BoundedMerge {
    fn size(&self, meta: &tantivy::index::SegmentMeta) -> u64 {
        use tantivy::index::SegmentComponent as C;
        [
            C::Postings,
            C::Positions,
            C::Terms,
            C::Store,
            C::FastFields,
            C::FieldNorms,
        ]
        .into_iter()
        .filter_map(|c| std::fs::metadata(self.dir.join(meta.relative_path(c))).ok())
        .map(|m| m.len())
        .sum()
    }
}

impl tantivy::indexer::MergePolicy for BoundedMerge {
    fn compute_merge_candidates(
        &self,
        segments: &[tantivy::index::SegmentMeta],
    ) -> Vec<tantivy::indexer::MergeCandidate> {
        // Smallest first; a segment above half the budget is finished
        // unless deletes (re-imported messages) left a third of it dead.
        let mut sized: Vec<(u64, &tantivy::index::SegmentMeta)> =
            segments.iter().map(|m| (self.size(m), m)).collect();
        sized.sort_by_key(|&(size, _)| size);
        let mut out = Vec::new();
        let mut group = Vec::new();
        let mut total = 0;
        for (size, meta) in sized {
            if size > self.budget / 2 {
                if meta.num_deleted_docs() * 3 > meta.max_doc() && size <= self.budget {
                    out.push(tantivy::indexer::MergeCandidate(vec![meta.id()]));
                }
                continue;
            }
            if total + size > self.budget {
                if group.len() >= MIN_MERGE {
                    out.push(tantivy::indexer::MergeCandidate(std::mem::take(&mut group)));
                }
                group.clear();
                total = 0;
            }
            group.push(meta.id());
            total += size;
        }
        if group.len() >= MIN_MERGE {
            out.push(tantivy::indexer::MergeCandidate(group));
        }
        out
    }
}

/// The index writer, held by one importer at a time.
pub struct IndexWriter<'a> {
    writer: tantivy::IndexWriter,
    index: &'a Index,
}

impl IndexWriter<'_> {
    /// Adds (or replaces) the document of store row `row`. `replace` must be
    /// true when the row may already be in the index.
    pub fn upsert(
        &mut self,
        row: i64,
        doc: &IndexDoc,
        lists: &[String],
        replace: bool,
    ) -> Result<()> {
        let f = &self.index.fields;
        if replace {
            self.writer
                .delete_term(Term::from_field_u64(f.row, row as u64));
        }
        let mut d = TantivyDocument::default();
        d.add_u64(f.row, row as u64);
        d.add_text(f.msgid, &doc.message_id);
        d.add_text(f.subject, &doc.subject);
        d.add_text(f.from, format!("{} {}", doc.from_name, doc.from_email));
        d.add_text(f.from_name, &doc.from_name);
        d.add_text(f.from_email, &doc.from_email);
        d.add_text(f.from_addr, doc.from_email.to_lowercase());
        for a in &doc.to_addrs {
            d.add_text(f.to_addr, a);
        }
        for a in &doc.cc_addrs {
            d.add_text(f.cc_addr, a);
        }
        for t in &doc.to {
            d.add_text(f.to, t);
        }
        for c in &doc.cc {
            d.add_text(f.cc, c);
        }
        for l in lists {
            d.add_text(f.list, l.to_lowercase());
        }
        if let Some(date) = doc.date {
            d.add_date(f.date, tantivy::DateTime::from_timestamp_secs(date));
        }
        d.add_i64(f.tz, i64::from(doc.tz));
        d.add_text(f.original, &doc.original);
        d.add_text(f.quoted, &doc.quoted);
        d.add_text(f.extra, &doc.extra);
        for file in &doc.diff_files {
            d.add_text(f.dfn, file);
        }
        d.add_text(f.dfa, &doc.removed);
        d.add_text(f.dfb, &doc.added);
        d.add_text(f.dfhh, &doc.hunk_headers);
        for t in &doc.trailers {
            d.add_text(f.trailer, t);
        }
        self.writer
            .add_document(d)
            .map_err(index_err(&self.index.path))?;
        Ok(())
    }

    /// Removes everything (for `reindex`).
    pub fn clear(&mut self) -> Result<()> {
        self.writer
            .delete_all_documents()
            .map_err(index_err(&self.index.path))?;
        Ok(())
    }

    /// Makes everything added durable and records that the index now holds
    /// the store up to sequence `seq`.
    pub fn commit(mut self, seq: i64) -> Result<()> {
        let err = index_err(&self.index.path);
        let mut prepared = self.writer.prepare_commit().map_err(&err)?;
        prepared.set_payload(&seq.to_string());
        crate::failpoint("index-commit");
        prepared.commit().map_err(&err)?;
        crate::failpoint("index-merge");
        self.writer.wait_merging_threads().map_err(&err)?;
        Ok(())
    }
}

/// Finds the first place any highlighted word appears, ignoring ASCII case:
/// a snippet needs only the text around it, and tokenizing a whole patch
/// (or, for a hit on the subject, a whole body that holds no match at all)
/// cost more than the search itself (profile of the search page: 30% in the
/// snippet tokenizer).
struct FirstMatch(Option<aho_corasick::AhoCorasick>);

impl FirstMatch {
    fn new<'w>(terms: impl Iterator<Item = &'w String>) -> FirstMatch {
        let terms: Vec<&String> = terms.filter(|t| !t.is_empty()).collect();
        FirstMatch(
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(terms)
                .ok(),
        )
    }

    /// The part of `text` around the first match; empty when there is
    /// none (without a searcher, for an odd query, the whole text).
    fn around<'t>(&self, text: &'t str) -> &'t str {
        const BEFORE: usize = 400;
        const AFTER: usize = 800;
        let Some(ac) = &self.0 else {
            return text;
        };
        // Non-ASCII words match only as written; keep the whole text for them.
        let Some(at) = ac.find(text).map(|m| m.start()) else {
            return if ac.patterns_len() > 0 && text.is_ascii() {
                ""
            } else {
                text
            };
        };
        let mut start = at.saturating_sub(BEFORE);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + AFTER).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        &text[start..end]
    }
}

#[cfg(test)]
mod first_match_tests {
    use super::FirstMatch;

    #[test]
    fn snippets_look_only_near_the_first_match() {
        let terms = ["reproducible".to_string(), "kbuild".to_string()];
        let m = FirstMatch::new(terms.iter());
        let long = format!(
            "{}Make the build REPRODUCIBLE again.{}",
            "x ".repeat(3000),
            " y".repeat(3000)
        );
        let window = m.around(&long);
        assert!(window.len() <= 1200 + 3, "{}", window.len());
        assert!(window.contains("REPRODUCIBLE"));
        // A long body without any of the words has no snippet to give.
        assert_eq!(m.around(&"z ".repeat(2000)), "");
        // Short texts are kept whole; non-ASCII ones too when no form matched.
        assert_eq!(m.around("short"), "");
        let accented = format!("{}é", "w ".repeat(1000));
        assert_eq!(m.around(&accented), accented);
    }
}

#[cfg(test)]
mod merge_tests {
    use tantivy::index::{SegmentComponent, SegmentId};
    use tantivy::indexer::MergePolicy;

    use super::BoundedMerge;

    /// Segments of the given sizes (MB, in a budget of 64) → the merges the
    /// policy asks for, as lists of sizes.
    fn check(sizes: &[u64], expect: &[&[u64]]) {
        let dir = tempfile::tempdir().unwrap();
        let index = tantivy::Index::create_in_ram(tantivy::schema::Schema::builder().build());
        let metas: Vec<_> = sizes
            .iter()
            .map(|&mb| {
                let meta = index.new_segment_meta(SegmentId::generate_random(), 100);
                let f = std::fs::File::create(
                    dir.path()
                        .join(meta.relative_path(SegmentComponent::Postings)),
                )
                .unwrap();
                f.set_len(mb << 20).unwrap();
                (meta, mb)
            })
            .collect();
        let policy = BoundedMerge {
            dir: dir.path().to_path_buf(),
            budget: 64 << 20,
        };
        let only: Vec<_> = metas.iter().map(|(m, _)| m.clone()).collect();
        let got: Vec<Vec<u64>> = policy
            .compute_merge_candidates(&only)
            .into_iter()
            .map(|c| {
                let mut g: Vec<u64> =
                    c.0.iter()
                        .map(|id| metas.iter().find(|(m, _)| m.id() == *id).unwrap().1)
                        .collect();
                g.sort();
                g
            })
            .collect();
        let want: Vec<Vec<u64>> = expect.iter().map(|g| g.to_vec()).collect();
        assert_eq!(got, want, "sizes {sizes:?}");
    }

    #[test]
    fn merges_stay_within_the_budget() {
        // One segment: nothing to merge with.
        check(&[20], &[]);
        // Flushed segments merge in groups up to the budget, smallest first
        // (the writer runs one merge at a time).
        check(&[20, 20, 20], &[&[20, 20, 20]]);
        check(&[20, 20, 20, 20, 20], &[&[20, 20, 20], &[20, 20]]);
        check(&[5, 30, 10, 20, 12], &[&[5, 10, 12, 20]]);
        // Segments over half the budget are finished and never read again,
        // however many pile up.
        check(&[40, 50, 60, 33], &[]);
        check(&[40, 50, 60, 10, 12], &[&[10, 12]]);
    }
}
