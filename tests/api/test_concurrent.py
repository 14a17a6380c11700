"""Two threads check at once: the second check waits for the first, and the thread waiting is
inside threadleak, not blocked in the program: no check reports it (it was reported blocked in
pthread_mutex_lock on threadleak's check_lock). Each check finds the leaked reader; the one
that runs second may also find the first checker finished and not yet joined (main joins the
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
            check("check_lock" not in json.dumps(l) and
                  not (l["start_routine"] == "checker" and l["state"] != "exited"),
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
ok()
