"""Threads that all wait, untimed, on a condition variable nobody signals or on a mutex main
holds can never change: the check ends without waiting out a long grace period. check_ms is
the check's own time, compared with half of grace_ms=5000 (not a timing race: waiting the
grace period would take all 5000 ms). A finished thread nobody joined changes nothing."""
from tl_test import *  # noqa: F403

prog = exe("grace")
for n in (1, 20):
    r = run([prog, "forever", str(n)], options="grace_ms=5000")
    check(r.rc == 23, f"n={n}: exit status {r.rc}", r.stderr)
    calls = sorted(leak["blocked_in"] for leak in r.leaks)
    check(calls == ["pthread_cond_wait"] * n + ["pthread_mutex_lock"] * n,
          f"n={n}: every waiter reported: {calls}", r.report)
    check(r.report["check_ms"] < 2500,
          f"n={n}: the check waited out the grace period ({r.report['check_ms']} ms)", r.report)
# a finished thread nobody joined cannot change either: reported as exited, no waiting
r = run([prog, "exited", "3"], options="grace_ms=5000")
states = sorted((leak["start_routine"], leak["state"]) for leak in r.leaks)
check(states == [("cond_waiter", "blocked")] * 3 + [("returner", "exited")],
      f"exited: the waiters and the finished thread reported: {states}", r.report)
check(r.report["check_ms"] < 2500,
      f"exited: the check waited out the grace period ({r.report['check_ms']} ms)", r.report)
ok()
