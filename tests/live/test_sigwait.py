"""threadleak dump of a daemon that blocks every signal in every thread and takes them in one
thread (sigwaitinfo, sigwait, sigtimedwait on the full set): the request signal is pending for
the process and that wait dequeues it. The library takes it there, makes the report in that
thread and waits on: the program never sees the request (nor the sampling's signal), and a
sigtimedwait still ends after its own timeout. A daemon whose waits leave the signal out (a
narrow set, a signalfd) cannot answer: dump says why in one line and fails, and the daemon
goes on undisturbed; dump gives up after a second, not after its whole --wait. A signal the program queues itself on that number is its own: its
sigwaitinfo gets it, with its value (it was dropped as a request that was not one), and a dump
is still answered."""
import json
import re
import signal
import time

from liveutil import CLI, Live, check, exe, ok, run

SIG = signal.SIGRTMAX - 1  # what threadleak run gives the library


def dump(pid, *args):
    return run([CLI, "dump", *args, str(pid)], preload=False, timeout=60)


for mode, call in (("sigwaitinfo", "sigwaitinfo"), ("sigwait", "sigwait"),
                   ("sigtimedwait", "sigtimedwait")):
    live = Live([exe("sigthread"), mode], options=f"dump_signal={SIG}")
    try:
        for i in range(3):
            time.sleep(0.3)
            r = dump(live.p.pid, "--json", "--wait", "10")
            check(r.rc == 0, f"{mode}: dump {i}: status {r.rc}", r.stderr)
            doc = json.loads(r.stdout)
            calls = sorted(t.get("blocked_in") or "" for t in doc["leaks"])
            check(doc["threads"] == 2 and call in calls, f"{mode}: dump {i}: threads {calls}", doc)
        live.tell("stop\n")
        rc = live.wait(timeout=30)
        check(rc == 0 and live.out.rstrip().endswith("done"), f"{mode}: status {rc}", live.out, live.err)
        check("unexpected" not in live.out and "bad wait" not in live.out,
              f"{mode}: the program saw the requests", live.out)
    finally:
        live.close()

live = Live([exe("sigthread"), "own"], options=f"dump_signal={SIG}")
try:
    time.sleep(0.3)
    r = dump(live.p.pid, "--json", "--wait", "10")
    check(r.rc == 0, f"own: dump: status {r.rc}", r.stderr)
    live.tell("stop\n")
    rc = live.wait(timeout=30)
    check(rc == 0 and f"own signal {SIG} value 101" in live.out,
          f"own: status {rc}; the program's own signal {SIG} did not reach its sigwaitinfo", live.out,
          live.err)
    check("unexpected" not in live.out, "own: the program saw the request", live.out)
finally:
    live.close()

# No wait of the program takes the signal, and every thread blocks it: no report possible.
# dump looks again after a second and gives up then, whatever --wait says.
for mode, wait in (("narrow", "1"), ("signalfd", "10")):
    live = Live([exe("sigthread"), mode], options=f"dump_signal={SIG}")
    try:
        t0 = time.monotonic()
        r = dump(live.p.pid, "--wait", wait)
        took = time.monotonic() - t0
        check(took < 4, f"{mode}: --wait {wait}: gave up after {took:.1f} s, not after about 1 s")
        err = r.stderr.decode()
        check(r.rc == 1 and len(err.splitlines()) == 1 and
              re.search(rf"process {live.p.pid} did not answer signal {SIG} within \d+ s: all 2 "
                        rf"threads block signal {SIG} .*none waits for it in sigwait", err),
              f"{mode}: status {r.rc}", err)
        check(r.stdout == b"", f"{mode}: nothing on stdout", r.stdout)
        check(live.p.poll() is None, f"{mode}: the process ended")
        live.tell("stop\n")
        rc = live.wait(timeout=30)
        check(rc == 0 and "unexpected" not in live.out, f"{mode}: status {rc}", live.out, live.err)
    finally:
        live.close()
ok()
