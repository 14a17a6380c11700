"""Threads hammering malloc/free/realloc/calloc while the process exits: 20 runs, each must
end in time (no hang: the checker samples threads that may hold allocator locks), without a
crash, with exactly 4 leaks, each running (or waiting on an allocator lock) with `hammer` on
its stack, and the program's output intact."""
from coreutil import *  # noqa: F403

prog = exe("malloc_storm")
N = 4
bare = run([prog, str(N)], preload=False)
check(bare.rc == 0 and bare.stdout == b"hammering with 4 threads\n", "bare run", bare.stdout + bare.stderr)
times = []
for i in range(20):
    r = run([prog, str(N)], timeout=30)
    check(r.rc == 23, f"run {i}: exit status {r.rc}, expected 23 (negative: killed by a signal)", r.stderr)
    check(r.stdout == bare.stdout, f"run {i}: stdout", r.stdout)
    rep = r.report
    check(rep["leaked"] == N and len(rep["leaks"]) == N, f"run {i}: {rep['leaked']} leaks, expected {N}", rep)
    for l in rep["leaks"]:
        check(l["start_routine"] == "hammer_thread" and l["detached"] is True, f"run {i}: leak", l)
        check(l["state"] in ("running", "blocked"), f"run {i}: state {l['state']}", l)
        if l["state"] == "blocked":  # only an allocator lock is possible here
            check(l["blocked_in"] in ("pthread_mutex_lock", "futex"), f"run {i}: blocked in {l['blocked_in']}", l)
        fns = functions(l["stack"])
        check("hammer" in fns or l["stack_note"] is not None,
              f"run {i}: stack {fns} without hammer and without a note", l)
    times.append((r.seconds, rep["check_ms"]))
print("malloc_storm: 20 runs; wall s / check_ms: " +
      ", ".join(f"{s:.2f}/{c:.0f}" for s, c in times))
ok()
