"""A thread spinning on the CPU: reported "running", not detached, with a useful stack: the
spinning function on top (at its loop) called from the start routine."""
from coreutil import *  # noqa: F403

prog = exe("spinner")
S = "spinner.c"
bare, r, rep = run_vs_bare([prog], b"spinning\n")
check(rep["leaked"] == 1 and len(rep["leaks"]) == 1, "1 leak expected", rep)
l = rep["leaks"][0]
check(l["state"] == "running", f"state {l['state']}, expected running", l)
check(l["detached"] is False and l["blocked_in"] is None, "joinable, not blocked", l)
check(l["start_routine"] == "spinner", "start routine", l)
check(l["stack_note"] is None, "a running thread that takes signals gets a full stack", l)
fns = functions(l["stack"])
check(fns[:2] == ["spin_forever", "spinner"], f"stack {fns}, expected spin_forever then spinner", l)
loop = line(S, "SPIN_LOOP")
check_frame(l["stack"][0], "spin_forever", S, {loop, loop + 1}, "top frame", l)
check_frame(l["stack"][1], "spinner", S, line(S, "spin_forever();"), "caller frame", l)
check("start_thread" in fns, "the stack reaches start_thread", l)
check_created_by(l, 1, ["main"], S, [line(S, "pthread_create(&t, NULL, spinner")])
no_own_frames(l)
ok()
