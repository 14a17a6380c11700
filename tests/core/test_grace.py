"""A detached thread that finishes 120 ms after main returns: with the default grace period
(250 ms) the check waits for it (no leak, status 0, and check_ms shows the wait); with
grace_ms=0 it is reported (still waking up, or already in its usleep: the race is the
program's), and with grace_ms=20 it is reported blocked in its usleep."""
from coreutil import *  # noqa: F403

prog = exe("grace")
S = "grace.c"
bare, r, rep = run_vs_bare([prog], b"main returns\n", rc=0)
check(r.stderr == b"", "stderr", r.stderr)
check(rep["leaked"] == 0 and rep["leaks"] == [], "no leak with the default grace period", rep)
check(30 <= rep["check_ms"] < 250, f"check_ms {rep['check_ms']}: expected a wait of about 120 ms", rep)
print(f"default grace: check_ms {rep['check_ms']}")

for grace in (0, 20):
    g = run([prog], options=f"grace_ms={grace}")
    check(g.rc == 23, f"grace_ms={grace}: exit status {g.rc}, expected 23", g.stderr)
    rep = g.report
    check(rep["leaked"] == 1 and len(rep["leaks"]) == 1, f"grace_ms={grace}: 1 leak expected", rep)
    l = rep["leaks"][0]
    check(l["start_routine"] == "winding_down" and l["detached"] is True, f"grace_ms={grace}: the thread", l)
    if grace == 0 and not (l["state"] == "blocked" and l["blocked_in"] == "usleep"):
        # just woken by main's broadcast: still in pthread_cond_wait, or on its way
        check(l["state"] == "running" or (l["state"] == "blocked" and l["blocked_in"] in
              ("pthread_cond_wait", "pthread_mutex_lock")), f"grace_ms=0: state {l['state']} {l['blocked_in']}", l)
        continue
    check(l["state"] == "blocked" and l["blocked_in"] == "usleep", f"grace_ms={grace}: blocked in usleep", l)
    check(l["object"] == "a sleep of 120ms", f"object {l['object']!r}", l)
    check_frame(top(l), "winding_down", S, line(S, "WIND_DOWN"), "top frame", l)
    check(rep["check_ms"] < 200, f"grace_ms={grace}: check_ms {rep['check_ms']}", rep)
    print(f"grace_ms={grace}: check_ms {rep['check_ms']}")
ok()
