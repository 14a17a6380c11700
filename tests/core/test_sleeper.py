"""Detached threads sleeping in a loop: each reported blocked in its own sleep call (sleep,
usleep, nanosleep), detached, with the loop function on top of the stack at the call's line
and the requested duration as the object."""
from coreutil import *  # noqa: F403

prog = exe("sleeper")
S = "sleeper.c"
bare, r = bare_and_preloaded([prog])
check(r.rc == 23, f"exit status {r.rc}, expected 23", r.stderr)
check(r.stdout == bare.stdout == b"pollers started\n", "stdout", r.stdout)
rep = r.report
check(rep["leaked"] == 3 and len(rep["leaks"]) == 3, "3 leaks expected", rep)
leaks = by_start(rep["leaks"])
expect = {
    # start routine: (call, marker, object)
    "poll_sleep": ("sleep", "SLEEP_LOOP", "a sleep of 1000ms"),
    "poll_usleep": ("usleep", "USLEEP_LOOP", "a sleep of 100ms"),
    "poll_nanosleep": ("nanosleep", "NANOSLEEP_LOOP", "a sleep of 100ms"),
}
check(set(leaks) == set(expect), f"start routines {sorted(leaks, key=str)}", rep)
main_line = line(S, "pthread_create(&t, NULL, fns[i], NULL)")
for start, (call, marker, obj) in expect.items():
    l = leaks[start]
    check(l["state"] == "blocked" and l["blocked_in"] == call, f"{start}: {l['state']} in {l['blocked_in']}, expected blocked in {call}", l)
    check(l["detached"] is True, f"{start}: detached", l)
    check(l["object"] == obj, f"{start}: object {l['object']!r}, expected {obj!r}", l)
    check(isinstance(l["blocked_ms"], int) and 0 <= l["blocked_ms"] <= 60000, f"{start}: blocked_ms", l)
    check_frame(top(l), start, S, line(S, marker), f"{start}: top frame", l)
    check(l["stack_note"] is None, f"{start}: stack complete", l)
    check_created_by(l, 1, ["main"], S, [main_line])
    no_own_frames(l)
ok()
