"""Detached threads ending every way a thread can end (return, pthread_exit, thrd_exit, a
deferred and an asynchronous cancellation, a thread_local destructor after the return): the
registry frees each record as its thread finishes, so the heap does not grow with the number of
threads (a record is 1.3 KB), and the exit check reports nothing."""
import os
import re

from coreutil import *  # noqa: F403

prog = exe("exit_ways")
N = 3000
under_wrapper = bool(os.environ.get("TL_WRAPPER"))  # valgrind's heap: no mallinfo2 figures
for way in ("return", "pthread_exit", "thrd_exit", "cancel", "cancel_async", "tls_dtor"):
    bare, r = bare_and_preloaded([prog, way, str(N)])
    check(r.rc == 0, f"{way}: exit status {r.rc}", r.stdout, r.stderr)
    check(r.reports and not r.report["leaks"], f"{way}: leaks reported", r.reports, r.stderr)
    if under_wrapper:
        continue
    got = {}
    for name, res in (("bare", bare), ("preloaded", r)):
        m = re.search(rb"bytes per thread (-?\d+)", res.stdout)
        check(m is not None, f"{way}: {name} printed no figure", res.stdout)
        got[name] = int(m.group(1))
    check(got["preloaded"] - got["bare"] < 100,
          f"{way}: the heap grew by {got['preloaded']} bytes a thread under the library, "
          f"{got['bare']} bare: records of finished detached threads kept", got)
ok()
