"""Signals: SIGTERM and SIGINT sent to threadleak reach the command; a command killed by a
signal makes threadleak end with the same signal (what a shell or meson expects)."""
import os
import select
import signal
import subprocess
import sys
import time

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")


def start(*args, tmp=None, run_args=()):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("THREADLEAK_OPTIONS", None)
    if tmp:
        env["TMPDIR"] = tmp
    return subprocess.Popen([CLI, "run", *run_args, "--", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)


def wait_line(p, text, timeout=30):
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            if text.encode() in buf:
                return buf
    p.kill()
    p.communicate()
    fail(f"no {text!r} from the command (got {buf!r})")


def finish(p):
    try:
        o, e = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        ps = subprocess.run(["ps", "-o", "pid,ppid,stat,wchan:24,args", "-g", str(p.pid)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
        os.killpg(p.pid, signal.SIGKILL)
        o, e = p.communicate()
        check(False, "threadleak did not end after the signal", ps, o, e)
    return o, e


# SIGTERM to threadleak alone (not its process group): forwarded, the program handles it and
# exits normally, and its leaks are still reported
p = start(leaky, "a", "--term-wait")
wait_line(p, "waiting for SIGTERM")
os.kill(p.pid, signal.SIGTERM)
o, e = finish(p)
check(p.returncode == 23, f"SIGTERM forwarded: status {p.returncode}", e, o)
check(b"got SIGTERM" in o and b"wait_forever" in e, "the program got it and its leaks were reported", e, o)

# SIGINT kills the program (default action): threadleak ends by SIGINT too
p = start(leaky, "a", "--term-wait")
wait_line(p, "waiting for SIGTERM")
os.kill(p.pid, signal.SIGINT)
o, e = finish(p)
check(p.returncode == -signal.SIGINT, f"SIGINT: threadleak status {p.returncode}, expected -SIGINT", e)

# the hang report run asks for on the way out (dump_on_signal=1), and --options turning it off
# (the report holds back signals that come meanwhile, which the kernel then merges)
for run_args, want in (((), True), (("--options", "dump_on_signal=0"), False)):
    p = start(leaky, "a", "--term-wait", run_args=run_args)
    wait_line(p, "waiting for SIGTERM")
    os.kill(p.pid, signal.SIGINT)
    o, e = finish(p)
    check(p.returncode == -signal.SIGINT, f"{run_args}: threadleak status {p.returncode}", e)
    check((b"received SIGINT" in e) == want, f"{run_args}: hang report {'missing' if want else 'written'}", e)
    # the sender is whoever sent it to run, not run's own pid (run passes it on): the report said
    # "from pid <run's pid>"
    check(not want or (b"received SIGINT from threadleak run, which passed on one sent to it" in e
                       and f"from pid {p.pid}".encode() not in e),
          f"{run_args}: the hang report names run's pid as the sender", e)

# every other signal whose default would end run (SIGUSR1, SIGALRM, SIGPIPE, a real-time
# one...) is forwarded too, as `timeout` does: run must not die and leave its folder and an
# orphaned command behind. The command dies of it; run then ends with the same signal.
for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGPIPE, signal.SIGRTMIN + 3):
    tmp = tmpdir()
    p = start(leaky, "a", "--term-wait", tmp=tmp)
    wait_line(p, "waiting for SIGTERM")
    os.kill(p.pid, sig)
    o, e = finish(p)
    left = None
    try:
        os.killpg(p.pid, 0)
        left = subprocess.run(["ps", "-o", "pid,stat,args", "-g", str(p.pid)], stdout=subprocess.PIPE).stdout
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    check(left is None, f"signal {sig}: the command was left running", left)
    check(p.returncode == -sig, f"signal {sig}: threadleak status {p.returncode}, expected -{int(sig)}", e)
    check(os.listdir(tmp) == [], f"signal {sig}: run's folder left behind: {os.listdir(tmp)}", e)

# a command killed by a signal: same signal, no core dump of ours
r = tl("run", "--", "sh", "-c", "kill -TERM $$")
check(r.rc == -signal.SIGTERM, f"killed command: status {r.rc}", err(r))

# a program that ends itself with SIGTERM (kill(getpid(), ...)): its own way out, not a signal
# others send, and no hang: no hang report (it got a reduced one, "from pid <its own>")
r = tl("run", "--", leaky, "a", "--self-term")
check(r.rc == -signal.SIGTERM and "hang report" not in err(r),
      f"self-sent SIGTERM: status {r.rc}, expected -15 and no hang report", err(r))
# SIGTERM to threadleak alone while the command (a shell) waits for a program it started: the
# shell dies of it, and the program, orphaned, gets the same signal from run (as timeout's group
# signal gives it). It went on running after run had exited (a cancelled `run -- make check`)
# (SIGTERM: a non-interactive shell's background job ignores SIGINT, bare and under timeout)
for sig in (signal.SIGTERM,):
    p = start("sh", "-c", 'sleep 60 & echo "grandchild $!"; wait')
    line = wait_line(p, "grandchild")
    pid = int(line.split()[-1])
    time.sleep(0.3)
    os.kill(p.pid, sig)
    o, e = finish(p)
    gone = False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            gone = True
            break
        time.sleep(0.1)
    if not gone:
        os.kill(pid, signal.SIGKILL)
    check(gone, f"{sig.name}: the shell's child {pid} still runs after run ended "
          f"(status {p.returncode})", e)
ok()
