"""Threads whose start routine returned but that are blocked in their own thread-specific data
destructor (joinable and detached; the key made by pthread_key_create or C11's tss_create),
thread_local destructor or pthread_exit cleanup handler: blocked there with that stack, not
"exited" nor "untracked". (Without a key of the program's, the registry finishes a thread in
the first round of destructors: a tss_create key must be seen too; and a thread that set no
thread-specific value finishes when its start routine returns: a value set under a key made
where no wrapper sees it, through dlsym on libc's handle, must be seen too.)"""
from states import *  # noqa: F403

for case, start in (("tsd", "tsd_thread"), ("tsd_late", "tsd_thread"), ("tss", "tss_thread"),
                    ("tsd_hidden", "tsd_thread")):
    r, v = run_case(case)
    leaks = r.leaks
    check(len(leaks) == 2, f"{case}: {len(leaks)} leaks, expected 2", r.report, r.stderr)
    check(sorted(l["detached"] for l in leaks) == [False, True],
          f"{case}: one joinable, one detached", leaks)
    for l in leaks:
        check(l["state"] == "blocked" and l["blocked_in"] == "read"
              and (l.get("object") or "").startswith(f"fd {v['b']} (pipe:"),
              f"{case}: {l['state']} in {l.get('blocked_in')!r}, expected blocked in read on fd "
              f"{v['b']}", l)
        check(l.get("start_routine") == start, f"{case}: the thread is not tracked", l)
        check(frame(l["stack"], "tsd_destructor") is not None
              and frame(l["stack"], "tsd_destructor")["line"] == source_line(SOURCE, "TSD_READ"),
              f"{case}: tsd_destructor not on the stack", l)
        check(l.get("stack_note") == "in a thread-specific data destructor", f"{case}: no note", l)

for case, fn, marker in (("tls_dtor", "tsd_destructor", "TSD_READ"),
                         ("tls_hidden", "tsd_destructor", "TSD_READ"),
                         ("exit_cleanup", "cleanup_reader", "CLEANUP_READ")):
    r, v = run_case(case)
    l = only_leak(r, case)
    check(l["state"] == "blocked" and l["blocked_in"] == "read"
          and (l.get("object") or "").startswith(f"fd {v['b']} (pipe:"),
          f"{case}: {l['state']} in {l.get('blocked_in')!r}", l)
    f = frame(l["stack"], fn)
    check(f is not None and f["line"] == source_line(SOURCE, marker), f"{case}: {fn} not on the stack", l)
ok()
