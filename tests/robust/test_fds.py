"""A program that closes or redirects its descriptors before exiting: the report
still reaches the original stderr (threadleak's private close-on-exec copy) or log_path, and
never lands in a file of the program's. The numbers open() returns do not move, and the program
has as many descriptors as without threadleak: libunwind's pipe has none, and the copy of stderr
is taken only when the program closes or replaces fd 2."""
import os
import resource
import tempfile

from robust import *  # noqa: F403

leaky = exe("leaky")
# where threadleak's own numbers begin (preload/log.c tl_high_fd): FD_SETSIZE, or 16 below a
# lower limit
soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
HIGH = 1024 if soft == resource.RLIM_INFINITY or soft - 16 > 1024 else soft - 16

def run_err_file(args, **kw):
    """run(), with the program's stderr a regular file: its contents replace r.stderr."""
    with tempfile.NamedTemporaryFile(prefix="tlfds.") as f:
        r = run(["sh", "-c", 'exec "$0" "$@" 2>"$TL_ERR"', *args], env={"TL_ERR": f.name}, **kw)
        r.stderr = open(f.name, "rb").read()
        return r


# fd 2 closed: the text report still reaches the stderr the process started with
r = run_err_file([leaky, "-s", "2", "-c", "close2"], json_format=False)
check(r.rc == 23, f"close2: exit status {r.rc}, expected 23", r.stderr)
check(b"found 2 leaked threads" in r.stderr, "close2: no report on the original stderr", r.stderr)
check(r.stdout == b"ready\n", "close2: stdout", r.stdout)

# the same in JSON on stderr (no log_path)
r = run_err_file([leaky, "-s", "2", "-r", "1", "-c", "close2"], json_format=False, options="format=json")
check(r.rc == 23, f"close2 json: exit status {r.rc}", r.stderr)
docs = json_docs(r.stderr)
check(len(docs) == 1 and docs[0]["leaked"] == 3, "close2 json: one report with 3 leaks", r.stderr)
check_report_shape(docs[0])

# fd 2 now /dev/null: the report still goes to the original stderr
r = run_err_file([leaky, "-s", "1", "-c", "dup2null"], json_format=False)
check(r.rc == 23 and b"found 1 leaked thread" in r.stderr, "dup2null: report on the original stderr", r.stderr)

# fd 2 closed or moved before the program's first thread, stderr a file: what stderr was is
# read then (by the wrappers of close, dup2, freopen, fclose), not at start, and the report
# still reaches the file (by its path: no copy was taken yet)
for mode in ("close2", "dup2null", "freopen", "fclose", "closeall"):
    for fmt in ("text", "json"):
        r = run_err_file([leaky, "-s", "2", "-C", mode], json_format=False, options=f"format={fmt}")
        got = (b"found 2 leaked threads" in r.stderr if fmt == "text" else
               [d["leaked"] for d in json_docs(r.stderr)] == [2])
        check(r.rc == 23 and got, f"{mode} before the first thread, stderr a file, {fmt}: the "
              f"report reaches the file (status {r.rc})", r.stderr)

# stderr closed at start (2>&-): the program's first file gets fd 2 before its first thread. A
# read-only one is the program's, not a stderr: the report never goes into it (the status still
# says a thread leaked); with log_path, the report is in the log as ever. (One opened for writing
# cannot be told from a stderr: README, Limits.)
with tempfile.TemporaryDirectory(prefix="tlfds.") as d:
    for kind in ("readonly",):
        data = os.path.join(d, kind)
        with open(data, "wb") as f:
            f.write(b"data\n")
        for fmt in ("text", "json"):
            r = run(["sh", "-c", 'exec "$0" "$@" 2>&-', leaky, "-s", "1", "-C", f"{kind}:{data}"],
                    json_format=False, options=f"format={fmt}")
            check(r.rc == 23 and open(data, "rb").read() == b"data\n",
                  f"2>&-, then {kind} file on fd 2, {fmt}: the file is left alone (status {r.rc})",
                  open(data, "rb").read())
        r = run(["sh", "-c", 'exec "$0" "$@" 2>&-', leaky, "-s", "1", "-C", f"{kind}:{data}"])
        check(r.rc == 23 and r.report is not None and r.report["leaked"] == 1 and
              open(data, "rb").read() == b"data\n", f"2>&-, {kind} file on fd 2, log_path: the report "
              f"in the log (status {r.rc})", r.stderr)

# a child forked by an exit handler of a process without threads moves fd 2 to /dev/null, then
# leaks a thread: its report reaches the stderr it was given (the parent's exit had begun, and
# the child inherited that: it stopped our dup2 from reading what fd 2 was, and the report went
# to /dev/null)
exitfork = exe("exitfork")
for fmt in ("text", "json"):
    r = run_err_file([exitfork], json_format=False, options=f"format={fmt}")
    got = (b"found 1 leaked thread" in r.stderr if fmt == "text" else
           [d["leaked"] for d in json_docs(r.stderr)] == [1])
    check(r.rc == 0 and got, f"exitfork, {fmt}: the child's report reaches the file (status {r.rc})",
          r.stderr)

# stderr a pipe: threadleak never holds it open (its reader waits for the last writer), so
# the reader sees its end when the program closes it, and the report is lost; but the
# program is not killed by SIGPIPE for it, and keeps its status
for mode in ("close2", "dup2null"):
    r = run([leaky, "-s", "1", "-c", mode], json_format=False)
    check(r.rc == 23 and r.stdout == b"ready\n", f"{mode}, a pipe: exit status {r.rc}", r.stderr)

# stderr the same pipe as stdout (`cmd 2>&1 | cat`), fd 2 then moved to /dev/null: the pipe still
# has its reader, and the report reaches it through threadleak's reference to the pipe (taken
# before the program's first thread, not at start)
for mode in ("close2", "dup2null"):
    r = run(["sh", "-c", 'exec "$0" "$@" 2>&1', leaky, "-s", "1", "-c", mode], json_format=False)
    check(r.rc == 23 and b"found 1 leaked thread" in r.stdout,
          f"{mode}, stderr the pipe of stdout: the report reaches the pipe (status {r.rc})", r.stdout)

# every descriptor closed (threadleak's own copy too): log_path still gets the report
r = run([leaky, "-s", "2", "-r", "1", "-c", "closeall"])
check(r.rc == 23, f"closeall + log_path: exit status {r.rc}", r.stderr)
check(r.report is not None and r.report["leaked"] == 3, "closeall + log_path: report with 3 leaks", r.stderr)
check_report_shape(r.report)

# every descriptor closed, report to stderr: nowhere to write, but no crash and the status
# still says so
r = run([leaky, "-s", "2", "-c", "closeall"], json_format=False)
check(r.rc == 23, f"closeall, stderr: exit status {r.rc}, expected 23 (no crash)", r.stderr)

# every descriptor closed, stderr a file: threadleak's copy is closed too, and the report opens
# the file again by the path it had before the first thread (checking it is the same file)
for fmt in ("text", "json"):
    r = run_err_file([leaky, "-s", "2", "-c", "closeall"], json_format=False, options=f"format={fmt}")
    got = (b"found 2 leaked threads" in r.stderr if fmt == "text" else
           [d["leaked"] for d in json_docs(r.stderr)] == [2])
    check(r.rc == 23 and got, f"closeall, stderr a file, {fmt}: the report reaches the file "
          f"(status {r.rc})", r.stderr)

# every descriptor closed, then the table filled again with the program's own data file (a
# daemon that closed everything, then opened many files or sockets): threadleak's old
# descriptor number now belongs to the program, and the report must not be written into it.
# A low descriptor limit keeps it quick (prlimit execs the program with it).
if have("prlimit"):
    with tempfile.TemporaryDirectory(prefix="tlfds.") as d:
        data = os.path.join(d, "data")
        r = run(["prlimit", "--nofile=256:256", leaky, "-s", "2", "-c", "closeall_reopen:" + data],
                json_format=False)
        check(r.rc == 23, f"closeall_reopen: exit status {r.rc}", r.stderr)
        with open(data, "rb") as f:
            content = f.read()
        check(b"threadleak" not in content and b"leaked" not in content,
              "closeall_reopen: the report was written into the program's own file (threadleak "
              "kept writing to its saved descriptor number after the program closed it and "
              "reused the number)", content[:1500])
else:
    print("SKIP closeall_reopen: prlimit not installed")

# the next descriptor is the same before any thread, after one and after a check (it was 5,
# not 3, once libunwind had opened its pipe), and the program can open as many files as without
# threadleak (three fewer once it had started a thread: libunwind's pipe, the copy of stderr),
# with stderr a pipe or a file
# (under a seccomp filter libunwind's pipe is a real one, two descriptors: the count is not
# compared there)
fdnext = exe("fdnext")
with open("/proc/self/status") as f:
    filtered = any(line.split() == ["Seccomp:", "2"] for line in f)
if filtered:
    print("note: a seccomp filter: the count of descriptors is not compared")


def same_fds(a, b):
    return a == b if not filtered else a.split()[:3] == b.split()[:3]


bare = run([fdnext], preload=False)
r = run([fdnext])
check(bare.rc == 0 and r.rc == 0 and same_fds(r.stdout, bare.stdout),
      f"fdnext: {r.stdout!r} (status {r.rc}) against bare {bare.stdout!r}", r.stderr)
bare, r = run_err_file([fdnext], preload=False), run_err_file([fdnext])
check(bare.rc == 0 and r.rc == 0 and same_fds(r.stdout, bare.stdout),
      f"fdnext, stderr a file: {r.stdout!r} (status {r.rc}) against bare {bare.stdout!r}", r.stderr)
# the same under a small descriptor limit (at 64 and less ours went from 3, and the program's
# first open() returned 4)
for limit in (8, 16, 64):
    sh = ["sh", "-c", f"ulimit -n {limit} && exec {fdnext}"]
    bare, r = run(sh, preload=False), run(sh)
    check(bare.rc == 0 and r.rc == 0 and same_fds(r.stdout, bare.stdout) and
          r.stdout.startswith(b"3 3 3 "),
          f"fdnext at ulimit -n {limit}: {r.stdout!r} (status {r.rc}) against bare {bare.stdout!r}", r.stderr)
# a check during the run that reports a leaked thread reads the modules' files to name the
# frames: it keeps none of them open (libdw kept each descriptor, at the lowest free numbers,
# for as long as the process reused the symbolizer: four in this program, the next open()
# returned 8), except a module's separate debug file (libdw reads it only through its
# descriptor), at a high number; the report as JSON in log_path, or as text on stderr


def fd_listing(out):
    lines = out.decode().splitlines()
    fds = {}
    for line in lines[1:]:
        _, fd, path = line.split(None, 2)
        fds[int(fd)] = path
    return lines[0].split(), fds


for json_format in (True, False):
    bare = run([fdnext, "report"], preload=False)
    r = run([fdnext, "report"], json_format=json_format)
    (bn, bfds), (on, ofds) = fd_listing(bare.stdout), fd_listing(r.stdout)
    ours = {fd: path for fd, path in ofds.items() if fd not in bfds}
    what = f"fdnext report ({'JSON' if json_format else 'text'})"
    check(bare.rc == 0 and r.rc == 0 and on[:3] == bn[:3] == ["3", "3", "3"],
          f"{what}: {r.stdout!r} (status {r.rc}) against bare {bare.stdout!r}", r.stderr)
    check(b"leaked" in r.stderr if not json_format else
          len(r.reports) == 1 and len(r.reports[0]["leaks"]) == 1,
          f"{what}: the check reports the thread", r.stderr)
    check(all(fd >= HIGH and path.endswith(".debug") for fd, path in ours.items()),
          f"{what}: descriptors left open by the check: {ours}", r.stderr)
    check(filtered or int(on[3]) == int(bn[3]) - len(ours),
          f"{what}: {on[3]} files opened, bare {bn[3]}, with {len(ours)} of ours open", r.stderr)

# The exit check runs before the program's exit handlers: they saw a copy of stderr (at 1024)
# in a clean program, and the log file at the lowest free number (their open() returned 4, not
# 3). A clean program's handlers now see the descriptors they would bare, with the report as
# text, as JSON in a log file, and under `threadleak run`; a leaky one's handlers get the
# numbers they would bare, and see only ours, at high numbers.
THREADLEAK = os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")
bare = run([fdnext, "atexit"], preload=False)
check(bare.rc == 0 and bare.stdout == b"main 3\natexit 3\n", f"fdnext atexit bare: {bare.stdout!r}",
      bare.stderr)
for what, r in (("text", run([fdnext, "atexit"], json_format=False)),
                ("JSON in log_path", run([fdnext, "atexit"])),
                ("threadleak run", run([THREADLEAK, "run", "--", fdnext, "atexit"], preload=False))):
    check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == b"",
          f"fdnext atexit, {what}: status {r.rc}, {r.stdout!r} against bare {bare.stdout!r}", r.stderr)
bare = run([fdnext, "atexit-leak"], preload=False)
for json_format in (False, True):
    r = run([fdnext, "atexit-leak"], json_format=json_format)
    lines = r.stdout.decode().splitlines()
    ours = [l for l in lines if l.startswith("fd ")]
    check(r.rc == 23 and lines[:2] == ["main 3", "atexit 3"] and
          all(int(l.split()[1]) >= HIGH for l in ours),
          f"fdnext atexit-leak ({'JSON' if json_format else 'text'}): status {r.rc}, {r.stdout!r}",
          r.stderr)

# a check made while every descriptor is taken cannot load libdw: the checks after it, once
# descriptors are free again, name the frames (libdw was given up for the rest of the run)
for limit in (16, 64):
    r = run(["sh", "-c", f'ulimit -n {limit} && exec "$0" full', fdnext])
    docs = r.checks[0] if r.checks else []
    last = docs[-1]["leaks"] if docs else []
    check(r.rc == 23 and r.stdout == b"done\n" and len(docs) >= 1 and len(last) == 1 and
          "wait_forever" in functions(last[0]["stack"]),
          f"fdnext full at ulimit -n {limit}: status {r.rc}, {len(docs)} checks, "
          f"last stack {[f.get('function') for f in last[0]['stack']] if last else None}",
          r.stderr)

# a vfork child that moves fd 2 before its parent's first thread (Python's subprocess with
# stderr=DEVNULL) must not take the copy of stderr, nor the pid, for its parent: the parent then
# took itself for a fork child and, with children=0, made no exit check (status 0); and the
# copy, in the child's table, was none for the parent, whose report was lost when it then moved
# its own fd 2 (stderr the pipe stdout also writes to: `cmd 2>&1 | cat`)
vforkerr = exe("vforkerr")
for opts in ("children=0", ""):
    r = run([vforkerr], options=opts, json_format=False)
    check(r.rc == 23 and r.stdout == b"done\n" and b"found 1 leaked thread" in r.stderr,
          f"vforkerr {opts}: status {r.rc}, stdout {r.stdout!r}", r.stderr)
r = run(["sh", "-c", 'exec "$0" move 2>&1', vforkerr], json_format=False)
check(r.rc == 23 and r.stdout.startswith(b"done\n") and b"found 1 leaked thread" in r.stdout,
      f"vforkerr move, 2>&1: status {r.rc}, stdout {r.stdout!r}", r.stderr)

# A program that puts its log on a number threadleak's pipe (libunwind's) had taken, by dup2,
# or after closing every descriptor: libunwind wrote its bytes into the log (1002), closed the
# program's descriptor to open its pipe again (1001: the last line lost, EBADF), or a SIGPIPE
# ended the program (141, no output). The numbers libunwind holds now stand for a pipe of ours
# where it has a real pipe (under a seccomp filter), and no descriptor at all elsewhere.
fdtaken = exe("fdtaken")
for fd in (HIGH, HIGH + 1, HIGH + 2, HIGH + 3):
    for mode in ([], ["closeall"], ["seccomp"], ["closeall", "seccomp"]):
        log = os.path.join(tmpdir(), "log")
        r = run([fdtaken, log, str(fd), *mode])
        with open(log, "rb") as f:
            content = f.read()
        check(r.rc == 23 and r.stdout == f"fd {fd} ok\n".encode() and content == b"started\nfinal log line\n",
              f"fdtaken {fd} {mode}: status {r.rc}, stdout {r.stdout!r}, log {content!r}", r.stderr)
        check(len(r.leaks) == 1 and r.leaks[0]["state"] == "running" and r.leaks[0]["stack"],
              f"fdtaken {fd} {mode}: the spinner, with its stack", r.reports)
# A check during the run kept libc's debug file open at HIGH; the program then closed every
# descriptor, put its log there and loaded a library: the next check ended that symbolizer,
# and libdw closed that descriptor, the program's log (the last line lost, EBADF).
for fd in (HIGH, HIGH + 1):
    log = os.path.join(tmpdir(), "log")
    r = run([fdtaken, log, str(fd), "closeall", "recheck"])
    with open(log, "rb") as f:
        content = f.read()
    check(r.rc == 23 and r.stdout == f"fd {fd} ok\n".encode() and content == b"started\nfinal log line\n",
          f"fdtaken {fd} recheck: status {r.rc}, stdout {r.stdout!r}, log {content!r}", r.stderr)
    check(len(r.reports) == 1 and len(r.checks[0]) == 3,
          f"fdtaken {fd} recheck: three checks", r.reports)
# a descriptor closed under a thread blocked reading it (through stdio: no wrapper): the check's
# signal restarted the read on the closed number (EBADF), and the reader printed "fgets failed"
# (1 run of 1); the check's own /proc/self/task had taken the number, at the lowest free one
closedread = exe("closedread")
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "closedread.c")
read_line = next(i for i, l in enumerate(open(src), 1) if "/* READ */" in l)
for i in range(3):
    r = run([closedread])
    check(r.rc == 23 and r.stdout == b"main: done\n", f"closedread {i}: status {r.rc}, "
          f"stdout {r.stdout!r}", r.stderr)
    check(len(r.leaks) == 1 and r.leaks[0]["state"] == "blocked" and
          r.leaks[0]["blocked_in"] == "read" and
          r.leaks[0]["object"].endswith("(closed since)"), f"closedread {i}: the reader", r.leaks)
    frames = [(f.get("function"), f.get("line")) for f in r.leaks[0]["stack"]]
    check(("reader", read_line) in frames, f"closedread {i}: reader:{read_line} not in {frames}",
          r.leaks)
ok()
