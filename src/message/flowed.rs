//! format=flowed (RFC 3676) unwrapping.
//!
//! A flowed line ends in a space and continues on the next line of the same
//! quote depth. Space-stuffing (a leading space added by the sender) is
//! removed; with `DelSp=yes` the trailing space is removed too. The signature
//! separator `-- ` is never flowed.

/// Unwraps flowed text. Works line by line, without recursion.
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The quote depth of the paragraph being joined, if the last line flowed.
    let mut open: Option<usize> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let prefix = &line[..depth];
        let mut content = &line[depth..];
        if let Some(unstuffed) = content.strip_prefix(' ') {
            content = unstuffed;
        }
        let is_sig = content == "-- ";
        let flowed = !is_sig && content.ends_with(' ');
        let content = if flowed && delsp {
            &content[..content.len() - 1]
        } else {
            content
        };
        match open {
            Some(d) if d == depth && !is_sig => {}
            Some(_) => {
                out.push('\n');
                push_line_start(&mut out, prefix, depth);
            }
            None => push_line_start(&mut out, prefix, depth),
        }
        out.push_str(content);
        if flowed {
            open = Some(depth);
        } else {
            out.push('\n');
            open = None;
        }
    }
    if open.is_some() {
        out.push('\n');
    }
    // split('\n') saw one empty line after the final newline.
    if text.ends_with('\n') && out.ends_with("\n\n") || !text.ends_with('\n') && out.ends_with('\n')
    {
        out.pop();
    }
    out
}

fn push_line_start(out: &mut String, prefix: &str, depth: usize) {
    out.push_str(prefix);
    if depth > 0 {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    #[track_caller]
    fn check(text: &str, delsp: bool, expected: Expect) {
        expected.assert_debug_eq(&super::unflow(text, delsp));
    }

    #[test]
    fn joins_flowed_lines() {
        check(
            "This is a long \nparagraph that \nflows.\nNext line.\n",
            false,
            expect![[r#"
            "This is a long paragraph that flows.\nNext line.\n"
        "#]],
        );
        check(
            "de \nlsp\n",
            true,
            expect![[r#"
            "delsp\n"
        "#]],
        );
        check(
            "> quoted \n> text\nown \ntext\n",
            false,
            expect![[r#"
            "> quoted text\nown text\n"
        "#]],
        );
        check(
            " From stuffed\n",
            false,
            expect![[r#"
            "From stuffed\n"
        "#]],
        );
        check(
            "body \n-- \nsig\n",
            false,
            expect![[r#"
            "body \n-- \nsig\n"
        "#]],
        );
        check(
            "no newline",
            false,
            expect![[r#"
            "no newline"
        "#]],
        );
    }
}
