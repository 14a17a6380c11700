"""threadleak watch PID: the seed run as a service (a request every 100 ms, 3 threads leaked per
request) is flagged at every interval after the first, by its creation site and what its
threads wait in; a stable pool serving the same requests is never flagged. JSON lines keep the
documented shape."""
import json
import os
import re
import time

from liveutil import CLI, Live, check, exe, ok, run, source_line

SERVICE_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "service.c")
SIG = __import__("signal").SIGRTMAX - 1


def watch(pid, *args):
    return run([CLI, "watch", "--interval", "0.5", "--count", "4", *args, str(pid)], preload=False,
               timeout=60)


line = source_line(SERVICE_C, "SUBMIT_CREATE")
live = Live([exe("service"), "leak"], options=f"dump_signal={SIG}")
try:
    r = watch(live.p.pid, "--json")
    check(r.rc == 0, f"watch --json: status {r.rc}", r.stderr)
    docs = [json.loads(x) for x in r.stdout.decode().splitlines()]
    check(len(docs) == 4, f"one line per interval: {len(docs)}", r.stdout)
    counts = []
    for i, d in enumerate(docs):
        check(d["tool"] == "threadleak" and d["kind"] == "watch" and d["pid"] == live.p.pid
              and isinstance(d["t"], (int, float)), "the line's fields", d)
        # a thread just created may be caught before it blocks (a loaded machine): a group of
        # its own, running; the blocked ones are one group
        sub = [g for g in d["groups"] if g["site"] == "submit" and g["state"] == "blocked"]
        check(len(sub) == 1, f"interval {i}: one blocked submit group", d)
        g = sub[0]
        check(set(g) == {"site", "file", "line", "state", "call", "count", "grew"}, "group fields", g)
        check(g["file"] == "service.c" and g["line"] == line and g["state"] == "blocked"
              and g["call"] == "chan_send", "where and in what", g)
        check(g["grew"] == (i > 0), f"interval {i}: grew {g['grew']}", d)
        counts.append(g["count"])
    check(all(b > a for a, b in zip(counts, counts[1:])), f"counts grow: {counts}")
    r = watch(live.p.pid)
    out = r.stdout.decode()
    check(r.rc == 0 and re.search(r"^submit \(service\.c:%d\): \d+ -> \d+ -> \d+ -> \d+ threads, \+\d+(\.\d)? per "
                                  r"interval, all blocked in chan_send$" % line, out, re.M),
          "the text line", out, r.stderr)
    # on a terminal: the table, redrawn each interval, the growing group marked
    import pty
    import subprocess
    master, slave = pty.openpty()
    p = subprocess.Popen([CLI, "watch", "--interval", "0.5", "--count", "3", str(live.p.pid)],
                         stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    buf = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    p.wait(timeout=60)
    os.close(master)
    screens = buf.decode(errors="replace").split("\x1b[H\x1b[2J")[1:]
    check(p.returncode == 0 and len(screens) == 3, f"tty: {len(screens)} screens", buf)
    check(all(re.search(r"^threadleak watch %d: " % live.p.pid, sc, re.M) for sc in screens)
          and all("CREATED AT" in sc for sc in screens), "tty: header", buf)
    row = r"^\s+\d+\s+\+\d+\s+blocked\s+chan_send\s+submit \(service\.c:%d\)  <- grew\r?$" % line
    check(all(re.search(row, sc, re.M) for sc in screens[1:]), "tty: the growing group's row", screens)
    r = run([CLI, "watch", "--interval", "0.5", "--count", "2", "--lines", str(live.p.pid)],
            preload=False, timeout=60)
    check(r.rc == 0 and b"\x1b[" not in r.stdout, "--lines: no table", r.stdout)
    # to a pipe, with no end: each line arrives in its interval (it came only when watch ended,
    # and a SIGTERM lost them all), and SIGTERM ends watch with that signal's status
    import select
    import signal
    p = subprocess.Popen([CLI, "watch", "--interval", "0.5", str(live.p.pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got, t_end = b"", time.monotonic() + 6  # a line every 0.5 s from the second
    while got.count(b"\n") < 2 and time.monotonic() < t_end:
        if select.select([p.stdout], [], [], 1)[0]:
            got += os.read(p.stdout.fileno(), 65536)
    check(got.count(b"\n") >= 2, f"pipe: {got.count(chr(10).encode())} lines before the end",
          got)
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=30)
    check(p.returncode == -signal.SIGTERM, f"SIGTERM: status {p.returncode}", err)
    check(re.search(r"^submit \(service\.c:%d\): " % line, (got + rest).decode(), re.M),
          "pipe: the growth lines", got + rest)
finally:
    live.close()

live = Live([exe("service"), "pool"], options=f"dump_signal={SIG}")
try:
    r = watch(live.p.pid, "--json")
    docs = [json.loads(x) for x in r.stdout.decode().splitlines()]
    check(r.rc == 0 and len(docs) == 4, f"pool: status {r.rc}", r.stderr)
    grew = [g for d in docs for g in d["groups"] if g["grew"]]
    check(not grew, f"a stable pool was flagged: {grew}", docs)
    check(any(g["count"] == 8 for g in docs[-1]["groups"]), "the pool's 8 workers in one group", docs[-1])
    r = watch(live.p.pid)
    check(r.rc == 0 and not r.stdout.strip(), "text: nothing grew, nothing printed", r.stdout)
finally:
    live.close()
# The same from run: --watch prints the growth of each process of the command on stderr.
r = run(["sh", "-c", f"(sleep 2.5; echo stop) | {CLI} run --watch 0.5 -- {exe('service')} leak"],
        preload=False, timeout=60)
err = r.stderr.decode()
grew = re.findall(r"^threadleak watch: pid \d+: submit \(service\.c:%d\): [\d >-]+ threads, \+\d+(\.\d)? per "
                  r"interval, all blocked in chan_send$" % line, err, re.M)
check(len(grew) >= 2, f"run --watch: {len(grew)} growth lines", err)
# a steady process whose main thread computes, then waits, in turn (its current frame moves):
# nothing grew. It printed "main (busy.c:N): 1 -> 0 -> 0 -> 0 -> 1 thread, +0 per interval" and
# the same for its computing frame (a black-box round): the main thread is not a group, and a
# group that comes and goes holds steady
live = Live([exe("busy"), "4", "flip"], options=f"dump_signal={SIG}")
try:
    r = run([CLI, "watch", "--interval", "0.3", "--count", "8", str(live.p.pid)], preload=False,
            timeout=60)
    check(r.rc == 0 and r.stdout.decode().strip() == "", f"flip: watch status {r.rc}, growth printed",
          r.stdout, r.stderr)
finally:
    live.close()
# a steady pool whose two threads (made at one line) wait now in wait_a, now in wait_b: nothing
# grew. The groups of each state and call came and went ("0 -> 2 threads, all blocked in
# wait_b"; a ping-pong pair, now running, now blocked, printed growth in 6 runs of 6, a
# black-box round): growth is judged on a creation site's threads, whatever their state
live = Live([exe("service"), "phases"], options=f"dump_signal={SIG}")
try:
    r = run([CLI, "watch", "--interval", "0.3", "--count", "10", str(live.p.pid)], preload=False,
            timeout=60)
    check(r.rc == 0 and r.stdout.decode().strip() == "", f"phases: watch status {r.rc}, "
          "growth printed", r.stdout, r.stderr)
    r = watch(live.p.pid, "--json")
    docs = [json.loads(x) for x in r.stdout.decode().splitlines()]
    check(r.rc == 0 and docs and not [g for d in docs for g in d["groups"] if g["grew"]],
          "phases: --json marked growth", docs)
finally:
    live.close()
ok()
