"""Helpers of the verdict tests: run a case of the reach scenario under the library."""
import collections
import os
import sys

import tl_test as T  # noqa: E402


def run_case(case, prog="reach", options="", env=None, args=()):
    """Run one case; returns (Result, leaks)."""
    r = T.run([T.exe(prog), case] + list(args), options=options, env=env)
    T.check(r.report is not None, f"{case}: no report", r.stderr)
    return r, r.leaks


def verdicts(leaks, routine=None):
    """Counter of (verdict, reason) over the leaks, optionally of one start routine."""
    return collections.Counter((l.get("verdict"), l.get("verdict_reason")) for l in leaks
                               if routine is None or l.get("start_routine") == routine)


def assert_reachable(case, leaks, routine="sender", count=None):
    """The threads of `routine` are reachable, and nothing is claimed unreachable."""
    mine = [l for l in leaks if l.get("start_routine") == routine]
    T.check(mine, f"{case}: no {routine} threads reported", leaks)
    if count is not None:
        T.check(len(mine) == count, f"{case}: {len(mine)} {routine} threads, expected {count}",
                leaks)
    for l in leaks:
        T.check(l.get("verdict") != "unreachable",
                f"{case}: thread {l.get('thread')} ({l.get('start_routine')}) wrongly claimed "
                f"unreachable", l)
    for l in mine:
        T.check(l.get("verdict") == "reachable",
                f"{case}: {routine} thread {l.get('thread')} is {l.get('verdict')} "
                f"({l.get('verdict_reason')}), expected reachable", leaks)
