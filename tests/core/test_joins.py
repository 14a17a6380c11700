"""Joins other than pthread_join, and reused thread handles (tests/core/joins.c):
- clean: threads joined by pthread_tryjoin_np, pthread_timedjoin_np and pthread_clockjoin_np
  that succeed are not leaks: no report on stderr, 0 leaks in JSON, exit status 0.
- busy: a pthread_tryjoin_np that fails with EBUSY (the thread still runs) does not count as a
  join: once the thread has finished, never joined, it is reported "exited", with its creation
  stack.
- reuse: 2000 threads created and joined one after the other (their handles repeat), then 2
  threads that block: exactly those 2 are reported (threads 2002 and 2003), blocked in read."""
import re

from coreutil import *  # noqa: E402,F403

prog = exe("joins")
S = "joins.c"
create = line(S, "/* CREATE */")

# clean: JSON and text
bare, r, rep = run_vs_bare([prog, "clean"], b"joined 5\n", rc=0, what="clean")
check(r.stderr == b"", "clean: stderr not empty", r.stderr)
check(rep is not None, "clean: no JSON report written (log_path writes one even when clean)")
check(rep["exit_status"] == 0 and rep["leaked"] == 0 and rep["leaks"] == [], "clean: 0 leaks expected", rep)
for i in range(3):
    t = run([prog, "clean"], json_format=False)
    check(t.rc == 0, f"clean text run {i}: exit status {t.rc}", t.stderr)
    check(t.stderr == b"", f"clean text run {i}: something written to stderr", t.stderr)
    check(t.stdout == bare.stdout, f"clean text run {i}: stdout", t.stdout)

# busy: tryjoin said EBUSY, the thread finished, nobody joined it
bare, r, rep = run_vs_bare([prog, "busy"], b"tryjoin busy, then finished\n", what="busy")
check(rep["leaked"] == 1 and len(rep["leaks"]) == 1, "busy: 1 leak expected", rep)
l = rep["leaks"][0]
check(l["state"] == "exited", f"busy: state {l['state']!r}, expected 'exited'", l)
check(l["thread"] == 2 and l["detached"] is False, "busy: thread 2, joinable", l)
check(l["blocked_in"] is None and l["object"] is None and l["held_by"] is None, "busy: not blocked", l)
check(l["stack"] == [], "busy: an exited thread has no current stack", l)
check(l["start_routine"] == "held_back", f"busy: start routine {l['start_routine']!r}", l)
check_created_by(l, 1, ["start", "busy", "main"], S,
                 [create, line(S, "BUSY_CREATE"), line(S, "return busy();")])
no_own_frames(l)
t = run([prog, "busy"], json_format=False)
err = t.stderr.decode(errors="replace")
check(t.rc == 23 and "found 1 leaked thread" in err and "exited without join" in err, "busy: text report", err)

# reuse: 2000 joined threads leave nothing behind; the 2 blocked ones are reported
bare, r, rep = run_vs_bare([prog, "reuse"], b"2000 joined, 2 blocked\n", what="reuse")
check(rep["leaked"] == 2 and len(rep["leaks"]) == 2,
      f"reuse: {rep['leaked']} leaks, expected exactly 2: "
      f"{[(x['thread'], x['state'], x['start_routine']) for x in rep['leaks'][:10]]}", rep)
check([x["thread"] for x in rep["leaks"]] == [2002, 2003],
      f"reuse: threads {[x['thread'] for x in rep['leaks']]}, expected [2002, 2003]", rep)
check(rep["leaks"][0]["tid"] != rep["leaks"][1]["tid"], "reuse: distinct tids", rep)
read_line = line(S, "BLOCKED_READ")
for l, marker in zip(rep["leaks"], ("REUSE_LEAK_1", "REUSE_LEAK_2")):
    n = l["thread"]
    check(l["state"] == "blocked" and l["blocked_in"] == "read",
          f"reuse: thread {n}: {l['state']} in {l['blocked_in']}, expected blocked in read", l)
    check(re.fullmatch(r"fd \d+ \(pipe:\[\d+\]\)", l["object"] or "") is not None,
          f"reuse: thread {n}: object {l['object']!r}", l)
    check(l["held_by"] is None and l["start_routine"] == "blocked", f"reuse: thread {n}", l)
    check_frame(top(l), "blocked", S, read_line, f"reuse: thread {n}: top frame", l)
    check_created_by(l, 1, ["start", "start_blocked", "reuse"], S,
                     [create, line(S, "START_BLOCKED"), line(S, marker)])
    no_own_frames(l)
ok()
