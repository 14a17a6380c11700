"""main() calls pthread_exit() while leaked workers block; the process ends when another
worker calls exit(0) (mode "exit": two leaks, blocked in pthread_cond_wait and in read on a
pipe) or returns as the last thread (mode "return": one leak, a finished-unjoined worker).
No crash, exactly those leaks, main and the finishing worker not reported, main's buffered
output kept, and a report as complete as usual: by then the main thread is a zombie task, so
/proc/PID/{maps,fd,exe} are empty, yet functions, lines, objects (`fd 4 (pipe:[...])`, the
condition variable's name), the verdict (reachable: a static object) and the exe path must
still be there. The program is started by
a relative path so that a fallback to argv[0] for the exe shows."""
from coreutil import *  # noqa: F403

prog = exe("main_pthread_exit")
S = "main_pthread_exit.c"
cwd, rel = os.path.dirname(prog), "./" + os.path.basename(prog)
for mode in ("exit", "return"):
    bare, r = bare_and_preloaded([prog, mode])
    check(bare.stdout == b"main leaves", f"{mode}: bare output", bare.stdout)
    r = run([rel, mode], cwd=cwd)
    check(r.rc == 23, f"{mode}: exit status {r.rc}, expected 23 (negative: killed by a signal)", r.stderr)
    check(r.stdout == bare.stdout, f"{mode}: stdout differs (buffered output lost?)", r.stdout)
    rep = r.report
    n = 2 if mode == "exit" else 1
    check(rep["exit_status"] == 0 and rep["leaked"] == n and len(rep["leaks"]) == n, f"{mode}: {n} leaks expected", rep)
    check(all(l["thread"] != 1 for l in rep["leaks"]), f"{mode}: main reported", rep)
    # the finisher, once symbolized, has start routine "finisher"; its number is the last one
    check(all(l["thread"] != n + 2 and l["start_routine"] != "finisher" for l in rep["leaks"]),
          f"{mode}: the finisher (thread {n + 2}) reported", rep)
    leaks = {l["thread"]: l for l in rep["leaks"]}
    check(2 in leaks, f"{mode}: thread 2 not reported", rep)
    l = leaks[2]
    check(l["detached"] is False, f"{mode}: joinable", l)
    fns = functions(l["stack"]) + functions(l["created_by"]["stack"])
    check(all(fns), f"{mode}: frames without a function name: {fns} (symbolization failed)", l)
    if mode == "exit":
        check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait", f"{mode}: blocked in pthread_cond_wait", l)
        check(l["start_routine"] == "stuck", f"{mode}: start routine {l['start_routine']!r}, expected 'stuck'", l)
        check_frame(top(l), "stuck", S, line(S, "STUCK_BLOCKS"), f"{mode}: top frame", l)
        check((l["object"] or "").startswith(f"cond never_signalled ({S}:"), f"{mode}: object {l['object']!r}", l)
        # the verdicts' scan reads memory and mappings through the checking thread, not the
        # zombie main: a static condition variable can be named by any thread
        check(l["verdict"] == "reachable" and "any thread can name" in (l["verdict_reason"] or ""),
              f"{mode}: verdict {l['verdict']!r} ({l['verdict_reason']!r}), expected reachable", l)
        check(3 in leaks, f"{mode}: the reader (thread 3) not reported", rep)
        rd = leaks[3]
        check(rd["state"] == "blocked" and rd["blocked_in"] == "read" and rd["start_routine"] == "reader",
              f"{mode}: reader blocked in read", rd)
        check((rd["object"] or "").startswith("fd ") and "(pipe:[" in rd["object"],
              f"{mode}: reader object {rd['object']!r}, expected the fd named as a pipe", rd)
        check_frame(top(rd), "reader", S, line(S, "READER_BLOCKS"), f"{mode}: reader top frame", rd)
    else:
        check(l["state"] == "exited" and l["stack"] == [], f"{mode}: exited", l)
        check(l["start_routine"] == "gone", f"{mode}: start routine {l['start_routine']!r}, expected 'gone'", l)
    check_created_by(l, 1, ["main"], S, [line(S, "pthread_create(&l, NULL")])
    no_own_frames(l)
    check(rep["exe"] == prog, f"{mode}: exe {rep['exe']!r}, expected {prog!r}", rep["exe"])

# A block only an epoll registration points to: the scan reads the registrations from
# /proc/thread-self/fdinfo (/proc/self/fdinfo of the zombie main lists none); without the
# registration nothing points to it
for mode, verdict in (("epoll", "reachable"), ("unreached", "unreachable")):
    r = run([prog, mode])
    check(r.rc == 23 and len(r.leaks) == 1, f"{mode}: status {r.rc}, leaks {len(r.leaks)}", r.reports, r.stderr)
    l = r.leaks[0]
    check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait", f"{mode}: state", l)
    check(l["verdict"] == verdict, f"{mode}: verdict {l['verdict']!r} ({l['verdict_reason']!r}), "
          f"expected {verdict}", l)
    check_frame(top(l), "stuck_on_heap", S, line(S, "HEAP_BLOCKS"), f"{mode}: top frame", l)
# a mutex main locked before its pthread_exit: its owner has exited (main is a zombie task
# now); it was shown "held by thread 1 (tid N)", a live holder
r = run([prog, "holder"])
check(r.rc == 23 and r.report["leaked"] == 1, f"holder: status {r.rc}", r.stderr, r.report)
l = r.leaks[0]
obj = l.get("object") or ""
check(l["blocked_in"] == "pthread_mutex_lock" and obj.startswith("mutex held_by_main ")
      and "(its owner has exited)" in obj and (l.get("held_by") or {}).get("thread") is None,
      f"holder: object {obj!r}, held_by {l.get('held_by')}", l)
ok()
