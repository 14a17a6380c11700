"""A test runner using the API (include/threadleak.h) as goleak is used: ignore current, "test
1" leaks 2 threads (threadleak_verify_none() returns 2, threadleak_report_json() a document
naming them), ignore current, a clean "test 2" (0). The leaked threads are expected from
then on, so the exit check is clean. The log_path file holds the three checks' reports in
order (test 1's with its 2 leaks first). The same program without the library: runs, every call
returns 0 (or NULL), exit 0. Built as C and as C++. Also: threadleak_set_exit_check(0), before
or after the first check."""
import glob
import json
import shutil

from apiutil import *  # noqa: F403

progs = ["api_runner"] + ([] if os.environ.get("TL_NO_CPP") else ["api_runner_cpp"])
work = workdir()


def lines(r):
    return r.stdout.decode(errors="replace").splitlines()


def load(path):
    with open(path) as f:
        return json.load(f)


try:
    for name in progs:
        prog = exe(name)
        # without the library
        bare = run([prog, "-j", f"{work}/bare"], preload=False)
        check(bare.rc == 0 and bare.stderr == b"", f"{name} bare: status {bare.rc}", bare.stderr)
        check(lines(bare) == ["active 0", "test1 0", "test1 leaked 0 json null", "test2 0",
                              "test2 leaked 0 json null", "done"], f"{name} bare output", bare.stdout)
        check(glob.glob(f"{work}/bare.*") == [], f"{name} bare: no JSON written")
        bare = run([prog, "-l", "-x"], preload=False)
        check(bare.rc == 0 and "test3 0" in lines(bare), f"{name} bare -l -x", bare.stdout)

        # under the library, JSON reports (log_path)
        r = run([prog, "-j", f"{work}/{name}"])
        check(r.rc == 0, f"{name}: status {r.rc}", r.stderr, r.stdout)
        check(lines(r) == ["active 1", "test1 2", "test1 leaked 2 json yes", "test2 0",
                           "test2 leaked 0 json yes", "done"], f"{name}: output", r.stdout, r.stderr)
        check(warnings(r.stderr) == [], f"{name}: warnings", r.stderr)
        # the exit check's report, the last in the log file
        check(r.report["check"] == "exit" and r.report["leaked"] == 0, f"{name}: clean exit check", r.report)
        # the log file holds every check's report, in order: a leak found by a test's check is
        # not lost when the exit check is clean (each check emptied the file before)
        got = [(d["check"], d["leaked"]) for d in r.checks[0]] if len(r.checks) == 1 else r.checks
        check(got == [("api", 2), ("api", 0), ("exit", 0)], f"{name}: the log file's reports {got}",
              r.checks)

        t1 = load(f"{work}/{name}.test1")
        check(t1["tool"] == "threadleak" and t1["check"] == "api" and t1["exit_status"] is None,
              f"{name}: test1 JSON header", t1)
        check(t1["leaked"] == 2 and len(t1["leaks"]) == 2 and t1["suppressed"] == 0, f"{name}: test1 JSON leaks", t1)
        for l in t1["leaks"]:
            # C++ names carry their parameters: test1_blocked(void*)
            check(l["start_routine"].split("(")[0] == "test1_blocked" and l["state"] == "blocked" and l["blocked_in"] == "read",
                  f"{name}: test1 leak", l)
            check(functions(l["created_by"]["stack"])[:1] == ["main"], f"{name}: created by main", l)
        t2 = load(f"{work}/{name}.test2")
        check(t2["leaked"] == 0 and t2["leaks"] == [] and t2["check"] == "api", f"{name}: test2 JSON", t2)

        # threadleak run reads every check's report: test 1's leaks fail the run, though the
        # exit check is clean (before, only the last report was left to read: status 0)
        cli = os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")
        t = run([cli, "run", "--", prog], preload=False)
        err = t.stderr.decode(errors="replace")
        check(t.rc == 23 and "2 leaked threads in 1 of 1 process;" in err and
              err.count("test1_blocked") >= 2,
              f"{name} under threadleak run: status {t.rc}", err)

        # a thread leaked by test 3 is in test 3's report and in the exit check's: counted once
        # (test 1's two and test 3's one), as the exit check shows it
        t = run([cli, "run", "--", prog, "-l"], preload=False)
        err = t.stderr.decode(errors="replace")
        check(t.rc == 23 and "3 leaked threads in 1 of 1 process;" in err,
              f"{name} -l under threadleak run: status {t.rc}, the thread in two reports counted twice?",
              err)

        # text: test 1's report is printed by threadleak_verify_none(), test 2 prints nothing
        t = run([prog], json_format=False)
        err = t.stderr.decode(errors="replace")
        check(t.rc == 0 and err.count("threadleak: found") == 1 and "found 2 leaked threads" in err
              and err.count("test1_blocked") >= 1, f"{name} text: one report, test 1's", err)
        check("exit status 0 becomes" not in err, f"{name} text: an API check does not change the status", err)

        # a leak in test 3 that nobody ignores: the exit check reports it ...
        r = run([prog, "-l"])
        check(r.rc == 23 and "test3 1" in lines(r), f"{name} -l: status {r.rc}", r.stdout, r.stderr)
        check(r.report["check"] == "exit" and r.report["leaked"] == 1
              and r.report["leaks"][0]["start_routine"].split("(")[0] == "test3_blocked", f"{name} -l: exit report", r.report)
        # ... unless the exit check is off
        r = run([prog, "-l", "-x"])
        check(r.rc == 0 and "test3 1" in lines(r), f"{name} -l -x: status {r.rc}", r.stdout, r.stderr)
        check(r.report is not None and r.report["check"] == "api",
              f"{name} -l -x: the last report is test 3's API check, no exit check", r.report)
        t = run([prog, "-l", "-x"], json_format=False)
        err = t.stderr.decode(errors="replace")
        check(t.rc == 0 and err.count("threadleak: found") == 2, f"{name} -l -x text: tests 1 and 3 only", err)

    # exec keeps the pid, and so the log file: the program exec'd adds its report after the
    # API check's (its first check emptied the file, and the leak the API check found was lost)
    r = run([exe("api_exec")])
    got = [[(d["check"], d["leaked"]) for d in docs] for docs in r.checks]
    check(r.rc == 0 and got == [[("api", 1), ("exit", 0)]], f"api_exec: status {r.rc}, reports {got}",
          r.stdout, r.stderr)

    # threadleak_set_exit_check(0) before any check, in a program whose (not exported)
    # threadleak_default_options() is read at the first check: the call still holds
    prog = exe("api_runner_hook")
    r = run([prog, "-l"])
    check(r.rc == 42 and r.report["check"] == "exit", f"hook -l: status {r.rc}, expected the hook's 42", r.stderr)
    for args in (["-l", "-X"], ["-l", "-x"], ["-X", "-l", "-x"]):
        r = run([prog] + args)
        check(r.rc == 0 and "test3 1" in lines(r), f"hook {args}: status {r.rc}, expected 0 (exit check off)",
              r.stdout, r.stderr)
        check(r.report is not None and r.report["check"] == "api", f"hook {args}: no exit check", r.report)
finally:
    shutil.rmtree(work, ignore_errors=True)
ok()
