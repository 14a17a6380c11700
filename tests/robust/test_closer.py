"""A program that closes every fd above 2 in a loop while a check runs (closer.c): the check's
own listing of /proc/self/task is closed under it. A listing cut short took every thread after
the cut for exited (300 to 600 of 600 waiters, every run with the helper thread of the looks);
a failed read now lists again. The report is on stderr (the log file's fd would be closed
too)."""
import collections

from tl_test import *  # noqa: F403

prog = exe("closer")
N = 600
for i in range(4):
    r = run([prog, str(N)], options="format=json", json_format=False, timeout=120)
    check(r.rc == 0 and r.stdout in (f"verify {N}\n".encode(), f"verify {N + 1}\n".encode()),
          f"run {i}: status {r.rc}, {r.stdout!r}", r.stderr[-2000:])
    docs = json_docs(r.stderr)
    check(len(docs) >= 1, f"run {i}: no report", r.stderr[-2000:])
    # without symbols (libdw's files may be closed too): the waiters by their wrapped call
    states = collections.Counter((l["state"], l.get("blocked_in")) for l in docs[0]["leaks"])
    check(states[("blocked", "pthread_cond_wait")] == N and sum(states.values()) <= N + 1,
          f"run {i}: the threads: {dict(states)}")
ok()
