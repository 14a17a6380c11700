"""Anything that may still change keeps the whole grace period: a thread in a timed wait, one
computing, one reading a pipe another process writes to, one sleeping. Each ends after 300 ms,
well inside grace_ms=1000, and must not be reported; the cond waiters beside it are."""
from tl_test import *  # noqa: F403

prog = exe("grace")
for mode, fn in (("timed", "timed_waiter"), ("busy", "busy_worker"), ("pipe", "pipe_reader"),
                 ("sleep", "sleeper")):
    for i in range(3):
        r = run([prog, mode, "3"], options="grace_ms=1000")
        check(r.rc == 23, f"{mode}: exit status {r.rc}", r.stderr)
        starts = sorted(leak["start_routine"] for leak in r.leaks)
        check(starts == ["cond_waiter"] * 3,
              f"{mode} run {i}: only the cond waiters are reported: {starts}", r.report)
ok()
