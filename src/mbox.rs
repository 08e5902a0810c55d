//! mbox bytes → raw messages.
//!
//! The splitter reads any `Read` (a file, a gzip decoder, standard input) in
//! fixed-size chunks and yields each message's original bytes with the byte
//! offset of its separator line. Memory is bounded by the largest message
//! (capped by [`SplitConfig::max_message_bytes`]), never by the file size, and
//! nothing is memory-mapped, so a file that grows or shrinks during an import
//! cannot crash us.
//!
//! Formats (see `ARCHITECTURE.md` for why we do not use `mbox-reader`):
//!
//! * **mboxrd**: lines matching `^>+From ` lose one `>`. This is the default and
//!   also reads mboxo correctly except for the one ambiguity mboxo cannot encode
//!   (an original `>From ` line comes back as `From `).
//! * **mboxcl2**: when a message's `Content-Length` points exactly at the next
//!   separator (or the end of the file) and the body it spans holds a line that
//!   would otherwise have split it, the file is mboxcl2: from then on
//!   `Content-Length` decides where messages end and nothing is unescaped.
//! * CRLF files, a first message without a `From ` line, and a last message
//!   without a final newline.
//!
//! A separator is a well-formed `From_` line (`From `, a sender, and an
//! asctime-style date with a month name, a time and a year) at the start of the
//! file or after a blank line. Other `From ` lines are body text.

use std::io::{self, Read};

use memchr::memmem;

/// One message as it was in the mbox: exact original bytes, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Byte offset in the (decompressed) input of the message's separator line,
    /// or of its first byte when it has none.
    pub offset: u64,
    /// The message bytes without the separator line and without the blank line
    /// that precedes the next separator.
    pub bytes: Vec<u8>,
}

/// What the splitter produces: messages, and reports of bytes it could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A message.
    Message(RawMessage),
    /// A stretch of input that is not a message; nothing of it is stored.
    Skipped {
        /// Byte offset where the stretch starts.
        offset: u64,
        /// Its length in bytes.
        len: u64,
        /// Why it was skipped, for the import summary.
        reason: SkipReason,
    },
}

/// Why the splitter skipped bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Data before the first separator that does not start with a mail header.
    NotMbox,
    /// A message larger than [`SplitConfig::max_message_bytes`].
    TooLarge,
}

/// Limits for the splitter.
#[derive(Debug, Clone)]
pub struct SplitConfig {
    /// Bytes read from the input at a time.
    pub chunk_bytes: usize,
    /// A message larger than this is skipped (and reported) rather than held
    /// in memory.
    pub max_message_bytes: usize,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            chunk_bytes: 1 << 20,
            max_message_bytes: 256 << 20,
        }
    }
}

/// Splits an mbox stream into [`Item`]s.
pub struct MboxReader<R> {
    input: R,
    config: SplitConfig,
    /// Unconsumed input; `buf[start..]` begins at file offset `base`.
    buf: Vec<u8>,
    start: usize,
    base: u64,
    eof: bool,
    /// Where the scan for the next separator resumes, relative to `start`.
    scan_from: usize,
    first: bool,
    mboxcl2: bool,
    finder: memmem::Finder<'static>,
    /// While skipping an oversized message: its offset and bytes dropped so far.
    skipping: Option<(u64, u64)>,
}

impl<R: Read> MboxReader<R> {
    /// A reader with the default limits.
    pub fn new(input: R) -> Self {
        Self::with_config(input, SplitConfig::default())
    }

    /// A reader with the given limits.
    pub fn with_config(input: R, config: SplitConfig) -> Self {
        MboxReader {
            input,
            config,
            buf: Vec::new(),
            start: 0,
            base: 0,
            eof: false,
            scan_from: 0,
            first: true,
            mboxcl2: false,
            finder: memmem::Finder::new(b"\nFrom ").into_owned(),
            skipping: None,
        }
    }

    /// Bytes held right now (for memory-bound tests and progress).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Reads one more chunk. Returns false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + self.config.chunk_bytes, 0);
        let mut got = 0;
        // Fill the whole chunk unless the input ends: short reads from pipes
        // and decoders would otherwise make us rescan too often.
        while got < self.config.chunk_bytes {
            match self.input.read(&mut self.buf[old + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old + got);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(old + got);
        Ok(got > 0)
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Drops `n` pending bytes.
    fn consume(&mut self, n: usize) {
        self.start += n;
        self.base += n as u64;
        self.scan_from = 0;
    }

    /// Length of the line starting at `at` (including its `\n`), reading more
    /// input as needed. None if the input ends first (the rest is the line).
    fn line_len_at(&mut self, at: usize) -> io::Result<Option<usize>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.pending()[at..]) {
                return Ok(Some(i + 1));
            }
            // A From_ line longer than this is not a From_ line.
            if self.pending().len() - at > 4096 || !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Finds the next separator at or after `from` (relative to `start`).
    /// Returns its position, or None at end of input.
    fn find_separator(&mut self, from: usize) -> io::Result<Option<usize>> {
        let mut pos = from;
        loop {
            let hay = &self.pending()[pos.min(self.pending().len())..];
            match self.finder.find(hay) {
                Some(i) => {
                    let nl = pos + i; // the '\n' before "From "
                    let line = nl + 1;
                    if self.blank_line_before(nl) {
                        let len = self.line_len_at(line)?;
                        let end = match len {
                            Some(l) => line + l,
                            None => self.pending().len(),
                        };
                        if is_from_line(&self.pending()[line..end]) {
                            return Ok(Some(line));
                        }
                    }
                    pos = nl + 1;
                }
                None => {
                    let keep = self.pending().len().saturating_sub(6);
                    let searched_to = keep.max(pos);
                    self.scan_from = searched_to;
                    if self.skipping.is_some() && searched_to > 0 {
                        // Oversized message: forget what was scanned.
                        let drop = searched_to.saturating_sub(8);
                        if let Some((_, dropped)) = self.skipping.as_mut() {
                            *dropped += drop as u64;
                        }
                        self.consume(drop);
                        pos = searched_to - drop;
                    } else {
                        pos = searched_to;
                    }
                    if !self.fill()? {
                        return Ok(None);
                    }
                    if self.skipping.is_none()
                        && self.pending().len() > self.config.max_message_bytes
                    {
                        self.skipping = Some((self.base, 0));
                    }
                }
            }
        }
    }

    /// Whether the line ending with the `\n` at `nl` is blank (or `nl` ends the
    /// first line of the pending data, which starts right after a separator).
    fn blank_line_before(&self, nl: usize) -> bool {
        let p = self.pending();
        (nl >= 1 && p[nl - 1] == b'\n') || (nl >= 2 && p[nl - 1] == b'\r' && p[nl - 2] == b'\n')
    }

    /// Reads ahead so that at least `n` bytes are pending, or input ends.
    fn ensure(&mut self, n: usize) -> io::Result<()> {
        while self.pending().len() < n && self.fill()? {}
        Ok(())
    }

    /// Checks the message starting at `msg` (relative) for a valid
    /// `Content-Length`; returns the end of the message and the length of the
    /// blank line after it if it is one that the plain scan would get wrong
    /// (an unescaped `From_` line inside).
    fn content_length_end(&mut self, msg: usize) -> io::Result<Option<(usize, usize)>> {
        // Read the header block; bounded by the message size cap.
        let header_end = loop {
            let p = &self.pending()[msg..];
            if let Some(i) = memmem::find(p, b"\n\n") {
                break msg + i + 2;
            }
            if let Some(i) = memmem::find(p, b"\n\r\n") {
                break msg + i + 3;
            }
            if p.len() > 1 << 20 || !self.fill()? {
                return Ok(None);
            }
        };
        let Some(len) = header_content_length(&self.pending()[msg..header_end]) else {
            return Ok(None);
        };
        if len > self.config.max_message_bytes {
            return Ok(None);
        }
        let end = header_end + len;
        self.ensure(end + 4096)?;
        let p = self.pending();
        if end > p.len() {
            return Ok(None);
        }
        // The message must end exactly at a separator or at the end of input,
        // allowing for the blank line before it.
        let rest = &p[end..];
        let after_blank = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .unwrap_or(rest);
        let valid = rest.iter().all(|&b| b == b'\n' || b == b'\r') && self.eof
            || starts_with_from_line(after_blank)
            || starts_with_from_line(rest);
        if !valid {
            return Ok(None);
        }
        // Only trust it over the scan if the scan would split inside.
        let body = &p[header_end..end];
        let mut i = 0;
        while let Some(f) = memmem::find(&body[i..], b"\nFrom ") {
            let nl = i + f;
            let line = &body[nl + 1..];
            if ((nl >= 1 && body[nl - 1] == b'\n') || nl == 0) && starts_with_from_line(line) {
                let blank = if self.eof && rest.iter().all(|&b| b == b'\n' || b == b'\r') {
                    rest.len()
                } else {
                    rest.len() - after_blank.len()
                };
                return Ok(Some((end, blank)));
            }
            i = nl + 1;
        }
        Ok(None)
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        if self.first {
            self.first = false;
            self.ensure(4096)?;
            if self.pending().is_empty() {
                return Ok(None);
            }
            if !starts_with_from_line(self.pending()) {
                // No leading separator: a bare message, or not an mbox at all.
                let sep = self.find_separator(0)?;
                let end = sep.unwrap_or(self.pending().len());
                let offset = self.base;
                if let Some((skip_offset, dropped)) = self.skipping.take() {
                    self.consume(end);
                    return Ok(Some(Item::Skipped {
                        offset: skip_offset,
                        len: dropped + end as u64,
                        reason: SkipReason::TooLarge,
                    }));
                }
                if self.pending()[..end].iter().all(u8::is_ascii_whitespace) {
                    self.consume(end);
                    return self.next_item();
                }
                if !looks_like_header(self.pending()) {
                    self.consume(end);
                    return Ok(Some(Item::Skipped {
                        offset,
                        len: end as u64,
                        reason: SkipReason::NotMbox,
                    }));
                }
                let bytes = trim_separator_blank(&self.pending()[..end]);
                let bytes = if self.mboxcl2 {
                    bytes.to_vec()
                } else {
                    unescape(bytes)
                };
                self.consume(end);
                return Ok(Some(Item::Message(RawMessage { offset, bytes })));
            }
        }
        if self.pending().is_empty() && !self.fill()? {
            return Ok(None);
        }
        // pending starts with a separator line.
        let offset = self.base;
        let sep_len = match self.line_len_at(0)? {
            Some(l) => l,
            None => {
                // A lone From_ line at the end: an empty message.
                let n = self.pending().len();
                self.consume(n);
                return Ok(Some(Item::Message(RawMessage {
                    offset,
                    bytes: Vec::new(),
                })));
            }
        };
        if let Some((end, blank)) = self.content_length_end(sep_len)? {
            self.mboxcl2 = true;
            let bytes = self.pending()[sep_len..end].to_vec();
            self.consume(end + blank);
            return Ok(Some(Item::Message(RawMessage { offset, bytes })));
        }
        let from = self.scan_from.max(sep_len.saturating_sub(1));
        let sep = self.find_separator(from)?;
        if let Some((skip_offset, dropped)) = self.skipping.take() {
            let end = sep.unwrap_or(self.pending().len());
            self.consume(end);
            return Ok(Some(Item::Skipped {
                offset: skip_offset,
                len: dropped + end as u64,
                reason: SkipReason::TooLarge,
            }));
        }
        let end = sep.unwrap_or(self.pending().len());
        let body = trim_separator_blank(&self.pending()[sep_len..end]);
        let bytes = if self.mboxcl2 {
            body.to_vec()
        } else {
            unescape(body)
        };
        self.consume(end);
        Ok(Some(Item::Message(RawMessage { offset, bytes })))
    }
}

impl<R: Read> Iterator for MboxReader<R> {
    type Item = io::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}

/// Drops the one blank line that belongs to the separator after a message.
/// At the end of input the same blank line is dropped if present, so a file
/// written with a final blank line round-trips.
fn trim_separator_blank(bytes: &[u8]) -> &[u8] {
    if bytes.ends_with(b"\r\n\r\n") {
        &bytes[..bytes.len() - 2]
    } else if bytes.ends_with(b"\n\n") {
        &bytes[..bytes.len() - 1]
    } else {
        bytes
    }
}

/// Removes one `>` from every line matching `^>+From `.
pub fn unescape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut copied = 0;
    for hit in memmem::find_iter(bytes, b">From ") {
        let mut line_start = hit;
        while line_start > 0 && bytes[line_start - 1] == b'>' {
            line_start -= 1;
        }
        if line_start == 0 || bytes[line_start - 1] == b'\n' {
            out.extend_from_slice(&bytes[copied..line_start]);
            copied = line_start + 1;
        }
    }
    out.extend_from_slice(&bytes[copied..]);
    out
}

/// Escapes a message for writing into an mboxrd file: one `>` before every
/// line matching `^>*From `.
pub fn escape_mboxrd(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let unquoted = line.iter().position(|&b| b != b'>').map(|i| &line[i..]);
        if unquoted.is_some_and(|rest| rest.starts_with(b"From ")) {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out
}

fn starts_with_from_line(p: &[u8]) -> bool {
    if !p.starts_with(b"From ") {
        return false;
    }
    let end = memchr::memchr(b'\n', p).map_or(p.len(), |i| i + 1);
    is_from_line(&p[..end])
}

/// Whether `line` is a well-formed `From_` line: `From `, a sender, then a date
/// with a month name, an `hh:mm` time and a four-digit year, in any order that
/// mbox writers use (asctime, with or without a zone, pipermail's `x at y`).
pub fn is_from_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    if line.len() > 1024 {
        return false;
    }
    let Ok(rest) = std::str::from_utf8(rest) else {
        return false;
    };
    let mut words = rest.split_ascii_whitespace();
    if words.next().is_none() {
        return false;
    }
    let (mut month, mut time, mut year) = (false, false, false);
    for w in words {
        let lw = w.to_ascii_lowercase();
        if MONTHS.iter().any(|m| lw.starts_with(m)) {
            month = true;
        } else if is_time(w) {
            time = true;
        } else if w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) {
            year = true;
        }
    }
    month && time && year
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn is_time(w: &str) -> bool {
    let parts: Vec<&str> = w.split(':').collect();
    (parts.len() == 2 || parts.len() == 3)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the data starts like an RFC 5322 header block: a field name of
/// printable characters followed by a colon.
pub fn looks_like_header(p: &[u8]) -> bool {
    let line_end = memchr::memchr(b'\n', p).unwrap_or(p.len());
    let line = &p[..line_end];
    match memchr::memchr(b':', line) {
        Some(colon) if colon > 0 => {
            line[..colon].iter().all(|&b| (33..=126).contains(&b))
                || line[..colon]
                    .trim_ascii_end()
                    .iter()
                    .all(|&b| (33..=126).contains(&b))
        }
        _ => false,
    }
}

/// The value of a `Content-Length` header in a raw header block.
fn header_content_length(headers: &[u8]) -> Option<usize> {
    for line in headers.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            let v = std::str::from_utf8(&line[15..]).ok()?.trim();
            return v.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests;
