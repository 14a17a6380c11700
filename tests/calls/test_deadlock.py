"""An AB-BA deadlock on two global mutexes (tests/calls/calls_deadlock.c). Neither
pthread_mutex_lock is wrapped: both threads are found from the kernel and their stacks, each
names its mutex by symbol and its owner, and the report starts with the cycle.
Then the same cycle through a condition variable ("cond": a waiter woken inside
pthread_cond_wait waits to lock its mutex again, which the signaller holds while it waits for
a mutex the waiter holds), and a waiter woken by a signaller that returned holding the mutex
("relock": held by thread 1, no cycle). Last, "barrier": main returns right after the
barrier, with two other processes spinning: the check's first looks may come while a thread is
still in the barrier's wait; it must still be found blocked on its mutex, with its stack, and the
cycle named, run after run (it was "running" with no stack in one run in five). And "rwread":
the cycle through an rwlock held for reading (glibc names an rwlock's writer, not its readers:
the writer showed no holder and the cycle was missed), and "rwupgrade": a thread that reads an
rwlock and then wants it for writing, a deadlock of one; "rwqueue": on a writer-preferring
rwlock, a reader that reads again behind a writer waiting for it (the reader was shown held
by nobody, and no cycle)."""
import json
import os
import re
import subprocess
import sys
import tempfile

from tl_test import *  # noqa: E402,F403
from calls_util import *  # noqa: E402,F403

prog = exe("calls_deadlock")
SRC = "calls_deadlock.c"
lock_a = global_obj("mutex", "lock_a", SRC, "pthread_mutex_t lock_a")
lock_b = global_obj("mutex", "lock_b", SRC, "pthread_mutex_t lock_b")
cycle = (rf"deadlock: thread 2 waits for {lock_a} held by thread 3, "
         rf"which waits for {lock_b} held by thread 2")

bare = run([prog], preload=False, timeout=60)
check(bare.rc == 0 and bare.stdout == b"deadlocked\n", f"bare run: {bare.rc}", bare.stdout, bare.stderr)

r = run([prog], timeout=60)
check(r.rc == 23, f"exit status {r.rc}, expected 23", r.stderr)
rep = r.report
leaks = by_name(rep)
check(rep["leaked"] == 2 and set(leaks) == {"takes_b_then_a", "takes_a_then_b"}, "two leaks", rep)
t2, t3 = leaks["takes_b_then_a"], leaks["takes_a_then_b"]
check(t2["thread"] == 2 and t3["thread"] == 3, "thread numbers", rep)
# how long: not from a wrapper (pthread_mutex_lock is not wrapped) but from the scheduler
# (/proc/PID/task/TID/sched, se.exec_start: when each went to sleep), read before any signal
# of the check's wakes them. They block right after the barrier, and main exits 100 ms later
# (before, blocked_ms was null). Kernels without CONFIG_SCHED_DEBUG have no such file.
sched = os.path.exists("/proc/self/sched")
expect(t2, "pthread_mutex_lock", lock_a, held_by=t3, duration=sched, context=rep)
expect(t3, "pthread_mutex_lock", lock_b, held_by=t2, duration=sched, context=rep)
if sched:
    for t in (t2, t3):
        check(80 <= t["blocked_ms"] <= 10000, f"{t['name']}: blocked_ms {t['blocked_ms']}, "
              "expected the 100 ms main slept and the check's time", rep)
for leak, fn in ((t2, "second"), (t3, "third")):
    check(fn in functions(leak["stack"]), f"{fn} in the stack", leak)
check(isinstance(rep["deadlock"], str) and re.fullmatch(cycle, rep["deadlock"]) is not None,
      f"deadlock {rep['deadlock']!r} does not match {cycle!r}", rep)

t = run([prog], json_format=False, timeout=60)
check(t.rc == 23, f"text exit status {t.rc}", t.stderr)
err = t.stderr.decode(errors="replace")
lines = err.splitlines()
dl = [i for i, line in enumerate(lines) if line.startswith("deadlock:")]
check(len(dl) == 1 and re.fullmatch(cycle, lines[dl[0]]) is not None, "text deadlock line", err)
first_thread = min(i for i, line in enumerate(lines) if line.startswith("Thread "))
check(dl[0] < first_thread, "the cycle comes before the threads", err)
threads = text_threads(t.stderr)
expect_text(threads, "takes_b_then_a", "pthread_mutex_lock", lock_a, held_by=threads["takes_a_then_b"],
            duration=False, context=t.stderr)
expect_text(threads, "takes_a_then_b", "pthread_mutex_lock", lock_b, held_by=threads["takes_b_then_a"],
            duration=False, context=t.stderr)

# through a condition variable
cv = global_obj("cond", "cv", SRC, "static pthread_cond_t cv")
relock = rf"{cv}, woken; now locking {lock_a}"
cond_cycle = (rf"deadlock: thread 2 waits for {relock} held by thread 3, "
              rf"which waits for {lock_b} held by thread 2")
r = run([prog, "cond"], timeout=60)
check(r.rc == 23 and r.stdout == b"deadlocked\n", f"cond: exit status {r.rc}", r.stderr)
rep = r.report
leaks = by_name(rep)
check(rep["leaked"] == 2 and set(leaks) == {"cond_waiter", "signaller"}, "cond: two leaks", rep)
w, sg = leaks["cond_waiter"], leaks["signaller"]
expect(w, "pthread_cond_wait", relock, held_by=sg, context=rep)
expect(sg, "pthread_mutex_lock", lock_b, held_by=w, duration=False, context=rep)
fr = [f for f in w["stack"] if f.get("function") == "cond_waiter"]
check(fr and fr[0]["file"].endswith(SRC) and fr[0]["line"] == source_line(src(SRC), "COND_WAIT"),
      "cond: the waiter's frame at its pthread_cond_wait", w)
check(isinstance(rep["deadlock"], str) and re.fullmatch(cond_cycle, rep["deadlock"]) is not None,
      f"cond: deadlock {rep['deadlock']!r} does not match {cond_cycle!r}", rep)

r = run([prog, "relock"], timeout=60)
check(r.rc == 23, f"relock: exit status {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 1 and rep["deadlock"] is None, "relock: one leak, no cycle", rep)
w = rep["leaks"][0]
check(w["name"] == "cond_waiter" and w["held_by"] is not None and w["held_by"]["thread"] == 1,
      f"relock: held by thread 1: {w['held_by']}", w)
check(re.fullmatch(relock, w["object"] or "") is not None, f"relock: object {w['object']!r}", w)

# an rwlock held for reading: the writer waits for the reader, which waits for the writer's mutex
rw = global_obj("rwlock", "config_rw", SRC, "pthread_rwlock_t config_rw")
rw_cycle = (rf"deadlock: thread 2 waits for {lock_b} held by thread 3, "
            rf"which waits for {rw} held by thread 2")
r = run([prog, "rwread"], timeout=60)
check(r.rc == 23 and r.stdout == b"deadlocked\n", f"rwread: exit status {r.rc}", r.stderr)
rep = r.report
leaks = by_name(rep)
check(rep["leaked"] == 2 and set(leaks) == {"reads_then_b", "b_then_writes"}, "rwread: two leaks", rep)
rd, wr = leaks["reads_then_b"], leaks["b_then_writes"]
expect(rd, "pthread_mutex_lock", lock_b, held_by=wr, duration=False, context=rep)
expect(wr, "pthread_rwlock_wrlock", rw, held_by=rd, context=rep)
# one reader holds it: said so (the same words as a writer's "held by" it was)
check(wr["held_by"].get("readers") == 1 and wr["held_by"].get("other_readers") == [],
      "rwread: the writer's held_by has readers 1", wr)
t = run([prog, "rwread"], json_format=False, timeout=60)
check(re.search(rb"blocked in pthread_rwlock_wrlock .* held for reading by thread 2 \(tid \d+\)\n",
                t.stderr) is not None, "rwread: text 'held for reading by'", t.stderr)
check(isinstance(rep["deadlock"], str) and re.fullmatch(rw_cycle, rep["deadlock"]) is not None,
      f"rwread: deadlock {rep['deadlock']!r} does not match {rw_cycle!r}", rep)

r = run([prog, "rwupgrade"], timeout=60)
rep = r.report
check(r.rc == 23 and rep["leaked"] == 1, f"rwupgrade: exit status {r.rc}", rep)
up = rep["leaks"][0]
expect(up, "pthread_rwlock_wrlock", rw, held_by=up, context=rep)
up_cycle = rf"deadlock: thread 2 waits for {rw} held by thread 2"
check(isinstance(rep["deadlock"], str) and re.fullmatch(up_cycle, rep["deadlock"]) is not None,
      f"rwupgrade: deadlock {rep['deadlock']!r}", rep)

# an rwlock held for reading by two threads: the writer waiting for it is held by both, named
# (before: the first one found and "1 more reader"; before that, nothing of the other)
r = run([prog, "rwreaders"], timeout=60)
rep = r.report
check(r.rc == 23 and rep["leaked"] == 3, f"rwreaders: exit status {r.rc}", rep)
w = next(l for l in rep["leaks"] if l["name"] == "wants_write")
readers = {l["thread"]: l["tid"] for l in rep["leaks"] if l["name"] == "reader"}
held = w["held_by"] or {}
others = held.get("other_readers") or []
check(w["blocked_in"] == "pthread_rwlock_wrlock" and held.get("thread") in readers and
      held.get("tid") == readers.get(held.get("thread")) and held.get("readers") == 2 and
      len(others) == 1 and others[0].get("thread") in readers and
      others[0]["thread"] != held["thread"] and others[0].get("tid") == readers[others[0]["thread"]],
      f"rwreaders: the writer's held_by {w['held_by']}", rep)
t = run([prog, "rwreaders"], json_format=False, timeout=60)
line = next((l for l in t.stderr.decode().splitlines() if '"wants_write"' in l), "")
check(re.search(r"held for reading by thread \d+ \(tid \d+\) and thread \d+ \(tid \d+\)$", line)
      is not None,
      f"rwreaders: text {line!r}", t.stderr)
# the CLI renders the JSON report the same way
cli = os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")
if os.path.exists(cli):
    with tempfile.TemporaryDirectory(prefix="tlrw.") as d:
        path = os.path.join(d, "report.json")
        with open(path, "w") as f:
            json.dump(rep, f)
        c = subprocess.run([cli, "report", "--no-source", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        text = c.stdout.decode(errors="replace") + c.stderr.decode(errors="replace")
        check(re.search(r"held for reading by thread \d+ \(tid \d+\) and thread \d+ \(tid \d+\)\n",
                        text),
              "rwreaders: threadleak report's text", text)

qrw = global_obj("rwlock", "queue_rw", SRC, "static pthread_rwlock_t queue_rw")
r = run([prog, "rwqueue"], timeout=60)
rep = r.report
leaks = by_name(rep)
check(r.rc == 23 and rep["leaked"] == 2 and set(leaks) == {"reads_twice", "writes"}, f"rwqueue: status {r.rc}", rep)
rd2, wq = leaks["reads_twice"], leaks["writes"]
expect(rd2, "pthread_rwlock_rdlock", qrw, held_by=wq, context=rep)
expect(wq, "pthread_rwlock_wrlock", qrw, held_by=rd2, context=rep)
check(isinstance(rep["deadlock"], str) and f"held by thread {wq['thread']}" in rep["deadlock"]
      and f"held by thread {rd2['thread']}" in rep["deadlock"], f"rwqueue: deadlock {rep['deadlock']!r}", rep)

# main returns right after the barrier, on a loaded machine
spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
try:
    for i in range(20):
        r = run([prog, "barrier"], timeout=60)
        rep = r.report
        leaks = by_name(rep)
        check(r.rc == 23 and rep["leaked"] == 2, f"barrier run {i}: status {r.rc}", rep)
        for name in ("takes_b_then_a", "takes_a_then_b"):
            l = leaks.get(name)
            check(l is not None and l["state"] == "blocked" and l["blocked_in"] == "pthread_mutex_lock"
                  and l["stack"], f"barrier run {i}: {name} blocked on its mutex, with a stack", l)
        check(isinstance(rep["deadlock"], str) and re.fullmatch(cycle, rep["deadlock"]) is not None,
              f"barrier run {i}: the cycle", rep)
finally:
    for sp in spinners:
        sp.kill()
        sp.wait()
ok()
