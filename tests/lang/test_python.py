"""Python on pthreads. python3 is an ELF program whose threading.Thread.start goes
through PyThread_start_new_thread -> pthread_create, so its threads are tracked:
- py_daemon.py: 3 daemon threads blocked forever in queue.Queue.get are reported as blocked
  (a lock acquire: sem_wait), created by PyThread_start_new_thread, exit status 23;
- py_joined.py: worker threads joined, a ThreadPoolExecutor, asyncio.to_thread: CPython keeps
  no thread of its own at exit, so nothing is reported and the output is byte-identical;
- py_addon.py: a native library loaded with ctypes leaks its thread: reported, named;
- py_ended.py: daemon threads that CPython ends itself at finalization (a poller, a spinner):
  held where it ends them and reported there, with the one on a queue.
Run with Debian's /usr/bin/python3 (stripped) and the interpreter running the test."""
import os
import subprocess
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

here = lang_util.SRC
addon = os.path.join(SCENARIOS, "libtladdon.so")
check(os.path.exists(addon), f"{addon} not built")
env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}

for python in lang_util.pythons():
    # daemon threads blocked on a queue
    prog = [python, "-I", os.path.join(here, "py_daemon.py")]
    bare = run(prog, preload=False, env=env)
    check(bare.rc == 0 and bare.stdout == b"started 3 daemon workers\n", f"{python}: bare daemon run",
          bare.stdout, bare.stderr)
    r = run(prog, env=env)
    check(r.rc == 23 and r.stdout == bare.stdout, f"{python}: daemon run status {r.rc}", r.stdout, r.stderr)
    rep = r.report
    check(rep["leaked"] == 3 and rep["suppressed"] == 0, f"{python}: 3 daemon threads", rep)
    for l in rep["leaks"]:
        check(l["state"] == "blocked" and l["blocked_in"] in ("sem_wait", "sem_clockwait", "sem_timedwait"),
              f"{python}: blocked on the queue's lock", l)
        check(l["detached"] is True, f"{python}: Python detaches its threads", l)
        fns = functions(l["stack"])
        check("PyThread_acquire_lock_timed" in fns, f"{python}: lock acquire in {fns}", l)
        cfns = functions(l["created_by"]["stack"])
        cb = [f for f in cfns if f]
        # the first named frame is PyThread_start_new_thread (threading.Thread.start's native path)
        check(cb and cb[0] == "PyThread_start_new_thread", f"{python}: created by {cfns}", l)
        check(l["created_by"]["thread"] == 1, f"{python}: created by the main thread", l)
    # joined threads: nothing reported, identical output
    prog = [python, "-I", os.path.join(here, "py_joined.py")]
    bare = run(prog, preload=False, env=env)
    check(bare.rc == 0 and bare.stdout.count(b"\n") == 3, f"{python}: bare joined run", bare.stdout, bare.stderr)
    r = run(prog, env=env)
    check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == bare.stderr,
          f"{python}: joined run changed (status {r.rc})", r.stdout, r.stderr)
    rep = r.report
    check(rep is not None and rep["leaked"] == 0 and rep["suppressed"] == 0, f"{python}: joined run report", rep)
    t = run(prog, env=env, json_format=False)
    check(t.rc == 0 and t.stdout == bare.stdout and t.stderr == b"", f"{python}: text mode is silent", t.stderr)
    # a native library's leaked thread inside Python
    prog = [python, "-I", os.path.join(here, "py_addon.py"), addon]
    r = run(prog, env=env)
    check(r.rc == 23 and r.stdout == b"addon_start: 0\n", f"{python}: addon run {r.rc}", r.stdout, r.stderr)
    rep = r.report
    check(rep["leaked"] == 1, f"{python}: only the addon's thread", rep)
    l = rep["leaks"][0]
    check(l["start_routine"] == "addon_worker" and l["blocked_in"] == "pthread_cond_wait", f"{python}: addon leak", l)
    check(functions(l["created_by"]["stack"])[0] == "addon_start", f"{python}: created by addon_start", l)
    # daemon threads that CPython ends itself when they want the interpreter back while it
    # finalizes (a poller, a spinner): bare they were gone by the check, and never reported;
    # they are held at PyThread_exit_thread, as 3.14 holds them, and reported there
    prog = [python, "-I", os.path.join(here, "py_ended.py")]
    new_python = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 14))"],
                                capture_output=True).stdout.strip() == b"True"
    bare = run(prog, preload=False, env=env)
    check(bare.rc == 0 and bare.stdout == b"started 3 daemon threads\n", f"{python}: bare ended run",
          bare.stdout, bare.stderr)
    for attempt in range(3):
        r = run(prog, env=env)
        rep = r.report
        check(r.rc == 23 and r.stdout == bare.stdout and rep and rep["leaked"] == 3,
              f"{python}: ended daemons: status {r.rc}, {rep and rep['leaked']} leaks", r.stdout, r.stderr)
        ended = [l for l in rep["leaks"] if l["blocked_in"] == "PyThread_exit_thread"]
        if new_python:  # 3.14 holds them itself (PyThread_hang_thread): reported where they wait
            break
        check(len(ended) == 2 and all("interpreter's end" in (l["object"] or "") and
                                      "PyThread_exit_thread" in functions(l["stack"])
                                      for l in ended),
              f"{python}: the poller and the spinner, held where CPython ends them: "
              f"{[(l['blocked_in'], l['object']) for l in rep['leaks']]}", rep)
    print(f"{python}: daemon threads reported, joined program silent, addon thread reported")
ok()
