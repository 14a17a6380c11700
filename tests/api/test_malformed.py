"""A malformed suppression file: an unknown rule type, a missing colon, an empty pattern,
control characters, an empty condition between two &&; a file over the size limit; a missing
file. Rules that parse but can never match get a warning too and are kept: a name: literal
longer than the kernel's 15 bytes, conditions joined by && without blanks. Each problem gets exactly one
warning line naming the file (and the line, for a line; past 20 lines in one file, one line
counts the rest), the valid rules in the same file still apply, and the check still runs (the
worker is reported, exit status 23)."""
import shutil

from apiutil import *  # noqa: F403

prog = exe("api_rules")
work = workdir()

try:
    bad = supp_file(work, "bad.supp",
                    b"# rules for api_rules\n"      # 1
                    b"frame:logger_wait\n"          # 2 unknown type
                    b"logger\n"                     # 3 no colon
                    b"name:\n"                      # 4 empty pattern
                    b"name:\x1b[31mlogger\x07\n"    # 5 control characters
                    b"\n"                           # 6
                    b"  name:logger  \r\n"          # 7 valid
                    b"start:   \n"                   # 8 empty pattern
                    b"top:a && && top:b\n"          # 9 empty condition
                    b"name:connection-handler\n"    # 10 never matches (kept)
                    b"top:a&&top:b\n")              # 11 one pattern (kept)
    r = run([prog], options=f"suppressions={bad}")
    logger_suppressed(r, "name:logger", "malformed file")
    ws = warnings(r.stderr)
    expect = [(2, "unknown rule type", True), (3, "is not type:pattern", True),
              (4, "empty pattern", True), (5, "control characters", True),
              (8, "empty pattern", True), (9, "empty condition between two &&", True),
              (10, "at most 15 bytes", False), (11, "without blanks", False)]
    check(len(ws) == len(expect), f"{len(ws)} warning lines, expected {len(expect)}", r.stderr)
    for w, (line, why, ignored) in zip(ws, expect):
        check(w.startswith(f"threadleak: {bad}:{line}: ") and why in w and ("ignored" in w) == ignored,
              f"warning {w!r}: expected {bad}:{line}: ... {why}", r.stderr)
    check(b"\x1b" not in r.stderr and b"\x07" not in r.stderr, "raw control bytes on stderr", r.stderr)

    # the text report too: warnings first, then the report with the valid rule used
    t = run([prog], options=f"suppressions={bad}", json_format=False)
    err = t.stderr.decode(errors="replace")
    check(t.rc == 23 and "found 1 leaked thread" in err and "      1 name:logger\n" in err,
          "text report with the valid rule", err)
    check(err.index(f"{bad}:2:") < err.index("found 1 leaked thread"), "warnings before the report", err)

    # over the size limit (16 MiB): one warning naming the file; another file's rules still apply
    huge = supp_file(work, "huge.supp", b"start:worker_loop\n" + b"# padding\n" * (17 * 1024 * 1024 // 10))
    good = supp_file(work, "good.supp", "name:logger\n")
    r = run([prog], options=f"suppressions={huge}:suppressions={good}")
    logger_suppressed(r, "name:logger", "huge file and a good one")
    ws = warnings(r.stderr)
    check(len(ws) == 1 and huge in ws[0] and "16 MiB" in ws[0], "one warning for the huge file", r.stderr)

    # a big file within the limit (8 MiB of rules that match nothing): read, and it works
    big = supp_file(work, "big.supp", b"".join(b"name:nomatch%07d\n" % i for i in range(8 * 1024 * 1024 // 20))
                    + b"name:logger\n")
    r = run([prog], options=f"suppressions={big}", timeout=180)
    logger_suppressed(r, "name:logger", "8 MiB file")
    check(warnings(r.stderr) == [], "8 MiB file: no warning", r.stderr)

    # a missing file: one warning naming it, the other file still applies
    missing = f"{work}/does-not-exist.supp"
    r = run([prog], options=f"suppressions={missing}:suppressions={good}")
    logger_suppressed(r, "name:logger", "missing file and a good one")
    ws = warnings(r.stderr)
    check(len(ws) == 1 and missing in ws[0] and "No such file" in ws[0], "one warning for the missing file",
          r.stderr)
    # only a missing file: the check still runs and reports both
    r = run([prog], options=f"suppressions={missing}")
    check(r.rc == 23 and r.report["leaked"] == 2, "missing file alone: both reported", r.report)
    check(len(warnings(r.stderr)) == 1, "missing file alone: one warning", r.stderr)

    # a file in another format (valgrind's, 60 malformed lines): 20 warning lines and a count;
    # the one valid rule among them applies
    vg = supp_file(work, "valgrind.supp", "{\n   leak\n   Memcheck:Leak\n   fun:malloc\n   fun:calloc\n}\n" * 10
                   + "name:logger\n")
    r = run([prog], options=f"suppressions={vg}")
    logger_suppressed(r, "name:logger", "valgrind-format file")
    ws = warnings(r.stderr)
    check(len(ws) == 21 and ws[-1] == f"threadleak: {vg}: 40 more malformed lines not shown; their rules are ignored",
          f"valgrind-format file: {len(ws)} warning lines, expected 20 and a count", r.stderr)

    # a typo in disable_default_sets is named, not silently ignored
    r = run([prog], options="disable_default_sets=libcc")
    ws = warnings(r.stderr)
    check(len(ws) == 1 and "'libcc'" in ws[0] and "libc" in ws[0], "disable_default_sets typo warned", r.stderr)
    check(r.rc == 23 and r.report["leaked"] == 2, "disable_default_sets typo: the check runs", r.report)
finally:
    shutil.rmtree(work, ignore_errors=True)
ok()
