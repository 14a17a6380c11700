"""Mid-run checks do not disturb the threads they inspect: six threads blocked with 60 s
timeouts in epoll_wait, poll, nanosleep, sem_timedwait, read (pipe) and read (socket with
SO_RCVTIMEO) see no EINTR and no early return across 1000 threadleak_verify_none() and 1000
threadleak_report_json() checks (grace_ms=0; each check counts exactly 6 leaked threads, all
blocked); then they are woken deliberately and return what waking them gives.
With argument "raw" the threads make bare system calls (no libc wrapper, no threadleak
wrapper): the check knows them only from the kernel."""
import sys

from apiutil import *  # noqa: F403

raw = len(sys.argv) > 1 and sys.argv[1] == "raw"
prog = exe("api_noeintr")
args = [prog, "1000"] + (["raw"] if raw else [])
what = "raw system calls" if raw else "libc calls"

r = run(args, options="grace_ms=0", timeout=240)
out = r.stdout.decode(errors="replace")
print(out)
expect = {
    "epoll_wait": "returned 1 (ok)",
    "poll": "returned 1 (ok)",
    "nanosleep": "returned -1 (Interrupted system call)",  # woken by SIGUSR1, on purpose
    "sem_timedwait": "returned 0 (ok)",
    "read": "returned 1 (ok)",
    "read(socket)": "returned 1 (ok)",
}
lines = {l.split(":")[0]: l for l in out.splitlines() if ": returned" in l}
for call, want in expect.items():
    l = lines.get(call, "")
    check(l.startswith(f"{call}: {want}") and "DISTURBED" not in l,
          f"{what}: {call} was disturbed by the checks: {l!r}"
          + (" (a futex wait with a timeout returns EINTR after any signal handler, SA_RESTART or not: "
             "kernel.c tl_signal_is_transparent must not sample it)" if raw and call == "sem_timedwait" else ""),
          out, r.stderr)
check("checks 2000 in" in out and "bad counts 0, not blocked 0, wrote 4, disturbed 0" in out,
      f"{what}: summary", out, r.stderr)
check(r.rc == 0, f"{what}: status {r.rc}", out, r.stderr)
check(warnings(r.stderr) == [], f"{what}: warnings", r.stderr)
# the exit check: every thread was joined
check(r.report is not None and r.report["check"] == "exit" and r.report["leaked"] == 0,
      f"{what}: the exit check is clean", r.report)
ok()
