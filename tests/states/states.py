"""Helpers shared by the states suite: run one case of the states scenario and index its
leaks."""
import os
import re
import sys

from tl_test import *  # noqa: E402,F403
from tl_test import check, exe, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "states.c")


def run_case(case, argv_prefix=(), **kw):
    """Run `states CASE`; returns (result, values printed as name=number)."""
    r = run(list(argv_prefix) + [exe("states"), case], **kw)
    printed = dict((k, int(v)) for k, v in re.findall(rb"(\w+)=(-?\d+)", r.stdout))
    printed = {k.decode(): v for k, v in printed.items()}
    check(b"ready" in r.stdout, f"{case}: the scenario did not get ready", r.stdout, r.stderr)
    return r, printed


def only_leak(r, case):
    leaks = r.leaks
    check(len(leaks) == 1, f"{case}: expected 1 leak, got {len(leaks)}", r.report, r.stderr)
    return leaks[0]
