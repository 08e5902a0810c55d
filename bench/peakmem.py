#!/usr/bin/env python3
"""Run a command once; report wall and CPU seconds, peak RSS as wait4 gives
it, and peak anonymous and file-backed RSS sampled from /proc every 0.1 s.

Usage: peakmem.py --label NAME --out FILE.jsonl -- COMMAND [ARG...]

Why both: peak RSS (ru_maxrss) counts file pages the process has mapped,
and tantivy reads its segments through mmap while merging them: those pages
are the kernel's page cache, reclaimable at any time, and can be most of
the peak. The anonymous peak is the memory the process itself holds.
"""
import argparse, json, os, subprocess, time

ap = argparse.ArgumentParser()
ap.add_argument("--label", default="")
ap.add_argument("--out")
ap.add_argument("cmd", nargs=argparse.REMAINDER)
a = ap.parse_args()
cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
peak = {"RssAnon": 0, "RssFile": 0}
while True:
    try:
        for line in open(f"/proc/{p.pid}/status"):
            k = line.split(":")[0]
            if k in peak:
                peak[k] = max(peak[k], int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError):
        pass
    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
    if pid:
        break
    time.sleep(0.1)
wall = time.monotonic() - t0
rec = dict(label=a.label, cmd=cmd, wall=wall, cpu=ru.ru_utime + ru.ru_stime,
           maxrss_mib=ru.ru_maxrss / 1024, anon_mib=peak["RssAnon"] / 1024,
           file_mib=peak["RssFile"] / 1024, rc=os.waitstatus_to_exitcode(status))
print(f"{a.label:20s} wall {wall:8.2f}s cpu {rec['cpu']:8.2f}s peak RSS {rec['maxrss_mib']:6.0f} MiB "
      f"(anonymous {rec['anon_mib']:.0f}, file-backed {rec['file_mib']:.0f}) rc {rec['rc']}")
if a.out:
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
