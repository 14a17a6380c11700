"""--json, --sarif and --junit: the merged JSON document, SARIF checked against the 2.1.0
required fields (and its locations against real files and lines), JUnit XML parsed back."""
import json
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

from clitest import *  # noqa: E402,F403

leaky, tidy, forker = exe("leaky"), exe("tidy"), exe("forker")
three = os.path.join(HERE, "three.sh")
work = tmpdir()
J, S, X = (os.path.join(work, n) for n in ("r.json", "r.sarif", "r.xml"))

r = tl("run", "--json", J, "--sarif", S, "--junit", X, "--source-root", SOURCE_ROOT, "--",
       "sh", three, leaky, cwd=work)
check(r.rc == 23, f"status {r.rc}", err(r))

# ---- merged JSON ----
doc = json.load(open(J))
check(doc["tool"] == "threadleak" and doc["schema"] == 1, "merged header", doc)
check(doc["command"] == ["sh", three, leaky] and doc["command_status"] == 0 and doc["exit_status"] == 23,
      "command and statuses", doc)
check(doc["leaked"] == 5 and doc["processes_checked"] == len(doc["processes"]) == 3, "counts", doc)
for p in doc["processes"]:
    check(p["tool"] == "threadleak" and "leaks" in p and p["exe"] == leaky, "each process report as written", p)

# ---- SARIF 2.1.0 ----
s = json.load(open(S))
check(s.get("version") == "2.1.0", "version", s)
check("sarif" in s.get("$schema", "") and "2.1.0" in s["$schema"], "$schema", s)
check(isinstance(s.get("runs"), list) and len(s["runs"]) == 1, "runs", s)
run_ = s["runs"][0]
driver = run_["tool"]["driver"]
check(driver["name"] == "threadleak" and driver.get("version"), "tool.driver", driver)
rule_ids = [ru["id"] for ru in driver["rules"]]
check("leaked-thread/blocked" in rule_ids, "a rule per state", rule_ids)
for ru in driver["rules"]:
    check(ru["shortDescription"]["text"] and ru["fullDescription"]["text"], "rule descriptions", ru)
bases = run_.get("originalUriBaseIds", {})
check(bases.get("SRCROOT", {}).get("uri", "").endswith("/"), "SRCROOT ends with /", bases)


def resolve(art):
    uri = art["uri"]
    if "uriBaseId" in art:
        uri = bases[art["uriBaseId"]]["uri"] + uri
    u = urllib.parse.urlparse(uri)
    check(u.scheme == "file", f"file URI {uri}")
    return urllib.parse.unquote(u.path)


def check_location(loc, what):
    phys = loc["physicalLocation"]
    path = resolve(phys["artifactLocation"])
    check(os.path.isfile(path), f"{what}: {path} is a real file", loc)
    n = phys["region"]["startLine"]
    with open(path) as f:
        nlines = sum(1 for _ in f)
    check(isinstance(n, int) and 1 <= n <= nlines, f"{what}: line {n} inside {path}", loc)
    return path, n


results = run_["results"]
check(len(results) == 2, f"one result per leak (threads with the same stacks together): {len(results)}", results)
sites = set()
for res in results:
    check(res["ruleId"] in rule_ids and rule_ids[res["ruleIndex"]] == res["ruleId"], "ruleId/ruleIndex", res)
    check(res["ruleId"] == "leaked-thread/blocked" and res["level"] == "error", "blocked leak", res)
    check(res["message"]["text"].strip(), "message text", res)
    check(len(res["locations"]) >= 1, "locations", res)
    path, n = check_location(res["locations"][0], "result location")
    check(path == os.path.realpath(LEAKY_C), f"located in the user's code, not libc: {path}", res)
    check(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tests/cli/leaky.c",
          "relative to the source root", res)
    sites.add(n)
    for rel in res.get("relatedLocations", []):
        check_location(rel, "related location")
    ids = [rel["id"] for rel in res["relatedLocations"]]
    check(len(ids) == len(set(ids)), "related location ids unique", res)
    check([st["message"]["text"] for st in res["stacks"]] == ["current stack", "creation stack"], "two stacks", res)
    for st in res["stacks"]:
        check(st["frames"] and all("location" in fr for fr in st["frames"]), "stack frames", st)
    check(res["occurrenceCount"] == len(res["properties"]["threads"]), "occurrenceCount", res)
    check(res["partialFingerprints"]["threadleakSignature/v1"], "fingerprint", res)
check(sites == {line("CREATE A"), line("CREATE B")}, f"located at the pthread_create calls: {sites}")
counts = sorted(res["occurrenceCount"] for res in results)
check(counts == [1, 4], f"4 start_a threads over two processes, 1 start_b: {counts}", results)

# Two groups made at one site, blocked at two lines (the seed's senders: 10 at one line of
# chan_send, 5 at another): two results with two fingerprints and two messages. They had one
# fingerprint and one message, which code scanning shows as one alert.
S3 = os.path.join(work, "seed.sarif")
seed = os.path.join(os.path.dirname(SCENARIOS.rstrip("/")), "core", "seed")  # the README's demo
tl("run", "--sarif", S3, "--", seed, cwd=work)
res3 = json.load(open(S3))["runs"][0]["results"]
fps = {r["partialFingerprints"]["threadleakSignature/v1"] for r in res3}
msgs = {r["message"]["text"] for r in res3}
check(len(res3) == 2 and len(fps) == 2 and len(msgs) == 2 and all("at chan_send (seed.c:" in m for m in msgs),
      f"seed: {len(res3)} results, {len(fps)} fingerprints, messages {sorted(msgs)}", res3)

# without a source root under the file: absolute file:// URIs
S2 = os.path.join(work, "abs.sarif")
r = tl("run", "--sarif", S2, "--", leaky, cwd=work)
res = json.load(open(S2))["runs"][0]["results"][0]
art = res["locations"][0]["physicalLocation"]["artifactLocation"]
check(art["uri"].startswith("file:///") and "uriBaseId" not in art, "absolute URI", art)
check(resolve(art) == os.path.realpath(LEAKY_C), "absolute URI resolves", art)

# --source-root / (every file is under it) and a root with a trailing slash: still relative to
# SRCROOT, never an absolute file:// URI (with "/" every location was absolute)
for root_arg in ("/", SOURCE_ROOT + "/", SOURCE_ROOT + "//"):
    S3 = os.path.join(work, "rooted.sarif")
    r = tl("run", "--source-root", root_arg, "--sarif", S3, "--", leaky, cwd=work)
    run3 = json.load(open(S3))["runs"][0]
    bases = run3["originalUriBaseIds"]
    want_root = "file://" + (os.path.realpath(root_arg).rstrip("/") + "/")
    check(bases["SRCROOT"]["uri"] == want_root, f"--source-root {root_arg}: SRCROOT", bases)
    arts = [loc["physicalLocation"]["artifactLocation"] for res in run3["results"]
            for loc in res["locations"] + res["relatedLocations"] if "physicalLocation" in loc]
    check(arts, f"--source-root {root_arg}: locations", run3["results"])
    for art in arts:
        check(art.get("uriBaseId") == "SRCROOT" and not art["uri"].startswith(("/", "file:")),
              f"--source-root {root_arg}: a relative URI", art)
        check(resolve(art) == os.path.realpath(LEAKY_C), f"--source-root {root_arg}: resolves", art)

# ---- JUnit ----
root = ET.parse(X).getroot()
check(root.tag == "testsuites", "root element", root.tag)
suite = root.find("testsuite")
check(suite.get("tests") == "3" and suite.get("failures") == "3", "three failing processes", ET.tostring(root))
for tc in suite.findall("testcase"):
    f = tc.find("failure")
    check(f is not None and f.get("message") in ("2 leaked threads", "1 leaked thread"), "failure", ET.tostring(tc))
    check("leaked thread" in f.text and "created by start_" in f.text, "failure body is the text report", f.text)
    check(tc.get("classname") == "threadleak.leaky" and "(pid " in tc.get("name"), "test case names", tc.attrib)

# a clean process is a passing test case
r = tl("run", "--junit", X, "--", forker, leaky, cwd=work)
suite = ET.parse(X).getroot().find("testsuite")
cases = suite.findall("testcase")
check(suite.get("tests") == "2" and suite.get("failures") == "1", "one passing, one failing", ET.tostring(suite))
check(cases[0].get("classname") == "threadleak.forker" and cases[0].find("failure") is None, "parent passes",
      ET.tostring(suite))
check(cases[1].find("failure") is not None, "child fails", ET.tostring(suite))

# a clean run still writes all three files, with nothing in them
r = tl("run", "--json", J, "--sarif", S, "--junit", X, "--", tidy, cwd=work)
check(r.rc == 0 and r.stderr == b"", "clean run", err(r))
check(json.load(open(S))["runs"][0]["results"] == [], "no SARIF results", open(S).read())
check(ET.parse(X).getroot().find("testsuite").get("failures") == "0", "no JUnit failures", open(X).read())
check(json.load(open(J))["leaked"] == 0, "merged JSON", open(J).read())

# an output that cannot be written: said at once (2), the command not run; one that cannot be
# written at the end (its folder gone meanwhile) fails the run (125), after the report
r = tl("run", "--sarif", "/nonexistent/dir/x.sarif", "--", tidy, cwd=work)
check(r.rc == 2 and "--sarif /nonexistent/dir/x.sarif: cannot be written" in err(r) and r.stdout == b"",
      f"unwritable output: {r.rc}", err(r))
gone = os.path.join(work, "gone")
os.mkdir(gone)
r = tl("run", "--sarif", os.path.join(gone, "x.sarif"), "--", "sh", "-c", f"rmdir {gone}", cwd=work)
check(r.rc == 125 and f"cannot write {gone}/x.sarif" in err(r), f"output folder removed by the command: {r.rc}", err(r))

# a process that checks itself three times (clean, alike to the byte) and at exit: four
# documents of one process, each kept (they were merged into one: identical documents were
# taken for one report read twice), one process counted, four test cases told apart
r = tl("run", "--json", J, "--junit", X, "--", tidy, "3", cwd=work)
doc = json.load(open(J))
checks = [p["check"] for p in doc["processes"]]
check(r.rc == 0 and checks == ["api", "api", "api", "exit"] and doc["processes_checked"] == 1,
      f"three mid-run checks and the exit check: {checks}, processes_checked {doc['processes_checked']}", err(r))
names = [c.get("name") for c in ET.parse(X).getroot().iter("testcase")]
check(len(names) == 4 and len(set(names)) == 4 and sum("mid-run check" in n for n in names) == 3,
      f"JUnit test cases: {names}")
# the same report given twice is still counted once
r = tl("report", "--json", os.path.join(work, "twice.json"), J, J, cwd=work)
doc2 = json.load(open(os.path.join(work, "twice.json")))
check(len(doc2["processes"]) == 4, f"a merged report given twice: {len(doc2['processes'])} documents", err(r))

# A reader of stdout that goes after one line (| head -1): run and report still write their
# files and end with the status they would have. They died of SIGPIPE (141), the files
# unwritten, or a stale one from the last run left in place.
import subprocess  # noqa: E402

for cmd, status in ((["run", "--junit", X, "--json", J, "--", leaky, "a"], 23),
                    (["report", "--sarif", S, "--json", os.path.join(work, "again.json"), J], 0)):
    for i in range(3):
        for f in (X, J) if cmd[0] == "run" else (S,):
            if os.path.exists(f):
                os.unlink(f)
        p = subprocess.Popen([CLI, *cmd], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        p.stdout.readline()
        p.stdout.close()
        rc = p.wait(timeout=120)
        wrote = [os.path.basename(f) for f in ((X, J) if cmd[0] == "run" else (S,)) if os.path.exists(f)]
        check(rc == status and len(wrote) == (2 if cmd[0] == "run" else 1),
              f"{cmd[0]} | head -1, round {i + 1}: status {rc} (expected {status}), files {wrote}")
ok()
