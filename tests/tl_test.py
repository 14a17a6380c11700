"""Helpers for threadleak's scenario tests: run a program as a real process under the preloaded
library and read back its JSON reports. Each test script asserts on what it gets and exits
non-zero (with a readable message) when an assertion fails.

The one helper module of every suite: the build puts tests/ on PYTHONPATH (tests/meson.build's
base_env), so scripts and the suites' own helper modules import it by name. What more than one
suite needs (skip, warnings, reading reports, the environment) lives here; a suite's module
(e.g. calls/calls_util.py) only holds what is particular to that suite."""
import atexit
import glob
import json
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LIB = os.environ.get("TL_LIB", "")
SCENARIOS = os.environ.get("TL_SCENARIOS", "")  # the suite's build folder
SOURCE_ROOT = os.environ.get("TL_SOURCE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS_SRC = os.path.join(SOURCE_ROOT, "tests")
SKIP = 77  # meson counts this exit status as a skipped test


def _terminated(signum, frame):
    """meson ends a test that runs out of time with SIGTERM: leave through Python, so that the
    program running is killed (subprocess.run does it) and scratch folders are removed."""
    sys.exit(128 + signum)


if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _terminated)


def exe(name):
    """Path of a scenario program built by tests/meson.build."""
    path = os.path.join(SCENARIOS, name)
    if not os.path.exists(path):
        fail(f"scenario {name} not built at {path}")
    return path


class Result:
    def __init__(self, rc, stdout, stderr, reports, seconds, checks=None):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.reports = reports  # the last JSON report of each process (its exit check's)
        self.checks = checks or []  # each process's reports, one per check, in order
        self.seconds = seconds

    @property
    def report(self):
        """The single report of a single-process run (None when nothing was written)."""
        if not self.reports:
            return None
        if len(self.reports) != 1:
            fail(f"expected one report, got {len(self.reports)}")
        return self.reports[0]

    @property
    def leaks(self):
        r = self.report
        return r["leaks"] if r else []


def run(argv, options="", preload=True, env=None, timeout=120, stdin=None, json_format=True, cwd=None):
    """Run argv; with preload, under libthreadleak.so with format=json and log_path in a
    temporary directory. Returns a Result."""
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    e.pop("THREADLEAK_OPTIONS", None)
    tmp = tempfile.mkdtemp(prefix="tltest.")
    try:
        if preload:
            e["LD_PRELOAD"] = LIB
            opts = []
            if json_format:
                opts += ["format=json", f"log_path={tmp}/report"]
            if options:
                opts.append(options)
            e["THREADLEAK_OPTIONS"] = ":".join(opts)
        if env:
            e.update(env)
        # TL_WRAPPER: a prefix command for the program when preload is on, e.g.
        # TL_WRAPPER="valgrind -q --error-exitcode=99" (timeouts grow by TL_WRAPPER_TIMEOUT_SCALE)
        wrapper = os.environ.get("TL_WRAPPER", "")
        if preload and wrapper:
            argv = shlex.split(wrapper) + list(argv)
            timeout *= float(os.environ.get("TL_WRAPPER_TIMEOUT_SCALE", "10"))
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout, input=stdin, cwd=cwd)
        except subprocess.TimeoutExpired:
            fail(f"{argv} hung (no exit within {timeout}s)")
        seconds = time.monotonic() - t0
        checks = read_checks(f"{tmp}/report.*")
        reports = [docs[-1] for docs in checks]
    finally:
        # the folder and whatever the program left in it (the library's own report files)
        shutil.rmtree(tmp, ignore_errors=True)
    return Result(p.returncode, p.stdout, p.stderr, reports, seconds, checks)


def read_checks(pattern):
    """The JSON reports of the files matching a glob pattern, in name order: for each file
    (process), its documents, one per check, in order (each must be valid JSON, with nothing
    but white space between them)."""
    out = []
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as f:
            data = f.read()
        docs, text, pos = [], data.decode("utf-8", errors="replace"), 0
        try:
            while True:
                while pos < len(text) and text[pos] in " \t\r\n":
                    pos += 1
                if pos == len(text) and docs:
                    break
                doc, pos = json.JSONDecoder().raw_decode(text, pos)
                docs.append(doc)
        except ValueError as err:
            fail(f"{path} is not valid JSON: {err}\n{data[:2000]!r}")
        out.append(docs)
    return out


def read_reports(pattern):
    """The last JSON report of each file matching a glob pattern (a process's exit check's),
    in name order."""
    return [docs[-1] for docs in read_checks(pattern)]


def strict_json(data, what="document"):
    """Parse bytes as one JSON document that is valid UTF-8 with no raw control characters
    inside strings (Python's json is strict about those by default)."""
    try:
        text = data.decode("utf-8")  # strict: invalid UTF-8 raises
    except UnicodeDecodeError as err:
        fail(f"{what} is not valid UTF-8: {err}\n{data[:600]!r}")
    try:
        return json.loads(text)
    except ValueError as err:
        fail(f"{what} is not valid JSON: {err}\n{data[:2000]!r}")


def json_docs(data):
    """Every threadleak JSON document embedded in captured output (stderr may also carry
    warnings and the program's own lines). Each must be valid UTF-8 and valid JSON."""
    marker = b'{"tool": "threadleak"'
    docs = []
    pos = data.find(marker)
    while pos >= 0:
        try:
            text = data[pos:].decode("utf-8")
        except UnicodeDecodeError:
            # only the document itself has to be valid: cut at the first line after it
            text = data[pos:].decode("utf-8", errors="replace")
        try:
            doc, used = json.JSONDecoder().raw_decode(text)
        except ValueError as err:
            fail(f"embedded JSON document is not valid: {err}\n{data[pos:pos + 2000]!r}")
        raw = text[:used].encode("utf-8")
        check(b"\xef\xbf\xbd" not in raw or raw in data, "embedded JSON document is not valid UTF-8",
              data[pos:pos + 2000])
        docs.append(doc)
        pos = data.find(marker, pos + len(raw))
    return docs


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def show(context, limit=6000):
    """Print what explains a failure on stderr: reports as indented JSON, output as text (the
    first `limit` characters of JSON, the last of output)."""
    for c in context:
        if isinstance(c, (dict, list)):
            c = json.dumps(c, indent=1)[:limit]
        elif isinstance(c, bytes):
            c = c.decode(errors="replace")[-limit:]
        print(c, file=sys.stderr)


def check(cond, msg, *context):
    if not cond:
        show(context)
        fail(msg)


def skip(msg):
    """Skip the test visibly (meson counts exit status 77 as skipped)."""
    print(f"SKIP: {msg}")
    sys.exit(SKIP)


def stderr_lines(r):
    """Lines of a Result's stderr (or of captured stderr bytes)."""
    data = r if isinstance(r, bytes) else r.stderr
    return data.decode("utf-8", errors="replace").splitlines()


def warnings(r):
    """threadleak's own lines on the stderr of a Result (or of captured stderr bytes); with
    format=json and log_path nothing else of ours goes there."""
    return [l for l in stderr_lines(r) if l.startswith("threadleak:")]


def tmpdir(prefix="tltest."):
    """A scratch folder, removed when the test ends (whatever the outcome)."""
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def no_core_files():
    """Scenarios that expose a crash must not litter the build folder with core files."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def functions(frames):
    """Function names of a frame list, innermost first."""
    return [f.get("function") for f in frames]


def frame(frames, function):
    """The first frame of a function, or None."""
    for f in frames:
        if f.get("function") == function:
            return f
    return None


def source_line(path, marker):
    """Line number (1-based) of the first line of path containing marker."""
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if marker in line:
                return i
    fail(f"marker {marker!r} not in {path}")


def ok(msg="ok"):
    print(msg)
    sys.exit(0)
