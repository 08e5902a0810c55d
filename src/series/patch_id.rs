//! A patch's identity across postings: git's `patch-id --stable`.
//!
//! Two postings of a patch carry the same change when their diffs hash
//! alike with white space, line numbers and blob ids left out. This is
//! git's algorithm (`builtin/patch-id.c`, `--stable`), so the value equals
//! what `git patch-id --stable` prints for the same text, and a commit in
//! git (`git show C | git patch-id --stable`) finds its posting:
//!
//! - text before the first `diff ` line (the commit message, the `---`
//!   line, the diffstat) is not hashed;
//! - each file's part (its `diff` line, mode lines, `---`/`+++` and hunk
//!   lines, with every white-space character removed; `index` lines and
//!   hunk headers left out) is hashed with SHA-1 on its own, and the
//!   file hashes are added as 20-byte little-endian numbers, so the order
//!   of files does not matter;
//! - a binary file's part is its two blob ids;
//! - `\ No newline at end of file` lines are left out;
//! - the patch ends where a line after a complete hunk is neither a hunk
//!   header nor a `diff ` line (the `-- ` signature).

use sha1::{Digest, Sha1};

/// The patch-id of the first patch in `text` (lower-case hex, 40
/// characters), or None when it holds no diff.
pub fn patch_id(text: &str) -> Option<String> {
    let mut state = State::default();
    for line in text.split_inclusive('\n') {
        if !state.line(line) {
            break;
        }
    }
    state.finish()
}

/// Where the reading is: lines still expected in the hunk before and
/// after the change (-1: in a file's header), the hash of the current file
/// and the sum so far.
struct State {
    before: i64,
    after: i64,
    hashed: usize,
    binary: bool,
    old_blob: String,
    new_blob: String,
    file: Sha1,
    sum: [u8; 20],
}

impl Default for State {
    fn default() -> State {
        State {
            before: -1,
            after: -1,
            hashed: 0,
            binary: false,
            old_blob: String::new(),
            new_blob: String::new(),
            file: Sha1::new(),
            sum: [0; 20],
        }
    }
}

impl State {
    /// Reads one line (with its newline); false where the patch ends.
    fn line(&mut self, line: &str) -> bool {
        if self.hashed == 0 && !line.starts_with("diff ") {
            return true; // the commit message
        }
        if line.starts_with('\\') {
            return true; // "\ No newline at end of file"
        }
        if self.before == -1 && !self.header_line(line) {
            return self.before != -2;
        }
        if self.binary {
            if line.starts_with("diff ") {
                (self.binary, self.before, self.after) = (false, -1, -1);
            }
            return true;
        }
        if self.before == 0 && self.after == 0 {
            if let Some(counts) = line.strip_prefix("@@ -") {
                (self.before, self.after) = hunk_counts(counts);
                return true;
            }
            if !line.starts_with("diff ") {
                return false;
            }
            self.flush();
            (self.before, self.after) = (-1, -1);
        }
        if line.starts_with(['-', ' ']) {
            self.before -= 1;
        }
        if line.starts_with(['+', ' ']) {
            self.after -= 1;
        }
        self.hash(line);
        true
    }

    /// A line of a file's header: true when it is to be hashed as a hunk
    /// line is. A line that ends the patch sets `before` to -2.
    fn header_line(&mut self, line: &str) -> bool {
        if line.starts_with("GIT binary patch") || line.starts_with("Binary files") {
            self.binary = true;
            self.before = 0;
            let blobs = [self.old_blob.clone(), self.new_blob.clone()];
            for blob in blobs {
                self.file.update(blob.as_bytes());
            }
            self.hashed += 1;
            self.flush();
            return false;
        }
        if let Some(ids) = line.strip_prefix("index ") {
            if let Some((old, rest)) = ids.split_once("..") {
                let new = rest.split([' ', '\n']).next().unwrap_or("");
                self.old_blob = old.to_string();
                self.new_blob = new.trim_end_matches('\r').to_string();
            }
            return false;
        }
        if line.starts_with("--- ") {
            (self.before, self.after) = (1, 1);
        } else if !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            self.before = -2;
            return false;
        }
        true
    }

    /// Adds `line` without its white space to the current file's hash.
    fn hash(&mut self, line: &str) {
        let kept: Vec<u8> = line
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .collect();
        self.hashed += kept.len();
        self.file.update(&kept);
    }

    /// Adds the current file's hash to the sum and starts the next file.
    fn flush(&mut self) {
        let hash = std::mem::replace(&mut self.file, Sha1::new()).finalize();
        let mut carry: u16 = 0;
        for (s, h) in self.sum.iter_mut().zip(hash.iter()) {
            carry += u16::from(*s) + u16::from(*h);
            *s = carry as u8;
            carry >>= 8;
        }
    }

    fn finish(mut self) -> Option<String> {
        if self.hashed == 0 {
            return None;
        }
        self.flush();
        Some(self.sum.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// The old and new line counts of a hunk header after its `@@ -`:
/// `a,b +c,d @@` (a count left out is 1).
fn hunk_counts(rest: &str) -> (i64, i64) {
    let mut parts = rest.split_whitespace();
    let count = |range: Option<&str>| -> i64 {
        match range.map(|r| r.trim_start_matches(['-', '+']).split_once(',')) {
            Some(Some((_, n))) => n.parse().unwrap_or(1),
            _ => 1,
        }
    };
    let before = count(parts.next());
    let after = count(parts.next());
    (before, after)
}
