"""Bad suppression files: huge (MBs, and over the 16 MiB limit), truncated, CRLF,
control characters, NUL bytes, invalid UTF-8, repeated rules, patterns longer than any buffer,
and a threadleak_default_suppressions() hook returning megabytes. Expected: warnings with file
and line, the valid rules still apply, the JSON report stays valid, no crash. A malformed or
missing file is said in a clean run too (the files are read at start)."""
import os
import shutil
import tempfile
import time

from robust import *  # noqa: F403

leaky = exe("leaky")
hooks = exe("hooks")
tmp = tempfile.mkdtemp(prefix="tlsupp.")


def supp_file(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def run_supp(data, prog=None, name="s.supp", env=None):
    p = supp_file(name, data)
    return run(prog or [leaky, "-s", "1"], options=f"suppressions={p}", timeout=180, env=env)


def suppressed(r, what, n=1):
    check(r.rc == 0, f"{what}: exit status {r.rc}, expected 0 (the leak is suppressed)", r.stderr)
    check(r.report and r.report["leaked"] == 0 and r.report["suppressed"] == n, f"{what}: suppressed", r.report)
    check(not control_bytes(r.stderr), f"{what}: raw control bytes on stderr", r.stderr)


def reported(r, what):
    check(r.rc == 23, f"{what}: exit status {r.rc}, expected 23 (not suppressed)", r.stderr)
    check(r.report and r.report["leaked"] == 1, f"{what}: reported", r.report)
    check(not control_bytes(r.stderr), f"{what}: raw control bytes on stderr", r.stderr)


try:
    # the baseline rule, with and without a final newline, CRLF, blanks and comments around it
    # and a UTF-8 byte order mark before the first rule (Windows editors write one)
    for data in (b"start:sem_blocker\n", b"start:sem_blocker", b"# c\r\n\r\n  start:sem_blocker \r\n",
                 b"\t start:sem_blocker\t", b"\xef\xbb\xbfstart:sem_blocker\r\n"):
        r = run_supp(data)
        suppressed(r, repr(data))
        check(warnings(r) == [], f"{data!r}: warnings {warnings(r)}", r.stderr)
    # truncated lines: warnings with file:line, the valid rule still applies
    r = run_supp(b"sta\nstart:\nstart:sem_blocker\nany")
    suppressed(r, "truncated lines")
    ws = warnings(r)
    check(sum(":1:" in w or ":2:" in w or ":4:" in w for w in ws) == 3, "truncated lines: 3 warnings with line numbers", r.stderr)
    # control characters: the rule is refused and the warning shows '?'
    r = run_supp(b"name:\x1b[31mleaky\nstart:\x01sem_blocker\nstart:sem_blocker\n")
    suppressed(r, "control characters")
    check(sum("control characters" in w for w in warnings(r)) == 2, "control characters: two warnings", r.stderr)
    r = run_supp(b"start:\x1b]0;title\x07\n")
    reported(r, "escape sequence only")
    # NUL bytes: read up to the first one, with a warning
    r = run_supp(b"start:sem_blocker\n\x00start:nothing\n")
    suppressed(r, "NUL after the rule")
    check(any("NUL" in w for w in warnings(r)), "NUL: a warning", r.stderr)
    r = run_supp(b"\x00start:sem_blocker\n")
    reported(r, "NUL before the rule")
    # invalid UTF-8: in a pattern that matches (the thread's name has the same bytes), the
    # rule text lands in suppressions_used and the JSON report must stay valid (run() parses
    # each report strictly: invalid UTF-8 or raw control characters fail)
    r = run_supp(b"name:\xff\xfeab\n", prog=[leaky, "-s", "1", "-n", r"\xff\xfeab"])
    suppressed(r, "invalid UTF-8 rule")
    used = r.report["suppressions_used"]
    check(len(used) == 1 and used[0]["count"] == 1 and used[0]["rule"] == "name:\ufffd\ufffdab",
          "invalid UTF-8 rule: reported in suppressions_used with U+FFFD for the bad bytes", used)
    r = run_supp(b"\xc3(:x\nstart:\xed\xa0\x80\n\xf8\x88\x80\x80\x80:y\n\xff\xfe\n")
    reported(r, "invalid UTF-8 rule types and patterns")
    # the warnings show the bad bytes as '?' and stay valid UTF-8 (they were echoed raw)
    try:
        r.stderr.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, f"invalid UTF-8 rules: the warnings are not valid UTF-8 ({e})", r.stderr)
    check(any("'??' is not type:pattern" in w for w in warnings(r)),
          "invalid UTF-8 rules: a line of two bad bytes is shown as '??'", r.stderr)
    # repeated rules: the first one takes the count
    r = run_supp(b"start:sem_blocker\n" * 1000)
    suppressed(r, "1000 identical rules")
    check(len(r.report["suppressions_used"]) == 1, "1000 identical rules: listed once in suppressions_used", r.report)

    # huge: 10 MiB of rules that match nothing, then one that matches
    n = 10 * 1024 * 1024 // 20
    body = b"".join(b"name:nomatch_%08d\n" % i for i in range(n)) + b"start:sem_blocker\n"
    t0 = time.monotonic()
    r = run_supp(body, name="huge.supp")
    dt = time.monotonic() - t0
    suppressed(r, f"{len(body) >> 20} MiB of name: rules")
    print(f"{len(body) >> 20} MiB suppression file ({n} rules): {dt:.1f}s, check_ms {r.report['check_ms']}")
    check(dt < 60, f"{n} rules took {dt:.1f}s")
    # 100,000 any: rules (each one looks at every frame)
    n = 100000
    body = b"".join(b"any:nomatch_function_%06d\n" % i for i in range(n)) + b"any:sem_blocker\n"
    t0 = time.monotonic()
    r = run_supp(body, name="any.supp", prog=[leaky, "-s", "4"])
    dt = time.monotonic() - t0
    suppressed(r, f"{n} any: rules", n=4)
    print(f"{n} any: rules, 4 threads: {dt:.1f}s, check_ms {r.report['check_ms']}")
    check(dt < 60, f"{n} any: rules took {dt:.1f}s")
    # over the limit: ignored with a warning
    p = supp_file("over.supp", b"start:sem_blocker\n" + b"#" * (16 * 1024 * 1024 + 10) + b"\n")
    r = run([leaky, "-s", "1"], options=f"suppressions={p}", timeout=120)
    reported(r, "17 MiB file")
    check(any("16 MiB" in w for w in warnings(r)), "17 MiB file: a warning names the limit", r.stderr)
    # not a file, missing, a directory
    for p in ("/nonexistent/x.supp", tmp, "/dev/zero"):
        r = run([leaky, "-s", "1"], options=f"suppressions={p}", timeout=60)
        reported(r, p)
        check(len(warnings(r)) == 1 and p in warnings(r)[0], f"{p}: one warning naming it", r.stderr)

    # a clean program, one that starts no thread at all: a malformed line or a missing file is
    # still said (it was said only when something leaked, so a typo passed CI unnoticed), and
    # nothing else changes: status 0, no leak
    bad = supp_file("typo.supp", b"# rules\nstart:blocked\nstrat:oops\n")
    for prog in (["/bin/true"], [leaky, "-s", "0"]):
        for opt, what in ((f"suppressions={bad}", "typo.supp:3"),
                          (f"suppressions={tmp}/none.supp", "none.supp"),
                          # a set name mistyped: said in a clean run too (it was not)
                          ("disable_default_sets=libc,glibb", "no default suppression set "
                           "named 'glibb'")):
            r = run(prog, options=opt, timeout=60)
            w = warnings(r)
            check(r.rc == 0 and all(d["leaked"] == 0 for d in r.reports) and len(w) == 1
                  and what in w[0],
                  f"{prog[0]} with {opt}: status {r.rc}, warnings {w} (expected one naming {what})",
                  r.stderr)

    # the program's hook returns 4 MiB: rules that match nothing, then one that matches
    n = 4 * 1024 * 1024 // 20
    hook = supp_file("hook.supp", b"".join(b"name:nomatch_%08d\n" % i for i in range(n)) + b"start:blocked\n")
    r = run([hooks, "2"], timeout=180, env={"HOOK_SUPP_FILE": hook})
    suppressed(r, "4 MiB from threadleak_default_suppressions()", n=2)
    junk = supp_file("junk.supp", bytes(range(1, 256)) * (1024 * 1024 // 255))
    r = run([hooks, "1"], timeout=180, env={"HOOK_SUPP_FILE": junk})
    reported(r, "1 MiB of binary junk from threadleak_default_suppressions()")
    print(f"1 MiB of junk rules: {len(warnings(r))} warning lines, {len(r.stderr)} bytes on stderr")

    # a pattern piece longer than 255 bytes: tl_pattern_match copies each piece into a
    # 256-byte buffer and silently cuts it, so a rule can match what it does not say.
    # The creating module's path is long here; the rule is that path plus "-NOT".
    deep = os.path.join(tmp, "m" * 200, "n" * 100)
    os.makedirs(deep)
    prog = os.path.join(deep, "leaky")
    shutil.copy(leaky, prog)
    r = run_supp(b"module:" + os.fsencode(prog) + b"-NOT\n", prog=[prog, "-s", "1"])
    expect(r.rc == 23 and r.report["leaked"] == 1,
           f"module:{prog[:40]}...-NOT suppressed a thread created in {prog[:40]}... (suppress.c "
           "tl_pattern_match: pieces are cut to 255 bytes; compare in place with strncmp/memmem "
           "instead of copying)", r.report and r.report["suppressions_used"])
    r = run_supp(b"module:" + os.fsencode(prog) + b"\n", prog=[prog, "-s", "1"])
    suppressed(r, "a long module path that matches")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
finish()
