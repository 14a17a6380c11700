"""Baselines: the first run records the leak signatures (no addresses, no numbers but source
lines) and passes; then a new leak fails, an old one passes, a fixed one is listed as no
longer occurring; --update-baseline rewrites the file."""
import json
import os
import re
import sys

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")
work = tmpdir()
B = os.path.join(work, "threadleak-baseline.json")
S = os.path.join(work, "r.sarif")
J = os.path.join(work, "r.json")


def tlb(*args):
    return tl("run", "--baseline", B, "--source-root", SOURCE_ROOT, *args, cwd=work)


# 1. no baseline yet: record what leaks now, show it, pass
r = tlb("--", leaky, "a")
e = err(r)
check(r.rc == 0, f"recording run passes: {r.rc}", e)
check("wait_forever" in e and "recorded 2 leaked threads in the baseline" in e, "recording run shows and says", e)
base = json.load(open(B))
check(base["tool"] == "threadleak" and base["baseline"] == 1, "baseline header", base)
check(base["entries"] == [{"state": "blocked", "start_routine": "wait_forever",
                           "created_at": {"function": "start_a", "file": "tests/cli/leaky.c",
                                          "line": line("CREATE A")}}], "one signature for both threads", base)
text = open(B).read()
check(not re.search(r"0x[0-9a-f]|\"(pid|tid|thread)\"", text), "no addresses, no process or thread numbers", text)

# 2. the same leak again: passes, and says the leaks match the baseline
r = tlb("--", leaky, "a")
check(r.rc == 0, f"known leak passes: {r.rc}", err(r))
check("2 leaked threads match the baseline" in err(r) and "Thread " not in err(r), "known leaks not listed", err(r))

# 3. a new leak fails; only the new one is shown
r = tlb("--json", J, "--sarif", S, "--", leaky, "ab")
e = err(r)
check(r.rc == 23, f"new leak fails: {r.rc}", e)
check("start routine other_wait" in e and "start routine wait_forever" not in e, "only the new leak in full", e)
check("1 leaked thread in 1 of 1 process" in e and "2 more match the baseline" in e, "counts", e)
doc = json.load(open(J))
flags = sorted((lk["start_routine"], lk["baselined"]) for lk in doc["processes"][0]["leaks"])
check(flags == [("other_wait", False), ("wait_forever", True), ("wait_forever", True)], "baselined flags", flags)
check(doc["baseline"]["new_leaks"] == 1 and doc["baseline"]["recorded"] is False, "baseline in merged JSON", doc)
states = sorted(res["baselineState"] for res in json.load(open(S))["runs"][0]["results"])
check(states == ["new", "unchanged"], f"SARIF baselineState: {states}")

# 4. the recorded leak was fixed: pass, and say the entry no longer occurs
r = tlb("--json", J, "--", leaky, "-")
e = err(r)
check(r.rc == 0, f"fixed leak: {r.rc}", e)
check("1 baseline entry no longer occurs" in e and
      f"blocked thread, start routine wait_forever, created by start_a at tests/cli/leaky.c:{line('CREATE A')}" in e,
      "gone entry named", e)
check(json.load(open(J))["baseline"]["gone"] == base["entries"], "gone entries in merged JSON", open(J).read())

# 5. only the new leak: fails, and the old entry is gone
r = tlb("--", leaky, "b")
check(r.rc == 23 and "no longer occurs" in err(r), f"new leak, old gone: {r.rc}", err(r))

# 6. --update-baseline accepts the current leaks
r = tlb("--update-baseline", "--", leaky, "b")
check(r.rc == 0 and "recorded 1 leaked thread in the baseline" in err(r), f"update: {r.rc}", err(r))
entries = json.load(open(B))["entries"]
check([en["start_routine"] for en in entries] == ["other_wait"], "baseline rewritten", entries)
r = tlb("--", leaky, "b")
check(r.rc == 0, "updated baseline passes", err(r))

# a failing program keeps its status, baseline or not
r = tlb("--", leaky, "b", "--exit", "6")
check(r.rc == 6, f"failing program with a baseline: {r.rc}", err(r))

# a baseline that is not valid: a clear error, status 125; the command is still run and
# checked (every leak new), and the file left as it is
with open(B, "w") as f:
    f.write("{ not json")
r = tlb("--", leaky, "b")
check(r.rc == 125 and f"baseline {B}" in err(r), f"invalid baseline: {r.rc}", err(r))
check(out(r) == "leaky b done\n" and "1 leaked thread" in err(r), "the command ran and was checked", r.stdout, err(r))
check(open(B).read() == "{ not json", "the invalid baseline was kept as it was")
ok()
