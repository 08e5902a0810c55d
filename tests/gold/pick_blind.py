#!/usr/bin/env python3
"""Draw a blind gold set from a corpus and write each thread as plain text.

Reads the raw mbox files with Python's own `mailbox`/`email` modules (never
whosaid), threads them by In-Reply-To/References, and draws:

- RANDOM threads rooted at a patch (`[PATCH` in the root's subject, not a
  reply) with at least 2 replies from people other than the root's sender,
  by `random.Random(SEED)`;
- CHOSEN threads "chosen for objections" without reading them: patch threads
  with 2+ replies from others whose patch was posted again later as a
  higher version (same subject after the `[PATCH ...]` prefix, same sender),
  i.e. threads where a change was likely asked for.

Threads already named in EXCLUDE files (gold TSVs, or an earlier draw's roots.txt) are skipped, as are
threads over 40 messages (a labeller reads each in full).

    python3 tests/gold/pick_blind.py CORPUS_DIR SEED RANDOM CHOSEN OUT_DIR [EXCLUDE.tsv...]

writes OUT_DIR/NN.txt (one thread, messages in date order, headers
trimmed, long quoted runs shortened) and OUT_DIR/roots.txt.
"""
import email
import email.policy
import email.utils
import glob
import mailbox
import os
import random
import re
import sys

MAX_MESSAGES = 40
ID = re.compile(r"<([^<>\s]+)>")


def ids(value):
    return ID.findall(str(value or ""))


def load(corpus):
    msgs = {}
    for path in sorted(glob.glob(os.path.join(corpus, "*.mbox"))):
        for m in mailbox.mbox(path, factory=None):
            raw = m.as_bytes()
            e = email.message_from_bytes(raw, policy=email.policy.default)
            mid = (ids(e.get("Message-ID")) or [None])[0]
            if not mid or mid in msgs:
                continue
            irt = ids(e.get("In-Reply-To"))
            refs = ids(e.get("References"))
            parent = irt[0] if irt else (refs[-1] if refs else None)
            msgs[mid] = {"e": e, "parent": parent, "refs": refs}
    return msgs


def root_of(msgs, mid):
    """Follow parents up; a missing parent is skipped for the nearest known reference."""
    seen, cur = set(), mid
    while True:
        seen.add(cur)
        m = msgs[cur]
        p = m["parent"] if m["parent"] in msgs else next((r for r in reversed(m["refs"]) if r in msgs), None)
        if p is None or p in seen:
            return cur
        cur = p


def sender(e):
    return email.utils.parseaddr(str(e.get("From", "")))[1].lower()


def subject(e):
    return " ".join(str(e.get("Subject", "")).split())


def bare_subject(s):
    return re.sub(r"^(\s*(re|fwd?):\s*)*(\[[^\]]*\]\s*)*", "", s, flags=re.I).strip().lower()


def version(s):
    m = re.search(r"\[[^\]]*?\bv(\d+)\b[^\]]*\]", s, flags=re.I)
    return int(m.group(1)) if m else 1


def when(e):
    try:
        return email.utils.parsedate_to_datetime(str(e.get("Date"))).timestamp()
    except Exception:
        return 0.0


def threads(msgs):
    out = {}
    for mid in msgs:
        out.setdefault(root_of(msgs, mid), []).append(mid)
    return out


def eligible(msgs, root, members):
    e = msgs[root]["e"]
    if msgs[root]["parent"] is not None or "[patch" not in subject(e).lower():
        return False
    if len(members) > MAX_MESSAGES:
        return False
    author = sender(e)
    return sum(1 for m in members if sender(msgs[m]["e"]) != author) >= 2


def reposted(msgs, roots):
    """Roots whose subject comes again later, from the same sender, as a higher version."""
    by_key = {}
    for r in roots:
        e = msgs[r]["e"]
        by_key.setdefault((sender(e), bare_subject(subject(e))), []).append(r)
    later = set()
    for group in by_key.values():
        for r in group:
            v, t = version(subject(msgs[r]["e"])), when(msgs[r]["e"])
            if any(version(subject(msgs[o]["e"])) > v and when(msgs[o]["e"]) > t for o in group):
                later.add(r)
    return later


def body_text(e):
    part = e.get_body(preferencelist=("plain",)) if e.is_multipart() else e
    if part is None:
        return "[no text part]"
    try:
        return part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def shorten(text):
    lines = text.splitlines()
    out, run = [], []

    def flush():
        if len(run) > 14:
            out.extend(run[:5] + [f"> [... {len(run) - 10} more quoted lines ...]"] + run[-5:])
        else:
            out.extend(run)
        run.clear()

    for line in lines:
        if line.startswith(">"):
            run.append(line)
        else:
            flush()
            out.append(line)
    flush()
    if len(out) > 300:
        out = out[:300] + [f"[... {len(out) - 300} more lines of this message not shown ...]"]
    return "\n".join(out)


def render(msgs, members):
    parts = []
    for mid in sorted(members, key=lambda m: when(msgs[m]["e"])):
        e = msgs[mid]["e"]
        head = [
            f"Message-ID: <{mid}>",
            f"From: {e.get('From', '')}",
            f"Date: {e.get('Date', '')}",
            f"Subject: {subject(e)}",
        ]
        if msgs[mid]["parent"]:
            head.append(f"In-Reply-To: <{msgs[mid]['parent']}>")
        for h in ("To", "Cc"):
            if e.get(h):
                head.append(f"{h}: {' '.join(str(e.get(h)).split())[:300]}")
        parts.append("=" * 72 + "\n" + "\n".join(head) + "\n\n" + shorten(body_text(e)))
    return "\n\n".join(parts) + "\n"


def excluded(paths):
    out = set()
    for p in paths:
        for line in open(p, encoding="utf-8"):
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 2 and cols[0] in ("stance", "trailer", "patch"):
                out.add(cols[1])
            elif len(cols) == 4 and cols[1] in ("random", "chosen"):
                out.add(cols[2])  # a roots.txt of an earlier draw
    return out


def main():
    corpus, seed, n_random, n_chosen, out_dir, *exclude = sys.argv[1:]
    msgs = load(corpus)
    skip = excluded(exclude)
    all_threads = threads(msgs)
    roots = sorted(
        r for r, members in all_threads.items()
        if eligible(msgs, r, members) and not any(m in skip for m in members)
    )
    rng = random.Random(int(seed))
    picked = rng.sample(roots, int(n_random))
    rest = sorted(set(reposted(msgs, roots)) - set(picked))
    picked += rng.sample(rest, min(int(n_chosen), len(rest)))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "roots.txt"), "w") as f:
        for i, r in enumerate(picked, 1):
            kind = "random" if i <= int(n_random) else "chosen"
            f.write(f"{i:02d}\t{kind}\t{r}\t{len(all_threads[r])}\n")
            with open(os.path.join(out_dir, f"{i:02d}.txt"), "w") as t:
                t.write(render(msgs, all_threads[r]))
    print(f"{len(roots)} eligible threads, {len(rest)} reposted; wrote {len(picked)} to {out_dir}")


if __name__ == "__main__":
    main()
