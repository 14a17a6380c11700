"""Where reports go, and what they keep open: a daemon started by the command does not hold
run's pipe (the reader sees its end when run ends), nor writes raw JSON on it later; a
process that outlives run writes its report nowhere, even where run's folder was recreated or
replaced by a symlink; a TMPDIR with a blank works; log_path=stdout never writes into a file
that the program put at fd 1 since."""
import glob
import os
import select
import signal
import subprocess
import sys
import time

from clitest import *  # noqa: E402,F403

daemon, leaky, redirect = exe("daemon"), exe("leaky"), exe("redirect")


def clean_env(**extra):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("THREADLEAK_OPTIONS", None)
    env.update(extra)
    return env


def daemon_pid(pidfile, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(open(pidfile).read())
        except (OSError, ValueError):
            time.sleep(0.02)
    fail("the daemon did not start")


def wait_gone(pid, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    fail(f"the daemon {pid} did not end")


def read_until_eof(fd, timeout):
    """Everything until EOF, and how long it took (None: no EOF within timeout)."""
    t0, data = time.monotonic(), b""
    while time.monotonic() - t0 < timeout:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return data, time.monotonic() - t0
            data += chunk
    return data, None


work = tmpdir()

# `threadleak run -- ./daemon 2>&1 | cat`: the daemon lives 6 s with its stdio on /dev/null;
# the pipe must end when run does, not when the daemon does, and nothing of the daemon's
# report may come down the pipe later
pidfile = os.path.join(work, "pid1")
p = subprocess.Popen([CLI, "run", "--orphan-wait", "0", "--", daemon, "6000", pidfile],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=clean_env())
data, secs = read_until_eof(p.stdout.fileno(), 15)
p.wait(timeout=10)
pid = daemon_pid(pidfile)
check(secs is not None and secs < 4, f"the pipe stayed open {secs} s, until the daemon ended (a copy of "
      "stderr in the daemon held it)", data)
check(b"started" in data and p.returncode == 0, f"run: status {p.returncode}", data)
wait_gone(pid)
time.sleep(0.2)
late = b""
while select.select([p.stdout], [], [], 0)[0]:
    chunk = os.read(p.stdout.fileno(), 65536)
    if not chunk:
        break
    late += chunk
check(b"{" not in late and late.count(b"\n") <= 1, "the daemon wrote its report on run's pipe after run ended",
      late)
p.stdout.close()

# the same without run: `LD_PRELOAD=... ./daemon | cat` ends when the command does
pidfile = os.path.join(work, "pid-bare")
r = run([daemon, "6000", pidfile], json_format=False)
pid = daemon_pid(pidfile)
check(r.rc == 0 and r.seconds < 4, f"bare: the pipes stayed open {r.seconds:.1f} s, until the daemon ended",
      r.stderr)
os.kill(pid, signal.SIGUSR1)
wait_gone(pid)

# a process that outlives run: its report goes nowhere, even where run's folder was; run's
# folder is recreated (another user could) or replaced by a symlink to another folder
for how in ("recreated", "symlink"):
    tmp = os.path.join(work, "tmp-" + how)
    target = os.path.join(work, "target-" + how)
    os.mkdir(tmp)
    os.mkdir(target)
    pidfile = os.path.join(work, "pid-" + how)
    errfile = os.path.join(work, "err-" + how)  # a file: run's end is seen whatever holds it
    with open(errfile, "wb") as ef:
        p = subprocess.Popen([CLI, "run", "--orphan-wait", "300", "--", daemon, "60000", pidfile],
                             stdout=ef, stderr=ef, env=clean_env(TMPDIR=tmp))
    pid = daemon_pid(pidfile)
    folders = glob.glob(os.path.join(tmp, "threadleak.*"))
    p.wait(timeout=30)
    e = open(errfile, "rb").read()
    check(len(folders) == 1, f"{how}: run's folder in TMPDIR: {folders}", e)
    check(p.returncode == 0 and b"still running" in e, f"{how}: run: status {p.returncode}", e)
    check(not os.path.exists(folders[0]), f"{how}: run left its folder", e)
    if how == "recreated":
        os.mkdir(folders[0])
        where = folders[0]
    else:
        os.symlink(target, folders[0])
        where = target
    os.kill(pid, signal.SIGUSR1)  # now it ends, with its exit check
    wait_gone(pid)
    time.sleep(0.2)
    check(os.listdir(where) == [], f"{how}: the report of a process that outlived run was written in "
          f"{where}: {os.listdir(where)}")
    late = open(errfile, "rb").read()
    check(b"run has ended" in late and b"{" not in late,
          f"{how}: the late process says where its report did not go (and nothing else)", late)

# TMPDIR with a blank (and a colon): run's folder is made there, and the reports are read
tmp = os.path.join(work, "with blank: and colon")
os.mkdir(tmp)
r = tl("run", "--", "sh", "-c", 'ls "$TMPDIR"; exec "$0" a', leaky, env={"TMPDIR": tmp})
check(r.rc == 23 and "threadleak." in out(r), f"TMPDIR with a blank: status {r.rc}, folder listed: {out(r)!r}",
      err(r))
check("2 leaked threads" in err(r), "TMPDIR with a blank: the leaks reported", err(r))
check(os.listdir(tmp) == [], "TMPDIR with a blank: the folder removed", os.listdir(tmp))

# a TMPDIR that does not exist: run's folder in /tmp, as when it is unset (it exited 125)
r = tl("run", "--", leaky, "a", env={"TMPDIR": os.path.join(work, "gone")})
check(r.rc == 23 and "2 leaked threads" in err(r), f"TMPDIR gone: status {r.rc}", err(r))

# the folder's identity is run's own, like log_path
r = tl("run", "--options", "log_dir_id=1,2", "--", leaky)
check(r.rc == 2 and "'log_dir_id' is set by threadleak run" in err(r), f"--options log_dir_id: {r.rc}", err(r))

# log_path=stdout: fd 1 now a data file of the program's own; the report must not go there
data = os.path.join(work, "data")
r = run([redirect, "stdout", data], json_format=False, options="log_path=stdout")
content = open(data, "rb").read()
check(b"threadleak" not in content, "log_path=stdout: the report was written into the program's own file "
      "(now fd 1)", content[:2000])
check(r.rc == 23 and r.stdout == b"ready\n", f"log_path=stdout: status {r.rc}", r.stderr, r.stdout)
check(b"redirect_wait" in r.stderr and b"fd 1 is no longer" in r.stderr,
      "log_path=stdout: the report goes to stderr, saying why", r.stderr)

# log_path given as a path of the process's own stream (/dev/stderr, /proc/self/fd/1, ...) is
# that stream: the report went to a new file /dev/stderr.PID, and nothing said so
for path, stream in (("/dev/stderr", 2), ("/dev/fd/2", 2), ("/proc/self/fd/2", 2),
                     ("/dev/stdout", 1), ("/proc/self/fd/1", 1)):
    before = set(glob.glob(path + ".*"))
    with open(os.path.join(work, "err.txt"), "w+b") as errf:
        p = subprocess.run([leaky, "a"], env=dict(os.environ, LD_PRELOAD=LIB,
                                                  THREADLEAK_OPTIONS=f"log_path={path}"),
                           stdout=subprocess.PIPE, stderr=errf, timeout=60)
        errf.seek(0)
        e = errf.read()
    where, other = (e, p.stdout) if stream == 2 else (p.stdout, e)
    made = set(glob.glob(path + ".*")) - before
    for f in made:
        os.unlink(f)
    check(p.returncode == 23 and b"found 2 leaked threads" in where and b"leaked thread" not in other
          and not made, f"log_path={path}: status {p.returncode}, files made {sorted(made)}", e, p.stdout)
ok()
