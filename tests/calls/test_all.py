"""One thread blocked in each blocking call (tests/calls/calls_all.c). Every thread
is named; for each, the JSON and the text report must say: blocked, in exactly which call, on
exactly which object (the fd numbers, queue names, lock file and child pids the program prints),
for how long, and who holds it. Also: the program's IPC objects and children are gone after."""
import atexit
import ctypes
import os
import re
import signal
import sys
import time

from tl_test import *  # noqa: E402,F403
from calls_util import *  # noqa: E402,F403

prog = exe("calls_all")
SRC = "calls_all.c"
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_unlink.argtypes = [ctypes.c_char_p]
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]

runs = []  # setup values of every run, for the cleanup


@atexit.register
def cleanup():
    """Whatever the outcome: no queue, no child left."""
    def remove_sysv(s):
        if s.get("msqid"):
            libc.msgctl(int(s["msqid"]), 0, None)  # IPC_RMID
    leftovers_removed(runs, "calls_all", libc, remove_sysv)


def ipc_gone(s):
    """True once the run's queues and children are gone."""
    with open("/proc/sysvipc/msg") as f:
        ids = {line.split()[1] for line in f.readlines()[1:] if line.split()}
    if s["msqid"] in ids:
        return False
    return posix_queues_and_children_gone(s, libc)


def expectations(s):
    """name -> (call, object regex, owner's name or None, has a duration)"""
    epoll_a = rf"fd {s['ep_pipe']} \(pipe:\[\d+\]\)"
    epoll_b = rf"fd {s['ep_event']} \(anon_inode:\[eventfd\]\)"
    lock_file = re.escape(s["lock_path"]) + r" \(deleted\)"
    return {
        "pipe_read": ("read", pipe(s["pipe"]), None, True),
        "sock_recv": ("recv", rf"fd {s['sock']} \(socket:\[\d+\], unix stream\)", None, True),
        "accept": ("accept", rf"fd {s['listen']} \(socket:\[\d+\], inet stream, listening\)", None, True),
        "epoll_wait": ("epoll_wait", rf"epoll fd {s['epoll']} \(anon_inode:\[eventpoll\]\) watching "
                       rf"(?:{epoll_a}, {epoll_b}|{epoll_b}, {epoll_a})", None, True),
        "poll": ("poll", rf"2 fds: {pipe(s['poll_pipe'])}, fd {s['poll_event']} \(anon_inode:\[eventfd\]\)",
                 None, True),
        "select": ("select", rf"1 fd to read: {pipe(s['select'])}", None, True),
        "mq_send": ("mq_send", rf"message queue fd {s['mq_full']} \({re.escape(s['mq_full_name'])}\) "
                    r"holding 1 of 1 messages", None, True),
        "mq_receive": ("mq_receive", rf"message queue fd {s['mq_empty']} \({re.escape(s['mq_empty_name'])}\) "
                       r"holding 0 of 1 messages", None, True),
        "msgrcv": ("msgrcv", rf"SysV message queue {s['msqid']} holding 0 messages", None, True),
        "sem_wait": ("sem_wait", global_obj("semaphore", "empty_sem", SRC, "static sem_t empty_sem;")
                     + r" \(value 0\)", None, True),
        "rw_holder": ("read", pipe(s["pipe"]), None, True),
        "rw_wrlock": ("pthread_rwlock_wrlock", global_obj("rwlock", "the_rwlock", SRC,
                                                          "static pthread_rwlock_t the_rwlock"),
                      "rw_holder", True),
        "barrier": ("pthread_barrier_wait", global_obj("barrier", "the_barrier", SRC,
                                                       "static pthread_barrier_t the_barrier;"), None, True),
        "join": ("pthread_join", None, "pipe_read", True),  # object: filled in below
        "nanosleep": ("nanosleep", r"a sleep of 3600s", None, True),
        "sigwait": ("sigwait", r"signal SIGUSR1", None, True),
        "pause": ("pause", r"any signal", None, True),
        "sigsuspend": ("sigsuspend", r"signal SIGUSR2", None, True),
        # libc's internal read: seen from the kernel, no start time
        "fgets": ("read", pipe(s["fgets"]), None, False),
        "futex": ("futex", global_obj("futex", "futex_word", SRC, "static int futex_word;"), None, True),
        "mutex_holder": ("read", pipe(s["pipe"]), None, True),
        # pthread_mutex_lock is not wrapped: kernel (futex wait) + stack (__lll_lock_wait)
        "mutex_lock": ("pthread_mutex_lock", global_obj("mutex", "held_mutex", SRC,
                                                        "static pthread_mutex_t held_mutex"),
                       "mutex_holder", os.path.exists("/proc/self/sched")),
        "flock": ("flock", rf"fd {s['flock']} \({lock_file}\), write lock held by this process", None, True),
        "fcntl": ("fcntl(F_SETLKW)", rf"fd {s['fcntl']} \({lock_file}\), write lock held by pid "
                  rf"{s['lock_child']} \(calls_all\)", None, True),
        "waitpid": ("waitpid", rf"child pid {s['waited_child']} \(calls_all\)", None, True),
    }


START = {"mutex_lock": "t_mutex_lock", "fgets": "t_fgets"}

run_bare(prog, runs, ipc_gone)

# JSON
s, rep, exp, leaks = run_json(prog, runs, expectations)
target = leaks["pipe_read"]
exp["join"] = ("pthread_join", rf"thread {target['thread']} \(tid {target['tid']}\)", "pipe_read", True)
for name, (call, obj, owner, dur) in exp.items():
    leak = leaks[name]
    expect(leak, call, obj, held_by=leaks[owner] if owner else None, duration=dur)
    fns = functions(leak["stack"])
    start = START.get(name, None)
    if start:  # kernel view: libc frames on top, then the thread's function
        check(start in fns, f"{name}: {start} not in the stack {fns}", leak)
    else:  # unwound from our wrapper: the thread's own function on top
        check(fns and fns[0] and fns[0].startswith("t_"), f"{name}: top frame {fns[:3]}", leak)
    check(not any((f.get("module") or "").endswith("libthreadleak.so") for f in leak["stack"]),
          f"{name}: frames of threadleak itself", leak)
check(leaks["mutex_lock"]["stack"][0]["function"] != "t_mutex_lock", "mutex_lock: libc frames on top",
      leaks["mutex_lock"])
wait_clean(s, ipc_gone)

# text: the same, on stderr
t = run([prog], json_format=False, timeout=60)
ts = setup_values(t.stdout)
runs.append(ts)
check(t.rc == 23, f"text run exit status {t.rc}", t.stderr)
err = t.stderr.decode(errors="replace")
check(f"found {len(exp)} leaked threads" in err, "text header", err)
threads = text_threads(t.stderr)
check(set(threads) == set(exp), f"text: blocked threads {sorted(threads)}, expected {sorted(exp)}", err)
texp = expectations(ts)
target = threads["pipe_read"]
texp["join"] = ("pthread_join", rf"thread {target['number']} \(tid {target['tid']}\)", "pipe_read", True)
for name, (call, obj, owner, dur) in texp.items():
    expect_text(threads, name, call, obj, held_by=threads[owner] if owner else None, duration=dur,
                context=t.stderr)
wait_clean(ts, ipc_gone)
ok()
