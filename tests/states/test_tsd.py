"""Threads whose start routine returned but that are blocked in their own thread-specific data
destructor (joinable and detached), thread_local destructor or pthread_exit cleanup handler:
blocked there with that stack, not "exited" nor "untracked"."""
from states import *  # noqa: F403

r, v = run_case("tsd")
leaks = r.leaks
check(len(leaks) == 2, f"tsd: {len(leaks)} leaks, expected 2", r.report, r.stderr)
check(sorted(l["detached"] for l in leaks) == [False, True], "tsd: one joinable, one detached", leaks)
for l in leaks:
    check(l["state"] == "blocked" and l["blocked_in"] == "read"
          and (l.get("object") or "").startswith(f"fd {v['b']} (pipe:"),
          f"tsd: {l['state']} in {l.get('blocked_in')!r}, expected blocked in read on fd {v['b']}", l)
    check(l.get("start_routine") == "tsd_thread", "tsd: the thread is not tracked", l)
    check(frame(l["stack"], "tsd_destructor") is not None
          and frame(l["stack"], "tsd_destructor")["line"] == source_line(SOURCE, "TSD_READ"),
          "tsd: tsd_destructor not on the stack", l)
    check(l.get("stack_note") == "in a thread-specific data destructor", "tsd: no note", l)

for case, fn, marker in (("tls_dtor", "tsd_destructor", "TSD_READ"),
                         ("exit_cleanup", "cleanup_reader", "CLEANUP_READ")):
    r, v = run_case(case)
    l = only_leak(r, case)
    check(l["state"] == "blocked" and l["blocked_in"] == "read"
          and (l.get("object") or "").startswith(f"fd {v['b']} (pipe:"),
          f"{case}: {l['state']} in {l.get('blocked_in')!r}", l)
    f = frame(l["stack"], fn)
    check(f is not None and f["line"] == source_line(SOURCE, marker), f"{case}: {fn} not on the stack", l)
ok()
