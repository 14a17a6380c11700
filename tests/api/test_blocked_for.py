"""How long a thread has waited on a mutex (pthread_mutex_lock is not wrapped: the scheduler
says when it went to sleep, /proc/PID/task/TID/sched). The first check (after 1 s) says about
1 s. That check's signal wakes the thread, which sleeps again at once: the later checks (a mid-run
one 300 ms later, and the exit check) must not say "300 ms" or less, the time since that signal,
but nothing (kernels without CONFIG_SCHED_DEBUG: nothing at all)."""
import os

from apiutil import *  # noqa: F403

r = run([exe("api_mutex_checks")], timeout=60)
check(r.rc == 23 and r.stdout == b"done\n", f"exit status {r.rc}", r.stderr)
docs = r.checks[0] if r.checks else []
check(len(docs) == 3, f"{len(docs)} reports, expected 3 (two mid-run, one at exit)", r.stderr)
waits = [next(l for l in d["leaks"] if l["name"] == "waits") for d in docs]
for w in waits:
    check(w["state"] == "blocked" and w["blocked_in"] == "pthread_mutex_lock", "blocked on m", w)
if os.path.exists("/proc/self/sched"):
    first = waits[0]["blocked_ms"]
    check(isinstance(first, int) and 900 <= first <= 5000, f"first check: blocked_ms {first}", docs[0])
for i, w in enumerate(waits[1:], 2):
    check(w["blocked_ms"] is None or w["blocked_ms"] >= 1200,
          f"check {i}: blocked_ms {w['blocked_ms']}: the time since the last check's signal", w)
ok()
