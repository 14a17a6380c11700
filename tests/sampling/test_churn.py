"""Churn during the check: one thread creates and joins (or detaches) threads in a loop while
main exits, or while main runs a few hundred per-test checks with grace_ms=0. The churning
thread is the one leak of every check; threads being created, joined, detached or exiting while
the check looks (some of them waiting for a lock a pass of the check holds) are not leaks.
The per-test checks run beside two busy loops: on a loaded machine a finished detached thread
can stay listed in glibc's exit path (waiting for the stack cache lock) for thousands of
creations, and threads appear between the check's look at its registry and at /proc."""
import re
import subprocess

from sampling import *  # noqa: F403

prog = exe("churn")
counts = []
for mode in ([], ["-d"]):
    name = "detached" if mode else "joined"
    for i in range(12):
        r = run([prog] + mode, timeout=60)
        what = f"exit {name} run {i}"
        check(b"main done" in r.stdout, f"{what}: output lost", r.stderr)
        rep = r.report
        check(rep is not None, f"{what}: no report", r.stderr)
        starts = [leak["start_routine"] for leak in rep["leaks"]]
        counts.append(len(starts))
        check(starts == ["churner"], f"{what}: leaks {starts}", rep)
    busy = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2)]
    try:
        api = [run([prog, "-a", "300"] + mode, options="grace_ms=0", timeout=60)
               for i in range(3)]
    finally:
        for b in busy:
            b.kill()
            b.wait()
    for i, r in enumerate(api):
        out = r.stdout.decode(errors="replace")
        m = re.search(r"checks (\d+) leaked (\d+) wrong (\d+)", out)
        check(m is not None, f"api {name} run {i}: {out!r}", r.stderr)
        check(m.group(3) == "0" and m.group(2) == "300",
              f"api {name} run {i}: checks that did not find exactly the churner: {out!r}",
              r.stderr)
print("leaks per exit check:", counts)
ok()
