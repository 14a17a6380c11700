"""threadleak dump on a process whose /proc/PID/maps the kernel refuses (EACCES): the one line
says why. A process of ours that is not dumpable (tests/live/nodump.c: prctl(PR_SET_DUMPABLE,
0)) is ours, not another user's (it read "belongs to another user" for both); another user's
process names that user; root without CAP_SYS_PTRACE on a non-dumpable process of its own uid
is told its uid is ours. No signal is sent in any of these: the process goes on."""
import os
import shutil
import signal

from liveutil import CLI, Live, check, exe, ok, run

SIG = signal.SIGRTMAX - 1
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
can_switch = os.geteuid() == 0 and shutil.which("setpriv")


def dump_as(prefix, pid):
    return run([*prefix, CLI, "dump", "--wait", "3", str(pid)], preload=False, timeout=60)


def one_line(r, what):
    err = r.stderr.decode()
    check(r.rc == 1 and r.seconds < 2, f"{what}: status {r.rc} in {r.seconds:.1f} s", err)
    check(err.count("\n") == 1 and err.startswith("threadleak: "), f"{what}: not one line", err)
    return err


# 1. Ours and not dumpable: as a user without CAP_SYS_PTRACE (root: the program and dump run as
#    nobody; root itself may read any process's maps).
if os.geteuid() != 0 or can_switch:
    prefix = NOBODY if os.geteuid() == 0 else []
    live = Live([*prefix, exe("nodump")], options=f"dump_signal={SIG}")
    try:
        err = one_line(dump_as(prefix, live.p.pid), "not dumpable")
        check("belongs to another user" not in err, "not dumpable: called another user's", err)
        check(f"process {live.p.pid} is yours but not dumpable" in err and
              f"/proc/{live.p.pid}/maps" in err, "not dumpable: the reason", err)
        check(live.p.poll() is None, "not dumpable: the process ended", live.err)
        live.tell("x")
        live.p.stdin.close()
        rc = live.wait(timeout=30)
        check(rc == 0, f"not dumpable: status {rc}", live.err)
    finally:
        live.close()
else:
    print("not dumpable: skipped (root without setpriv)")

# 2. Another user's process (ours, as root), asked by nobody: that user's uid.
if can_switch:
    live = Live([exe("nodump")], options=f"dump_signal={SIG}")
    try:
        err = one_line(dump_as(NOBODY, live.p.pid), "another user")
        check(f"process {live.p.pid} belongs to another user (uid {os.geteuid()})" in err,
              "another user: the line", err)
        check(live.p.poll() is None, "another user: the process ended", live.err)
    finally:
        live.close()
    # 3. Root without CAP_SYS_PTRACE, on a non-dumpable process of root's: the same uid.
    live = Live([exe("nodump")], options=f"dump_signal={SIG}")
    try:
        r = dump_as(["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace"],
                    live.p.pid)
        if r.rc == 0 or b"/maps" not in r.stderr:
            print("root without CAP_SYS_PTRACE: skipped (the maps were readable)")
        else:
            err = one_line(r, "root without CAP_SYS_PTRACE")
            check(f"process {live.p.pid} runs as uid 0, as this command does" in err and
                  "belongs to another user" not in err, "root without CAP_SYS_PTRACE: the line", err)
        check(live.p.poll() is None, "root without CAP_SYS_PTRACE: the process ended", live.err)
    finally:
        live.close()
else:
    print("another user, root without CAP_SYS_PTRACE: skipped (not root, or no setpriv)")
ok()
