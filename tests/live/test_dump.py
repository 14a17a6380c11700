"""threadleak dump PID: the hang report of a running process, without stopping it. 1000 threads
in assorted blocking calls keep working while they are dumped several times: none of them sees
EINTR, returns early or loses a message or a wake-up. A process without the library, or without
the request signal, gets a one-line reason."""
import json
import os
import re
import shutil
import signal
import tempfile
import time

from liveutil import CLI, Live, by_number, check, exe, ok, run

SIG = signal.SIGRTMAX - 1  # what threadleak run gives the library


def dump(pid, *args):
    return run([CLI, "dump", *args, str(pid)], preload=False, timeout=120)


N = 1000
live = Live([exe("busy"), str(N)], options=f"dump_signal={SIG}")
try:
    times = []
    for i in range(5):
        time.sleep(0.3)
        r = dump(live.p.pid, "--json")
        times.append(r.seconds)
        check(r.rc == 0, f"dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        check(doc["check"] == "hang" and doc["pid"] == live.p.pid, "a hang report of the process", doc["check"])
        check(doc["threads"] == N + 1, f"dump {i}: {doc['threads']} threads, expected {N + 1}")
        main = by_number(doc, 1)
        check(main and main["state"] in ("blocked", "running"), "the main thread is listed", main)
        check(live.p.poll() is None, f"the process ended after dump {i}", live.p.poll())
    r = dump(live.p.pid)
    out = r.stdout.decode()
    check(r.rc == 0 and "threadleak: hang report of" in out and "threadleak dump (pid" in out,
          "the text report", out[:2000])
    check(re.search(r'^Thread 1 \(tid \d+, "[^"]*", main\)', out, re.M) is not None and
          not re.search(r'^Thread 1 \(tid \d+, "[^"]*", joinable\)', out, re.M),
          "the main thread is called main, not joinable", out[:2000])
    # two requests at once (threadleak watch's overlap on a loaded machine): the second waits
    # for the first one's check, and both are whole reports (the second was reduced: no stacks)
    import subprocess
    both = [subprocess.Popen([CLI, "dump", "--json", str(live.p.pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(2)]
    for k, p in enumerate(both):
        o, e = p.communicate(timeout=120)
        check(p.returncode == 0, f"overlapping dump {k}: status {p.returncode}", e)
        d = json.loads(o)
        check(d.get("reduced") is None and d["threads"] == N + 1,
              f"overlapping dump {k}: reduced {d.get('reduced')!r}, {d['threads']} threads", e)
    live.tell("stop\n")
    rc = live.wait(timeout=60)
    check(rc == 0, f"busy ended with {rc}", live.err)
    counts = dict(kv.split("=") for kv in live.out.split()[-6:])
    check(counts["threads"] == str(N), "all threads joined", live.out)
    for k in ("eintr", "early", "lost"):
        check(counts[k] == "0", f"{k}={counts[k]} after 8 dumps", live.out)
    check(int(counts["msgs"]) > 0 and int(counts["rounds"]) > 0, "work was done", live.out)
    print(f"dump of {N} threads: " + ", ".join(f"{t:.2f}" for t in times) + " s")
finally:
    live.close()

# Dumps while threads are created and joined all the time (the library's lock is held by one
# thread or another nearly always): every report is whole (a request that found the lock taken
# got a reduced report, without stacks: 1 in 100 here, more on a loaded machine), and no call of
# the program failed.
live = Live([exe("busy"), "2", "churn"], options=f"dump_signal={SIG}")
try:
    reduced = []
    for i in range(100):
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"churn dump {i}: status {r.rc}", r.stderr)
        d = json.loads(r.stdout)
        if d.get("reduced") is not None:
            reduced.append(i)
    check(not reduced, f"churn: dumps {reduced} of 100 were reduced")
    live.tell("stop\n")
    rc = live.wait(timeout=60)
    check(rc == 0, f"busy churn ended with {rc}", live.err)
    counts = dict(kv.split("=") for kv in live.out.split()[-6:])
    check(counts["eintr"] == "0" and counts["lost"] == "0" and int(counts["msgs"]) > 0,
          "churn: no failed call, threads were created", live.out)
finally:
    live.close()

# Threads that rules suppress are not listed; the header counts them (it said "all 7 of its
# threads" for a JVM of 19)
supp = os.path.join(tempfile.mkdtemp(prefix="tl-dump."), "s.supp")
with open(supp, "w") as f:
    f.write("start:^idler$\n")
live = Live([exe("busy"), "4", "idle"], options=f"dump_signal={SIG}:suppressions={supp}")
try:
    time.sleep(0.3)
    r = dump(live.p.pid)
    out = r.stdout.decode()
    m = re.search(r"; (\d+) of its threads, and (\d+) suppressed$", out, re.M)
    check(r.rc == 0 and m is not None and m.groups() == ("1", "4"), "the header counts the 4 suppressed threads",
          out[:600])
    r = dump(live.p.pid, "--json")
    doc = json.loads(r.stdout)
    check(len(doc["suppressed_threads"]) == int(m.group(2)) and doc["threads"] == int(m.group(1)),
          "as the JSON document", doc.get("threads"))
    live.tell("stop\n")
    live.wait(timeout=60)
finally:
    live.close()

# A process without the library: one line saying what is missing.
live = Live([exe("hang")], preload=False)
try:
    # "ready" comes once the worker waits; main blocks right after it (on a loaded machine,
    # a moment later: it was seen still running)
    for _ in range(50):
        r = dump(live.p.pid)
        if len(re.findall(r"^  tid \d+ \(\"hang\"\) blocked in futex", r.stdout.decode(), re.M)) == 2:
            break
        time.sleep(0.1)
    err = r.stderr.decode()
    check(r.rc == 1 and "does not run libthreadleak.so" in err and len(err.splitlines()) == 1,
          f"bare: status {r.rc}", err)
    out = r.stdout.decode()
    check(out.startswith(f"threads of pid {live.p.pid} as /proc shows them") and
          len(re.findall(r"^  tid \d+ \(\"hang\"\) blocked in futex", out, re.M)) == 2,
          "the /proc view of both threads, waiting in futexes", out)
    check(live.p.poll() is None, "the bare process is still running")
finally:
    live.close()

# A request during the exit check (its grace period: a thread spins): answered at once with a
# reduced report, and the exit report still has the thread that took it. That thread waited for
# the exit check, which left it out of its report as one of ours; the process ended first and
# dump said it had not answered "within 10 s".
for i in range(3):
    live = Live([exe("exitleak")], options=f"dump_signal={SIG}:grace_ms=3000")
    try:
        time.sleep(0.5)
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"exitleak {i}: dump status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        check("during threadleak's exit check" in (doc.get("reduced") or ""),
              f"exitleak {i}: a reduced report, during the check", doc)
        rc = live.wait(timeout=30)
        check(rc == 23, f"exitleak {i}: status {rc}", live.err)
        reps = live.reports()
        check(len(reps) == 1, f"exitleak {i}: {len(reps)} exit reports", live.err)
        states = sorted((t["start_routine"], t["state"], t.get("blocked_in")) for t in reps[0]["leaks"])
        check(states == [("spinner", "running", None), ("waiter", "blocked", "pthread_cond_wait")],
              f"exitleak {i}: the exit report's threads {states}", reps[0])
    finally:
        live.close()

# A process with 1,000 supplementary groups: its status file is 9 KiB, and SigCgt, SigBlk and
# State come after Groups:. They are still read, so the request signal is found and sent
# (before: "runs libthreadleak.so without a request signal"). As root only (setpriv --groups).
groups = ",".join(str(1000000 + i) for i in range(1000))
if shutil.which("setpriv") and run(["setpriv", f"--groups={groups}", "true"], preload=False).rc == 0:
    live = Live(["setpriv", f"--groups={groups}", exe("hang")], options=f"dump_signal={SIG}")
    try:
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"1,000 groups: dump status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        blocked = [t for t in doc["leaks"] if t.get("blocked_in") == "pthread_cond_wait"]
        check(doc["threads"] == 2 and len(blocked) == 1, "1,000 groups: the worker", doc)
        check(live.p.poll() is None, "1,000 groups: the process is still running")
    finally:
        live.close()
else:
    print("1,000 groups: skipped (setgroups not permitted)")

# Root asks a process of another user (nobody): the process would write its report through
# /proc/DUMPPID/fd, which that user cannot open while dump runs as root. One line at once says
# to ask as that user, which works (before: dump waited --wait out, then blamed the threads).
if os.geteuid() == 0 and shutil.which("setpriv"):
    live = Live(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe("hang")],
                options=f"dump_signal={SIG}")
    try:
        r = dump(live.p.pid, "--json", "--wait", "5")
        err = r.stderr.decode()
        check(r.rc == 1 and r.seconds < 3 and "runs as uid 65534" in err and
              "sudo -u '#65534'" in err, f"another user's process: status {r.rc} in "
              f"{r.seconds:.1f} s", err)
        r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CLI, "dump",
                 "--json", str(live.p.pid)], preload=False, timeout=60)
        check(r.rc == 0 and json.loads(r.stdout)["threads"] == 2,
              f"another user's process, asked as that user: status {r.rc}", r.stderr)
        check(live.p.poll() is None, "another user's process: still running")
    finally:
        live.close()
else:
    print("another user's process: skipped (not root)")

# The request signal as the library reads THREADLEAK_OPTIONS: after a blank, or quoted (dump
# read only "dump_signal=" at the start or after ':', sent its default signal, and said the
# process had none)
other = SIG - 1
for opts in (f"grace_ms=250 dump_signal={other}", f"dump_signal='{other}'"):
    live = Live([exe("hang")], options=opts)
    try:
        r = dump(live.p.pid, "--json")
        check(r.rc == 0 and json.loads(r.stdout)["threads"] == 2,
              f"THREADLEAK_OPTIONS={opts}: dump status {r.rc}", r.stderr)
    finally:
        live.close()

# The library without a request signal: said so, and the process is left alone.
live = Live([exe("hang")])
try:
    r = dump(live.p.pid)
    err = r.stderr.decode()
    check(r.rc == 1 and "without a request signal" in err, f"no dump_signal: status {r.rc}", err)
    check(live.p.poll() is None, "the process is still running")
    # with --signal given, the advice is not to give --signal
    r = dump(live.p.pid, "--signal", "50")
    err = r.stderr.decode()
    check(r.rc == 1 and "dump_signal=50" in err and "--signal" not in err,
          f"no dump_signal, --signal 50: status {r.rc}", err)
finally:
    live.close()

# a stopped process (kill -STOP): said so, not "every thread ... would interrupt with EINTR";
# continued, it goes on undisturbed
live = Live([exe("busy"), "4", "idle"], options=f"dump_signal={SIG}")
try:
    os.kill(live.p.pid, signal.SIGSTOP)
    r = dump(live.p.pid, "--wait", "1")
    err = r.stderr.decode()
    os.kill(live.p.pid, signal.SIGCONT)
    check(r.rc == 1 and "it is stopped (SIGSTOP" in err and "EINTR" not in err,
          f"dump of a stopped process: status {r.rc}", err)
    check(live.p.poll() is None, "the process is still running")
finally:
    live.close()

# main called pthread_exit: the process's own /proc files describe a zombie task (no maps), and
# dump said "does not run libthreadleak.so" (a black-box round); the worker is reported
live = Live([exe("hang"), "pexit"], options=f"dump_signal={SIG}")
try:
    r = dump(live.p.pid)
    out = r.stdout.decode()
    check(r.rc == 0 and "hang report of" in out and "worker at" in out,
          f"dump of a process whose main thread called pthread_exit: status {r.rc}", out, r.stderr)
finally:
    live.close()

# --signal naming another signal than the process's dump_signal: the one it catches is named (it
# said "runs libthreadleak.so without a request signal: start it with dump_signal=...", though
# it was started with one)
live = Live([exe("hang")], options="dump_signal=63")
try:
    r = dump(live.p.pid, "--signal", "40")
    err = r.stderr.decode()
    check(r.rc == 1 and "does not catch signal 40" in err and "try --signal 63" in err,
          f"--signal 40 for a process of dump_signal=63: status {r.rc}", err)
    check(live.p.poll() is None, "the process is still running")
finally:
    live.close()
ok()
