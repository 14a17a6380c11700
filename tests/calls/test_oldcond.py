"""A binary linked against the old condition variables, pthread_cond_*@GLIBC_2.2.5
(tests/calls/calls_oldcond.c). Under the library it must run correctly (a 1000-round
ping-pong on old condvars), not crash, and report its blocked waiter in pthread_cond_wait."""
import os
import subprocess
import sys

from tl_test import *  # noqa: E402,F403
from calls_util import *  # noqa: E402,F403

prog = exe("calls_oldcond")
syms = subprocess.run(["nm", "-D", "--undefined-only", prog], stdout=subprocess.PIPE, check=True).stdout.decode()
for fn in ("pthread_cond_wait", "pthread_cond_signal", "pthread_cond_broadcast", "pthread_cond_init"):
    check(f"{fn}@GLIBC_2.2.5" in syms, f"{prog} is not linked against {fn}@GLIBC_2.2.5", syms)

SRC = "calls_oldcond.c"
obj = (global_obj("cond", "never", SRC, "static pthread_cond_t ping, pong, never;") + ", "
       + global_obj("mutex", "mu", SRC, "static pthread_mutex_t mu"))
bare = run([prog], preload=False, timeout=60)
check(bare.rc == 0 and bare.stdout == b"1000 rounds\n", f"bare run {bare.rc}", bare.stdout, bare.stderr)
for _ in range(3):
    r = run([prog], timeout=60)
    check(r.rc == 23, f"exit status {r.rc}, expected 23 (a crash is negative or 128+)", r.stdout, r.stderr)
    check(r.stdout == b"1000 rounds\n", "the ping-pong did not complete", r.stdout, r.stderr)
    leaks = by_name(r.report)
    check(list(leaks) == ["old_cond_wait"], f"leaks {sorted(leaks)}", r.report)
    expect(leaks["old_cond_wait"], "pthread_cond_wait", obj)
    check(functions(leaks["old_cond_wait"]["stack"])[0] == "waiter", "waiter on top", leaks["old_cond_wait"])
t = run([prog], json_format=False, timeout=60)
check(t.rc == 23 and t.stdout == b"1000 rounds\n", f"text run {t.rc}", t.stderr)
expect_text(text_threads(t.stderr), "old_cond_wait", "pthread_cond_wait", obj, context=t.stderr)
ok()
