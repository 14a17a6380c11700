"""Children forked while the exit check waits must not inherit the program's unflushed stdout:
the line main printed appears exactly once, run after run (stdout a pipe, then a file). Unfixed:
hundreds of copies."""
import os
import tempfile

from exitlib import *  # noqa: F401,F403
from exitlib import check, exe, ok, run

RUNS = 12
for i in range(RUNS):
    r = run([exe("forker")], options="grace_ms=250")
    n = r.stdout.count(b"the one line")
    check(n == 1, f"run {i}: the line appeared {n} times on a pipe", r.stdout[:400], r.stderr)
    check(r.rc == 23 and len(r.leaks) == 1, f"run {i}: status {r.rc}, leaks {len(r.leaks)}",
          r.reports, r.stderr)

with tempfile.TemporaryDirectory() as d:
    for i in range(4):
        out = os.path.join(d, "out")
        r = run(["sh", "-c", f'exec "$0" > {out}', exe("forker")], options="grace_ms=250")
        with open(out, "rb") as f:
            data = f.read()
        n = data.count(b"the one line")
        check(n == 1, f"file run {i}: the line appeared {n} times", data[:400], r.stderr)
# a child forked during the parent's check runs checks of its own, and prints them
for i in range(4):
    r = run([exe("forker"), "child-check"], options="grace_ms=250")
    api = [rep for rep in r.reports if rep["check"] == "api"]
    check(len(api) >= 1 and all(len(rep["leaks"]) == 1 for rep in api),
          f"run {i}: the child's own check printed nothing", r.reports, r.stderr)
ok()
