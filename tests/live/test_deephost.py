"""threadleak dump of a process whose only quiet threads are deep in their stacks
(tests/live/deephost.c: 1 MiB stacks, a few KiB left, asleep on a mutex, a semaphore or a pipe;
main computing). The request's signal landed on one of them, or was handed to one to answer,
and its handler took about 10 KiB of that stack before the check moved to its own: the process
died of SIGSEGV with 9 KiB left (every run). Now such a thread passes the request on, and none
is chosen to answer: a report, and the program ends as bare ("done", status 0). Below about
3 KiB no signal can land on the thread at all (the kernel's frame does not fit): not tested."""
import signal

from liveutil import CLI, Live, check, exe, ok, run

SIG = signal.SIGRTMAX - 1
for left in (4500, 9000):
    for mode in (0, 1, 2):
        live = Live([exe("deephost"), "3", str(left), str(mode), "2"], options=f"dump_signal={SIG}")
        try:
            r = run([CLI, "dump", "--signal", str(SIG), str(live.p.pid)], preload=False, timeout=60)
            rc = live.wait(timeout=60)
            what = f"{left} bytes left, mode {mode}"
            check(r.rc == 0 and b"hang report" in r.stdout + r.stderr,
                  f"{what}: dump status {r.rc}", r.stdout[-2000:], r.stderr[-2000:])
            check(rc == 0 and live.out.endswith("done\n"),
                  f"{what}: the program's status {rc} (-11: SIGSEGV), output {live.out!r}", live.err[-2000:])
        finally:
            live.close()
ok()
