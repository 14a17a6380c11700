"""Reduced hang reports (tests/live/sigmask.c, whose main thread blocks every signal): when no
thread inside the library's wrappers can take the request, the report names each thread as the
kernel shows it: its name, blocked in its system call, and only the thread whose tid is the pid
is the main thread; the thread that makes the report is named by the call its signal
interrupted. A thread in C11's thrd_sleep is inside a wrapper: its process gets a whole
report."""
import json
import re
import signal
import time

from liveutil import CLI, Live, check, dump, exe, ok, run
from liveutil import sigmask_counts as counts

SIG = signal.SIGRTMAX - 1


# Only a thread in thrd_sleep takes the signal: it is inside a wrapper, and makes the report.
live = Live([exe("sigmask"), "sleep"], options=f"dump_signal={SIG}")
try:
    for i in range(5):
        time.sleep(0.1)
        r = dump(live.p.pid, "--json")
        check(r.rc == 0, f"sleep: dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        check(doc.get("reduced") is None, f"sleep: dump {i}: reduced, though the thrd_sleep "
              "thread is inside a wrapper", doc)
        calls = sorted(t.get("blocked_in") or "" for t in doc["leaks"])
        check(calls == ["read", "thrd_sleep"], f"sleep: dump {i}: calls {calls}", doc)
    live.tell("stop\n")
    rc = live.wait(timeout=30)
    check(rc == 0, f"sleep: status {rc}", live.out, live.err)
    _, _, n_sleep, e_sleep, early = counts(live.out)
    check(n_sleep > 10 and e_sleep == 0 and early == 0,
          f"sleep: thrd_sleep {n_sleep}, interrupted {e_sleep}, early {early}", live.out)
finally:
    live.close()

# A reduced report: the spinner takes the request outside any wrapper, semw waits in semop.
live = Live([exe("sigmask"), "reduced"], options=f"dump_signal={SIG}")
try:
    pid = live.p.pid
    for i in range(3):
        time.sleep(0.1)
        r = dump(pid, "--json")
        check(r.rc == 0, f"reduced: dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        check(doc.get("reduced"), f"reduced: dump {i}: not reduced", doc)
        by_name = {t["name"]: t for t in doc["leaks"]}
        check(set(by_name) == {"sigmask", "spinner", "semw"}, f"reduced: dump {i}: names",
              doc)
        main, spin, semw = by_name["sigmask"], by_name["spinner"], by_name["semw"]
        check(main["thread"] == 1 and main["tid"] == pid, f"reduced: dump {i}: main", main)
        check(main["state"] == "blocked" and main["blocked_in"] == "read",
              f"reduced: dump {i}: main thread", main)
        check(semw["state"] == "blocked" and semw["blocked_in"] == "semop",
              f"reduced: dump {i}: semw is asleep in semop (its wrapper's record)", semw)
        check(spin["state"] == "running", f"reduced: dump {i}: spinner", spin)
        r = dump(pid)
        text = r.stdout.decode()
        check(r.rc == 0, f"reduced: dump {i} (text): status {r.rc}", r.stderr)
        mains = re.findall(r"hread \d+ \(tid (\d+)[^)]*, main\)", text)
        check(mains == [str(pid)], f"reduced: dump {i}: main threads {mains}", text)
        check(re.search(rf'thread \d+ \(tid {semw["tid"]}, "semw", joinable\) blocked in semop',
                        text, re.I), f"reduced: dump {i}: the semw line", text)
    live.tell("stop\n")
    rc = live.wait(timeout=30)
    check(rc == 0, f"reduced: status {rc}", live.out, live.err)
finally:
    live.close()
# The thread that makes the reduced report is asleep in a raw read(2) outside our wrappers: it
# is named by the call its signal interrupted (it read "running": /proc shows our handler), and
# the report names the program (it read "hang report of ?").
live = Live([exe("sigmask"), "rawread"], options=f"dump_signal={SIG}")
try:
    pid = live.p.pid
    for i in range(3):
        time.sleep(0.1)
        r = dump(pid, "--json")
        check(r.rc == 0, f"rawread: dump {i}: status {r.rc}", r.stderr)
        doc = json.loads(r.stdout)
        check(doc.get("reduced"), f"rawread: dump {i}: not reduced", doc)
        by_name = {t["name"]: t for t in doc["leaks"]}
        check(set(by_name) == {"sigmask", "reader", "semw"}, f"rawread: dump {i}: names", doc)
        reader = by_name["reader"]
        check(reader["state"] == "blocked" and reader["blocked_in"] == "read",
              f"rawread: dump {i}: the reporting thread is asleep in read", reader)
        check((doc.get("exe") or "").endswith("/sigmask"), f"rawread: dump {i}: exe", doc)
        text = dump(pid).stdout.decode()
        check(re.search(rf"hang report of \S*sigmask \(pid {pid}\)", text),
              f"rawread: dump {i}: the program's name", text)
    live.tell("stop\n")
    rc = live.wait(timeout=30)
    check(rc == 0, f"rawread: status {rc}", live.out, live.err)
finally:
    live.close()
ok()
