"""The default "libc" set: glibc's own helper threads are not reported by default, and each
rule is needed: with default_suppressions=0, or disable_default_sets=libc, the same thread is
reported. timer_create(SIGEV_THREAD) -> start:timer_helper_thread, mq_notify(SIGEV_THREAD) ->
start:mq_notify_helper_thread, aio_read -> start:handle_fildes_io, getaddrinfo_a ->
start:handle_requests."""
from apiutil import *  # noqa: F403

prog = exe("api_libc")
MODES = {
    "timer": ("start:timer_helper_thread", "timer_helper_thread"),
    "mq": ("start:mq_notify_helper_thread", "mq_notify_helper_thread"),
    "aio": ("start:handle_fildes_io", "handle_fildes_io"),
    "gai": ("start:handle_requests", "handle_requests"),
}


def run_mode(mode, options=""):
    """Run one mode; the getaddrinfo_a worker goes away after 1 s idle (glibc's setting, which
    no API changes), so a run where it is already gone at the exit check is repeated."""
    for attempt in range(5):
        r = run([prog, mode], options=options)
        check(r.stdout == f"done {mode}\n".encode(), f"{mode}: output", r.stdout, r.stderr)
        rep = r.report
        check(rep is not None, f"{mode} {options}: no report", r.stderr)
        if rep["leaked"] + rep["suppressed"] > 0 or mode != "gai":
            return r
        print(f"{mode}: the worker was gone at the exit check (attempt {attempt + 1}); again")
    fail(f"{mode}: the worker was gone at every exit check")


for mode, (rule, start) in MODES.items():
    bare = run([prog, mode], preload=False)
    check(bare.rc == 0 and bare.stdout == f"done {mode}\n".encode(), f"{mode}: bare run {bare.rc}", bare.stderr)

    # by default: suppressed by exactly its rule of the libc set
    r = run_mode(mode)
    rep = r.report
    check(r.rc == 0 and rep["leaked"] == 0, f"{mode}: status {r.rc}, leaked {rep['leaked']}, expected 0", rep)
    check(rep["suppressed"] == 1 and rep["suppressions_used"] == [{"rule": rule, "count": 1, "set": "libc"}],
          f"{mode}: suppressed by {rule} (default set libc)", rep)
    st = rep["suppressed_threads"][0]
    check(st["start_routine"] == start and st["suppressed_by"] == rule and st["state"] == "blocked",
          f"{mode}: the suppressed thread", st)
    check(warnings(r.stderr) == [], f"{mode}: warnings", r.stderr)
    t = run([prog, mode], json_format=False)
    check(t.rc == 0 and t.stderr == b"", f"{mode}: text run prints nothing", t.stderr)

    # the rule is needed: without it the thread is reported
    for opts in ("default_suppressions=0", "disable_default_sets=libc", "disable_default_sets=node,libc"):
        r = run_mode(mode, opts)
        rep = r.report
        check(r.rc == 23 and rep["leaked"] == 1 and rep["suppressed"] == 0 and rep["suppressions_used"] == [],
              f"{mode} {opts}: status {r.rc}, expected the helper reported", rep)
        l = rep["leaks"][0]
        check(l["start_routine"] == start and l["thread"] is not None, f"{mode} {opts}: the leak", l)
        # created by the call that started it, in the program
        fns = functions(l["created_by"]["stack"])
        check(fns[:2] == [f"do_{mode}", "main"], f"{mode} {opts}: created by do_{mode} from main: {fns}", l)

    # another set turned off: the libc set still applies
    r = run_mode(mode, "disable_default_sets=node,glib")
    check(r.rc == 0 and r.report["leaked"] == 0 and r.report["suppressed"] == 1, f"{mode}: libc set still on",
          r.report)

    # the text report names the helper
    t = run([prog, mode], options="default_suppressions=0", json_format=False)
    err = t.stderr.decode(errors="replace")
    check(t.rc == 23 and f"start routine {start}" in err, f"{mode}: text report names {start}", err)
ok()
