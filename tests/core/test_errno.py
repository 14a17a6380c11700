"""Wrapped calls keep errno and leave no block state behind (tests/core/errno_keep.c): a
thread makes calls that fail at once through threadleak's wrappers (read on an empty
O_NONBLOCK pipe: EAGAIN; sem_trywait: EAGAIN; sem_timedwait past its deadline: ETIMEDOUT;
pthread_mutex_timedlock and pthread_mutex_clocklock past their deadline: ETIMEDOUT returned,
errno untouched; a successful write and read: errno untouched) and checks errno after each
(exit 1 on a mismatch), then spins in user space. It must be reported "running" in
spin_forever, not blocked in one of the calls it made before."""
import re

from coreutil import *  # noqa: E402,F403

prog = exe("errno_keep")
S = "errno_keep.c"
# a mismatch of errno is printed on stdout
bare, r, rep = run_vs_bare([prog], b"errno kept, spinning\n")
check(rep["leaked"] == 1 and len(rep["leaks"]) == 1, "1 leak expected", rep)
l = rep["leaks"][0]
check(l["state"] == "running", f"state {l['state']!r}, expected 'running'", l)
check(l["blocked_in"] is None and l["object"] is None and l["blocked_ms"] is None and l["held_by"] is None,
      f"not blocked: blocked_in {l['blocked_in']!r}, object {l['object']!r}", l)
check(l["start_routine"] == "worker" and l["thread"] == 2, "start routine, number", l)
check(l["stack_note"] is None, "a spinning thread gets a full stack", l)
fns = functions(l["stack"])
check(fns[:2] == ["spin_forever", "worker"], f"stack {fns}, expected spin_forever then worker", l)
loop = line(S, "SPIN_LOOP")
check_frame(l["stack"][0], "spin_forever", S, {loop, loop + 1}, "top frame", l)
check_frame(l["stack"][1], "worker", S, line(S, "spin_forever();"), "caller frame", l)
check_created_by(l, 1, ["main"], S, [line(S, "WORKER_CREATE")])
no_own_frames(l)

t = run([prog], json_format=False)
err = t.stderr.decode(errors="replace")
check(t.rc == 23 and t.stdout == bare.stdout, f"text: exit status {t.rc}", t.stdout, err)
check("found 1 leaked thread" in err and "blocked in" not in err, "text header", err)
check(re.search(r'^Thread 2 \(tid \d+, "errno_keep", joinable\) running$', err, re.M) is not None,
      "text: the thread's line says running", err)
# the exit check runs before the program's exit handlers: they see the errno main left
# (tests/core/errno_exit.c: ENOENT; the check of a finished, unjoined thread left EINVAL); and a
# successful pthread_create leaves errno alone (the first in the process, and the first in each
# new creating thread, left EAGAIN)
for json_format in (True, False):
    bare, r = run([exe("errno_exit")], preload=False), run([exe("errno_exit")], json_format=json_format)
    check(bare.stdout == b"after create: errno EDOM\nafter a create in a thread: errno ERANGE\n"
          b"at exit: errno ENOENT\n" and r.stdout == bare.stdout and r.rc == 23,
          f"errno_exit ({'JSON' if json_format else 'text'}): status {r.rc}, {r.stdout!r} against "
          f"bare {bare.stdout!r}", r.stderr)
ok()
