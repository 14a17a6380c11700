"""threadleak dump while the main thread waits in a timed call: the request's signal lands on
the main thread, whose handler makes the report. Twice during one 2 s wait (the first request
of a process also chooses the sampling signal), the call must return what it would have without
the requests: no EINTR, no early return, and not its whole timeout again after the report."""
import json
import re
import signal
import time

from liveutil import CLI, Live, check, exe, ok, run

SIG = signal.SIGRTMAX - 1  # what threadleak run gives the library
MS = 2000
LATE_MS = 350  # the reports' own time is not added; what is left is scheduling on a busy machine

CALLS = {  # call: (what it returns, errno) when its time is up
    "sleep": (0, "0"),
    "usleep": (0, "0"),
    "nanosleep": (0, "0"),
    "clock_nanosleep": (0, "0"),
    "poll": (0, "0"),
    "ppoll": (0, "0"),
    "select": (0, "0"),
    "epoll_wait": (0, "0"),
    "epoll_pwait": (0, "0"),
    "sem_timedwait": (-1, "ETIMEDOUT"),
    "cond_timedwait": (110, "ETIMEDOUT"),
}

failed = []
for call, (want_r, want_errno) in CALLS.items():
    live = Live([exe("mainwait"), call, str(MS)], options=f"dump_signal={SIG}")
    try:
        for when in (0.5, 0.5):
            time.sleep(when)
            if live.p.poll() is not None:  # the call returned early: said below
                break
            r = run([CLI, "dump", "--json", str(live.p.pid)], preload=False, timeout=60)
            check(r.rc == 0, f"{call}: dump status {r.rc}", r.stderr)
            doc = json.loads(r.stdout)
            check(doc["threads"] == 2, f"{call}: {doc['threads']} threads in the report")
        rc = live.wait(timeout=30)
        check(rc == 0, f"{call}: mainwait ended with {rc}", live.err)
        m = re.search(r"^(\w+) returned (-?\d+) errno (\w+) after (\d+) ms$", live.out, re.M)
        check(m is not None, f"{call}: no result line", live.out)
        got_r, got_errno, took = int(m.group(2)), m.group(3), int(m.group(4))
        print(f"{call}: returned {got_r} errno {got_errno} after {took} ms")
        if (got_r, got_errno) != (want_r, want_errno) or not MS - 1 <= took <= MS + LATE_MS:
            failed.append(f"{call} returned {got_r} errno {got_errno} after {took} ms, "
                          f"expected {want_r} errno {want_errno} after {MS} ms")
    finally:
        live.close()
check(not failed, "calls that the dumps disturbed:\n  " + "\n  ".join(failed))
ok()
