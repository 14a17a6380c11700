"""1,000,000 short-lived threads over a run: peak RSS stays flat (measured at 10k,
100k and 1M threads: VmHWM, the peak RSS of the program's own image; getrusage's ru_maxrss is
printed too, but it keeps the peak of the Python driver that forked before exec) and the exit check still takes well under a
second. TL_MANY_THREADS changes the total (default 1000000). Prints the numbers for the
README's Reliability section."""
import os
import re

from robust import *  # noqa: F403

many = exe("many")
TOTAL = int(os.environ.get("TL_MANY_THREADS", "1000000"))
LEAKED = 5


def rss_points(out):
    pts = {}
    for m in re.finditer(rb"^rss (\d+) (\d+) KIB ([\d.]+) s (\d+)$", out, re.M):
        pts[int(m.group(1))] = (int(m.group(2)), float(m.group(3)), int(m.group(4)))
    return pts


bare = run([many, str(min(TOTAL, 100000)), "8"], preload=False, timeout=300)
check(bare.rc == 0, f"bare run: status {bare.rc}", bare.stderr)
bare_pts = rss_points(bare.stdout)

r = run([many, str(TOTAL), "8", str(LEAKED)], timeout=600)
check(r.rc == 23, f"status {r.rc}, expected 23 ({LEAKED} leaks at the end)", r.stderr)
check(f"finished {TOTAL}".encode() in r.stdout, "every short-lived thread ran", r.stdout)
pts = rss_points(r.stdout)
rep = r.report
check(rep is not None and rep["leaked"] == LEAKED, f"exactly the {LEAKED} threads left blocked are reported", rep)
check(start_routines(rep) == ["leaked"] * LEAKED, "only the leaked ones", rep)

marks = [m for m in (10000, 100000, 1000000) if m <= TOTAL]
check(all(m in pts for m in marks), f"checkpoints {marks} printed", r.stdout)
base = pts[marks[0]][0]
print("threads created  peak RSS KiB (VmHWM)  without threadleak  elapsed  ru_maxrss KiB")
for m in marks:
    b = bare_pts.get(m, ("-",))[0]
    print(f"{m:>15,}  {pts[m][0]:>20}  {b:>18}  {pts[m][1]:>5.1f} s  {pts[m][2]:>13}")
print(f"exit check with {LEAKED} leaked threads: check_ms {rep['check_ms']} (grace_ms 250 included)")
for m in marks[1:]:
    limit = 2 * base + 4096
    check(pts[m][0] <= limit, f"peak RSS at {m} threads is {pts[m][0]} KiB, more than 2x the "
          f"{base} KiB at {marks[0]} plus 4 MiB: memory is not bounded", pts)
check(rep["check_ms"] < 1000, f"the exit check took {rep['check_ms']} ms after {TOTAL} threads", rep)
ok()
