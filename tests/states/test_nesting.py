"""Records of wrapped calls that never returned normally, and calls nested in signal handlers:
the report names the call the thread is really in, its object, and a stack that runs through
the frames that are really there."""
from states import *  # noqa: F403


def line(marker):
    return source_line(SOURCE, marker)


def top(l, fn, marker):
    """fn is on the stack at the marker's line."""
    f = frame(l["stack"], fn)
    check(f is not None and f.get("line") == line(marker),
          f"{fn} at line {line(marker)} not on the stack", l)


def blocked(case, call, obj_prefix):
    r, v = run_case(case)
    l = only_leak(r, case)
    obj = l.get("object") or ""
    check(l["state"] == "blocked" and l["blocked_in"] == call and obj.startswith(obj_prefix.format(**v)),
          f"{case}: {l['state']} in {l.get('blocked_in')!r} on {obj!r}, expected blocked in {call} on "
          f"{obj_prefix.format(**v)}...", l)
    return l


# cancelled in read(A); the cleanup handler blocks in read(B)
l = blocked("cancel", "read", "fd {b} (pipe:")
top(l, "cleanup_reader", "CLEANUP_READ")

# siglongjmp out of read(A), then sem_wait: the semaphore, not read(A)
l = blocked("jmp_sem", "sem_wait", "semaphore sem")
top(l, "jmp_thread", "SEM_AFTER_JUMP")

# siglongjmp out of read(A), then a raw read(B) nobody wraps: the kernel's view wins
l = blocked("jmp_raw", "read", "fd {b} (pipe:")
top(l, "jmp_thread", "RAW_AFTER_JUMP")

# siglongjmp out of read(A), then spinning: running, with the spinning frame
r, v = run_case("jmp_spin")
l = only_leak(r, "jmp_spin")
check(l["state"] == "running" and not l.get("blocked_in"), f"jmp_spin: {l['state']} in {l.get('blocked_in')}", l)
top(l, "jmp_thread", "SPIN_AFTER_JUMP")

# a handler blocked in read(B) while the thread was in read(A): read(B), the handler's frame,
# and under it the interrupted read(A) call site
for case in ("handler", "altstack"):
    l = blocked(case, "read", "fd {b} (pipe:")
    top(l, "handler_reads", "HANDLER_READ")
    top(l, "handler_thread", "INTERRUPTED_READ")
    fns = functions(l["stack"])
    check(fns.index("handler_reads") < fns.index("handler_thread"), f"{case}: frames out of order", l)

# a handler spinning inside read(A): running, in the handler
r, v = run_case("handler_spin")
l = only_leak(r, "handler_spin")
check(l["state"] == "running", f"handler_spin: {l['state']} in {l.get('blocked_in')}", l)
top(l, "handler_spins", "HANDLER_SPIN")

# 3000 wrapped calls interrupted by handlers that make wrapped calls, then read(A): the
# record is still exact (a torn or inverted record would show the wrong call or no call)
for i in range(5):
    l = blocked("sigstorm", "read", "fd {a} (pipe:")
    top(l, "storm_thread", "STORM_READ")
# a thread blocked in read(A) for good while another sends the process SIGUSR1 every 50 us and
# an SA_RESTART handler runs in the reader: reported running (caught in the handler at both
# looks) in 1 or 2 runs of 10
for i in range(20):
    r, v = run_case("readstorm")
    got = [l for l in r.leaks if l.get("start_routine") == "readstorm_thread"]
    check(len(got) == 1 and got[0]["state"] == "blocked" and got[0]["blocked_in"] == "read" and
          (got[0].get("object") or "").startswith(f"fd {v['a']} (pipe:"),
          f"readstorm, run {i + 1}: the reader is not reported blocked in read", r.leaks)
    top(got[0], "readstorm_thread", "READSTORM_READ")
# handlers that siglongjmp out of wherever they interrupted the loop (inside a wrapped call,
# or in the middle of recording one): the final read(A) is still recorded by its wrapper
# (blocked_ms comes only from a wrapper's record, not from the kernel's view)
for i in range(3):
    l = blocked("jmpstorm", "read", "fd {a} (pipe:")
    top(l, "jmpstorm_thread", "JMPSTORM_READ")
    check(l.get("blocked_ms") is not None, "jmpstorm: the read was not recorded by its wrapper", l)
ok()
