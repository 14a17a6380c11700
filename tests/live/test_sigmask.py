"""threadleak dump of a daemon whose main thread blocks every signal (tests/live/sigmask.c): a
signal sent to the process would go to a worker, and one asleep in semtimedop (which the kernel
never restarts after a handler) would return EINTR. dump sends the request to one thread that
it leaves undisturbed, or, with none, says so in one line and does not ask."""
import json
import re
import signal
import time

from liveutil import CLI, Live, check, dump, exe, ok, run
from liveutil import sigmask_counts as counts

SIG = signal.SIGRTMAX - 1


# A worker in semtimedop, one in thrd_sleep: every request goes to the sleeper (whose sleep
# the library finishes for the time that was left); semtimedop never sees EINTR.
live = Live([exe("sigmask"), "sem"], options=f"dump_signal={SIG}")
try:
    for i in range(12):
        time.sleep(0.1)
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"sem: dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        check(doc["threads"] == 3, f"sem: dump {i}: threads", doc)
    live.tell("stop\n")
    rc = live.wait(timeout=30)
    check(rc == 0 and live.out.rstrip().endswith("done"), f"sem: status {rc}", live.out, live.err)
    n_sem, e_sem, n_sleep, e_sleep, early = counts(live.out)
    check(n_sem > 20 and n_sleep > 20, "sem: the workers did not run", live.out)
    check(e_sem == 0, f"sem: semtimedop returned EINTR {e_sem} times in {n_sem} calls", live.out)
    check(e_sleep == 0 and early == 0,
          f"sem: thrd_sleep interrupted {e_sleep}, early {early}", live.out)
finally:
    live.close()

# Only the semtimedop worker takes the signal: dump says so and does not ask.
live = Live([exe("sigmask"), "semonly"], options=f"dump_signal={SIG}")
try:
    for i in range(3):
        r = dump(live.p.pid, "--wait", "2")
        err = r.stderr.decode()
        check(r.rc == 1 and len(err.splitlines()) == 1 and
              re.search(rf"process {live.p.pid}: every thread that takes signal {SIG} is in a "
                        r"system call it would interrupt with EINTR \(tid \d+ in semtimedop\), "
                        r"and the other 1 block it: not asked", err),
              f"semonly: dump {i}: status {r.rc}", err)
        check(r.stdout == b"", "semonly: nothing on stdout", r.stdout)
    live.tell("stop\n")
    rc = live.wait(timeout=30)
    check(rc == 0, f"semonly: status {rc}", live.out, live.err)
    n_sem, e_sem, *_ = counts(live.out)
    check(e_sem == 0, f"semonly: semtimedop returned EINTR {e_sem} times in {n_sem}", live.out)
finally:
    live.close()

ok()
