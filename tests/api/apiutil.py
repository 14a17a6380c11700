"""Helpers shared by the api suite's scripts (on top of tests/tl_test.py)."""
import os

from tl_test import *  # noqa: F401,F403
from tl_test import check, tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))


def supp_file(dirname, name, data):
    """Write a suppression file (bytes or str) and return its path."""
    p = os.path.join(dirname, name)
    with open(p, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return p


def workdir():
    return tmpdir("tlapi.")


def by_name(threads):
    """Threads of a report keyed by name; fails on duplicates."""
    out = {}
    for t in threads:
        check(t.get("name") not in out, f"two threads named {t.get('name')}", threads)
        out[t.get("name")] = t
    return out


def used(report):
    """suppressions_used as {rule: count}."""
    return {u["rule"]: u["count"] for u in report["suppressions_used"]}


def logger_suppressed(r, rule, what, set_name=None):
    """The api_rules outcome when `rule` suppresses the logger only: the worker is the one
    leak, the logger the one suppressed thread, the rule used once."""
    rep = r.report
    check(rep is not None, f"{what}: no report", r.stderr)
    check(r.rc == 23, f"{what}: exit status {r.rc}, expected 23 (the worker still leaks)", r.stderr, rep)
    check(rep["leaked"] == 1 and rep["suppressed"] == 1,
          f"{what}: leaked {rep['leaked']}, suppressed {rep['suppressed']}, expected 1 and 1", rep)
    check(len(rep["leaks"]) == 1 and rep["leaks"][0]["name"] == "worker"
          and rep["leaks"][0]["start_routine"] == "worker_loop", f"{what}: the leak is the worker", rep)
    st = rep["suppressed_threads"]
    check(len(st) == 1 and st[0]["name"] == "logger" and st[0]["start_routine"] == "logger_loop",
          f"{what}: the suppressed thread is the logger", rep)
    check(st[0].get("suppressed_by") == rule, f"{what}: suppressed_by {st[0].get('suppressed_by')!r}", rep)
    check(rep["suppressions_used"] == [{"rule": rule, "count": 1, "set": set_name}],
          f"{what}: suppressions_used {rep['suppressions_used']}", rep)
