"""A thread that keeps creating threads: each creation unwinds the creator's stack, which waits
for the loader's lock while a check holds it to take stacks, so the thread was always found
outside its calls, moving, and reported running without a stack. It is running (or, caught
between two creations, blocked joining the last one), with the frame of its loop at the line
of the call it was in, and no note. Ten runs of each kind: the state it is caught in varies."""
from states import *  # noqa: F403

for case, create, join in (("creator", "PT_CREATE", "PT_JOIN"), ("creator_c11", "C11_CREATE", "C11_JOIN")):
    lines = {source_line(SOURCE, create): None, source_line(SOURCE, join): "join"}
    seen = set()
    for i in range(10):
        r, v = run_case(case)
        l = only_leak(r, case)
        f = frame(l["stack"], "creator_thread")
        check(f is not None and f.get("line") in lines and not l.get("stack_note"),
              f"{case} run {i}: no creator_thread frame at lines {sorted(lines)} in "
              f"{functions(l['stack'])} ({l.get('stack_note')})", l, r.stderr)
        # blocked only in the join; running in the creation, or in the join's bookkeeping
        want = {("running", None)}
        if lines[f["line"]] == "join":
            want.add(("blocked", "pthread_join" if case == "creator" else "thrd_join"))
        check((l["state"], l.get("blocked_in")) in want,
              f"{case} run {i}: {l['state']} in {l.get('blocked_in')} at line {f['line']}, expected {want}", l)
        seen.add(l["state"])
    print(f"{case}: 10 runs, stacks in the loop, caught {sorted(seen)}")
ok()
