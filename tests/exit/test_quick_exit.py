"""quick_exit() runs the check, after the program's at_quick_exit handlers: the thread a handler
joins is not reported, the one left blocked is; status 0 becomes 23, another status stays."""
from exitlib import *  # noqa: F401,F403
from exitlib import check, exe, ok, run

prog = exe("quick")
bare = run([prog], preload=False)
check(bare.rc == 0 and bare.stderr == b"handler joined\n", f"bare: {bare.rc}", bare.stderr)
for i in range(3):
    r = run([prog])
    check(r.rc == 23, f"exit status {r.rc}, expected 23", r.reports, r.stderr)
    check(b"handler joined" in r.stderr, "the program's handler ran", r.stderr)
    leaks = r.leaks
    check(len(leaks) == 1 and leaks[0]["start_routine"] == "reader", "one leak, the reader", leaks)
    check(leaks[0]["state"] == "blocked" and leaks[0]["blocked_in"] == "read", "blocked in read",
          leaks)
    check(r.report["exit_status"] == 0, "exit_status", r.report)
r = run([prog, "5"])
check(r.rc == 5 and len(r.leaks) == 1 and r.report["exit_status"] == 5,
      f"quick_exit(5): status {r.rc}", r.reports, r.stderr)
ok()
