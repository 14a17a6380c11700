"""Reports and baselines are CI artifacts that may come from anywhere: only regular files are
opened (a FIFO would block, /dev/zero never end), sizes are bounded (the bound is named), a
malformed or truncated file gets one line in the user's words (with where), a UTF-8
byte-order mark is accepted, and the other files are still reported. Two outputs that name
one file are refused instead of one silently replacing the other."""
import json
import os
import shutil
import sys

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")
work = tmpdir()

rr = run([leaky, "a"])
check(rr.rc == 23 and len(rr.reports) == 1, "a report to work with", rr.stderr)
good = os.path.join(work, "good.json")
text = json.dumps(rr.reports[0], indent=1)
with open(good, "w") as f:
    f.write(text)


def threadleak_lines(e):
    return [ln for ln in e.splitlines() if ln.startswith("threadleak: ")]


def report_of(bad, expect, timeout=20):
    """`threadleak report BAD GOOD`: one line naming BAD and EXPECT, GOOD still reported."""
    r = tl("report", "--no-symbolize", bad, good, timeout=timeout)
    e = err(r)
    check(r.rc == 1, f"{bad}: status {r.rc}", e)
    named = [ln for ln in e.splitlines() if bad in ln]
    check(len(named) == 1 and expect in named[0], f"{bad}: one line saying {expect!r}", e)
    check("2 leaked threads in 1 of 1 process" in out(r), f"{bad}: the good file still reported", out(r), e)
    return named[0]


# a FIFO (nobody writes it): named and skipped at once, not waited on
fifo = os.path.join(work, "fifo.json")
os.mkfifo(fifo)
report_of(fifo, "not a regular file")
# a device that never ends
report_of("/dev/zero", "not a regular file")
# larger than the bound: refused before reading (a sparse file: no disk used)
big = os.path.join(work, "big.json")
with open(big, "w") as f:
    f.truncate(65 << 20)
report_of(big, "larger than the limit of 64 MiB")
# standard input is streamed, and bounded the same way
r = tl("report", "--no-symbolize", "-", stdin=b" " * ((64 << 20) + 1), timeout=30)
check(r.rc == 1 and "-: larger than the limit of 64 MiB" in err(r), f"stdin over the bound: status {r.rc}", err(r))
r = tl("report", "--no-symbolize", "-", stdin=text.encode())
check(r.rc == 0 and "2 leaked threads" in out(r), f"stdin: status {r.rc}", err(r))
# truncated: where, in words a user knows
half = os.path.join(work, "half.json")
with open(half, "w") as f:
    f.write(text[:len(text) // 2])
line = report_of(half, f"ends in the middle of the document, at byte {len(text) // 2}")
check("truncated" in line, "truncated: said so", line)
# a syntax error: line, column and byte
broken = os.path.join(work, "broken.json")
with open(broken, "w") as f:
    f.write('{"tool": "threadleak",\n "leaks": [1 2]}')
line = report_of(broken, "at line 2, column 14 (byte 36)")
check("array" in line, "syntax error: what is wrong", line)
# a UTF-8 byte-order mark is accepted
bom = os.path.join(work, "bom.json")
with open(bom, "wb") as f:
    f.write(b"\xef\xbb\xbf" + text.encode())
r = tl("report", "--no-symbolize", bom)
check(r.rc == 0 and "2 leaked threads in 1 of 1 process" in out(r), f"byte-order mark: status {r.rc}", err(r))

# --- baselines: the same file rules, and the file's shape checked whole
B = os.path.join(work, "baseline.json")


def baseline_error(content, expect, path=B):
    """One line naming the problem; the command still runs and its leaks are all new; the file
    is left as it is; status 125 (run could not do all of its job)."""
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
    before = os.stat(path)
    r = tl("run", "--baseline", path, "--", leaky, "a", cwd=work, timeout=30)
    e = err(r)
    named = [ln for ln in e.splitlines() if f"baseline {path}" in ln]
    check(r.rc == 125 and len(named) == 1 and f"baseline {path}: " in named[0] and expect in named[0],
          f"baseline {content!r:.80}: status {r.rc}, one line saying {expect!r}", e)
    check("checking without it" in named[0], "the line says what happens instead", e)
    check(e.rstrip().endswith("exit status 125 (the baseline could not be read)"),
          "the last line says the status run ends with (it said 'exit status 0 becomes 23')", e)
    check(out(r) == "leaky a done\n" and "2 leaked threads in 1 of 1 process" in e,
          "the command still ran, its leaks all new", r.stdout, e)
    after = os.stat(path)
    check((before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size), "the baseline was rewritten")


ok_entry = {"state": "blocked", "start_routine": "f", "created_at": {"function": "g", "file": "a.c", "line": 3}}


def doc(**kw):
    d = {"tool": "threadleak", "baseline": 1, "entries": [ok_entry]}
    d.update(kw)
    return json.dumps(d).encode()


baseline_error(doc(entries=[ok_entry, 7]), "entry 2 is int, not an object")
baseline_error(doc(entries=[{"state": 3}]), "entry 1: \"state\" is int, not a string or null")
baseline_error(doc(entries=[{"created_at": []}]), "entry 1: \"created_at\" is array, not an object")
baseline_error(doc(entries=[{"created_at": {"line": "x"}}]), "\"line\" of created_at is \"x\", not a line number")
baseline_error(doc(baseline=2), "baseline version 2 is not supported")
baseline_error(doc(tool="other"), "not a threadleak baseline")
baseline_error(doc(entries={}), "no \"entries\" array")
full = doc()
baseline_error(full[:40], f"ends in the middle of the document, at byte 40 (truncated?)")
baseline_error(None, "not a regular file", path="/dev/zero")
baseline_error(None, "not a regular file", path=fifo)
with open(B, "w") as f:
    f.truncate(17 << 20)
baseline_error(None, "larger than the limit of 16 MiB")
# a valid baseline with a byte-order mark is accepted
with open(B, "wb") as f:
    f.write(b"\xef\xbb\xbf" + full)
r = tl("run", "--baseline", B, "--", leaky, "a", cwd=work)
check(r.rc == 23 and "baseline entry no longer occurs" in err(r), f"baseline with a byte-order mark: {r.rc}", err(r))

# --- two outputs naming one file: refused, one line, nothing run
X = os.path.join(work, "x.out")
for args in (["--json", X, "--sarif", X], ["--sarif", X, "--junit", os.path.join(".", "..", os.path.basename(work), "x.out")],
             ["--json", X, "--baseline", X]):
    r = tl("run", *args, "--", leaky, "a", cwd=work)
    lines = threadleak_lines(err(r))
    check(r.rc == 2 and len(lines) == 1 and "name the same file" in lines[0], f"{args}: status {r.rc}", err(r))
    check(r.stdout == b"" and not os.path.exists(X), f"{args}: nothing ran, nothing written", r.stdout)
r = tl("run", "--json", "/dev/null", "--sarif", "/dev/null", "--", leaky, "a", cwd=work)
check(r.rc == 23, f"/dev/null twice is fine: status {r.rc}", err(r))
r = tl("report", "--json", X, "--junit", X, good, cwd=work)
check(r.rc == 2 and "--json and --junit name the same file" in err(r), f"report: status {r.rc}", err(r))
# an output that is one of the reports read, or (other than --json) any threadleak JSON report:
# a forgotten file name ("report --html g/tl.*" turned the first report into HTML, status 0)
g2 = os.path.join(work, "good2.json")
shutil.copy(good, g2)
with open(good, "rb") as f:
    before = f.read()
for args in (["--html", good, g2], ["--sarif", good, g2], ["--junit", good, g2], ["--json", g2, good, g2]):
    r = tl("report", *args, cwd=work)
    lines = threadleak_lines(err(r))
    check(r.rc == 2 and len(lines) == 1 and "would be overwritten" in lines[0], f"report {args}: status {r.rc}", err(r))
    for path in (good, g2):
        with open(path, "rb") as f:
            check(f.read() == before, f"report {args}: {path} changed")

# the same cause elsewhere: a FIFO as a suppressions file (run refuses it; the library, given
# it directly, skips it with a warning instead of waiting for a writer) or as the command
r = tl("run", "--suppressions", fifo, "--", leaky, "a", timeout=20)
check(r.rc == 2 and "not a regular file" in err(r), f"run --suppressions FIFO: status {r.rc}", err(r))
rr = run([leaky, "a"], options=f"suppressions={fifo}", timeout=20)
check(rr.rc == 23 and b"not a regular file" in rr.stderr, f"suppressions=FIFO: status {rr.rc}", rr.stderr)
os.chmod(fifo, 0o755)
r = tl("run", "--", fifo, timeout=20)
check(r.rc == 126, f"run FIFO: status {r.rc}", err(r))
ok()
