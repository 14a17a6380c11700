"""One thread blocked in each of the blocking calls calls_all does not cover
(tests/calls/calls_more.c): readv, writev on a full pipe, pread (/dev/kmsg at its end, when
readable), recvfrom/recvmsg/recvmmsg, send/sendto/sendmsg on full socket buffers, accept4,
connect to a unix listener whose backlog is full, ppoll, pselect, epoll_pwait(2), timed POSIX
message queue calls, msgsnd on a full SysV queue, msgrcv, semop and semtimedop on a SysV
semaphore set, C11 thrd_sleep, clock_nanosleep, open of a FIFO without a writer, sigtimedwait,
sigwaitinfo, wait, waitid, lockf held by a child, timed/clock mutex locks (held_by the
holder), rwlock read and timed write locks (held_by the writer), timed/clock semaphore and
condition waits, timed/clock joins (the object and held_by name the awaited thread).

For each thread, the JSON and the text report must say: blocked, in exactly which call, on
exactly which object, with its owner; and the top frame of its stack is its t_ function at the
line of the call (marked AT_<name> in the source). Afterwards the program's IPC objects and
children are gone."""
import atexit
import ctypes
import os
import re
import signal
import sys
import time

from tl_test import *  # noqa: E402,F403
from calls_util import *  # noqa: E402,F403

prog = exe("calls_more")
SRC = "calls_more.c"
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_unlink.argtypes = [ctypes.c_char_p]
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.msgctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
libc.semctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
IPC_RMID = 0

runs = []  # setup values of every run, for the cleanup


def sysv_queues():
    """msqid -> key of every SysV message queue (from /proc/sysvipc/msg)."""
    with open("/proc/sysvipc/msg") as f:
        lines = f.readlines()[1:]
    return {int(l.split()[1]): int(l.split()[0]) for l in lines if l.split()}


def sysv_sems():
    """semid -> key of every SysV semaphore set (from /proc/sysvipc/sem)."""
    with open("/proc/sysvipc/sem") as f:
        lines = f.readlines()[1:]
    return {int(l.split()[1]): int(l.split()[0]) for l in lines if l.split()}


def our_sems(s):
    return {int(s["sem_set"]): 0x7e000000 | int(s["pid"])} if "sem_set" in s else {}


def our_queues(s):
    """The SysV queues of a run, with the keys the program derived from its pid: only those
    are ever removed here."""
    pid = int(s["pid"])
    return {int(s["msq_full"]): 0x7c000000 | pid, int(s["msq_empty"]): 0x7d000000 | pid}


@atexit.register
def cleanup():
    """Whatever the outcome: no queue, no child left."""
    def remove_sysv(s):
        present = sysv_queues()
        for qid, key in our_queues(s).items():
            if present.get(qid) == key:
                libc.msgctl(qid, IPC_RMID, None)
        sems = sysv_sems()
        for sid, key in our_sems(s).items():
            if sems.get(sid) == key:
                libc.semctl(sid, 0, IPC_RMID)
    leftovers_removed(runs, "calls_more", libc, remove_sysv)
    for s in runs:
        if s.get("fifo", "").startswith("/tmp/tlfifo."):
            try:
                os.unlink(s["fifo"])
            except OSError:
                pass


def ipc_gone(s):
    """True once the run's queues and children are gone."""
    present = sysv_queues()
    if any(present.get(qid) == key for qid, key in our_queues(s).items()):
        return False
    sems = sysv_sems()
    if any(sems.get(sid) == key for sid, key in our_sems(s).items()):
        return False
    return posix_queues_and_children_gone(s, libc)


def sock(fd, kind):
    return rf"fd {fd} \(socket:\[\d+\], unix {kind}\)"


def expectations(s):
    """name -> (call, object regex, owner's name or None); the join objects are filled in
    by the caller (they need the target's thread number and tid)."""
    lock_file = re.escape(s["lock_path"]) + r" \(deleted\)"
    exp = {
        "readv": ("readv", pipe(s["readv"]), None),
        "writev": ("writev", pipe(s["full_pipe"]), None),
        "recvfrom": ("recvfrom", sock(s["recvfrom"], "dgram"), None),
        "recvmsg": ("recvmsg", sock(s["recvmsg"], "dgram"), None),
        "recvmmsg": ("recvmmsg", sock(s["recvmmsg"], "dgram"), None),
        "send": ("send", sock(s["send"], "stream"), None),
        "sendto": ("sendto", sock(s["sendto"], "stream"), None),
        "sendmsg": ("sendmsg", sock(s["sendmsg"], "stream"), None),
        "accept4": ("accept4", rf"fd {s['listen']} \(socket:\[\d+\], unix stream, listening\)", None),
        "connect": ("connect", sock(s["connect"], "stream"), None),
        "ppoll": ("ppoll", rf"1 fd: {pipe(s['ppoll'])}", None),
        "ppoll_none": ("ppoll", r"no fd", None),
        "pselect": ("pselect", rf"1 fd to read: {pipe(s['pselect'])}", None),
        "epoll_pwait": ("epoll_pwait", rf"epoll fd {s['epoll']} \(anon_inode:\[eventpoll\]\) watching "
                        rf"{pipe(s['ep_pipe'])}", None),
        "epoll_pwait2": ("epoll_pwait2", rf"epoll fd {s['epoll2']} \(anon_inode:\[eventpoll\]\) watching "
                         rf"{pipe(s['ep2_pipe'])}", None),
        "mq_timedsend": ("mq_timedsend", rf"message queue fd {s['mq_full']} \({re.escape(s['mq_full_name'])}\) "
                         r"holding 1 of 1 messages", None),
        "mq_timedreceive": ("mq_timedreceive", rf"message queue fd {s['mq_empty']} "
                            rf"\({re.escape(s['mq_empty_name'])}\) holding 0 of 1 messages", None),
        "msgsnd": ("msgsnd", rf"SysV message queue {s['msq_full']} holding {s['msq_full_count']} messages",
                   None),
        "msgrcv": ("msgrcv", rf"SysV message queue {s['msq_empty']} holding 0 messages", None),
        "semop": ("semop", rf"SysV semaphore set {s['sem_set']} of 1 semaphore", None),
        "semtimedop": ("semtimedop", rf"SysV semaphore set {s['sem_set']} of 1 semaphore", None),
        "thrd_sleep": ("thrd_sleep", r"a sleep of 3600s", None),
        "clock_nanosleep": ("clock_nanosleep", r"a sleep of 3600s", None),
        "clock_abs": ("clock_nanosleep", r"a sleep of (3600s|359\d\d\d\dms) \(to an absolute time\)", None),
        "ofd": ("fcntl(F_OFD_SETLKW)", r"fd \d+ \(/tmp/tlofd\w+ \(deleted\)\).*", None),
        "fifo_open": ("openat", rf"FIFO {re.escape(s['fifo'])}: no process has its other end open",
                      None),
        "sigtimedwait": ("sigtimedwait", r"signal SIGUSR1", None),
        "sigwaitinfo": ("sigwaitinfo", r"signal SIGUSR2", None),
        "wait": ("wait", r"any child", None),
        "waitid": ("waitid", rf"child pid {s['waited_child']} \(calls_more\)", None),
        "lockf": ("lockf", rf"fd {s['lockf']} \({lock_file}\), write lock held by pid {s['lock_child']} "
                  r"\(calls_more\)", None),
        "mutex_holder": ("read", pipe(s["never"]), None),
        "mutex_timedlock": ("pthread_mutex_timedlock", global_obj("mutex", "timed_mutex", SRC,
                                                                  "static pthread_mutex_t timed_mutex"),
                            "mutex_holder"),
        "mutex_clocklock": ("pthread_mutex_clocklock", global_obj("mutex", "clock_mutex", SRC,
                                                                  "static pthread_mutex_t clock_mutex"),
                            "mutex_holder"),
        "rw_writer": ("read", pipe(s["never"]), None),
        "rw_rdlock": ("pthread_rwlock_rdlock", global_obj("rwlock", "held_rwlock", SRC,
                                                          "static pthread_rwlock_t held_rwlock"), "rw_writer"),
        "rw_timedwrlock": ("pthread_rwlock_timedwrlock", global_obj("rwlock", "held_rwlock", SRC,
                                                                    "static pthread_rwlock_t held_rwlock"),
                           "rw_writer"),
        "sem_timedwait": ("sem_timedwait", global_obj("semaphore", "timed_sem", SRC, "static sem_t timed_sem;")
                          + r" \(value 0\)", None),
        "sem_clockwait": ("sem_clockwait", global_obj("semaphore", "clock_sem", SRC, "static sem_t clock_sem;")
                          + r" \(value 0\)", None),
        "cond_timedwait": ("pthread_cond_timedwait",
                           global_obj("cond", "timed_cond", SRC, "static pthread_cond_t timed_cond")
                           + ", " + global_obj("mutex", "cv_mutex", SRC, "static pthread_mutex_t cv_mutex"),
                           None),
        "cond_clockwait": ("pthread_cond_clockwait",
                           global_obj("cond", "clock_cond", SRC, "static pthread_cond_t clock_cond")
                           + ", " + global_obj("mutex", "cv_mutex", SRC, "static pthread_mutex_t cv_mutex"),
                           None),
        "timedjoin": ("pthread_timedjoin_np", None, "readv"),
        "clockjoin": ("pthread_clockjoin_np", None, "recvfrom"),
    }
    if int(s["kmsg"]) >= 0:
        exp["pread"] = ("pread", rf"fd {s['kmsg']} \(/dev/kmsg\)", None)
    return exp


def check_top(name, leak):
    """The innermost frame is t_NAME at the line marked AT_NAME in calls_more.c."""
    fn = "t_" + name
    want = source_line(src(SRC), f"/* AT_{name} */")
    stack = leak["stack"]
    check(stack, f"{name}: empty stack", leak)
    f = stack[0]
    check(f.get("function") == fn and f.get("line") == want
          and (f.get("file") or "").endswith("tests/calls/" + SRC),
          f"{name}: top frame {f.get('function')} at {f.get('file')}:{f.get('line')}, expected {fn} at "
          f"{SRC}:{want}", leak)
    check(not any((fr.get("module") or "").endswith("libthreadleak.so") for fr in stack),
          f"{name}: frames of threadleak itself", leak)


run_bare(prog, runs, ipc_gone)

# JSON
s, rep, exp, leaks = run_json(prog, runs, expectations)
if "pread" not in exp:
    print("note: /dev/kmsg is not readable here: pread not tested")
for join, target in (("timedjoin", "readv"), ("clockjoin", "recvfrom")):
    t = leaks[target]
    exp[join] = (exp[join][0], rf"thread {t['thread']} \(tid {t['tid']}\)", target)
for name, (call, obj, owner) in exp.items():
    leak = leaks[name]
    # open is not wrapped (it is the kernel's view: no start time)
    expect(leak, call, obj, held_by=leaks[owner] if owner else None, duration=name != "fifo_open")
    check(leak["detached"] is False, f"{name}: joinable", leak)
    check(leak["stack_note"] is None, f"{name}: stack note {leak['stack_note']!r}", leak)
    if name == "fifo_open":  # under libc's open
        f = frame(leak["stack"], "t_fifo_open")
        check(f is not None and f["line"] == source_line(src(SRC), "/* AT_fifo_open */"),
              f"{name}: no t_fifo_open frame at its line in {functions(leak['stack'])}", leak)
    else:
        check_top(name, leak)
wait_clean(s, ipc_gone)

# text: the same, on stderr
t = run([prog], json_format=False, timeout=60)
ts = setup_values(t.stdout)
runs.append(ts)
check(t.rc == 23, f"text run exit status {t.rc}", t.stderr)
err = t.stderr.decode(errors="replace")
texp = expectations(ts)
check(f"found {len(texp)} leaked threads" in err, "text header", err)
threads = text_threads(t.stderr)
check(set(threads) == set(texp), f"text: blocked threads {sorted(threads)}, expected {sorted(texp)}", err)
for join, target in (("timedjoin", "readv"), ("clockjoin", "recvfrom")):
    tt = threads[target]
    texp[join] = (texp[join][0], rf"thread {tt['number']} \(tid {tt['tid']}\)", target)
for name, (call, obj, owner) in texp.items():
    expect_text(threads, name, call, obj, held_by=threads[owner] if owner else None,
                duration=name != "fifo_open", context=t.stderr)
wait_clean(ts, ipc_gone)
ok()
