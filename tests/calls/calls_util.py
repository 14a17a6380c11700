"""Helpers of the calls suite: find a leaked thread by its name, in the JSON report and
in the text report, and assert its state, call, object (a regular expression that must match the
whole object), duration and owner, the same in both."""
import os
import re
import signal
import time

from tl_test import check, fail, run, source_line

SCENARIOS_SRC = os.path.dirname(os.path.abspath(__file__))
ADDR = r"\(0x[0-9a-f]+\)"


def src(name):
    return os.path.join(SCENARIOS_SRC, name)


def global_obj(kind, var, source, decl):
    """Regex of a global object named by symbol: 'mutex lock_a (deadlock.c:5) (0x...)'."""
    line = source_line(src(source), decl)
    return rf"{kind} {re.escape(var)} \({re.escape(source)}:{line}\) {ADDR}"


def by_name(rep):
    """Leaks of a JSON report by thread name (names must be unique)."""
    out = {}
    for leak in rep["leaks"]:
        name = leak.get("name")
        check(name not in out, f"two leaked threads named {name!r}", rep)
        out[name] = leak
    return out


# Thread 13 (tid 31169, "rw_wrlock", joinable) blocked in pthread_rwlock_wrlock for 372ms on
#   rwlock the_rwlock (calls_all.c:47) (0x55f8c815a380) held by thread 12 (tid 31168)
TEXT_LINE = re.compile(r'^(?:Thread|  thread) (?P<number>\d+) \(tid (?P<tid>\d+), "(?P<name>[^"]*)", '
                       r'(?:joinable|detached)\) blocked in (?P<call>\S+)'
                       r'(?: for (?P<dur>[0-9.]+ms|[0-9.]+s|\d+m\d+s))?'
                       r'(?: on (?P<object>.*?))?'
                       r'(?: held (?:for reading )?by thread (?P<held>\d+) \(tid (?P<held_tid>\d+)\))?$')


def text_threads(stderr):
    """Blocked threads of a text report by name: dict of the TEXT_LINE groups."""
    out = {}
    for line in stderr.decode(errors="replace").splitlines():
        m = TEXT_LINE.match(line)
        if m:
            out[m.group("name")] = m.groupdict()
    return out


def expect(leak, call, obj, held_by=None, duration=True, context=None):
    """One JSON leak: blocked in `call` on an object matching the regex `obj` (whole string);
    held_by: None (must be null) or a leak dict of the owner; duration: blocked_ms must be a
    non-negative int (False: may be null, the kernel's view has no start time)."""
    name = leak.get("name")
    ctx = [leak] + ([context] if context is not None else [])
    check(leak["state"] == "blocked", f"{name}: state {leak['state']!r}, expected 'blocked'", *ctx)
    check(leak["blocked_in"] == call, f"{name}: blocked_in {leak['blocked_in']!r}, expected {call!r}", *ctx)
    check(isinstance(leak["object"], str) and re.fullmatch(obj, leak["object"]) is not None,
          f"{name}: object {leak['object']!r} does not match {obj!r}", *ctx)
    if duration:
        check(isinstance(leak["blocked_ms"], int) and leak["blocked_ms"] >= 0,
              f"{name}: blocked_ms {leak['blocked_ms']!r}", *ctx)
    if held_by is None:
        check(leak["held_by"] is None, f"{name}: held_by {leak['held_by']!r}, expected null", *ctx)
    else:
        want = {"thread": held_by["thread"], "tid": held_by["tid"]}
        got = {k: v for k, v in (leak["held_by"] or {}).items() if k in want}
        check(got == want, f"{name}: held_by {leak['held_by']!r}, expected {want}", *ctx)


def expect_text(threads, name, call, obj, held_by=None, duration=True, context=None):
    """The same for the text report's line of thread `name` (held_by: the owner's leak dict
    of the same run, or None)."""
    t = threads.get(name)
    check(t is not None, f"text report: no blocked thread named {name!r}", context or b"")
    check(t["call"] == call, f"text {name}: blocked in {t['call']!r}, expected {call!r}", context or b"")
    check(t["object"] is not None and re.fullmatch(obj, t["object"]) is not None,
          f"text {name}: object {t['object']!r} does not match {obj!r}", context or b"")
    if duration:
        check(t["dur"] is not None, f"text {name}: no duration", context or b"")
    if held_by is None:
        check(t["held"] is None, f"text {name}: held by thread {t['held']}, expected nobody", context or b"")
    else:
        check(t["held"] is not None and int(t["held"]) == int(held_by["number"])
              and int(t["held_tid"]) == int(held_by["tid"]),
              f"text {name}: held by {t['held']} (tid {t['held_tid']}), expected thread "
              f"{held_by['number']} (tid {held_by['tid']})", context or b"")


def setup_values(stdout):
    """The 'setup k=v k=v' line a scenario prints: dict of strings."""
    for line in stdout.decode(errors="replace").splitlines():
        if line.startswith("setup "):
            return dict(kv.split("=", 1) for kv in line.split()[1:])
    fail(f"no setup line in {stdout!r}")


def pid_alive(pid):
    """True if pid runs (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2] not in "ZX"


def posix_queues_and_children_gone(s, libc):
    """True once the run's POSIX queues and child processes are gone."""
    for name in (s["mq_full_name"], s["mq_empty_name"]):
        q = libc.mq_open(name.encode(), os.O_RDONLY)
        if q != -1:
            os.close(q)
            return False
    return not any(pid_alive(int(s[k])) for k in ("reaper", "lock_child", "waited_child"))


def leftovers_removed(runs, prog, libc, remove_sysv):
    """After a test, whatever its outcome: kill the children of each run that are still there
    (only processes of `prog`), unlink its POSIX queues, and remove_sysv(s) its SysV queues
    (the program's reaper should have done all of it)."""
    for s in runs:
        for pid in (s.get("reaper"), s.get("lock_child"), s.get("waited_child")):
            if pid and pid_alive(int(pid)):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if prog.encode() in f.read():
                            os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        for name in (s.get("mq_full_name"), s.get("mq_empty_name")):
            if name:
                libc.mq_unlink(name.encode())
        remove_sysv(s)


def wait_clean(s, gone):
    """Wait (10 s at most) until gone(s): the run's queues and children are gone."""
    deadline = time.monotonic() + 10
    while not gone(s):
        if time.monotonic() > deadline:
            fail(f"queues or children of the run still there after 10s: {s}")
        time.sleep(0.05)


def run_bare(prog, runs, gone):
    """Without the library the program runs, prints "all blocked", exits 0 and cleans up."""
    bare = run([prog], preload=False, timeout=60)
    check(bare.rc == 0, f"bare {os.path.basename(prog)} exits {bare.rc}", bare.stdout, bare.stderr)
    bs = setup_values(bare.stdout)
    runs.append(bs)
    check(bare.stdout.endswith(b"all blocked\n"), "bare output", bare.stdout)
    wait_clean(bs, gone)


def run_json(prog, runs, expectations):
    """Under the library: exit status 23, the program's output unchanged, exactly the threads
    of expectations(setup values) leaked, numbered in creation order, no deadlock. Returns
    (setup values, report, expectations, leaks by name)."""
    r = run([prog], timeout=60)
    s = setup_values(r.stdout)
    runs.append(s)
    check(r.rc == 23, f"exit status {r.rc}, expected 23", r.stdout, r.stderr)
    check(r.stdout.endswith(b"all blocked\n"), "stdout", r.stdout, r.stderr)
    rep = r.report
    exp = expectations(s)
    leaks = by_name(rep)
    check(rep["leaked"] == len(exp) and set(leaks) == set(exp),
          f"leaked {rep['leaked']}: {sorted(leaks)}, expected {sorted(exp)}", rep)
    check(rep["deadlock"] is None, "no deadlock here", rep)
    numbers = [leaks[n]["thread"] for n in exp]
    check(numbers == list(range(2, 2 + len(exp))), f"thread numbers in creation order: {numbers}", rep)
    return s, rep, exp, leaks


def pipe(fd):
    return rf"fd {fd} \(pipe:\[\d+\]\)"
