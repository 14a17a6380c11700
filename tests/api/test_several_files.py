"""Several suppression files: each one's rules apply, in order (the first matching rule takes
a thread and its count), the same rule in two files is used from the first."""
import shutil

from apiutil import *  # noqa: F403

prog = exe("api_rules")
work = workdir()

try:
    a = supp_file(work, "a.supp", "name:logger\n")
    b = supp_file(work, "b.supp", "# the worker\nstart:worker_loop\n")
    c = supp_file(work, "c.supp", "name:logger\nany:worker_wait\n")

    r = run([prog], options=f"suppressions={a}:suppressions={b}")
    rep = r.report
    check(r.rc == 0 and rep["leaked"] == 0 and rep["suppressed"] == 2, f"a+b: both suppressed, status {r.rc}", rep)
    check(used(rep) == {"name:logger": 1, "start:worker_loop": 1}, "a+b: both rules used once", rep)
    sb = {t["name"]: t["suppressed_by"] for t in rep["suppressed_threads"]}
    check(sb == {"logger": "name:logger", "worker": "start:worker_loop"}, f"a+b: suppressed_by {sb}", rep)
    check(warnings(r.stderr) == [], "a+b: no warnings", r.stderr)

    # b then c: c's name:logger takes the logger; the worker is taken by b's rule, listed first
    r = run([prog], options=f"suppressions={b}:suppressions={c}")
    rep = r.report
    check(r.rc == 0 and rep["suppressed"] == 2 and [u["rule"] for u in rep["suppressions_used"]]
          == ["start:worker_loop", "name:logger"] and used(rep) == {"start:worker_loop": 1, "name:logger": 1},
          "b+c: the first matching rule is used, in file order", rep)

    # a and c both have name:logger: the first one takes it, and it is listed once
    r = run([prog], options=f"suppressions={a}:suppressions={c}")
    rep = r.report
    check(rep["suppressed"] == 2 and rep["suppressions_used"] == [
        {"rule": "name:logger", "count": 1, "set": None}, {"rule": "any:worker_wait", "count": 1, "set": None}],
        "a+c", rep)

    # only one of them: the other thread is reported
    r = run([prog], options=f"suppressions={b}")
    check(r.rc == 23 and r.report["leaked"] == 1 and r.report["leaks"][0]["name"] == "logger",
          "b alone: the logger is reported", r.report)

    # the text report lists both rules
    t = run([prog], options=f"suppressions={a}:suppressions={b}", json_format=False)
    check(t.rc == 0 and t.stderr == b"", "a+b text: nothing leaked, nothing printed", t.stderr)

    # eight files are accepted; a ninth is refused with a warning (the limit)
    files = [supp_file(work, f"n{i}.supp", f"name:nomatch{i}\n") for i in range(7)] + [a]
    r = run([prog], options=":".join(f"suppressions={f}" for f in files))
    logger_suppressed(r, "name:logger", "8 files")
    check(warnings(r.stderr) == [], "8 files: no warning", r.stderr)
    r = run([prog], options=":".join(f"suppressions={f}" for f in files + [b]))
    ws = warnings(r.stderr)
    check(len(ws) == 1 and "too many suppression files" in ws[0], "9 files: one warning", r.stderr)
    check(r.report["leaked"] in (0, 1), "9 files: the check still runs", r.report)
finally:
    shutil.rmtree(work, ignore_errors=True)
ok()
