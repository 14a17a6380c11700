"""Finished but never joined (nor detached): 3 threads reported as "exited", detached false,
with no current stack, their start routine and their creation stack (start_all from main).
The one joined thread is not reported."""
from coreutil import *  # noqa: F403

prog = exe("unjoined")
S = "unjoined.c"
bare, r, rep = run_vs_bare([prog], b"finished 4\n")
check(rep["exit_status"] == 0 and rep["leaked"] == 3 and len(rep["leaks"]) == 3, "3 leaks expected", rep)
create = line(S, "UNJOINED")
main_call = line(S, "start_all();")
for l in rep["leaks"]:
    check(l["state"] == "exited", f"state {l['state']}, expected exited", l)
    check(l["detached"] is False, "not detached", l)
    check(l["blocked_in"] is None and l["blocked_ms"] is None and l["object"] is None, "not blocked", l)
    check(l["stack"] == [], "an exited thread has no current stack", l)
    check(l["start_routine"] == "quick", "start routine", l)
    check(isinstance(l["thread"], int) and l["thread"] >= 2, "thread number", l)
    check_created_by(l, 1, ["start_all", "main"], S, [create, main_call])
    no_own_frames(l)
check(len({l["thread"] for l in rep["leaks"]}) == 3, "distinct thread numbers", rep)
# the three are identical: one group
check(len({l["group"] for l in rep["leaks"]}) == 1, "one group for identical threads", rep)

t = run([prog], json_format=False)
err = t.stderr.decode()
check(t.rc == 23 and "found 3 leaked threads" in err and "exited without join" in err and
      "joinable" in err and "created by start_all at" in err, "text report", err)
ok()
