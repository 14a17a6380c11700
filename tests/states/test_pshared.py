"""Process-shared locks held by another process. The owner's tid in a mutex (or a rwlock's
writer) is no thread of the process that waits, yet it is alive: the report names it as a
thread of the other process, "held by tid N of process P (name)", and held_by carries pid and
process. Only the mutex whose holder exited without unlocking it says "its owner has exited"."""
import re

from states import *  # noqa: F403

r, v = run_case("pshared")
holder, quitter = v["holder"], v["quitter"]
leaks = r.leaks
check(len(leaks) == 4, f"{len(leaks)} leaks, expected 4", r.report, r.stderr)
by_start = {l.get("start_routine"): l for l in leaks}
for start in ("lock_plain", "lock_robust", "lock_rw"):
    l = by_start.get(start)
    check(l is not None, f"no leak started at {start}", leaks)
    obj = l.get("object") or ""
    hb = l.get("held_by") or {}
    check(l["state"] == "blocked" and "exited" not in obj and "died" not in obj,
          f"{start}: the live holder is said to be gone: {obj!r}", l)
    check(hb.get("thread") is None and hb.get("tid") == holder and hb.get("pid") == holder
          and hb.get("process") == "states",
          f"{start}: held_by {hb}, expected tid {holder} of process {holder} (states)", l)
l = by_start.get("lock_orphan")
obj = (l or {}).get("object") or ""
check(l is not None and "its owner has exited" in obj and "pid" not in (l.get("held_by") or {}),
      f"the quitter's mutex: {obj!r}, held_by {(l or {}).get('held_by')}", l)
f = frame(by_start["lock_plain"]["stack"], "lock_plain")
check(f is not None and f["line"] == source_line(SOURCE, "PSHARED_LOCK"), "lock_plain's frame",
      by_start["lock_plain"]["stack"])

t = run([exe("states"), "pshared"], json_format=False)
text = t.stderr.decode(errors="replace")
holder = int(re.search(rb"holder=(\d+)", t.stdout).group(1))  # this run's
want = f"held by tid {holder} of process {holder} (states)"
check(text.count(want) == 3, f"text: {want!r} three times", text)
ok()
