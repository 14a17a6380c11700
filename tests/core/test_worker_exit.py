"""exit() called by a worker while main waits for it in pthread_join: main (thread 1) and the
exiting worker are not reported; the two other workers are (blocked in read on the pipe, and
in pthread_cond_wait on a named condition variable). The worker's buffered output survives."""
from coreutil import *  # noqa: F403

prog = exe("worker_exit")
S = "worker_exit.c"
bare, r, rep = run_vs_bare([prog], b"worker calls exit")  # a difference: buffered output lost
check(rep["exit_status"] == 0 and rep["leaked"] == 2 and len(rep["leaks"]) == 2, "2 leaks expected", rep)
check(all(l["thread"] != 1 for l in rep["leaks"]), "main thread reported", rep)
leaks = by_start(rep["leaks"])
check(set(leaks) == {"reader", "waiter"}, f"leaked start routines {sorted(leaks, key=str)}, expected reader and waiter (not exiter)", rep)

rd = leaks["reader"]
check(rd["state"] == "blocked" and rd["blocked_in"] == "read", "reader blocked in read", rd)
check((rd["object"] or "").startswith("fd 3 (pipe:["), f"reader object {rd['object']!r}", rd)
check_frame(top(rd), "reader", S, line(S, "READER_BLOCKS"), "reader top", rd)

wt = leaks["waiter"]
check(wt["state"] == "blocked" and wt["blocked_in"] == "pthread_cond_wait", "waiter blocked in pthread_cond_wait", wt)
check((wt["object"] or "").startswith(f"cond never_signalled ({S}:") and f"mutex mu ({S}:" in wt["object"],
      f"waiter object {wt['object']!r}", wt)
check_frame(top(wt), "waiter", S, line(S, "WAITER_BLOCKS"), "waiter top", wt)
for l in (rd, wt):
    check(l["detached"] is False, "joinable", l)
    check_created_by(l, 1, ["main"], S, [line(S, f"pthread_create(&{l['start_routine'][0]}, NULL, {l['start_routine']}")])
    no_own_frames(l)
ok()
