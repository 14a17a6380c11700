"""With fail_on=unreachable only proven leaks (verdict unreachable or freed) fail run; JUnit and
SARIF must say the same: a leak that is not proven is no JUnit failure (its report is in
system-out) and a SARIF "warning", a proven one a failure and an "error". They used to report
every leak as a failure/error while run exited 0. `threadleak report` of the same reports (the
run's --json) writes the same: each process's report says its fail_on."""
import json
import os
import xml.etree.ElementTree as ET

from clitest import *  # noqa: F403

leaky = exe("leaky")  # threads blocked on a global condition variable: verdict reachable
# threads blocked on a heap channel nothing reaches: verdict unreachable (tests/reach)
reach = os.path.join(os.environ["TL_BUILD_ROOT"], "tests", "reach", "reach")
check(os.path.exists(reach), f"tests/reach/reach not built at {reach}")
work = tmpdir()
J, S, X = (os.path.join(work, n) for n in ("fu.json", "fu.sarif", "fu.xml"))


def junit(path):
    suite = ET.parse(path).getroot().find("testsuite")
    return suite, {os.path.basename(tc.get("classname").split(".", 1)[1]): tc for tc in suite.findall("testcase")}


def levels(path):
    res = json.load(open(path))["runs"][0]["results"]
    return {(r["properties"]["program"].rsplit("/", 1)[1], r["level"]) for r in res}


def check_reachable_only(x, s, what):
    suite, cases = junit(x)
    tc = cases["leaky"]
    check(suite.get("failures") == "0" and tc.find("failure") is None, f"{what}: no JUnit failure",
          ET.tostring(suite))
    so = tc.find("system-out")
    check(so is not None and "2 leaked threads" in so.text and "fail_on=unreachable" in so.text and
          "created by start_a" in so.text, f"{what}: the leak stays visible in system-out", ET.tostring(tc))
    check(levels(s) == {("leaky", "warning")}, f"{what}: SARIF warning, not error: {levels(s)}")


# a reachable leak only: run exits 0, and JUnit and SARIF agree
r = tl("run", "--options", "fail_on=unreachable", "--json", J, "--junit", X, "--sarif", S, "--", leaky,
       cwd=work)
check(r.rc == 0 and "fail_on=unreachable: none is proven" in err(r), f"run status {r.rc}", err(r))
check_reachable_only(X, S, "run")
check(all(p.get("fail_on") == "unreachable" for p in json.load(open(J))["processes"]),
      "each process's report says its fail_on", open(J).read())
# report, from the run's JSON: the same
X2, S2 = os.path.join(work, "r.xml"), os.path.join(work, "r.sarif")
r = tl("report", "--junit", X2, "--sarif", S2, J, cwd=work)
check(r.rc == 0, f"report status {r.rc}", err(r))
check_reachable_only(X2, S2, "report")

# a proven leak beside it: run fails (23), the proven process fails in JUnit, error in SARIF
r = tl("run", "--options", "fail_on=unreachable", "--json", J, "--junit", X, "--sarif", S, "--",
       "sh", "-c", '"$0"; "$1" seed', leaky, reach, cwd=work)
check(r.rc == 23, f"run with a proven leak: status {r.rc}", err(r))
for x, s, what in ((X, S, "run"), (X2, S2, "report")):
    if what == "report":
        r = tl("report", "--junit", X2, "--sarif", S2, J, cwd=work)
    suite, cases = junit(x)
    check(suite.get("failures") == "1", f"{what}: one failing process", ET.tostring(suite))
    check(cases["leaky"].find("failure") is None, f"{what}: the reachable leak passes", ET.tostring(suite))
    f = cases["reach"].find("failure")
    check(f is not None and f.get("message") == "15 leaked threads", f"{what}: the proven leak fails",
          ET.tostring(suite))
    check(levels(s) == {("leaky", "warning"), ("reach", "error")}, f"{what}: SARIF levels {levels(s)}")

# fail_on given in the environment rather than --options: run's status follows it as the
# reports do (it counted every leak, while JUnit and SARIF said none failed)
env = {"THREADLEAK_OPTIONS": "fail_on=unreachable"}
r = tl("run", "--junit", X, "--sarif", S, "--", leaky, cwd=work, env=env)
check(r.rc == 0 and "fail_on=unreachable: none is proven" in err(r),
      f"fail_on=unreachable in THREADLEAK_OPTIONS: status {r.rc}", err(r))
check_reachable_only(X, S, "run, fail_on in the environment")
# --options, later, wins over the environment
r = tl("run", "--options", "fail_on=all", "--", leaky, cwd=work, env=env)
check(r.rc == 23, f"--options fail_on=all over the environment's unreachable: status {r.rc}", err(r))

# fail_on=all (the default): every leak fails, as before
r = tl("run", "--junit", X, "--sarif", S, "--", leaky, cwd=work)
suite, cases = junit(X)
check(r.rc == 23 and suite.get("failures") == "1" and cases["leaky"].find("failure") is not None,
      f"fail_on=all: status {r.rc}", ET.tostring(suite))
check(levels(S) == {("leaky", "error")}, f"fail_on=all: SARIF {levels(S)}")
ok()
