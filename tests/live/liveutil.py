"""Helpers for the live suite: start a scenario under the library, wait until it says "ready",
signal it, and read what it wrote."""
import glob
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time

from tl_test import *  # noqa: F401,F403
from tl_test import LIB, fail, read_reports

CLI = os.environ.get("TL_CLI") or os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")

# SIGQUIT's default action dumps core: not in the test folder
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
# A shell starts background jobs with SIGINT and SIGQUIT ignored, and exec keeps that: the
# programs here start with the actions a terminal gives them.
for _sig in (signal.SIGINT, signal.SIGQUIT):
    if signal.getsignal(_sig) == signal.SIG_IGN:
        signal.signal(_sig, signal.SIG_DFL)


class Live:
    """A program running under the library with format=json and log_path in a private folder
    (or bare with preload=False), stopped at "ready"."""

    def __init__(self, argv, options="", preload=True):
        self.dir = tempfile.mkdtemp(prefix="tllive.")
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.pop("THREADLEAK_OPTIONS", None)
        if preload:
            env["LD_PRELOAD"] = LIB
            env["THREADLEAK_OPTIONS"] = ":".join(
                o for o in ["format=json", f"log_path={self.dir}/report", options] if o)
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.out = self.err = ""
        self.first = ""
        while True:
            line = self.p.stdout.readline().decode()
            self.first += line
            if not line or line.startswith("ready"):
                break
        if "ready" not in self.first:
            self.kill()
            fail(f"{argv} never said ready: {self.first!r}")

    def signal(self, sig, settle=0.2):
        """Send sig once the program is where it says it goes after "ready" (settle seconds)."""
        time.sleep(settle)
        self.p.send_signal(sig)

    def tell(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def wait(self, timeout=30):
        """The status as subprocess gives it (-N: killed by signal N), or None if still running."""
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.out = self.first + self.p.stdout.read().decode()
        self.err = self.p.stderr.read().decode()
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def reports(self, pattern="report.*"):
        return read_reports(os.path.join(self.dir, pattern))

    def close(self):
        self.kill()
        self.p.stdin.close()
        self.p.stdout.close()
        self.p.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def by_number(doc, n):
    for t in doc["leaks"]:
        if t["thread"] == n:
            return t
    return None


def dump(pid, *args):
    """threadleak dump PID (with args), run without the library."""
    return run([CLI, "dump", *args, str(pid)], preload=False, timeout=60)


def sigmask_counts(out):
    """tests/live/sigmask.c's last line: [semop calls, their EINTRs, sleeps, interrupted, early]."""
    import re
    m = re.search(r"semop (\d+) eintr (\d+) sleep (\d+) interrupted (\d+) early (\d+)", out)
    check(m, "no counts", out)
    return [int(x) for x in m.groups()]
