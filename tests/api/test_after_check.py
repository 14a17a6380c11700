"""Threads created after a mid-run check that found threads have the right creation stacks,
and their creation does not crash. The check's unwinding reads memory through copies of the
pages it has seen (preload/capture.c quiet_access_mem); a creation's stepped walk (a thread's
first 64 creations) went through the same copies after the first such check: the wrong line
(a previous creation's), garbage pcs, and a crash in pthread_create in about 1 run in 4."""
import os

from apiutil import *  # noqa: F403

prog = exe("api_after_check")
stuck_line = source_line(os.path.join(os.path.dirname(os.path.abspath(__file__)), "after_check.c"),
                         "/* CREATE_STUCK */")
for i in range(20):
    r = run([prog], timeout=60)
    check(r.rc == 23, f"run {i}: status {r.rc} (a crash is 139)", r.stdout, r.stderr[-3000:])
    check(r.stdout == b"found 1\nfound 2\nfound 3\n", f"run {i}: {r.stdout!r}")
    leaks = r.checks[0][-1]["leaks"]  # the exit check's report
    check(len(leaks) == 4, f"run {i}: {len(leaks)} leaks at exit, expected 4", leaks)
    for l in leaks:
        st = l["created_by"]["stack"]
        check(st and st[0].get("function") == "spawn_stuck" and st[0].get("line") == stuck_line
              and functions(st)[1] == "main",
              f"run {i}: a stuck thread created at "
              f"{[(f.get('function'), f.get('line'), f.get('pc')) for f in st[:3]]}, "
              f"expected spawn_stuck at after_check.c:{stuck_line} under main", l)
ok()
