"""Programs that fight the sampling signal: their own handlers on every real-time
signal, every real-time signal ignored, every signal blocked in every thread, handlers
installed after threadleak picked its signal, and a `signal` option that names a signal the
program needs. No hang, the report still comes, degraded stacks say so in stack_note, and
threadleak never runs (or replaces) a handler of the program's."""
import json
import signal as sig

from robust import *  # noqa: F403

leaky = exe("leaky")
SIGRTMIN = int(sig.SIGRTMIN)
SIGRTMAX = int(sig.SIGRTMAX)


def api_docs(r):
    """The mid-run JSON reports a leaky -A run printed, plus its other stdout lines."""
    docs, lines = [], []
    for line in r.stdout.decode(errors="replace").splitlines():
        if line.startswith("api json "):
            docs.append(json.loads(line[len("api json "):]))
        else:
            lines.append(line)
    return docs, lines


def by_start(rep):
    out = {}
    for l in rep["leaks"]:
        out.setdefault(l["start_routine"], []).append(l)
    return out


def expect_wrapped_stacks(rep, what):
    for l in by_start(rep).get("sem_blocker", []):
        check(functions(l["stack"])[:1] == ["sem_blocker"] and l["stack_note"] is None,
              f"{what}: a thread blocked in a wrapped call keeps its full stack", l)


def expect_degraded(rep, starts, what, word="signal"):
    b = by_start(rep)
    for s in starts:
        for l in b.get(s, []):
            note = l["stack_note"] or ""
            check(word in note, f"{what}: {s} has a partial stack but stack_note says {note!r}", l)


# 1. the program owns every real-time signal: nothing left for threadleak to sample with
for attempt in range(3):
    r = run([leaky, "-H", "-A", "-p", "1", "-s", "2", "-k", "1"], timeout=60)
    docs, lines = api_docs(r)
    check(r.rc == 23, f"own handlers: exit status {r.rc}", r.stderr, stdout_text(r))
    check(len(docs) == 1 and docs[0]["leaked"] == 4, "own handlers: API check reports 4", stdout_text(r))
    check("tkill hits 0" in lines, "own handlers: threadleak ran a handler of the program's", stdout_text(r))
    check("handlers intact yes" in lines, "own handlers: threadleak replaced a handler of the program's", stdout_text(r))
    for rep, what in ((docs[0], "own handlers (api)"), (r.report, "own handlers (exit)")):
        check(rep["leaked"] == 4, f"{what}: 4 leaks", rep)
        check_report_shape(rep, what)
        expect_wrapped_stacks(rep, what)
        expect_degraded(rep, ["spinner", "raw_blocker"], what)
    check(docs[0]["check_ms"] < 2000 and r.report["check_ms"] < 2000, "own handlers: check too slow", r.report)

# 2. every real-time signal ignored
r = run([leaky, "-I", "-A", "-p", "1", "-s", "1", "-k", "1"], timeout=60)
docs, lines = api_docs(r)
check(r.rc == 23 and r.report["leaked"] == 3, f"ignored signals: status {r.rc}, 3 leaks", r.stderr)
expect_wrapped_stacks(r.report, "ignored signals")
expect_degraded(r.report, ["spinner", "raw_blocker"], "ignored signals")

# 3. every signal blocked in every thread (main blocks them before creating any)
for attempt in range(3):
    r = run([leaky, "-B", "-A", "-p", "1", "-s", "2", "-k", "1"], timeout=60)
    docs, lines = api_docs(r)
    check(r.rc == 23, f"blocked signals: exit status {r.rc}", r.stderr)
    for rep, what in ((docs[0], "blocked signals (api)"), (r.report, "blocked signals (exit)")):
        check(rep["leaked"] == 4, f"{what}: 4 leaks", rep)
        expect_wrapped_stacks(rep, what)
        expect_degraded(rep, ["spinner", "raw_blocker"], what, word="blocks")
        check(rep["check_ms"] < 2000, f"{what}: check took {rep['check_ms']} ms", rep)

# 4. the first check picks a free signal and samples with it; then the program installs its
#    own handlers on every real-time signal (that one included). The second check must not
#    take the signal back: no free signal is left, so stacks are partial and say so.
r = run([leaky, "-A", "-L", "-p", "1", "-s", "1", "-k", "1"], timeout=60)
docs, lines = api_docs(r)
check(r.rc == 23 and len(docs) == 2, f"late handlers: status {r.rc}, two API checks", r.stdout, r.stderr)
first = by_start(docs[0])
check(functions(first["spinner"][0]["stack"])[:1] == ["spinner"],
      "late handlers: the first check samples the spinning thread's stack", docs[0])
check(lines.count("tkill hits 0") == 2, "late handlers: threadleak ran a handler of the program's", stdout_text(r))
expect("handlers intact yes" in lines,
      "late handlers: the second check re-installed threadleak's handler over the one the program "
      "installed after the first check (capture.c install_handler: the picked signal is stored in "
      "tl_opt.signal and then treated as configured)", stdout_text(r))
if "handlers intact yes" in lines:
    expect_degraded(docs[1], ["spinner", "raw_blocker"], "late handlers (second check)")

# 5. signal=N naming a real-time signal the program handles: no hang, the report comes
n = SIGRTMIN + 4
r = run([leaky, "-H", "-A", "-p", "1", "-s", "1"], options=f"signal={n}", timeout=60)
docs, lines = api_docs(r)
check(r.rc == 23 and r.report and r.report["leaked"] == 2, f"signal={n} taken by the program: status {r.rc}", r.stderr)
check("tkill hits 0" in lines, f"signal={n}: threadleak ran the program's handler", stdout_text(r))

# 6. `signal` must be a real-time signal: a value that names SIGINT, SIGKILL, SIGSEGV, SIGSTOP or
#    one of glibc's reserved signals is refused with a warning naming the option, like any
#    other bad value.
silent = []
for bad in (2, 9, 11, 19, 32, 33):
    r = run([leaky, "-s", "1"], options=f"signal={bad}", timeout=60)
    check(r.rc == 23 and r.report and r.report["leaked"] == 1, f"signal={bad}: the check still runs", r.stderr)
    if not any("signal" in w and str(bad) in w for w in warnings(r)):
        silent.append(bad)
expect(not silent, f"signal={silent} accepted silently: options.c allows 0..64, so threadleak may install "
       "its handler on a signal that is not real-time (or fail to, and say nothing)")

# 7. ...because with signal=11 a mid-run check installs threadleak's handler on SIGSEGV, and a
#    real segmentation fault afterwards loops forever in a handler that returns, instead of
#    killing the process.
rc, out, err = run_raw([leaky, "-A", "-p", "1", "-G", "11"], timeout=20,
                       env={"LD_PRELOAD": LIB, "THREADLEAK_OPTIONS": "signal=11"})
expect(rc != "hang", "signal=11: after a mid-run check the program's segmentation fault hangs the process "
      "(park_handler installed on SIGSEGV returns and the fault repeats)", err)
expect(rc == -11, f"signal=11: a segmentation fault must still kill the process (status {rc})", err)

# 8. after a check, the program sees every real-time signal as it would bare: threadleak's
#    handler stays on the signal it sampled with (a late signal must not kill the process), but
#    sigaction showed it ("rt 62 handled"), and the program's own raise of that signal was
#    swallowed (status 0) where bare its default action ends the process; in an exit handler
#    after the exit check too
sigview = exe("sigview")
for mode in ("mid", "exit"):
    bare = run([sigview, mode], preload=False)
    r = run([sigview, mode])
    check(bare.stdout == b"view done\n" and r.stdout == bare.stdout and
          r.rc == (23 if mode == "exit" else 0) and r.report and r.report["leaked"] == 1 and
          "waiter" in functions(r.report["leaks"][0]["stack"]),
          f"sigview {mode}: status {r.rc}, {r.stdout!r} against bare {bare.stdout!r}", r.stderr)
    for s in (SIGRTMAX - 2, SIGRTMAX - 3):
        bare = run([sigview, mode, str(s)], preload=False)
        r = run([sigview, mode, str(s)])
        check(bare.rc == -s and r.rc == -s and r.stdout == bare.stdout,
              f"sigview {mode} raising {s}: status {r.rc}, bare {bare.rc}", r.stdout, r.stderr)
# ... and with signal=N naming a signal the program has its own handler on, the program's own
# sigqueue() and raise() of it reach that handler (they were taken for threadleak's: swallowed)
n = SIGRTMIN + 5
bare = run([sigview, "own", str(n)], preload=False)
r = run([sigview, "own", str(n)], options=f"signal={n}")
check(bare.stdout == b"own hits 2\n" and r.rc == 0 and r.stdout == bare.stdout,
      f"sigview own {n}: status {r.rc}, {r.stdout!r} against bare {bare.stdout!r}", r.stderr)
# SIG_IGN (or SIG_DFL) with SA_SIGINFO is SIG_IGN to the kernel: with dump_on_signal, threadleak
# took it for a handler and called address 1 when SIGTERM came (SIGSEGV)
bare = run([sigview, "ignore"], preload=False)
r = run([sigview, "ignore"], options="dump_on_signal=1")
check(bare.rc == 0 and bare.stdout == b"survived\n" and r.stdout == bare.stdout and r.rc in (0, 23),
      f"sigview ignore: status {r.rc}, {r.stdout!r}", r.stderr)
# ... and the handlers threadleak puts on the fatal signals for a teardown that dies (after an
# exit check that found leaks) are not the program's view either: an exit handler that joins
# the pool (no leak) saw "sig 11 handled"
bare = run([sigview, "teardown"], preload=False)
for json_format in (True, False):
    r = run([sigview, "teardown"], json_format=json_format)
    check(bare.stdout == b"teardown done\n" and r.rc == 0 and r.stdout == bare.stdout and
          (not json_format or not r.report or r.report["leaked"] == 0),
          f"sigview teardown: status {r.rc}, {r.stdout!r} against bare {bare.stdout!r}", r.stderr)

# 9. threads that poll their signals with every signal blocked (sigtimedwait on the full set,
#    sigpending): a check samples a poller it found open to signals, which blocks them all before
#    the signal comes, and its own wait took threadleak's sampling signal (5-24 in 40 checks),
#    and sigpending showed it. The pollers' stacks still name their function (one seen running
#    with every signal blocked has none, and a note that says why).
sigpoll = exe("sigpoll")
for mode in ("wait", "pending"):
    bare = run([sigpoll, mode], preload=False)
    r = run([sigpoll, mode], options="grace_ms=0", json_format=False)
    out = r.stdout.decode(errors="replace")
    rest, _, doc = out.partition("json\n")
    rest = rest.splitlines()
    docs = [json.loads(doc)] if doc else []
    check(bare.rc == 0 and bare.stdout == b"seen 0 pending 0\n",
          f"sigpoll {mode} bare: {bare.rc} {bare.stdout!r}", bare.stderr)
    check(r.rc == 23 and rest == ["seen 0 pending 0"],
          f"sigpoll {mode}: the program saw threadleak's signal: status {r.rc}, {rest}", r.stderr)
    check(len(docs) == 1, f"sigpoll {mode}: no JSON of the last check", r.stdout)
    pollers = [l for l in docs[0]["leaks"] if l["start_routine"] == "poller"]
    # a poller seen running with every signal blocked cannot be sampled: its stack is empty
    # and its stack_note says why
    check(len(pollers) == 4 and all("poller" in functions(l["stack"]) or
                                    (not l["stack"] and l["stack_note"]) for l in pollers) and
          any(l["stack"] for l in pollers),
          f"sigpoll {mode}: the last mid-run check shows the 4 pollers by their stacks", docs[0])
# ... and the check's first signal, which measures its frame on its own thread, stayed pending
# where that thread blocks every signal, and came out of the program's signalfd ("got 62")
bare = run([sigpoll, "signalfd"], preload=False)
r = run([sigpoll, "signalfd"])
check(bare.rc == 0 and bare.stdout == b"signalfd empty\n" and r.rc == 0 and
      r.stdout == bare.stdout, f"sigpoll signalfd: status {r.rc}, {r.stdout!r}", r.stderr)

# ... and a threadleak dump that gave up (every thread blocks the request signal) left its signal
# pending: the program's sigpending() showed 63 ever after. Bare: "pending none".
import os
import subprocess

cli = os.path.join(os.environ["TL_BUILD_ROOT"], "tools", "threadleak")
bare = run([sigpoll, "dumped"], preload=False, stdin=b"")
check(bare.rc == 0 and bare.stdout == b"ready\npending none\n", f"sigpoll dumped bare: {bare.stdout!r}")
env = dict(os.environ, LD_PRELOAD=LIB, THREADLEAK_OPTIONS="dump_signal=63")
p = subprocess.Popen([sigpoll, "dumped"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
try:
    check(p.stdout.readline() == b"ready\n", "sigpoll dumped: no ready line")
    d = subprocess.run([cli, "dump", "--wait", "1", str(p.pid)], capture_output=True, timeout=60)
    check(d.returncode != 0 and b"block" in d.stderr, f"sigpoll dumped: threadleak dump got a report"
          f" from a process that blocks every signal (status {d.returncode})", d.stdout, d.stderr)
    out, err = p.communicate(b"", timeout=60)
finally:
    if p.poll() is None:
        p.kill()
check(p.returncode == 0 and out == b"pending none\n" and err == b"",
      f"sigpoll dumped: status {p.returncode}, {out!r}", err)

finish()
