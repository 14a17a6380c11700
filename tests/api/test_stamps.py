"""How long a thread has waited in a wrapped call (tests/api/stamps.c says what each mode
shows): ten readers that entered read() 2 ms apart get ten different blocked_ms, falling from
the first to the last; a thread that forbade itself the time-stamp counter (prctl PR_SET_TSC)
and one it created afterwards are reported blocked in read, not killed in our wrapper."""
from apiutil import *  # noqa: F403

for _ in range(3):  # three runs: a shared stamp shows up in about half
    r = run([exe("api_stamps")], timeout=60)
    check(r.rc == 23 and r.stdout == b"done\n", f"spaced: exit status {r.rc}", r.stderr)
    docs = r.checks[0] if r.checks else []
    check(len(docs) == 2, f"spaced: {len(docs)} reports, expected 2 (mid-run, exit)", r.stderr)
    leaks = {l["name"]: l for l in docs[0]["leaks"]}
    ms = []
    for i in range(10):
        l = leaks.get(f"reader{i}")
        check(l is not None and l["state"] == "blocked" and l["blocked_in"] == "read",
              f"reader{i} blocked in read", docs[0])
        ms.append(l["blocked_ms"])
    check(all(isinstance(m, int) for m in ms), f"blocked_ms {ms}", docs[0])
    check(all(a > b for a, b in zip(ms, ms[1:])),
          f"blocked_ms {ms}: readers that entered read() 2 ms apart share a duration", docs[0])
    check(ms[0] >= 18 and ms[-1] >= 0 and ms[0] < 5000, f"blocked_ms {ms}", docs[0])

r = run([exe("api_stamps"), "notsc"], timeout=60)
check(r.rc == 23 and r.stdout == b"done\n", f"notsc: exit status {r.rc} (SIGSEGV is -11)", r.stderr)
docs = r.checks[0] if r.checks else []
check(len(docs) == 2, f"notsc: {len(docs)} reports, expected 2", r.stderr)
for d in docs:
    leaks = {l["name"]: l for l in d["leaks"]}
    for name in ("notsc", "inherits"):
        l = leaks.get(name)
        check(l is not None and l["state"] == "blocked" and l["blocked_in"] == "read",
              f"notsc: {name} blocked in read", d)
ok()
