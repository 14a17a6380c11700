"""Hang reports on the signals others send (dump_on_signal=1): SIGTERM, SIGINT and SIGQUIT write
a report of every thread, the main thread included, with the chain of waits; then the signal
does what it did before: the default action ends the process with the same status, the
program's own handler runs, an ignored signal stays ignored, and sigaction() shows the program
the action it would see bare."""
import signal

from liveutil import Live, by_number, check, exe, ok, source_line
import os

HANG_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hang.c")


def session(mode, sig, options="dump_on_signal=1", preload=True, wait=30):
    live = Live([exe("hang"), mode], options=options, preload=preload)
    try:
        live.signal(sig)
        rc = live.wait(timeout=wait)
        reports = live.reports()
        return rc, reports, live
    finally:
        live.close()


# 1. The hang: SIGTERM gives the report first, then the same death as bare.
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
    bare_rc, _, _ = session("hang", sig, preload=False)
    rc, reports, live = session("hang", sig)
    check(rc == bare_rc == -sig, f"{sig.name}: status {rc} under the library, {bare_rc} bare", live.err)
    check(len(reports) == 1, f"{sig.name}: one report expected, got {len(reports)}", live.err)
    doc = reports[0]
    check(doc["check"] == "hang" and doc["exit_status"] is None and doc["leaked"] == 0,
          f"{sig.name}: not a hang report", doc)
    check(sig.name in doc["reason"], f"{sig.name}: reason {doc['reason']!r}", doc)
    check(doc["threads"] == 2 and len(doc["leaks"]) == 2, "both threads, main included", doc)
    main, worker = by_number(doc, 1), by_number(doc, 2)
    check(main and main["state"] == "blocked" and main["blocked_in"] == "pthread_join",
          "main thread blocked in pthread_join", doc)
    check(main["created_by"] is None, "the main thread has no creation stack", main)
    check(any(f["function"] == "main" and f["line"] == source_line(HANG_C, "MAIN_JOIN")
              for f in main["stack"]), "main's stack at its pthread_join", main)
    check(worker and worker["blocked_in"] == "pthread_cond_wait" and "cv" in worker["object"],
          "worker blocked in pthread_cond_wait on cv", doc)
    check(any(f["function"] == "worker" and f["line"] == source_line(HANG_C, "WORKER_WAIT")
              for f in worker["stack"]), "worker's stack at its wait", worker)
    waits = doc["waits"]
    check(len(waits) == 1 and waits[0].startswith("main thread blocked in pthread_join on thread 2")
          and "which is blocked in pthread_cond_wait on cond cv" in waits[0],
          f"the chain of waits: {waits}", doc)

# 2. Off: no report, same status (the test can fail).
rc, reports, live = session("hang", signal.SIGTERM, options="")
check(rc == -signal.SIGTERM and not reports, f"dump_on_signal=0: status {rc}, {len(reports)} reports")

# 3. The program's own handler runs after the report, with its status.
rc, reports, live = session("handler", signal.SIGTERM)
check(rc == 3 and "handled" in live.out, f"the program's handler: status {rc}, output {live.out!r}")
check(len(reports) == 1 and reports[0]["check"] == "hang", "a hang report before the handler",
      reports, live.err)

# 4. Ignored stays ignored: no report, the process goes on (SIGKILL ends it).
live = Live([exe("hang"), "ignore"], options="dump_on_signal=1")
try:
    live.signal(signal.SIGTERM)
    check(live.wait(timeout=1.5) is None, "an ignored SIGTERM ended the process", live.err)
    check(not live.reports(), "an ignored SIGTERM gave a report")
    live.signal(signal.SIGKILL)
    check(live.wait() == -signal.SIGKILL, "SIGKILL")
finally:
    live.close()

# 5. The program sees SIGINT's action as SIG_DFL (CPython installs its handler only then), and
#    its handler, installed after ours, runs after the report.
rc, reports, live = session("sigaction", signal.SIGINT)
check("SIGINT default" in live.out, f"sigaction() showed the program our handler: {live.out!r}")
check(rc == 4 and "interrupted" in live.out, f"the program's SIGINT handler: status {rc}", live.out)
check(len(reports) == 1 and reports[0]["check"] == "hang", "a hang report before the handler", reports)

# 6. A hang in an atexit handler: main is in exit(), joining from the handler.
rc, reports, live = session("atexit", signal.SIGTERM)
check(rc == -signal.SIGTERM, f"atexit hang: status {rc}", live.err)
check(len(reports) == 1, "one report: the hang, no exit report", reports)
main = by_number(reports[0], 1)
check(main and main["blocked_in"] == "pthread_join" and
      any(f["function"] == "join_worker" for f in main["stack"]) and
      any(f["function"] == "exit" or "exit" in (f["function"] or "") for f in main["stack"]),
      "main blocked in pthread_join inside the atexit handler", main)
# SIGTERM at a random moment of the first milliseconds, while the first pthread_create loads
# libunwind: the report made in the handler waited for the load it had interrupted, forever
# (3 to 11 runs of 100), or for malloc's lock, held by our code in pthread_create (1 of 150).
# Now every run ends, by the signal.
import random
import subprocess
import time
from tl_test import LIB
hung = 0
env = dict(os.environ, LD_PRELOAD=LIB, THREADLEAK_OPTIONS="dump_on_signal=1")
for i in range(150):
    p = subprocess.Popen([exe("churn")], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0.001, 0.03))
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
        check(rc in (-signal.SIGTERM, 0), f"churn run {i}: status {rc}")
    except subprocess.TimeoutExpired:
        hung += 1
        p.kill()
        p.wait()
check(hung == 0, f"churn: {hung} of 150 runs hung after SIGTERM")
ok()
