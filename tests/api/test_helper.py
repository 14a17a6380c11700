"""A mid-run check of 800 threads (its looks shared with a helper thread on a second CPU:
preload/kernel.c tl_kernel_view_all) leaves the program's children accounting, its PID
namespace and its descriptors as they were. The helper was a process once: reaped, it counted
in getrusage(RUSAGE_CHILDREN) and times(), a wait with __WALL got its pid, and after
unshare(CLONE_NEWPID) it became the namespace's init, whose end made the program's fork fail
(ENOMEM); its opens shared the program's fd table, and near RLIMIT_NOFILE they took the
checker's numbers: mutex waiters came out running with no stack. And errno: the check left
EINVAL there. helper.c says what each mode prints."""
from apiutil import *  # noqa: F403

prog = exe("api_helper")
N = 800


def checked(mode, i):
    r = run([prog, mode], timeout=120)
    check(r.rc == 0, f"{mode}, run {i}: status {r.rc}", r.stderr[-2000:])
    out = r.stdout.decode()
    return r, out


for i in range(3):
    r, out = checked("children", i)
    check(out == f"children 0 0 0 -1\nleaked {N} errno 0\n", f"children, run {i}: {out!r}")

    r, out = checked("pidns", i)
    check(out.startswith("skip") or out == f"fork pid 1\nleaked {N} errno 0\n", f"pidns, run {i}: {out!r}")

    r, out = checked("fds", i)
    check(out == f"leaked {N} errno 0\n", f"fds, run {i}: {out!r}", r.stderr[-2000:])
    rep = r.report
    states = sorted({(l["state"], l["start_routine"]) for l in rep["leaks"]})
    check(states == [("blocked", "cond_waiter"), ("blocked", "mutex_waiter")],
          f"fds, run {i}: states {states}", rep["leaks"][:3])
    check(all(l["stack"] for l in rep["leaks"]), f"fds, run {i}: a thread without a stack")
ok()
