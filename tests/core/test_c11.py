"""C11 threads (thrd_create does not pass through pthread_create): the thread blocked in
cnd_wait, the one blocked in mtx_lock and the finished-but-unjoined one are reported; the joined one (thrd_join) and the
detached one that finished (thrd_detach) are not. Start routines, lines and creation stacks
are those of the C11 calls."""
from coreutil import *  # noqa: F403

prog = exe("c11")
S = "c11.c"
bare, r, rep = run_vs_bare([prog], b"joined returned 7\n")  # thrd_join's result too
check(rep["leaked"] == 3 and len(rep["leaks"]) == 3, "3 leaks expected", rep)
leaks = by_start(rep["leaks"])
check(set(leaks) == {"stuck", "forgotten", "locker"},
      f"start routines {sorted(leaks, key=str)}, expected stuck, forgotten and locker", rep)

# blocked in mtx_lock, as the program called it (it read pthread_mutex_lock, glibc's call inside)
lk = leaks["locker"]
check(lk["state"] == "blocked" and lk["blocked_in"] == "mtx_lock" and
      (lk["object"] or "").startswith(f"mutex held ({S}:"),
      f"locker: {lk['state']} in {lk['blocked_in']} on {lk['object']!r}", lk)

st = leaks["stuck"]
check(st["state"] == "blocked" and st["blocked_in"] == "cnd_wait", f"stuck: {st['state']} in {st['blocked_in']}", st)
check((st["object"] or "").startswith(f"cond never_signalled ({S}:") and f"mutex mu ({S}:" in st["object"],
      f"stuck: object {st['object']!r}", st)
check_frame(top(st), "stuck", S, line(S, "STUCK_WAITS"), "stuck: top frame", st)
check_created_by(st, 1, ["start_c11", "main"], S, [line(S, "CREATE_STUCK"), line(S, "start_c11();")])

fg = leaks["forgotten"]
check(fg["state"] == "exited" and fg["stack"] == [], f"forgotten: state {fg['state']}", fg)
check_created_by(fg, 1, ["start_c11", "main"], S, [line(S, "CREATE_FORGOTTEN"), line(S, "start_c11();")])
for l in (st, fg):
    check(l["detached"] is False, "joinable", l)
    no_own_frames(l)
ok()
