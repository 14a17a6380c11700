"""A thread blocked while it holds the dynamic loader's lock (inside a dl_iterate_phdr callback,
or inside a constructor that dlopen runs): the check must neither hang nor lose the report.
The threads are reported with their states, the holder blocked in its read, and a note says
why stacks are missing. Repeated, with the exit check and with a mid-run check after which the
program releases the lock and must go on unharmed; and the process's first creation through
the library made while the lock is held (by a thread made through libc's own pthread_create)."""
from sampling import *  # noqa: F403

prog = exe("loaderlock")
RUNS = 6

for mode in ("phdr", "ctor"):
    # bare, a program exits while a constructor blocks never ends (_dl_fini waits too)
    for i in range(RUNS if mode == "phdr" else 0):
        r = run([prog, "-m", mode, "-c"], timeout=30)
        what = f"{mode} run {i}"
        check(b"main done" in r.stdout, f"{what}: program output lost", r.stderr)
        check(r.rc == 23, f"{what}: exit status {r.rc}", r.stderr)
        rep = r.report
        check(rep is not None, f"{what}: no report", r.stderr)
        # without the loader there are no symbols: threads by number, in creation order
        b = {leak["thread"]: leak for leak in rep["leaks"]}
        check(sorted(b) == [2, 3, 4, 5], f"{what}: leaked threads {sorted(b)}", rep)
        h = b[4]
        check(h["state"] == "blocked" and h["blocked_in"] == "read",
              f"{what}: the holder is blocked in its read", h)
        check(b[3]["state"] == "running", f"{what}: spinner running", rep)
        check(b[2]["state"] == "blocked" and b[2]["blocked_in"] == "sem_wait",
              f"{what}: waiter blocked in sem_wait", rep)
        check(b[5]["state"] == "blocked" and b[5]["blocked_in"] == "sem_wait",
              f"{what}: creator blocked in sem_wait", rep)
        for leak in rep["leaks"]:
            note = leak.get("stack_note") or ""
            check(f"thread {h['thread']} holds the dynamic loader's lock" in note,
                  f"{what}: the note names the holder", leak)

    # a mid-run check while it is held; the program then releases it and exits cleanly
    for i in range(RUNS):
        r = run([prog, "-m", mode, "-a", "-c"], timeout=30)
        what = f"{mode} api run {i}"
        out = r.stdout.decode(errors="replace")
        check("api leaks 4" in out and "main done" in out, f"{what}: output {out!r}", r.stderr)
        check(r.rc == 0, f"{what}: clean exit expected, status {r.rc}", r.stderr)
        check(r.report["leaked"] == 0, f"{what}: the exit report", r.report)

# the process's first creation through the library while a thread it never saw holds the lock
# in a constructor: the first creation's set-up waits for that lock only with a timeout (it
# hung for ever there)
for i in range(3):
    r = run([prog, "-m", "ctor", "-a", "-c", "-f"], timeout=30)
    what = f"first creation under the lock, run {i}"
    out = r.stdout.decode(errors="replace")
    check("main done" in out, f"{what}: output {out!r}", r.stderr)
    check(r.rc == 0, f"{what}: clean exit expected, status {r.rc}", r.stderr)

ok()
