"""Detached threads sleeping in a loop: each reported blocked in its own sleep call (sleep,
usleep, nanosleep, and usleep with a 1 ms tick), detached, with the loop function on top of
the stack at the call's line and the requested duration as the object. The fast poller
leaves and re-enters usleep every millisecond: the check must still report it blocked in
usleep with its stack, not "running" with an empty stack. Three runs, then one with 50 fast
pollers (unwinding them all takes longer than their 1 ms tick, so every one of them moves
between its snapshot and the check's validation of that snapshot). The fast pollers' "blocked
for" is counted up to the look that saw their call: 8 ms at most for the median of them."""
from coreutil import *  # noqa: F403

prog = exe("sleeper")
S = "sleeper.c"
expect = {
    # start routine: (call, marker, object)
    "poll_sleep": ("sleep", "SLEEP_LOOP", "a sleep of 1000ms"),
    "poll_usleep": ("usleep", "USLEEP_LOOP", "a sleep of 100ms"),
    "poll_nanosleep": ("nanosleep", "NANOSLEEP_LOOP", "a sleep of 100ms"),
    "poll_fast": ("usleep", "FAST_LOOP", "a sleep of 1ms"),
    "poll_us": ("usleep", "US_LOOP", "a sleep of 500us"),
}
main_line = line(S, "pthread_create(&t, NULL, i < 4 ? fns[i] : poll_fast, NULL)")


def check_run(r, bare, n, fast=1):
    check(r.rc == 23, f"run {n}: exit status {r.rc}, expected 23", r.stderr)
    check(r.stdout == bare.stdout == b"pollers started\n", f"run {n}: stdout", r.stdout)
    rep = r.report
    check(rep["leaked"] == 4 + fast and len(rep["leaks"]) == 4 + fast, f"run {n}: {4 + fast} leaks expected", rep)
    moving = [l for l in rep["leaks"] if l["state"] != "blocked"]
    check(not moving, f"run {n}: {len(moving)} of {4 + fast} sleeping threads not reported blocked; the first: "
          f"{moving and (moving[0]['start_routine'], moving[0]['state'], moving[0]['stack_note'])}", moving[:1])
    groups = {}
    for l in rep["leaks"]:
        groups.setdefault(l["start_routine"], []).append(l)
    check(set(groups) == set(expect), f"run {n}: start routines {sorted(groups, key=str)}", rep)
    # "blocked for" ends at the look that saw the call, not at the report: the fast pollers'
    # 1 ms sleeps were shown blocked for 12-60 ms, as long as the check took after its look
    ms = sorted(l["blocked_ms"] for l in groups["poll_fast"] if isinstance(l["blocked_ms"], int))
    check(ms and ms[len(ms) // 2] <= 8, f"run {n}: fast pollers blocked for {ms} ms in a 1 ms sleep")
    for start, (call, marker, obj) in expect.items():
        want = fast if start == "poll_fast" else 1
        check(len(groups[start]) == want, f"run {n}: {len(groups[start])} leaks of {start}, expected {want}", rep)
        for l in groups[start]:
            check(l["state"] == "blocked" and l["blocked_in"] == call,
                  f"run {n}: {start}: {l['state']} in {l['blocked_in']}, expected blocked in {call}", l)
            check(l["detached"] is True, f"run {n}: {start}: detached", l)
            check(l["object"] == obj, f"run {n}: {start}: object {l['object']!r}, expected {obj!r}", l)
            check(isinstance(l["blocked_ms"], int) and 0 <= l["blocked_ms"] <= 60000, f"{start}: blocked_ms", l)

            check_frame(top(l), start, S, line(S, marker), f"run {n}: {start}: top frame", l)
            check(l["stack_note"] is None, f"run {n}: {start}: stack complete", l)
            check_created_by(l, 1, ["main"], S, [main_line])
            no_own_frames(l)


bare, r = bare_and_preloaded([prog])
check_run(r, bare, 0)
for n in (1, 2):
    check_run(run([prog]), bare, n)
check_run(run([prog, "50"]), bare, 3, fast=50)
ok()
