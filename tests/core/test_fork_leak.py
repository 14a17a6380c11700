"""fork: the child leaks one thread, the parent none. Two processes, two reports (log_path
writes PATH.PID for each): the child's lists exactly its worker (not the parent's worker that
existed at fork time), created by child_main in the forking thread; the parent's is empty.
The child's status becomes 23, which the parent prints; the parent itself exits 0. Three
times: fork from main, from a worker thread (thread 3), and from main before the process's
first thread (the fork() wrapper installs the fork handlers then), and with _Fork() before the
first thread (no fork handler runs: the child resets itself before its first thread). A
daemon() before any thread, leaking or not (daemon() is wrapped as fork() is). With
children=0 the child is not checked."""
import os
import re

from coreutil import *  # noqa: F403

prog = exe("fork_leak")
S = "fork_leak.c"
pat = re.compile(rb"^child (\d+) exited (\d+)\n$")
for mode in ("main", "worker", "first", "_Fork"):
    bare, r = bare_and_preloaded([prog, mode])
    check(pat.match(bare.stdout) and pat.match(bare.stdout).group(2) == b"0", f"{mode}: bare output", bare.stdout)
    check(r.rc == 0, f"{mode}: parent exit status {r.rc}, expected 0", r.stderr)
    m = pat.match(r.stdout)
    check(m is not None, f"{mode}: stdout", r.stdout)
    child_pid, child_status = int(m.group(1)), int(m.group(2))
    check(child_status == 23, f"{mode}: child exit status {child_status}, expected 23", r.stderr)
    check(len(r.reports) == 2, f"{mode}: {len(r.reports)} reports, expected one per process", r.reports)
    pids = {rep["pid"]: rep for rep in r.reports}
    check(child_pid in pids and len(pids) == 2, f"{mode}: report pids {sorted(pids)}, child {child_pid}", r.reports)
    child = pids.pop(child_pid)
    parent = next(iter(pids.values()))

    check(parent["leaked"] == 0 and parent["leaks"] == [] and parent["exit_status"] == 0, f"{mode}: parent: 0 leaks", parent)
    check(child["exit_status"] == 0 and child["leaked"] == 1 and len(child["leaks"]) == 1, f"{mode}: child: 1 leak", child)
    l = child["leaks"][0]
    check(l["start_routine"] == "child_worker", f"{mode}: child's leak is its own worker", l)
    check(l["state"] == "blocked" and l["blocked_in"] == "read", f"{mode}: blocked in read", l)
    check((l["object"] or "").startswith("fd ") and "(pipe:[" in l["object"], f"{mode}: object {l['object']!r}", l)
    check(l["detached"] is False, f"{mode}: joinable", l)
    check_frame(top(l), "child_worker", S, line(S, "CHILD_BLOCKS"), f"{mode}: top frame", l)
    if mode == "first":
        check_created_by(l, 1, ["child_main", "main"], S,
                         [line(S, "CHILD_CREATES"), line(S, "CHILD_MAIN_FIRST")])
    elif mode == "_Fork":
        check_created_by(l, 1, ["child_main", "main"], S,
                         [line(S, "CHILD_CREATES"), line(S, "CHILD_MAIN_FORK")])
    elif mode == "main":
        check_created_by(l, 1, ["child_main", "fork_and_wait", "main"], S,
                         [line(S, "CHILD_CREATES"), line(S, "CHILD_MAIN_CALL"), line(S, "FORK_FROM_MAIN")])
    else:
        check_created_by(l, 3, ["child_main", "fork_and_wait", "forker"], S,
                         [line(S, "CHILD_CREATES"), line(S, "CHILD_MAIN_CALL"), line(S, "FORKER_CALL")])
    no_own_frames(l)

# daemon(): libc forks inside, past our fork() wrapper, in a process that never started a thread
# (so no fork handler of ours existed before the call): the daemon is checked as its own
# process, with its own pid and its own leak; and a daemon that starts no thread still writes
# its (clean) JSON record, as every process does under log_path.
r = run([prog, "daemon-none"])
m = re.match(rb"^daemon (\d+) done\n$", r.stdout)
check(r.rc == 0 and m is not None, "daemon-none: status and stdout", r.rc, r.stdout, r.stderr)
pids = {rep["pid"]: rep for rep in r.reports}
check(int(m.group(1)) in pids and pids[int(m.group(1))]["leaked"] == 0,
      f"daemon-none: no clean record of the daemon {int(m.group(1))}: {sorted(pids)}", r.reports)
r = run([prog, "daemon"])
m = re.match(rb"^daemon (\d+) done\n$", r.stdout)
check(r.rc == 0 and m is not None, "daemon: status and stdout", r.rc, r.stdout, r.stderr)
daemon_pid = int(m.group(1))
pids = {rep["pid"]: rep for rep in r.reports}
check(daemon_pid in pids, f"daemon: no report of the daemon {daemon_pid}: {sorted(pids)}", r.reports)
d = pids[daemon_pid]
check(d["leaked"] == 1 and len(d["leaks"]) == 1 and d["exit_status"] == 0, "daemon: 1 leak", d)
l = d["leaks"][0]
check(l["start_routine"] == "child_worker" and l["state"] == "blocked" and l["blocked_in"] == "read",
      "daemon: its worker, blocked in read", l)
check_created_by(l, 1, ["child_main", "main"], S, [line(S, "CHILD_CREATES"), line(S, "CHILD_MAIN_DAEMON")])
check(all(rep["leaked"] == 0 for p, rep in pids.items() if p != daemon_pid), "daemon: others clean",
      r.reports)

# children=0: only the first process is checked, forked children too: the child keeps its status
# and writes no report. Not under valgrind (TL_WRAPPER): there children=0 makes even the first
# process write no report, a fault older than this check (seen with the previous version too)
for mode in () if os.environ.get("TL_WRAPPER") else ("main", "worker"):
    r = run([prog, mode], options="children=0")
    m = pat.match(r.stdout)
    check(m is not None and int(m.group(2)) == 0, f"children=0, {mode}: child status", r.stdout,
          r.stderr)
    check(r.rc == 0 and len(r.reports) == 1 and r.reports[0]["pid"] != int(m.group(1)) and
          r.reports[0]["leaked"] == 0, f"children=0, {mode}: only the parent's report", r.reports)

# children=0 takes only our entry out of LD_PRELOAD: the others stay, with the separators they
# had (a list written with spaces keeps its spaces)
if not os.environ.get("TL_WRAPPER"):
    for sep in (" ", ":"):
        preload = sep.join(["libm.so.6", LIB, "libdl.so.2"])
        r = run(["sh", "-c", 'printf "[%s]" "$LD_PRELOAD"'], options="children=0",
                env={"LD_PRELOAD": preload})
        check(r.rc == 0 and r.stdout.decode() == f"[libm.so.6{sep}libdl.so.2]",
              f"children=0, LD_PRELOAD={preload!r}: status {r.rc}, the rest as it was", r.stdout, r.stderr)
ok()
