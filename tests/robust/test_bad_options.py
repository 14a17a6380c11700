"""Bad THREADLEAK_OPTIONS: huge, truncated, control characters, invalid UTF-8,
repeated keys, numbers out of range, and a threadleak_default_options() hook that returns
megabytes. Expected: a clear warning naming what is wrong (with no raw control bytes), sane
defaults, the check still runs, no crash. An environment string is at most 128 KiB on Linux
(MAX_ARG_STRLEN), so the megabyte cases go through the program's hook."""
import os
import tempfile
import time

from robust import *  # noqa: F403

leaky = exe("leaky")
hooks = exe("hooks")


def raw(b):
    """bytes -> str for the environment (undecodable bytes pass through as themselves)"""
    return os.fsdecode(b)


def run_opts(opts, prog=None, env=None):
    prog = prog or [leaky, "-s", "1"]
    return run(prog, options=opts, timeout=120, env=env)


def sane(r, what, rc=23, leaked=1):
    check(r.rc == rc, f"{what}: exit status {r.rc}, expected {rc}", r.stderr)
    check(r.report is not None and r.report["leaked"] == leaked, f"{what}: the report", r.stderr)
    bad = control_bytes(r.stderr)
    check(not bad, f"{what}: raw control bytes {bad} written to stderr", r.stderr)


def warned(r, *words):
    return any(all(w in line for w in words) for line in warnings(r))


# out of range and malformed numbers: one warning naming the option each, defaults kept
cases = [
    ("exitcode=256", "exitcode"), ("exitcode=-1", "exitcode"), ("exitcode=99999999999999999999999", "exitcode"),
    ("exitcode=0x10", "exitcode"), ("exitcode=1e3", "exitcode"), ("exitcode=", "exitcode"),
    ("grace_ms=60001", "grace_ms"), ("grace_ms=-5", "grace_ms"), ("grace_ms=9223372036854775808", "grace_ms"),
    ("max_frames=0", "max_frames"), ("max_frames=65", "max_frames"), ("max_frames=-2147483649", "max_frames"),
    ("signal=65", "signal"), ("children=2", "children"), ("check_at_exit=maybe", "check_at_exit"),
    ("format=js", "format"), ("format=", "format"), ("format=JSON", "format"),
]
for opt, key in cases:
    r = run_opts(opt)
    sane(r, opt)
    check(warned(r, key), f"{opt}: no warning naming {key}", r.stderr)
    check(len(warnings(r)) == 1, f"{opt}: {len(warnings(r))} warnings, expected one", r.stderr)

# booleans take 0/1, false/true, no/yes, off/on in any case (FALSE was refused, false not)
for v in ("FALSE", "Off", "no"):
    r = run_opts(f"check_at_exit={v}")
    check(r.rc == 0 and not warnings(r), f"check_at_exit={v}: status {r.rc}, warnings {warnings(r)}", r.stderr)

# truncated: a key with no value, half a key
for opt in ("log_pa", "exitcode", "grace_ms=20:exitc", "=", "==", ":::", "exitcode==5"):
    r = run_opts(opt)
    sane(r, repr(opt))
    check(len(warnings(r)) <= 1, f"{opt!r}: {len(warnings(r))} warnings", r.stderr)

# repeated keys: the last one wins, like the sanitizers
r = run_opts("exitcode=5:exitcode=9")
sane(r, "repeated exitcode", rc=9)
r = run(["true"], options="format=text:format=json")  # clean: the JSON file still says so
check(r.rc == 0 and r.report and r.report["leaked"] == 0, "repeated format: the last one (json) wins", r.stderr)
many = ":".join(f"suppressions=/nonexistent/s{i}" for i in range(12))
r = run_opts(many)
sane(r, "12 suppression files")
check(warned(r, "too many suppression files"), "12 suppression files: a warning says at most 8", r.stderr)

# control characters and escape sequences: warnings show them as '?', never raw
for b in (b"exitcode=\x1b[31m7", b"\x01\x02=\x7f", b"format=\x1b]0;pwned\x07", b"grace_ms=1\r\x1b[2K",
          b"\x1b[2J\x1b[H=1", b"log_path\x08\x08\x08=x", b"k\x7f\x7f=v"):
    r = run_opts(raw(b))
    sane(r, repr(b))
    check(len(warnings(r)) >= 1, f"{b!r}: no warning", r.stderr)

# invalid UTF-8 in keys and values: warnings, defaults, and the JSON report stays valid
for b in (b"format=\xff\xfe", b"\xc3(=1", b"exitcode=\xed\xa0\x80", b"\xf0\x28\x8c\x28=\xc0\xaf",
          b"max_frames=3\xff"):
    r = run_opts(raw(b))
    sane(r, repr(b))
    check(len(warnings(r)) == 1, f"{b!r}: {len(warnings(r))} warnings", r.stderr)

# a value with invalid UTF-8 that is accepted (a log file name): the file is written there
with tempfile.TemporaryDirectory(prefix="tlopt.") as d:
    path = os.fsencode(d) + b"/rep\xff\xfe\x01ort"
    r = run([leaky, "-s", "1"], json_format=False, options=raw(b"format=json:log_path=" + path), timeout=60)
    check(r.rc == 23, f"log_path with invalid UTF-8: status {r.rc}", r.stderr)
    files = os.listdir(os.fsencode(d))
    check(len(files) == 1, f"log_path with invalid UTF-8: files {files}", r.stderr)
    strict_json(open(os.path.join(os.fsencode(d), files[0]), "rb").read(), "report at a non-UTF-8 path")

# quoted values, as the sanitizers take them: a log_path with blanks and ':' (before, cut at
# the blank: the report went to the path's first word), in either quote, beside other options;
# a quote left open is one warning naming the option, and the check still runs
with tempfile.TemporaryDirectory(prefix="tlopt.") as d:
    for q in ("'", '"'):
        sub = os.path.join(d, f"a b:{'single' if q == chr(39) else 'double'}")
        os.mkdir(sub)
        r = run([leaky, "-s", "1"], json_format=False,
                options=f"format=json:log_path={q}{sub}/report{q}:exitcode=7", timeout=60)
        check(r.rc == 7 and not warnings(r), f"log_path quoted with {q}: status {r.rc}", r.stderr)
        files = os.listdir(sub)
        check(len(files) == 1 and files[0].startswith("report."), f"quoted {q}: files {files}",
              os.listdir(d))
    r = run_opts("exitcode=7:log_path='/tmp/no end")
    sane(r, "an open quote", rc=7)
    check(len(warnings(r)) == 1 and warned(r, "log_path", "no closing quote"),
          "an open quote: one warning naming log_path", r.stderr)
    # what follows the next ':' still applies (threadleak run appends its own options there)
    r = run_opts("log_path='/tmp/no end:exitcode=9")
    sane(r, "an open quote, then exitcode=9", rc=9)
    check(len(warnings(r)) == 1, "an open quote, then exitcode=9: one warning", r.stderr)

# huge, within the environment's limit: 120 KiB
big = "exitcode=7:" * (120 * 1024 // 11)
r = run_opts(big)
sane(r, "120 KiB of repeated exitcode=7", rc=7)
check(not warnings(r), "120 KiB of valid options: no warnings", r.stderr)
r = run_opts("x" * (120 * 1024))
sane(r, "one 120 KiB token")
check(len(warnings(r)) == 1 and len(warnings(r)[0]) < 300, "one 120 KiB token: one short warning", r.stderr)
r = run_opts("format=" + "y" * (120 * 1024))
sane(r, "a 120 KiB value")
check(len(warnings(r)) == 1 and len(warnings(r)[0]) < 300, "a 120 KiB value: one short warning", r.stderr)

# the program's hook returns megabytes
with tempfile.TemporaryDirectory(prefix="tlhook.") as d:
    f = os.path.join(d, "opts")
    with open(f, "w") as fh:
        fh.write("grace_ms=10:exitcode=11:" * (4 * 1024 * 1024 // 24))  # 4 MiB of valid options
    t0 = time.monotonic()
    r = run([hooks, "1"], timeout=120, env={"HOOK_OPTIONS_FILE": f})
    dt = time.monotonic() - t0
    sane(r, "4 MiB from threadleak_default_options()", rc=11)
    check(dt < 30, f"4 MiB of options took {dt:.1f}s")
    with open(f, "wb") as fh:
        fh.write(bytes(range(1, 256)) * (4 * 1024 * 1024 // 255))  # 4 MiB of every byte but NUL
    r = run([hooks, "1"], timeout=120, env={"HOOK_OPTIONS_FILE": f})
    sane(r, "4 MiB of binary junk from threadleak_default_options()")
    n = len(warnings(r))
    print(f"4 MiB of junk options: {n} warning lines, {len(r.stderr)} bytes on stderr")
    # a flood of one line per bad token is no "clear message": the sanitizers stop after a few
    with open(f, "w") as fh:
        fh.write("bad:" * (1024 * 1024 // 4))  # 1 MiB: 262,144 tokens that are not key=value
    r = run([hooks, "1"], timeout=120, env={"HOOK_OPTIONS_FILE": f})
    sane(r, "1 MiB of bad tokens from threadleak_default_options()")
    expect(len(warnings(r)) <= 100,
           f"1 MiB of bad tokens: {len(warnings(r))} warning lines ({len(r.stderr)} bytes) on the "
           "program's stderr; options.c could stop after a few per source and count the rest",
           b"\n".join(r.stderr.splitlines()[:3]))
finish()
