"""Thousands of threads parked at once: 2000 threads blocked in pthread_mutex_lock (sampled with
threadleak's signal, not from a wrapper's snapshot), each recursing to its own depth and named
after it. Every in-process check and the exit check must give every one of them its own stack
(the right number of descend() frames under pthread_mutex_lock, no note), the second time as
the first (slots reused across checks), also while threads beside them block and unblock every
signal in a loop (our signal delivered late, at the unblocking; slots given up on)."""
import json

from sampling import *  # noqa: F403

prog = exe("parkmany")
N = 2000


def check_parkers(doc, what):
    parkers = [leak for leak in doc["leaks"] if (leak["name"] or "").startswith("pm")]
    check(len(parkers) == N, f"{what}: {len(parkers)} blocked threads reported, not {N}")
    wrong = []
    for leak in parkers:
        depth = int(leak["name"][2:])
        fns = functions(leak["stack"])
        good = (leak["stack_note"] is None and leak["state"] == "blocked" and
                "descend" in fns and fns.count("descend") == depth and "parker" in fns and
                any("pthread_mutex_lock" in (f or "") for f in fns[:fns.index("descend")]))
        if not good:
            wrong.append((leak["tid"], leak["name"], leak["stack_note"], fns))
    check(not wrong, f"{what}: {len(wrong)} of {N} stacks wrong, e.g. {wrong[:3]}")


for toggling in ("0", "2"):
    for i in range(2):
        what = f"togglers {toggling} run {i}"
        r = run([prog, "-n", str(N), "-c", "3", "-t", toggling], options="grace_ms=0",
                timeout=180)
        check(r.rc == 23, f"{what}: exit status {r.rc} (a crash?)", r.stderr)
        out = r.stdout.decode(errors="replace")
        check(out.endswith("main done\n"), f"{what}: output lost", r.stderr)
        docs = [json.JSONDecoder().raw_decode(d)[0] for d in out.split("\x1e")[1:]]
        check(len(docs) == 3, f"{what}: {len(docs)} in-process reports")
        for k, doc in enumerate(docs):
            check_parkers(doc, f"{what}, check {k}")
        check(r.report is not None, f"{what}: no exit report", r.stderr)
        check_parkers(r.report, f"{what}, exit check")
ok()
