#!/usr/bin/env python3
"""Make an N-times larger copy of an mbox corpus with threads intact.

Usage: grow_corpus.py N OUT.mbox IN.mbox [IN.mbox ...]

Copy k (k = 0..N-1) of every message gets every Message-ID it names in its
Message-ID, In-Reply-To and References headers rewritten from <id> to
<gK.id> (copy 0 is left as it is), so each copy's threads refer only to
themselves and the corpus grows by N without new duplicates. Bodies,
subjects and dates are kept: the larger corpus has the same shape, only
more of it. Streams; memory stays flat.
"""
import re, sys

n, out, inputs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
IDS = re.compile(rb"<([^<>\s]+)>")
REWRITE = (b"message-id:", b"in-reply-to:", b"references:")

def copies(path):
    """Yields each message's lines (mboxrd/mboxo 'From ' separators)."""
    msg = []
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From ") and msg:
                yield msg
                msg = []
            msg.append(line)
    if msg:
        yield msg

with open(out, "wb") as w:
    for k in range(n):
        tag = b"g%d." % k
        for path in inputs:
            for msg in copies(path):
                if k == 0:
                    w.writelines(msg)
                    continue
                in_header, rewriting = True, False
                for line in msg:
                    if in_header:
                        if line in (b"\n", b"\r\n"):
                            in_header = False
                        elif line[:1] in (b" ", b"\t"):
                            pass  # a continuation keeps the header's mode
                        else:
                            rewriting = line.lower().startswith(REWRITE)
                        if in_header and rewriting:
                            line = IDS.sub(lambda m: b"<" + tag + m.group(1) + b">", line)
                    w.write(line)
