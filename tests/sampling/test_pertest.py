"""Per-test checks with grace_ms=0 (a test runner calling threadleak_verify_none() after each
test): a thread joined just before the check is never reported (its task lists in /proc a
moment after the join returns), and a leaked thread that sleeps in a loop never sees EINTR nor
a short sleep, whichever sleep it uses, though it is sampled a thousand times."""
import re
import signal as sig

from sampling import *  # noqa: F403

prog = exe("pertest")
SIG = int(sig.SIGRTMIN) + 7

# 1. the joined thread, its exit made slow by a private fd table full of descriptors
for i in range(10):
    r = run([prog, "-j", "300", "-u"], options="grace_ms=0", timeout=60)
    out = r.stdout.decode(errors="replace")
    check("join reports 0" in out, f"join run {i}: a joined thread was reported: {out!r}",
          r.stderr)

# 2. the signal of a check arriving just after the thread went to sleep, forced: the sleep
# goes on to its end as if nothing happened
for i in range(3):
    r = run([prog, "-t", str(SIG)], options=f"grace_ms=0:signal={SIG}", timeout=60)
    out = r.stdout.decode(errors="replace")
    check("direct eintr 0 short 0" in out, f"direct run {i}: {out!r}", r.stderr)
    check(r.rc == 0, f"direct run {i}: status {r.rc}", r.stderr)

# 3. the real race: a thousand checks against a thread that sleeps between short bursts. A raw
# syscall(SYS_nanosleep) is counted, not asserted: its call number is not in the code before
# the interrupted instruction, so the few microseconds between our last look at the thread and
# the signal remain (the README says so).
total, raw_eintr = 0, 0
for kind in "ncuar":
    for busy in ("2", "20"):
        r = run([prog, "-s", "1000", "-k", kind, "-b", busy], options="grace_ms=0", timeout=60)
        out = r.stdout.decode(errors="replace")
        m = re.search(r"sleep eintr (\d+) short (\d+) reports (\d+) leaked (\d+)", out)
        check(m is not None, f"sleep {kind}/{busy}: no result line {out!r}", r.stderr)
        eintr, short, reports, leaked = map(int, m.groups())
        if kind == "r":
            raw_eintr += eintr
            eintr = 0
        check(eintr == 0 and short == 0, f"sleep {kind}/{busy}: {out!r}", r.stderr)
        check(reports == 1000 and leaked == 1000,
              f"sleep {kind}/{busy}: the sleeper is the one leak of every check: {out!r}")
        total += 1000
print(f"{total} sampled checks, no EINTR through libc's calls; raw syscall(): {raw_eintr} in 2000")
ok()
