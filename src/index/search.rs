//! Queries: the query language's expressions as tantivy queries, ranked or
//! by date, with snippets that say whether the words were quoted.

use super::*;

impl Index {
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
    pub(super) fn holds_any<'w>(
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

    pub(super) fn analyzer(&self, field: Field) -> TextAnalyzer {
        self.index
            .tokenizer_for_field(field)
            .unwrap_or_else(|_| TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default()))
    }

    pub(super) fn tokens(&self, field: Field, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer(field);
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    /// Index fields (with boosts) for a query field.
    pub(super) fn targets(&self, field: query::Field) -> Vec<(Field, f32)> {
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

    pub(super) fn is_raw(&self, field: Field) -> bool {
        let f = &self.fields;
        field == f.msgid
            || field == f.list
            || field == f.trailer
            || field == f.from_addr
            || field == f.to_addr
            || field == f.cc_addr
    }

    pub(super) fn word_query(&self, field: Field, text: &str, prefix: bool) -> Box<dyn Query> {
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

    pub(super) fn to_query(&self, expr: &Expr) -> Box<dyn Query> {
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

    pub(super) fn fields_query(
        &self,
        field: query::Field,
        text: &str,
        prefix: bool,
    ) -> Box<dyn Query> {
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
    pub(super) fn highlight_terms(&self, expr: &Expr) -> BTreeMap<String, f32> {
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
pub(super) fn asks_for_quotes(expr: &Expr) -> bool {
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

/// Finds the first place any highlighted word appears, ignoring ASCII case:
/// a snippet needs only the text around it, and tokenizing a whole patch
/// (or, for a hit on the subject, a whole body that holds no match at all)
/// cost more than the search itself (profile of the search page: 30% in the
/// snippet tokenizer).
pub(super) struct FirstMatch(Option<aho_corasick::AhoCorasick>);

impl FirstMatch {
    pub(super) fn new<'w>(terms: impl Iterator<Item = &'w String>) -> FirstMatch {
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
    pub(super) fn around<'t>(&self, text: &'t str) -> &'t str {
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
