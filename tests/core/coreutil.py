"""Small helpers shared by the core suite's scripts (on top of tests/tl_test.py)."""
import os

from tl_test import *  # noqa: F401,F403

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "scenarios")


def src(name):
    """Path of a scenario source file: beside the scripts, or one of the seeds in
    tests/scenarios/ that other suites build too."""
    here = os.path.join(HERE, name)
    return here if os.path.exists(here) else os.path.join(SHARED, name)


def src_rel(name):
    """The same path relative to the source root, as the report's file names end."""
    return os.path.relpath(os.path.realpath(src(name)), os.path.realpath(os.path.join(HERE, "..", "..")))


def line(name, marker):
    """Line of the first line of scenario source `name` containing marker."""
    return source_line(src(name), marker)


def by_start(leaks):
    """Leaks keyed by start routine; fails if two leaks share one (the scenarios give each
    leaked thread its own start routine)."""
    out = {}
    for l in leaks:
        sr = l.get("start_routine")
        check(sr not in out, f"two leaks with start routine {sr}", leaks)
        out[sr] = l
    return out


def top(leak):
    """The innermost frame of a leak's current stack (None when empty)."""
    return leak["stack"][0] if leak["stack"] else None


def check_frame(f, function, srcname, line_numbers, what, context):
    """A frame names `function` at srcname:line (line one of line_numbers)."""
    check(f is not None, f"{what}: no frame", context)
    check(f.get("function") == function, f"{what}: function {f.get('function')!r}, expected {function!r}",
          context)
    check((f.get("file") or "").endswith(src_rel(srcname)),
          f"{what}: file {f.get('file')!r}, expected {src_rel(srcname)}", context)
    if isinstance(line_numbers, int):
        line_numbers = {line_numbers}
    check(f.get("line") in line_numbers, f"{what}: line {f.get('line')}, expected one of {sorted(line_numbers)}",
          context)


def check_created_by(leak, thread, fns, srcname, lines, context=None):
    """created_by names the creating thread and starts with functions fns (innermost first) at
    the given lines of srcname."""
    cb = leak.get("created_by")
    check(cb is not None, "created_by missing", context or leak)
    check(cb["thread"] == thread, f"created by thread {cb['thread']}, expected {thread}", context or leak)
    got = functions(cb["stack"])
    check(got[:len(fns)] == fns, f"creation stack {got}, expected to start with {fns}", context or leak)
    for f, ln in zip(cb["stack"], lines):
        check_frame(f, f["function"], srcname, ln, "creation frame", context or leak)


def no_own_frames(leak):
    frames = leak["stack"] + (leak["created_by"]["stack"] if leak.get("created_by") else [])
    check(all(not (f.get("module") or "").endswith("libthreadleak.so") for f in frames),
          "frames of threadleak itself shown", leak)


def bare_and_preloaded(argv, **kw):
    """Run argv bare (must exit 0, nothing on stderr) then under the library; returns both."""
    bare = run(argv, preload=False)
    check(bare.rc == 0, f"bare run exits {bare.rc}", bare.stderr)
    check(bare.stderr == b"", "bare run wrote to stderr", bare.stderr)
    return bare, run(argv, **kw)


def run_vs_bare(argv, stdout, rc=23, what="", **kw):
    """Run argv bare, which must print `stdout`, then under the library, which must print the
    same and exit with rc. Returns (bare, preloaded run, its report)."""
    p = f"{what}: " if what else ""
    bare, r = bare_and_preloaded(argv, **kw)
    check(bare.stdout == stdout, f"{p}bare output", bare.stdout)
    check(r.rc == rc, f"{p}exit status {r.rc}, expected {rc}", r.stdout, r.stderr)
    check(r.stdout == bare.stdout, f"{p}stdout differs from the bare run", r.stdout, r.stderr)
    return bare, r, r.report
