"""Helpers for the CLI tests: run tools/threadleak as a real process."""
import os
import re

from tl_test import *  # noqa: F401,F403
from tl_test import SOURCE_ROOT, fail, run, source_line, tmpdir  # noqa: F401

CLI = os.environ.get("TL_CLI") or os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")
HERE = os.path.dirname(os.path.abspath(__file__))
LEAKY_C = os.path.join(HERE, "leaky.c")


def tl(*args, timeout=90, env=None, cwd=None, stdin=None):
    """Run `threadleak ARGS...` without any preload of its own; returns a tl_test.Result."""
    if not os.path.exists(CLI):
        fail(f"threadleak not built at {CLI}")
    return run([CLI, *args], preload=False, env=env, timeout=timeout, cwd=cwd, stdin=stdin)


def err(r):
    return r.stderr.decode(errors="replace")


def out(r):
    return r.stdout.decode(errors="replace")


def line(marker, path=LEAKY_C):
    return source_line(path, marker)


def frame_re(function, marker, path="tests/cli/leaky.c"):
    """Regex for `function at .../tests/cli/leaky.c:LINE` in a text report."""
    return re.compile(re.escape(function) + r" at \S*" + re.escape(path) + ":" + str(line(marker)) + r"\b")
