"""Helpers shared by the robust suite: JSON documents found in captured output,
strict validity checks, and a stress driver that repeats a racy scenario."""
import json
import os
import shutil
import subprocess
import sys
import time

from tl_test import *  # noqa: F403
from tl_test import LIB, SOURCE_ROOT, check, fail, no_core_files, show  # noqa: F401

no_core_files()

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.environ.get("TL_SEED", "")
VALID_STATES = {"blocked", "running", "exited", "untracked"}


def check_report_shape(rep, what="report"):
    """Sanity of every leak entry: a known state, distinct tids, stack lists."""
    check(rep.get("tool") == "threadleak", f"{what}: not a threadleak report", rep)
    leaks = rep.get("leaks", [])
    check(rep.get("leaked") == len(leaks), f"{what}: leaked={rep.get('leaked')} but {len(leaks)} entries", rep)
    tids = [l["tid"] for l in leaks + rep.get("suppressed_threads", [])]
    check(len(tids) == len(set(tids)), f"{what}: a tid is reported twice", rep)
    for l in leaks:
        check(l.get("state") in VALID_STATES, f"{what}: bad state {l.get('state')}", l)
        check(isinstance(l.get("stack"), list), f"{what}: stack is not a list", l)


def start_routines(rep):
    return sorted(l.get("start_routine") or "" for l in rep.get("leaks", []))


def control_bytes(data):
    """Raw control bytes other than newline and tab: must never come out of a warning."""
    return sorted({c for c in data if (c < 0x20 and c not in (0x0A, 0x09)) or c == 0x7F})


class Stress:
    """Repeat a racy scenario: up to `runs` times, bounded by a time budget; collect
    hangs, crashes and wrong results instead of stopping at the first."""

    def __init__(self, budget_s):
        self.deadline = time.monotonic() + budget_s
        self.budget = budget_s
        self.failures = []
        self.summary = []

    def repeat(self, name, fn, runs, share):
        """fn(i) returns None when the run was right, else a message. `share`: the fraction
        of the remaining budget this scenario may use."""
        left = self.deadline - time.monotonic()
        until = time.monotonic() + max(2.0, left * share)
        done = bad = 0
        t0 = time.monotonic()
        for i in range(runs):
            if done >= 3 and time.monotonic() >= until:
                break
            try:
                msg = fn(i)
            except SystemExit:
                msg = "assertion failed (see above)"
            done += 1
            if msg:
                bad += 1
                if len([f for f in self.failures if f[0] == name]) < 5:
                    self.failures.append((name, i, msg))
        dt = time.monotonic() - t0
        self.summary.append(f"{name}: {done} runs, {bad} wrong, {dt:.1f}s")
        print(self.summary[-1], flush=True)

    def finish(self):
        for name, i, msg in self.failures:
            print(f"FAIL {name} run {i}: {msg}", file=sys.stderr)
        if self.failures:
            fail(f"{len(self.failures)} failing runs (first ones listed above)")


def run_raw(argv, env=None, timeout=60, cwd=None):
    """Run without any threadleak environment of our own; returns (rc, stdout, stderr) or
    ('hang', ...) on timeout, after killing the process group."""
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    e.pop("THREADLEAK_OPTIONS", None)
    if env:
        e.update(env)
    p = subprocess.Popen(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, 9)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return "hang", out, err
    return p.returncode, out, err


def have(prog):
    return shutil.which(prog) is not None


_soft_failures = []


def expect(cond, msg, *context):
    """Like check(), but the test goes on: every failed expectation is listed at the end by
    finish() (so one defect does not hide the next)."""
    if cond:
        return True
    show(context, 3000)
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    _soft_failures.append(msg)
    return False


def finish(msg="ok"):
    if _soft_failures:
        print(f"\n{len(_soft_failures)} failed expectation(s):", file=sys.stderr)
        for m in _soft_failures:
            print(f"  - {m}", file=sys.stderr)
        sys.exit(1)
    print(msg)
    sys.exit(0)


def stdout_text(r, drop=("api json ",)):
    """stdout without the long one-line JSON documents, for failure messages."""
    return "\n".join(l for l in r.stdout.decode(errors="replace").splitlines() if not l.startswith(drop))
