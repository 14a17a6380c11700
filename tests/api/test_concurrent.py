"""Two threads check at once: the second check waits for the first. The thread waiting is a
live thread of the program, in an API call: the first check may report it, "blocked in a
threadleak check" with its stack at that call, never blocked on threadleak's own lock (it was
reported blocked in pthread_mutex_lock on check_lock; then left out, which hid a leaked thread
that calls the API: tests/api checker_thread). Each check finds the leaked reader; the one that
runs second may also find the first checker finished and not yet joined (main joins the
checkers in order), a true report of that moment."""
import json

from apiutil import *  # noqa: F403

prog = exe("api_concurrent")
for i in range(3):
    r = run([prog], options="format=json", json_format=False, timeout=60)
    check(r.rc == 0, f"run {i}: status {r.rc}", r.stderr)
    docs = json_docs(r.stderr)
    check(len(docs) == 2, f"run {i}: {len(docs)} reports, expected 2", r.stderr)
    for doc in docs:
        readers = [l for l in doc["leaks"] if l["start_routine"] == "leaked"]
        check(len(readers) == 1 and readers[0]["blocked_in"] == "read",
              f"run {i}: the reader is not reported blocked in read", doc)
        for l in doc["leaks"]:
            waiting = l["state"] == "blocked" and l["blocked_in"] == "a threadleak check"
            check("check_lock" not in json.dumps(l) and
                  not (l["start_routine"] == "checker" and l["state"] != "exited" and not waiting),
                  f"run {i}: a checker reported: {l['state']} in {l.get('blocked_in')} "
                  f"on {l.get('object')}", doc)
    out = r.stdout.decode()
    check(out.startswith("checks "), f"run {i}: output {out!r}")

# exit() in one thread while another's check runs: the exit check waits for it, then keeps
# its own report. The thread calling exit() set the exit check's record before it waited, and
# the running check kept its report and threads there: the next check wrote past its end
# ("free(): corrupted unsorted chunks", exit status 134, every run).
for i in range(3):
    r = run([prog, "exit"], options="format=json", json_format=False, timeout=60)
    # a failing status stays the program's (only 0 becomes 23)
    check(r.rc == 5, f"exit during a check, run {i}: status {r.rc}", r.stderr[-3000:])
    docs = json_docs(r.stderr)
    exits = [d for d in docs if d.get("check") == "exit"]
    check(len(exits) == 1 and exits[0]["exit_status"] == 5, f"run {i}: exit reports "
          f"{[(d.get('check'), d.get('exit_status')) for d in docs]}", r.stderr[-3000:])
    readers = [l for l in exits[0]["leaks"] if l["start_routine"] == "leaked"]
    check(len(readers) == 1 and readers[0]["blocked_in"] == "read",
          f"run {i}: the reader in the exit report", exits[0])
# a leaked thread of the program that calls the API itself: counted by main's check, also when
# it waits for that check (it was left out 20 times in 20)
for i in range(5):
    r = run([prog, "checker_thread"], options="format=json", json_format=False, timeout=60)
    check(r.rc == 0 and r.stdout == b"leaks 2\n", f"checker_thread, run {i}: {r.stdout!r}", r.stderr[-3000:])
# a thread cancelled while it checks (a deferred cancel acts at the check's reads and naps):
# it left the check with the check's lock held, and the exit waited for ever (10 runs in 10)
for delay in (0, 1000, 30000, 130000, 260000):
    r = run([prog, "cancel", str(delay)], options="format=json", json_format=False, timeout=30)
    docs = [d for d in json_docs(r.stderr) if d.get("check") == "exit"]
    readers = [l for l in docs[0]["leaks"] if l["start_routine"] == "leaked"] if docs else []
    check(r.rc == 23 and r.stdout == b"cancelled 1\n" and len(readers) == 1,
          f"cancel after {delay} us: status {r.rc}, {r.stdout!r}", r.stderr[-3000:])
ok()
