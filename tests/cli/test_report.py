"""threadleak report: JSON reports rendered as text; a report made with a stripped binary is
symbolized offline where the unstripped one is (--exe-map, --debug-dir by name or build-id);
a file that is not valid JSON is named and skipped, the rest still reported (status 1);
colors only when asked or on a terminal."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")
work = tmpdir()
strip, objcopy = shutil.which("strip"), shutil.which("objcopy")
if strip is None:
    print("strip not installed: skipped")
    sys.exit(77)

# a stripped copy, and the unstripped one elsewhere
bindir, debugdir = os.path.join(work, "bin"), os.path.join(work, "debug")
os.makedirs(bindir)
os.makedirs(debugdir)
stripped, unstripped = os.path.join(bindir, "leaky"), os.path.join(debugdir, "leaky")
shutil.copy(leaky, stripped)
shutil.copy(leaky, unstripped)
subprocess.run([strip, "--strip-all", stripped], check=True)

# the report, as the library writes it for the stripped binary
rr = run([stripped, "a"])
check(rr.rc == 23 and len(rr.reports) == 1, "stripped program under the library", rr.stderr)
R = os.path.join(work, "stripped.json")
with open(R, "w") as f:
    json.dump(rr.reports[0], f)
leak = rr.reports[0]["leaks"][0]
check(leak["stack"][0]["module"] == stripped and leak["stack"][0]["file"] is None, "no file:line when stripped", leak)
want_cur = frame_re("wait_forever", "LEAK: blocked forever")
want_site = frame_re("created by start_a", "CREATE A")

# as it is: module+offset
r = tl("report", R, cwd=work)
check(r.rc == 0 and "(leaky+0x" in out(r) and not want_cur.search(out(r)), "unsymbolized frames", out(r), err(r))
check(out(r).rstrip().endswith("threadleak: 2 leaked threads in 1 of 1 process"), "summary", out(r))
# -v says why, and what to give (it said nothing)
r = tl("report", "-v", R, cwd=work)
check("no symbols and no debug info (stripped?)" in err(r) and "--exe-map leaky=FILE" in err(r),
      "report -v of a stripped program: why its frames stay unnamed", err(r))

# --exe-map to a file that is not there: said (it was silent without -v), the report still made
r = tl("report", "--exe-map", "leaky=/nonexistent/leaky", R, cwd=work)
check(r.rc == 0 and "--exe-map leaky=/nonexistent/leaky: /nonexistent/leaky: No such file or "
      "directory" in err(r), "--exe-map to a missing file", err(r))
# --exe-map OLD=NEW (a path, or a file name)
for m in (f"{stripped}={unstripped}", f"leaky={unstripped}"):
    r = tl("report", "--exe-map", m, R, cwd=work)
    o = out(r)
    check(r.rc == 0 and want_cur.search(o) and want_site.search(o), f"--exe-map {m}: symbolized", o, err(r))
    check("start routine wait_forever" in o, "start routine recovered", o)

# --debug-dir: a file of the same name (the build-id matches the stripped original's)
r = tl("report", "--debug-dir", debugdir, R, cwd=work)
check(want_cur.search(out(r)) and want_site.search(out(r)), "--debug-dir by name", out(r), err(r))

# --debug-dir with a build-id tree only (objcopy --only-keep-debug), given as a relative path
if objcopy:
    note = subprocess.run(["readelf", "-n", leaky], stdout=subprocess.PIPE, text=True).stdout
    bid = re.search(r"Build ID: ([0-9a-f]+)", note).group(1)
    dbg = os.path.join(work, "dbg", ".build-id", bid[:2])
    os.makedirs(dbg)
    subprocess.run([objcopy, "--only-keep-debug", leaky, os.path.join(dbg, bid[2:] + ".debug")], check=True)
    r = tl("report", "--debug-dir", "dbg", R, cwd=work)
    check(want_cur.search(out(r)) and want_site.search(out(r)), "--debug-dir by build-id", out(r), err(r))

# the symbolized frames in the JSON written by report
J = os.path.join(work, "sym.json")
r = tl("report", "--exe-map", f"{stripped}={unstripped}", "--json", J, R, cwd=work)
fr = json.load(open(J))["processes"][0]["leaks"][0]["stack"][0]
check(fr["function"] == "wait_forever" and fr["file"].endswith("tests/cli/leaky.c") and
      fr["line"] == line("LEAK: blocked forever") and fr["symbolized_from"] == unstripped, "symbolized frame", fr)

# the binary is gone from where the report says it was: the debug dir still works by name
os.unlink(stripped)
r = tl("report", "--debug-dir", debugdir, R, cwd=work)
check(want_cur.search(out(r)), "original gone: symbolized by name", out(r), err(r))

# invalid files are named and skipped; the valid one is still reported; status 1
bad = os.path.join(work, "bad.json")
with open(bad, "w") as f:
    f.write("{this is not json")
half = os.path.join(work, "half.json")
with open(half, "w") as f:
    f.write(open(R).read()[:200])
other = os.path.join(work, "other.json")
with open(other, "w") as f:
    f.write('{"some": "json"}')
r = tl("report", "--exe-map", f"leaky={unstripped}", bad, R, half, os.path.join(work, "missing.json"), other, cwd=work)
e = err(r)
check(r.rc == 1, f"invalid files: status {r.rc}", e)
check(f"threadleak: {bad}: not valid JSON" in e and f"threadleak: {half}: not valid JSON" in e, "named", e)
check("missing.json: No such file or directory; skipped" in e, "missing file named", e)
check(f"{other}: not a threadleak report" in e and "4 files skipped" in e, "not a report", e)
# a file holding null is valid JSON, just not a report (it was "not valid JSON")
nul = os.path.join(work, "null.json")
with open(nul, "w") as f:
    f.write("null\n")
rn = tl("report", nul, cwd=work)
check(rn.rc == 1 and f"{nul}: not a threadleak report (the JSON value null); skipped" in err(rn), "null", err(rn))
check(want_cur.search(out(r)) and "2 leaked threads in 1 of 1 process" in out(r), "the valid one reported", out(r))
# the right tool and schema with the wrong fields: named and skipped, not shown as a leak of
# "Thread tid 0 (untracked) ??"
wrong = os.path.join(work, "wrong.json")
with open(wrong, "w") as f:
    f.write('{"tool": "threadleak", "schema": 1, "pid": 5, "leaks": [{"thread": "x"}]}')
r = tl("report", wrong, cwd=work)
check(r.rc == 1 and f"{wrong}: not a valid threadleak report (leaks[0] has no \"state\"); skipped" in err(r)
      and "Thread" not in out(r), f"wrong fields: status {r.rc}", out(r), err(r))
# a state of the wrong type, and a schema this version does not read (schema 2 was said to
# lack a "pid", and schema 99 was read as schema 1)
for doc, why in (('{"tool": "threadleak", "schema": 1, "pid": 5, "leaks": [{"thread": 2, "state": 7}]}',
                  'leaks[0] has a "state" that is not a string'),
                 ('{"tool": "threadleak", "schema": 2, "leaks": []}',
                  '"schema" is 2; this threadleak reads schema 1'),
                 (open(R).read().replace('"schema": 1', '"schema": 99', 1).replace('"schema":1', '"schema":99', 1),
                  '"schema" is 99; this threadleak reads schema 1')):
    with open(wrong, "w") as f:
        f.write(doc)
    r = tl("report", wrong, cwd=work)
    check(r.rc == 1 and f"{wrong}: not a valid threadleak report ({why}); skipped" in err(r),
          f"{why}: status {r.rc}", out(r), err(r))
# a state this version does not know (the library writes "unknown" where it cannot tell): a
# SARIF result under the running rule (it crashed once a rule without a state was added)
odd = json.loads(open(R).read())
odd["leaks"][0]["state"] = "unknown"
with open(wrong, "w") as f:
    json.dump(odd, f)
sarif = os.path.join(work, "odd.sarif")
r = tl("report", "--sarif", sarif, wrong, cwd=work)
results = json.load(open(sarif))["runs"][0]["results"] if r.rc >= 0 and os.path.exists(sarif) else []
check(r.rc >= 0 and results and results[0]["ruleId"] == "leaked-thread/running",
      f"unknown state in SARIF: status {r.rc}", err(r))
# and two documents in one file (a process's checks) are both read; the threads the second
# names again count once
two = os.path.join(work, "two.json")
with open(two, "w") as f:
    f.write(open(R).read().strip() + "\n" + open(R).read())
r = tl("report", two, cwd=work)
check(r.rc == 0 and "2 leaked threads in 1 of 1 process" in out(r), "two documents in one file", out(r), err(r))

# a merged document (run --json) and standard input are read too
M = os.path.join(work, "merged.json")
tl("run", "--json", M, "--", "sh", os.path.join(HERE, "three.sh"), leaky, cwd=work)
r = tl("report", "-", cwd=work, stdin=open(M, "rb").read())
check(r.rc == 0 and "5 leaked threads in 3 of 3 processes" in out(r), "merged document on stdin", out(r), err(r))

# two run --json documents in one file (cat ci-*/threadleak.json | threadleak report -): both
# runs' processes. It read "0 leaked threads in 0 of 0 processes", status 0; a run document
# followed by a process's report lost the run's.
with open(M, "rb") as f:
    merged = f.read()
r = tl("report", "-", cwd=work, stdin=merged + b"\n" + merged)
check(r.rc == 0 and "5 leaked threads in 3 of 3 processes" in out(r),
      "two copies of one run document: its processes once", out(r), err(r))
M2 = os.path.join(work, "merged2.json")
tl("run", "--json", M2, "--", "sh", os.path.join(HERE, "three.sh"), leaky, cwd=work)
with open(M2, "rb") as f:
    merged2 = f.read()
r = tl("report", "-", cwd=work, stdin=merged + merged2)
check(r.rc == 0 and "10 leaked threads in 6 of 6 processes" in out(r),
      "two run documents in one file: both runs' processes", out(r), err(r))
alone = tl("report", R, cwd=work)
n_r = int(re.search(r"(\d+) leaked threads? in 1 of 1 process", out(alone)).group(1))
r = tl("report", "-", cwd=work, stdin=merged + open(R, "rb").read())
check(r.rc == 0 and f"{5 + n_r} leaked threads in 4 of 4 processes" in out(r),
      "a run document, then a process's report", out(r), err(r))

# the summary of suppressed threads names each rule's default set, as the library does (what
# disable_default_sets= takes); it left it out
with open(R) as f:
    doc = json.load(f)
doc["suppressed"] = 4
doc["suppressions_used"] = [{"rule": "created_by:^_cgo_try_pthread_create$", "count": 4, "set": "go"}]
SUPP = os.path.join(work, "supp.json")
with open(SUPP, "w") as f:
    json.dump(doc, f)
r = tl("report", SUPP, cwd=work)
check("4 threads suppressed by created_by:^_cgo_try_pthread_create$ (4, default set go)" in out(r) + err(r),
      "suppressed summary with the default set's name", out(r), err(r))

# one thread suppressed at each of a process's checks (a test's two mid-run checks, then the
# exit check: three reports in its log) is one thread: "2 threads suppressed ... (4)" it said
bg = dict(doc["leaks"][0], suppressed_by="name:^known-bg$")
checks = []
for kind in ("api", "api", "exit"):
    d = dict(doc, check=kind, suppressed=1, suppressed_threads=[bg],
             suppressions_used=[{"rule": "name:^known-bg$", "count": 1, "set": None}])
    checks.append(json.dumps(d).encode())
r = tl("report", "-", cwd=work, stdin=b"\n".join(checks))
check("1 thread suppressed by name:^known-bg$ (1)" in out(r) + err(r),
      "a thread suppressed at three checks of one process counted once", out(r), err(r))
H = os.path.join(work, "supp.html")
r = tl("report", "--html", H, "-", cwd=work, stdin=b"\n".join(checks))
page = open(H).read()
check("Suppressed threads (1)" in page and page.count("name:^known-bg$</td>") == 2,
      "the page: one suppressed thread, one rule line", page[-3000:])

# colors: never through a pipe unless asked
r = tl("report", R, cwd=work)
check(b"\x1b[" not in r.stdout, "no colors through a pipe", r.stdout)
r = tl("report", "--color=always", R, cwd=work)
check(b"\x1b[1;31mThread 2" in r.stdout, "colors when asked", r.stdout)
r = tl("report", "--color=always", "--no-color", R, cwd=work)
check(b"\x1b[" not in r.stdout, "--no-color", r.stdout)

# a clean report
rr = run([exe("tidy")])
C = os.path.join(work, "clean.json")
json.dump(rr.reports[0], open(C, "w"))
r = tl("report", C, cwd=work)
check(r.rc == 0 and out(r) == "threadleak: 0 leaked threads in 0 of 1 process\n", "clean report", out(r))
# Hang reports: the --json of a run that timed out holds them under "hangs" (it read "not a
# threadleak report", status 1), and one from dump --json is a hang report, not leaks (it read
# "found 3 leaked threads ... in 0 of 1 process", the main thread among them).
H = os.path.join(work, "hang.json")
r = tl("run", "--timeout", "1", "--json", H, "--", leaky, "a", "--term-wait", timeout=60)
check(r.rc == 124, f"run --timeout: status {r.rc}", err(r))
with open(H) as f:
    hdoc = json.load(f)
check(len(hdoc["hangs"]) == 1, "run --json: one hang report", hdoc)
r = tl("report", H)
out = r.stdout.decode()
check(r.rc == 0 and "not a threadleak report" not in err(r), f"report of run --json with hangs: status {r.rc}", err(r))
check(re.search(r"^threadleak: hang report of \S*leaky \(pid \d+\)", out, re.M) and
      re.search(r"^Thread 1 \(tid \d+, \"leaky\", main\)", out, re.M) and
      out.rstrip().endswith("threadleak: 1 hang report"), "report of run --json with hangs: the hang report", out)
D = os.path.join(work, "dump.json")
with open(D, "w") as f:
    json.dump(hdoc["hangs"][0], f)
X = os.path.join(work, "hang.xml")
r = tl("report", "--junit", X, D)
out = r.stdout.decode()
check(r.rc == 0 and "hang report of" in out and "leaked thread" not in out,
      f"report of one hang report: status {r.rc}", out, err(r))
with open(X) as f:
    xml = f.read()
check('classname="threadleak.hang.leaky"' in xml, "report --junit: the hang as a failed test case", xml)
# A merged report given with the files it was made from: each process counted once (it read
# "24 leaked threads (6 processes: pids A, B, C, A, B, C)").
M = os.path.join(work, "merged.json")
r = tl("report", "--json", M, R, C)
once = r.stdout.decode().splitlines()[-1]
r2 = tl("report", M, R, C)
last = r2.stdout.decode().splitlines()[-1]
check(r2.rc == 0 and last == once and "0 processes" not in once, f"merged and its sources: {last!r}, expected {once!r}",
      r2.stdout)
ok()
