"""Helpers for the CLI tests: run tools/threadleak as a real process."""
import atexit
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tl_test import *  # noqa: E402,F401,F403
from tl_test import run, check, source_line  # noqa: E402

CLI = os.environ.get("TL_CLI") or os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("TL_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))
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


def tmpdir():
    """A scratch folder, removed when the test ends."""
    d = tempfile.mkdtemp(prefix="tlcli.")
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d
