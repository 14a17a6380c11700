"""A thread started with a raw clone() (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|
CLONE_THREAD|CLONE_SYSVSEM), never seen created, blocked in a raw read system call on a pipe
(tests/core/rawclone.c): reported as "untracked" (no thread number, no creation stack),
blocked in "read" on the pipe (from the kernel's view), with its stack in raw_reader; the exit
status becomes 23. The same in the text report."""
import re

from coreutil import *  # noqa: E402,F403

prog = exe("rawclone")
S = "rawclone.c"


def printed(stdout):
    m = re.fullmatch(rb"tid=(\d+) pipe=(\d+)\n", stdout)
    check(m is not None, "stdout", stdout)
    return int(m.group(1)), int(m.group(2))


bare, r = bare_and_preloaded([prog])
printed(bare.stdout)
check(r.rc == 23, f"exit status {r.rc}, expected 23", r.stdout, r.stderr)
tid, fd = printed(r.stdout)
rep = r.report
check(rep["exit_status"] == 0, "the program's own status is 0", rep)
check(rep["leaked"] == 1 and len(rep["leaks"]) == 1, f"{rep['leaked']} leaks, expected 1", rep)
l = rep["leaks"][0]
check(l["tid"] == tid, f"tid {l['tid']}, expected {tid} (what clone returned)", l)
check(l["state"] == "untracked", f"state {l['state']!r}, expected 'untracked'", l)
check(l["thread"] is None and l["created_by"] is None, "untracked: no number, no creation stack", l)
check(l["blocked_in"] == "read", f"blocked_in {l['blocked_in']!r}, expected 'read'", l)
check(re.fullmatch(rf"fd {fd} \(pipe:\[\d+\]\)", l["object"] or "") is not None,
      f"object {l['object']!r}, expected fd {fd} (pipe:[...])", l)
check(l["held_by"] is None, "held_by", l)
check(l["name"] == "rawclone", f"name {l['name']!r}", l)
asm = line(S, "RAW_READ")
check(l["stack"], "no stack", l)
check_frame(top(l), "raw_reader", S, set(range(asm, asm + 4)), "top frame", l)
no_own_frames(l)

# text on stderr, no log file: the exit path of a process that started no thread through
# pthread_create tells from flags whether another task can exist (exit.c never_threaded);
# clone() and glibc's __clone() must say so
for how in ([], ["__clone"]):
    t = run([prog, *how], json_format=False)
    err = t.stderr.decode(errors="replace")
    tid, fd = printed(t.stdout)
    check(t.rc == 23, f"text {how}: exit status {t.rc}", err)
    check("found 1 leaked thread" in err, f"text {how}: header", err)
    check(re.search(rf'^Thread tid {tid} \(untracked, "rawclone"\) never seen created, blocked in read on '
                    rf'fd {fd} \(pipe:\[\d+\]\)$', err, re.M) is not None,
          f"text {how}: the untracked thread's line", err)
ok()
