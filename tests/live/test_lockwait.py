"""Hang reports of threads waiting in pthread_mutex_lock (tests/live/lockwait.c), which the
library does not wrap: it cannot take stacks there. The request must go to a thread inside a
wrapper when one exists, here a main thread in sleep, usleep or nanosleep: the report is whole
(it was reduced, no stacks at all, because an untimed futex wait outside any wrapper was chosen
first), and the sleep returns on time, neither early nor with EINTR. A deadlock of two workers
is shown with its cycle and stacks whether main sleeps (the watchdog pattern) or joins, or is
itself one of the two threads in pthread_mutex_lock."""
import json
import os
import re
import signal
import time

from liveutil import CLI, Live, check, dump, exe, ok, read_checks, run, source_line

LOCKWAIT_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lockwait.c")

SIG = signal.SIGRTMAX - 1  # what threadleak run gives the library
MS = 2000
LATE_MS = 350  # as test_dump_calls: scheduling on a busy machine


def whole(doc, what):
    """Check that doc is a whole report: not reduced, every thread with a stack."""
    check(doc.get("reduced") is None, f"{what}: the report is reduced", doc.get("reduced"),
          doc)
    for t in doc["leaks"]:
        check(t.get("stack"), f"{what}: thread {t['thread']} has no stack", t)


def by_routine(doc, routine):
    return [t for t in doc["leaks"] if t.get("start_routine") == routine]


# 1. main sleeps holding the mutex a worker waits for (the tester's slp.c). Asked once: the
#    rest of a sleep a request interrupted is waited inside the library's handler, where no
#    report can be made; a second request in the same sleep gets a reduced one (README, Limits).
for call in ("sleep", "usleep", "nanosleep"):
    live = Live([exe("lockwait"), call, str(MS)], options=f"dump_signal={SIG}")
    try:
        i = 0  # one request per sleep (above)
        time.sleep(0.5)
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"{call}: dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        whole(doc, f"{call}: dump {i}")
        main, worker = doc["leaks"][0], by_routine(doc, "waiter")
        check(main["thread"] == 1 and main["blocked_in"] == call,
              f"{call}: dump {i}: main thread", main)
        check(len(worker) == 1 and worker[0]["blocked_in"] == "pthread_mutex_lock" and
              (worker[0].get("held_by") or {}).get("thread") == 1,
              f"{call}: dump {i}: the worker waits for main's mutex", worker)
        rc = live.wait(timeout=30)
        check(rc == 0, f"{call}: lockwait ended with {rc}", live.out, live.err)
        m = re.search(r"^\w+ returned (-?\d+) errno (\w+) after (\d+) ms$", live.out, re.M)
        check(m, f"{call}: no result line", live.out)
        got_r, got_errno, took = int(m.group(1)), m.group(2), int(m.group(3))
        check((got_r, got_errno) == (0, "0") and MS - 1 <= took <= MS + LATE_MS,
              f"{call}: returned {got_r} errno {got_errno} after {took} ms, expected 0 after "
              f"{MS} ms", live.out)
    finally:
        live.close()

# 2. The same under run --timeout, as text: stacks, no "reduced" line.
r = run([CLI, "run", "--timeout", "1", "--", exe("lockwait"), "sleep", "3000"], preload=False,
        timeout=60)
err = r.stderr.decode()
check(r.rc == 124, f"run --timeout: status {r.rc}", err)
check("reduced" not in err, "run --timeout: a reduced report", err)
check(re.search(r"^\s+waiter at \S*lockwait\.c:\d+", err, re.M) and
      re.search(r"^\s+main_sleeps at \S*lockwait\.c:\d+", err, re.M),
      "run --timeout: the worker's and main's stacks", err)

# 3. Two workers deadlocked on two mutexes; main sleeps 100 ms at a time (a watchdog: each
#    request finds it in a new sleep) or joins the first.
for mode in ("deadlock", "join"):
    live = Live([exe("lockwait"), mode, "100"], options=f"dump_signal={SIG}")
    try:
        for i in range(2):
            time.sleep(0.3)
            r = dump(live.p.pid, "--json")
            check(r.rc == 0, f"{mode}: dump {i}: status {r.rc}", r.stderr)
            doc = json.loads(r.stdout)
            whole(doc, f"{mode}: dump {i}")
            check(re.match(r"deadlock: thread \d+ waits for mutex lock_[ab] .* held by thread "
                           r"\d+, which waits for mutex lock_[ab] ", doc.get("deadlock") or ""),
                  f"{mode}: dump {i}: the cycle", doc.get("deadlock"), doc)
            ab, ba = by_routine(doc, "ab"), by_routine(doc, "ba")
            check(len(ab) == 1 and len(ba) == 1 and
                  ab[0]["blocked_in"] == ba[0]["blocked_in"] == "pthread_mutex_lock",
                  f"{mode}: dump {i}: the workers", doc)
        time.sleep(0.3)
        r = dump(live.p.pid)
        text = r.stdout.decode()
        check(r.rc == 0 and "deadlock: thread" in text and re.search(r"lock_both at \S*lockwait",
                                                                    text),
              f"{mode}: dump (text): the cycle and stacks", text, r.stderr)
        check(live.p.poll() is None, f"{mode}: the process ended", live.err)
    finally:
        live.close()

# 4. Every thread in pthread_mutex_lock (main and a worker deadlocked): no thread is in a
#    wrapper, and the thread the request reached, asleep in a pthread_mutex_lock the program
#    called, makes the whole report (it was reduced: no stacks); main is described by the call
#    the request interrupted, its stack from main's pthread_mutex_lock (lockwait.c MAIN_LOCKS).
#    A program with its own malloc gets the reduced report: a thread asleep in a lock there may
#    be inside that allocator, which the check calls (preload/dump.c, program_lock_wait).
main_line = source_line(LOCKWAIT_C, "MAIN_LOCKS")
for round_ in range(3):
    live = Live([exe("lockwait"), "plain"], options=f"dump_signal={SIG}")
    try:
        time.sleep(0.3)
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"plain: dump status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        whole(doc, "plain")
        check(sorted(t["tid"] for t in doc["leaks"])[0] == live.p.pid and len(doc["leaks"]) == 2,
              "plain: both threads", doc)
        check(re.match(r"deadlock: thread \d+ waits for mutex lock_[ab] .* held by thread "
                       r"\d+, which waits for mutex lock_[ab] ", doc.get("deadlock") or ""),
              "plain: the cycle", doc.get("deadlock"), doc)
        main = [t for t in doc["leaks"] if t["tid"] == live.p.pid][0]
        check(main["state"] == "blocked" and main["blocked_in"] == "pthread_mutex_lock" and
              (main.get("held_by") or {}).get("thread") == 2,
              "plain: main waits for the worker's mutex", main)
        check(any(f.get("function") == "main" and f.get("line") == main_line
                  for f in main["stack"]), f"plain: main's stack at lockwait.c:{main_line}",
              main["stack"])
        worker = by_routine(doc, "ab")
        check(len(worker) == 1 and any(f.get("function") == "lock_both"
                                       for f in worker[0]["stack"]),
              "plain: the worker's stack", worker)
        r = dump(live.p.pid)
        text = r.stdout.decode()
        check(r.rc == 0 and "deadlock: thread" in text and "reduced" not in text and
              re.search(r"^\s+main at \S*lockwait\.c:%d" % main_line, text, re.M),
              "plain: the second request (text), again whole", text, r.stderr)
        check(live.p.poll() is None, "plain: the process ended", live.err)
    finally:
        live.close()
# 5. The two workers' deadlock while main reads stdin (fgets: a read inside libc, in no
#    wrapper, which threadleak dump asked first and which could only write the reduced
#    report): a worker asleep in its pthread_mutex_lock is asked instead, and the report is
#    whole; the process reads its line and ends as it would.
live = Live([exe("lockwait"), "stdin"], options=f"dump_signal={SIG}")
try:
    for i in range(3):
        time.sleep(0.2)
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"stdin: dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        whole(doc, f"stdin: dump {i}")
        check(doc.get("deadlock") and len(doc["leaks"]) == 3, f"stdin: dump {i}: the cycle", doc)
        main = [t for t in doc["leaks"] if t["tid"] == live.p.pid][0]
        check(main["state"] == "blocked" and any(f.get("function") == "main"
                                                 for f in main["stack"]),
              f"stdin: dump {i}: main, blocked, with its stack", main)
    live.tell("line\n")
    rc = live.wait(timeout=30)
    check(rc == 0, f"stdin: lockwait ended with {rc}", live.out, live.err)
finally:
    live.close()
# 6. SIGTERM twice at once (timeout(1) sends it to the command and again to its process
#    group; dump_on_signal): the kernel gives the second to the other thread while the first
#    handler blocks it. One report, whole, both threads at their locks; then the death of
#    SIGTERM. The second handler wrote a reduced report and its default action ended the
#    process before the first report was written (the whole one was lost, 1 run in 3).
for round_ in range(4):
    live = Live([exe("lockwait"), "plain"], options="dump_on_signal=1")
    try:
        time.sleep(0.3)
        os.kill(live.p.pid, signal.SIGTERM)
        os.kill(live.p.pid, signal.SIGTERM)
        rc = live.wait(timeout=60)
        check(rc == -signal.SIGTERM, f"twice: status {rc}", live.err)
        reports = [d for docs in read_checks(os.path.join(live.dir, "report*")) for d in docs]
        check(len(reports) == 1, f"twice: {len(reports)} reports", live.err, reports)
        doc = reports[0]
        whole(doc, "twice")
        check(doc.get("deadlock") and all(t["state"] == "blocked" and
                                          t["blocked_in"] == "pthread_mutex_lock"
                                          for t in doc["leaks"]),
              "twice: both threads blocked in pthread_mutex_lock, the cycle", doc)
    finally:
        live.close()
live = Live([exe("lockwait_alloc"), "plain"], options=f"dump_signal={SIG}")
try:
    time.sleep(0.3)
    r = dump(live.p.pid, "--json")
    check(r.rc == 0, f"own malloc: dump status {r.rc}", r.stderr)
    doc = json.loads(r.stdout)
    check(doc.get("reduced"), "own malloc: a lock wait made the report", doc)
    check(sorted(t["tid"] for t in doc["leaks"])[0] == live.p.pid and len(doc["leaks"]) == 2,
          "own malloc: both threads", doc)
    check(live.p.poll() is None, "own malloc: the process ended", live.err)
finally:
    live.close()
ok()
