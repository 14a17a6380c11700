"""exit() (also on an alternate signal stack), quick_exit() and the API from a signal handler that interrupted malloc (main allocates in a tight
loop; SIGALRM comes at a random moment): never a hang. exit(0) still fails the gate (23) with
both leaked threads reported (reduced check: no stacks); threadleak_verify_none() refuses (-1),
says so once, and the check at exit then runs in full. The reduced report has the full one's
fields (docs/report-schema.md: unknown ones null), its threads too."""
import os
import tempfile

from exitlib import *  # noqa: F401,F403
from exitlib import check, exe, functions, ok, run

RUNS = int(os.environ.get("TL_SIGEXIT_RUNS", "150"))
prog = exe("sigexit")
modes = ["exit", "exit", "altstack", "quick"]
reduced_doc = None
for i in range(RUNS):
    r = run([prog, modes[i % len(modes)]], options="grace_ms=20", timeout=20)
    check(r.rc == 23, f"run {i}: exit status {r.rc}, expected 23", r.reports, r.stderr)
    leaks = r.leaks
    # (a reader the scheduler has not yet let into read() is "running")
    check(len(leaks) == 2 and all(l["blocked_in"] == "read" or l["state"] == "running"
                                  for l in leaks), f"run {i}: two readers, in read", leaks)
    check(all(l["stack_note"].startswith("exit() was called from a signal handler")
              for l in leaks), f"run {i}: the reduced check says why", leaks)
    reduced_doc = r.report
for i in range(RUNS // 3):
    r = run([prog, "api"], options="grace_ms=20", timeout=20)
    check(r.stdout == b"api returned -1\n", f"api run {i}: {r.stdout!r}", r.stderr)
    check(r.stderr.count(b"cannot check from a signal handler") == 1, "one warning", r.stderr)
    check(r.rc == 23 and len(r.leaks) == 2, f"api run {i}: status {r.rc}", r.reports, r.stderr)
    check(all(l["stack"] for l in r.leaks), "the check at exit runs in full", r.leaks)
full_doc = r.report
missing = set(full_doc) - set(reduced_doc)
check(not missing and reduced_doc.get("reduced") and full_doc.get("reduced", 0) is None,
      f"the reduced report lacks {sorted(missing)}; reduced: {reduced_doc.get('reduced')!r}, "
      f"{full_doc.get('reduced', 'absent')!r} in the full one", reduced_doc)
missing = set(full_doc["leaks"][0]) - set(reduced_doc["leaks"][0])
check(not missing, f"a reduced report's thread lacks {sorted(missing)}", reduced_doc["leaks"][0])
# A daemon's handler that calls exit(0) while main waits for signals in its loop (pause,
# sigsuspend, a sleep, poll, select, epoll_wait): main holds no lock there, so the check runs
# in full, with stacks and suppressions. It was reduced: no stacks, and every suppression
# ignored (a start: rule for the two readers did not spare the gate).
with tempfile.TemporaryDirectory() as d:
    rules = os.path.join(d, "readers.supp")
    with open(rules, "w") as f:
        f.write("start:reader\n")
    for call in ("pause", "sigsuspend", "sleep", "poll", "select", "epoll"):
        for extra in ([], ["altstack"]):
            what = f"asleep {call} {' '.join(extra)}"
            r = run([prog, "asleep", call] + extra, options="grace_ms=20", timeout=20)
            check(r.rc == 23 and len(r.leaks) == 2 and r.report.get("reduced") is None and
                  all(l["blocked_in"] == "read" and "reader" in functions(l["stack"]) and
                      l["created_by"] and l["created_by"]["stack"] for l in r.leaks),
                  f"{what}: status {r.rc}, the check in full", r.reports, r.stderr)
            r = run([prog, "asleep", call] + extra, options=f"grace_ms=20:suppressions={rules}",
                    timeout=20)
            check(r.rc == 0 and r.report and r.report["leaked"] == 0,
                  f"{what}: status {r.rc} with both readers suppressed", r.reports, r.stderr)
# A handler that ends a check it interrupted: exit(3) on SIGTERM during the exit check's grace
# period (bare: status 3), exit(0) on SIGALRM inside threadleak_verify_none, and a siglongjmp
# out of it before main returns. Each hung for good (the exit waited for the check it had
# interrupted, or for that check's lock). The poller is leaked: reported, reduced.
for mode, want, out in (("ingrace", 3, b""), ("inapi", 23, b""), ("longjmp", 23, b"timed out\n")):
    for i in range(5):
        r = run([prog, mode], timeout=20)
        check(r.rc == want and r.stdout == out and len(r.leaks) == 1,
              f"{mode}, run {i + 1}: status {r.rc} (want {want}), {r.stdout!r}", r.reports,
              r.stderr)
# ... and after that jump, a second threadleak_verify_none() from the same thread waited for the
# lock its first check still holds: hung. Now refused: -1 and one line saying why.
for i in range(3):
    r = run([prog, "longjmp_again"], timeout=20)
    err = r.stderr.decode(errors="replace")
    check(r.rc == 23 and r.stdout == b"timed out\nagain -1\n" and len(r.leaks) == 1 and
          err.count("left by a jump out of a signal handler") == 1,
          f"longjmp_again, run {i + 1}: status {r.rc}, {r.stdout!r}", r.reports, err)
print(f"{RUNS} exit/quick_exit runs, {RUNS // 3} api runs: no hang")
ok()
