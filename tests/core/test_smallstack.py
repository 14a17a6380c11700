"""The check runs on a stack of its own: a thread with a PTHREAD_STACK_MIN stack that calls
exit(), a 32 KiB thread that asks for a report, and a main thread under a 128 KiB stack limit
all get the check, clean or leaking (before, each crashed with SIGSEGV inside libdw, even in a
clean program). A PTHREAD_STACK_MIN thread that has used 1000 to 8000 bytes of its stack
calls exit() next to a leaked thread: the report (it crashed in the exit path before the
check moved to its own stack: 8.6 KiB of it). Such a thread that has used 1000 to 8000 bytes
creates a thread that leaks: no crash (from 6000 bytes on it crashed in the walk of the
creation stack); the creation stack is whole with room for the walk, and the creator's call
alone without."""
import resource

import coreutil as U

PROG = U.exe("smallstack")


def small_main_stack():
    resource.setrlimit(resource.RLIMIT_STACK, (128 * 1024, resource.RLIM_INFINITY))


def run(mode, n, **kw):
    return U.run([PROG, mode, str(n)], **kw)


# clean: nothing leaked, its own exit status and output, no report
r = run("exit", 0)
U.check(r.rc == 0, f"exit 0: status {r.rc}, expected 0", r.stderr)
U.check(not r.reports or not r.leaks, "exit 0: a report of a clean program", r.reports)
U.check(not r.stderr, "exit 0: stderr", r.stderr)

# leaking, the check on the 16 KiB stack: both threads with their frames and lines
r = run("exit", 2)
U.check(r.rc == 23, f"exit 2: status {r.rc}, expected 23", r.stderr)
U.check(len(r.leaks) == 2, f"exit 2: {len(r.leaks)} leaks, expected 2", r.leaks)
want = U.line("smallstack.c", "leak: nobody wakes it")
for l in r.leaks:
    f = U.frame(l["stack"], "blocked")
    U.check(f and f.get("line") == want, f"exit 2: frame of blocked at line {want}", l)

# exit() from a PTHREAD_STACK_MIN thread that has used some of it, one thread leaked: the
# report and status 23 (the exit path took 8.6 KiB before the check's stack: SIGSEGV)
for used in (1000, 4000, 6000):
    r = run("exit_deep", used)
    U.check(r.rc == 23, f"exit_deep {used}: status {r.rc}, expected 23 (139: SIGSEGV)", r.stderr)
    U.check(len(r.leaks) == 1, f"exit_deep {used}: {len(r.leaks)} leaks, expected 1", r.leaks)

# creations from a nearly full small stack
line = U.line("smallstack.c", "created here")
for used in (1000, 4000, 6000, 7000, 8000):
    r = run("creates", used)
    U.check(r.rc == 23, f"creates {used}: status {r.rc}, expected 23 (139: SIGSEGV)", r.stderr)
    U.check(len(r.leaks) == 1, f"creates {used}: {len(r.leaks)} leaks, expected 1", r.leaks)
    created = r.leaks[0]["created_by"]["stack"]
    f = U.frame(created, "creator")
    U.check(f is not None and f.get("line") == line, f"creates {used}: created by creator at "
            f"line {line}", r.leaks[0])
    if used == 1000:  # room for the walk: the whole stack, down to glibc's start_thread
        U.check(U.frame(created, "start_thread") is not None,
                f"creates {used}: the whole creation stack", created)

# a thread deep in a 1 MiB stack (2.5 to 8 KiB left) creates one: it crashed up to 5.5 KiB
for left in (2500, 4000, 5500, 8000):
    r = run("creates_left", left)
    U.check(r.rc == 23 and len(r.leaks) == 1,
            f"creates_left {left}: status {r.rc} (139: SIGSEGV), {len(r.leaks)} leaks", r.stderr)
    U.check(U.frame(r.leaks[0]["created_by"]["stack"], "go_down") is not None,
            f"creates_left {left}: created by go_down", r.leaks[0])

# the API from a 32 KiB thread
r = run("api", 2)
U.check(r.rc == 0, f"api: status {r.rc}", r.stderr)
U.check(b"api: 2 leaked, report" in r.stdout, "api: the report of the two threads", r.stdout,
        r.stderr)

# the main thread under a 128 KiB stack limit (the run's own exec gets the limit)
import subprocess  # noqa: E402
import os  # noqa: E402
env = dict(os.environ, LD_PRELOAD=U.LIB, THREADLEAK_OPTIONS="format=json")
p = subprocess.run([PROG, "main", "2"], env=env, capture_output=True, timeout=120,
                   preexec_fn=small_main_stack)
U.check(p.returncode == 23, f"main: status {p.returncode}, expected 23", p.stderr)
doc = U.strict_json(p.stderr)
U.check(len(doc["leaks"]) == 2, f"main: {len(doc['leaks'])} leaks", p.stderr)
U.ok()
