"""Threads that block every signal: reported without a hang. The spinning one is "running";
the one waiting for a mutex main holds is blocked in pthread_mutex_lock (recognised from the
kernel's futex wait and the frames at its program counter, since no signal can reach it), on
the mutex `held`. Their stacks may be degraded: then a stack_note says why."""
from coreutil import *  # noqa: F403

prog = exe("sigblock")
S = "sigblock.c"
bare, r, rep = run_vs_bare([prog], b"signals blocked\n", timeout=30)
check(r.seconds < 10, f"the run took {r.seconds:.1f}s", r.stderr)
check(rep["leaked"] == 2 and len(rep["leaks"]) == 2, "2 leaks expected", rep)
check(rep["check_ms"] < 5000, f"check_ms {rep['check_ms']}", rep)
leaks = by_start(rep["leaks"])
check(set(leaks) == {"spin_blocked", "lock_blocked"}, f"start routines {sorted(leaks, key=str)}", rep)


def stack_or_note(l, fn):
    """Either the stack names fn, or it is degraded and a note says it is the signal mask."""
    fns = functions(l["stack"])
    if fn in fns:
        return
    check(l["stack_note"] is not None and "signal" in l["stack_note"],
          f"{l['start_routine']}: stack {fns} lacks {fn} and no note explains why", l)


sp = leaks["spin_blocked"]
check(sp["state"] == "running" and sp["blocked_in"] is None, f"spin_blocked: state {sp['state']}", sp)
stack_or_note(sp, "spin_blocked_loop")

lk = leaks["lock_blocked"]
check(lk["state"] == "blocked", f"lock_blocked: state {lk['state']}", lk)
stack_or_note(lk, "lock_blocked")
check(f"held ({S}:" in (lk["object"] or ""), f"lock_blocked: object {lk['object']!r} does not name `held`", lk)
check(lk["blocked_in"] == "pthread_mutex_lock",
      f"lock_blocked: blocked_in {lk['blocked_in']!r}, expected 'pthread_mutex_lock' "
      f"(top frames {functions(lk['stack'])})", lk)
# A note must not promise what the stack lacks: a running thread has no pc from the kernel
for l in (sp, lk):
    note = l["stack_note"] or ""
    check(l["stack"] or "program counter is known" not in note,
          f"{l['start_routine']}: the note claims a program counter the stack lacks: {note!r}", l)
check(sp["stack"] or "running: its stack is unknown" in (sp["stack_note"] or ""),
      f"spin_blocked: no stack, and the note does not say why: {sp['stack_note']!r}", sp)
for l in (sp, lk):
    check_created_by(l, 1, ["main"], S, [line(S, f"pthread_create(&{'a' if l is sp else 'b'}, NULL")])
ok()
