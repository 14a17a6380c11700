"""Programs run under gdb with the library (LD_PRELOAD set in the inferior's environment). gdb
stops at every real-time signal, so the check must send its sampling signal only to threads it
has to park: none when no thread is left (-s 0) or every leaked thread waits in a wrapped call
(-s 2: sem_wait). Before, every check sent one to its own thread first (to measure a signal
frame), and gdb -batch stopped the program at exit and killed it: no report, status lost. A
thread that needs parking (-k: a raw read syscall) gets the signal, which gdb shows unless told
`handle SIGn nostop noprint pass` (README, Limits): with it, the report and status 23. Skipped
without gdb."""
import os
import re
import shutil

from robust import *  # noqa: F403

if not shutil.which("gdb"):
    skip("gdb is not installed")
leaky = exe("leaky")


def under_gdb(args, extra=()):
    argv = ["gdb", "-batch", "-nx", *extra, "-iex", f"set environment LD_PRELOAD={LIB}",
            "-iex", "set environment THREADLEAK_OPTIONS=", "-ex", "run", "--args", leaky, *args]
    return run(argv, preload=False, timeout=120)


for args, want in ((["-s", "0"], "exited normally"), (["-s", "2"], "exited with code 027")):
    r = under_gdb(args)
    out = (r.stdout + r.stderr).decode(errors="replace")
    check(r.rc == 0 and want in out and "received signal" not in out, f"gdb {args}: {want!r} expected", out)
    check(args[1] == "0" or "found 2 leaked threads" in out, f"gdb {args}: the report", out)
r = under_gdb(["-k", "1"], extra=["-iex", "handle SIG60 nostop noprint pass", "-iex",
                                  "handle SIG61 nostop noprint pass", "-iex", "handle SIG62 nostop noprint pass"])
out = (r.stdout + r.stderr).decode(errors="replace")
check("exited with code 027" in out and "found 1 leaked thread" in out, "gdb -k 1 with handle: the report", out)
ok()
