"""log_path files: PATH.PID is never opened through a symlink, never clobbers a file
of another user, never blocks on a FIFO, and a stale file of our own is replaced whole. When
the file cannot be used, a warning names it and the report goes to stderr."""
import os
import pwd
import stat
import tempfile

from robust import *  # noqa: F403

leaky = exe("leaky")
PRECIOUS = b"precious\n"


def run_trap(kind, d):
    return run([leaky, "-s", "1", "-t", f"{kind}:{d}"], json_format=False,
               options=f"format=json:log_path={d}/report", timeout=60)


def report_on_stderr(r, what):
    check(r.rc == 23, f"{what}: exit status {r.rc}", r.stderr)
    docs = json_docs(r.stderr)
    check(len(docs) == 1 and docs[0]["leaked"] == 1, f"{what}: the report falls back to stderr", r.stderr)
    check(any("log_path" in w for w in warnings(r)), f"{what}: a warning names the log_path file", r.stderr)


def report_file(d):
    return [f for f in os.listdir(d) if f.startswith("report.")]


with tempfile.TemporaryDirectory(prefix="tllog.") as d:
    target = os.path.join(d, "target")
    with open(target, "wb") as f:
        f.write(PRECIOUS)

    r = run_trap("symlink", d)
    report_on_stderr(r, "symlink")
    check(any("a symbolic link: refused" in w for w in warnings(r)),
          "symlink: the warning says why (it said only 'Too many levels of symbolic links')", r.stderr)
    check(open(target, "rb").read() == PRECIOUS, "symlink: the link target was written")
    links = report_file(d)
    check(len(links) == 1 and os.path.islink(os.path.join(d, links[0])), "symlink: the link is left alone")
    os.unlink(os.path.join(d, links[0]))

    r = run_trap("dangling", d)
    report_on_stderr(r, "dangling symlink")
    check(not os.path.exists(os.path.join(d, "missing")), "dangling symlink: its target was created")
    os.unlink(os.path.join(d, report_file(d)[0]))

    if os.geteuid() == 0:
        r = run_trap("foreign", d)
        report_on_stderr(r, "file of another user")
        p = os.path.join(d, report_file(d)[0])
        st = os.stat(p)
        check(open(p, "rb").read() == PRECIOUS, "file of another user: clobbered", open(p, "rb").read()[:300])
        check(st.st_uid == pwd.getpwnam("nobody").pw_uid, "file of another user: owner changed")
        os.unlink(p)
    else:
        print("SKIP file of another user: not root (cannot chown)")

    r = run_trap("stale", d)
    check(r.rc == 23, f"stale file of our own: status {r.rc}", r.stderr)
    p = os.path.join(d, report_file(d)[0])
    doc = strict_json(open(p, "rb").read(), "stale file of our own, rewritten")
    check(doc["leaked"] == 1, "stale file of our own: replaced whole by the report", doc)
    os.unlink(p)

    r = run_trap("fifo", d)
    report_on_stderr(r, "FIFO")
    check(r.seconds < 30, f"FIFO: took {r.seconds:.1f}s")
    p = os.path.join(d, report_file(d)[0])
    check(stat.S_ISFIFO(os.stat(p).st_mode), "FIFO: replaced")
    os.unlink(p)

    r = run_trap("dir", d)
    report_on_stderr(r, "directory")
    os.rmdir(os.path.join(d, report_file(d)[0]))

    # a plain log_path: one valid JSON file
    r = run([leaky, "-s", "1"], json_format=False, options=f"format=json:log_path={d}/report")
    check(r.rc == 23 and len(report_file(d)) == 1, "plain log_path: one file", r.stderr)
    p = os.path.join(d, report_file(d)[0])
    doc = strict_json(open(p, "rb").read(), p)
    check(doc["leaked"] == 1, "plain log_path: the report", doc)
    os.unlink(p)

    # a directory that does not exist: warning, report on stderr
    r = run([leaky, "-s", "1"], json_format=False, options=f"format=json:log_path={d}/no/such/dir/report")
    report_on_stderr(r, "missing directory")

    # a log_path longer than PATH_MAX: must not silently drop the ".PID" and create another
    # file (path buffer of 4096 in log.c open_log: snprintf truncates)
    os.mkdir(os.path.join(d, "x"))
    head = f"{d}/" + "x/../" * ((4095 - len(d) - 1 - 3) // 5)
    pad = 4095 - len(head) - 3
    head += "/" * pad if pad > 0 else ""
    longpath = head + "rep" + "ort"  # cut by the 4096-byte buffer right after "rep"
    before = set(os.listdir(d))
    r = run([leaky, "-s", "1"], json_format=False, options=f"format=json:log_path={longpath}")
    check(r.rc == 23, f"long log_path: status {r.rc}", r.stderr)
    created = sorted(set(os.listdir(d)) - before)
    expect(not created or all(c.startswith("report.") for c in created),
           f"long log_path: the path was cut at 4096 bytes and the report went to {created} instead "
           "of PATH.PID (log.c open_log: check snprintf's result, refuse with a warning)", r.stderr)
# a malformed log_dir_id (threadleak run's DEV,INO) is a mistake to name, not a folder to refuse:
# the report still goes to log_path (it was lost: "report not written")
with tempfile.TemporaryDirectory() as d:
    r = run([leaky, "-s", "1"], json_format=False, options=f"format=json:log_path={d}/report:log_dir_id=abc")
    check(r.rc == 23 and report_file(d) and any("invalid log_dir_id 'abc'" in w for w in warnings(r))
          and len(warnings(r)) == 1, f"log_dir_id=abc: status {r.rc}, files {os.listdir(d)}", r.stderr)
# log_path=/dev/null discards the report (it created /dev/null.PID, as root), and a folder
# (log_path=DIR/) gets DIR/threadleak.PID (it was a hidden DIR/.PID)
r = run([leaky, "-s", "1"], json_format=False, options="format=json:log_path=/dev/null")
made = [f for f in os.listdir("/dev") if f.startswith("null.")]
check(r.rc == 23 and not json_docs(r.stderr) and not made, f"log_path=/dev/null: status {r.rc}, made {made}", r.stderr)
with tempfile.TemporaryDirectory() as d:
    r = run([leaky, "-s", "1"], json_format=False, options=f"format=json:log_path={d}/")
    names = os.listdir(d)
    check(r.rc == 23 and len(names) == 1 and names[0].startswith("threadleak."), f"log_path={d}/: files {names}",
          r.stderr)
finish()
