"""THREADLEAK_OPTIONS end to end, on the seed (15 leaks):
 - each malformed item (bad integer, out of range, unknown key, missing '=', bad format):
   exactly one warning line naming the key, the default kept, the check still runs;
 - several at once: one line each, in order;
 - exitcode=0 keeps the status; exitcode=N sets it; a bad exitcode after a good one keeps the
   good one;
 - log_path writes PATH.PID (the text report, nothing on stderr);
 - help=1 lists every option with its default, and the check still runs."""
import glob
import json
import os
import re
import shutil
import tempfile

from coreutil import *  # noqa: F403

seed = exe("seed")
sleeper = exe("sleeper")


def seed_run(opts, **kw):
    r = run([seed], options=opts, **kw)
    check(r.stdout == b"got 5 answers\n", f"[{opts}] stdout", r.stdout)
    return r


def checked(r, opts, leaked=15):
    rep = r.report
    check(rep is not None and rep["leaked"] == leaked, f"[{opts}] the check did not run or found {rep and rep['leaked']}", r.stderr)
    return rep


# one problem each: (item, words the warning must contain)
cases = [
    ("grace_ms=abc", ["grace_ms", "abc"]),
    ("grace_ms=-1", ["grace_ms", "-1"]),
    ("exitcode=999", ["exitcode", "999"]),
    ("exitcode=12x", ["exitcode", "12x"]),
    ("max_frames=0", ["max_frames", "0"]),
    ("bogus=1", ["bogus"]),
    ("grace_ms", ["grace_ms"]),          # missing '='
    ("check_at_exit=maybe", ["check_at_exit", "maybe"]),
    ("format=xml", ["format", "xml"]),   # after format=json: json kept
    # the sampling signal on dump_signal's number: a free one is used instead
    ("signal=60:dump_signal=60", ["signal=60", "dump_signal"]),
]
for item, words in cases:
    r = seed_run(item)
    w = warnings(r.stderr)
    check(len(w) == 1, f"[{item}] {len(w)} warning lines, expected exactly 1", r.stderr)
    for word in words:
        check(word in w[0], f"[{item}] the warning does not name {word!r}: {w[0]}", r.stderr)
    check("THREADLEAK_OPTIONS" in w[0], f"[{item}] the warning does not name its origin", r.stderr)
    check(r.stderr.decode().count("\n") == 1, f"[{item}] stderr has more than the warning", r.stderr)
    check(r.rc == 23, f"[{item}] exit status {r.rc}: default exitcode not kept", r.stderr)
    rep = checked(r, item)  # a JSON report: format=json kept, the check ran
    if item.startswith("grace_ms"):
        # the seed's threads all wait on condition variables nobody signals: nothing can
        # change, and the check does not wait; sleeping threads keep the grace period
        rs = run([sleeper], options=item)
        check(240 <= rs.report["check_ms"] < 2000, f"[{item}] check_ms {rs.report['check_ms']}: default grace of 250 ms not kept", rs.report["check_ms"])
    if item.startswith("max_frames"):
        check(all(len(l["created_by"]["stack"]) > 1 for l in rep["leaks"]), f"[{item}] max_frames default not kept")

# all at once: one line per problem, in order; the valid item among them applies
opts = "grace_ms=abc:exitcode=999:bogus=1:grace_ms:max_frames=0:exitcode=5"
r = seed_run(opts)
w = warnings(r.stderr)
check(len(w) == 5, f"[{opts}] {len(w)} warning lines, expected 5", r.stderr)
for got, key in zip(w, ["grace_ms", "exitcode", "bogus", "grace_ms", "max_frames"]):
    check(key in got, f"[{opts}] expected a warning naming {key}: {got}", r.stderr)
check(r.rc == 5, f"[{opts}] exit status {r.rc}, expected 5", r.stderr)
checked(r, opts)

# exitcode=0: the status is kept, the report still written; exitcode=N
r = seed_run("exitcode=0")
check(r.rc == 0 and r.stderr == b"", f"exitcode=0: status {r.rc}", r.stderr)
checked(r, "exitcode=0")
r = seed_run("exitcode=42")
check(r.rc == 42, f"exitcode=42: status {r.rc}", r.stderr)
r = seed_run("exitcode=7:exitcode=999")
check(r.rc == 7, f"exitcode=7:exitcode=999: status {r.rc}, expected the valid 7 kept", r.stderr)
check(len(warnings(r.stderr)) == 1, "exitcode=7:exitcode=999: one warning", r.stderr)

# log_path: the text report goes to PATH.PID, nothing to stderr
tmp = tempfile.mkdtemp(prefix="tlopt.")
try:
    r = seed_run(f"log_path={tmp}/tl", json_format=False)
    check(r.rc == 23, f"log_path: status {r.rc}", r.stderr)
    check(r.stderr == b"", "log_path: stderr not empty", r.stderr)
    files = glob.glob(f"{tmp}/*")
    check(len(files) == 1, f"log_path: files {files}")
    m = re.fullmatch(r"tl\.(\d+)", os.path.basename(files[0]))
    check(m is not None, f"log_path: file name {files[0]}, expected tl.PID")
    text = open(files[0]).read()
    check(f"found 15 leaked threads in {seed} (pid {m.group(1)}, exit status 0 becomes 23)" in text,
          "log_path: the report's header does not match the file's PID", text)
    check("chan_send at" in text and "created by submit at" in text, "log_path: report body", text)
    # log_path=stderr is stderr
    r = seed_run("log_path=stderr", json_format=False)
    check("found 15 leaked threads" in r.stderr.decode(), "log_path=stderr", r.stderr)
    # a log that takes no more (a full disk: /dev/full fails every write with ENOSPC): the
    # report goes to stderr after one line that says why (it was lost without a word), in text
    # and in JSON
    if os.path.exists("/dev/full"):
        for fmt in (False, True):
            r = seed_run("log_path=/dev/full" + (":format=json" if fmt else ""),
                         json_format=False)
            err = r.stderr.decode()
            lines = err.splitlines()
            check(r.rc == 23, f"log_path=/dev/full: status {r.rc}", r.stderr)
            check(lines and lines[0] == "threadleak: cannot write the report to /dev/full: No "
                  "space left on device; writing it to stderr",
                  "log_path=/dev/full: the first line", r.stderr)
            if fmt:
                doc = json.loads(err[err.index("\n") + 1:])
                check(doc["leaked"] == 15, "log_path=/dev/full: the JSON report on stderr", r.stderr)
            else:
                check("found 15 leaked threads" in err and "chan_send at" in err,
                      "log_path=/dev/full: the text report on stderr", r.stderr)
finally:
    shutil.rmtree(tmp)

# help=1: every option with its default, then the check as usual
r = seed_run("help=1")
err = r.stderr.decode()
for name, default in [("exitcode", "23"), ("log_path", "''"), ("format", "text"), ("grace_ms", "250"),
                      ("max_frames", "32"), ("children", "1"), ("check_at_exit", "1"),
                      ("suppressions", "''"), ("default_suppressions", "1"),
                      ("disable_default_sets", "''"), ("signal", "0"), ("help", "0")]:
    check(re.search(rf"^threadleak: +{name} +default {re.escape(default)} ", err, re.M),
          f"help=1 does not list {name} with default {default}", err)
check(r.rc == 23, f"help=1: status {r.rc}", err)
checked(r, "help=1")
ok()
