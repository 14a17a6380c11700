"""threadleak run --timeout: what run says of its own status agrees with it (124, as timeout(1)).
The JSON's exit_status was the command's (143 after SIGTERM); the summary of a command whose
SIGTERM handler leaks and exits (hang.c handler: exit(3)) said "the command's own exit status
3 is kept"; and --html wrote a page without the hang report, which `threadleak report --html`
of the same JSON shows."""
import json
import os
import re

from liveutil import CLI, check, exe, ok, run, tmpdir

d = tmpdir()
j, h = os.path.join(d, "run.json"), os.path.join(d, "run.html")
r = run([CLI, "run", "--timeout", "1", "--json", j, "--html", h, "--", exe("hang")],
        preload=False, timeout=60)
err = r.stderr.decode()
check(r.rc == 124, f"status {r.rc}, expected 124", err)
doc = json.load(open(j))
check(doc.get("exit_status") == 124 and doc.get("timed_out") is True,
      f"--json: exit_status {doc.get('exit_status')}, timed_out {doc.get('timed_out')}", doc)
page = open(h).read()
check("<svg" in page and "pthread_cond_wait" in page and 'thread 2 "hang"' in page,
      "--html: the hang report and its graph of waits", page[-3000:])
# the same page as threadleak report --html of the JSON (but for the times in it)
h2 = os.path.join(d, "report.html")
r = run([CLI, "report", "--html", h2, j], preload=False, timeout=60)
check(r.rc == 0 and re.sub(r"[0-9]", "", open(h2).read()) == re.sub(r"[0-9]", "", page),
      "--html: run's page and report's differ", r.stderr)
# report --json of the same JSON says it timed out too (it wrote false)
j2 = os.path.join(d, "report.json")
r = run([CLI, "report", "--json", j2, j], preload=False, timeout=60)
doc2 = json.load(open(j2))
check(r.rc == 0 and doc2.get("timed_out") is True and len(doc2.get("hangs", [])) == 1,
      f"report --json of a timed-out run: timed_out {doc2.get('timed_out')}", doc2)

# the command's SIGTERM handler makes it end (_exit(3)): the command's status in the JSON, run's
# beside it
r = run([CLI, "run", "--timeout", "1", "--json", j, "--", exe("hang"), "handler"],
        preload=False, timeout=60)
check(r.rc == 124, f"handler: status {r.rc}, expected 124", r.stderr)
doc = json.load(open(j))
check(doc.get("exit_status") == 124 and doc.get("command_status") == 3,
      f"handler: --json exit_status {doc.get('exit_status')}, command_status "
      f"{doc.get('command_status')}", doc)

# one whose SIGTERM handler lets main return 0 with a worker left (tests/live/termexit.c): the
# exit check reports it; the summary said "exit status 0 becomes 23", the JSON 23
r = run([CLI, "run", "--timeout", "1", "--json", j, "--", exe("termexit")], preload=False,
        timeout=60)
err = r.stderr.decode()
check(r.rc == 124, f"termexit: status {r.rc}, expected 124", err)
lines = [l for l in err.splitlines() if l.startswith("threadleak: 1 leaked thread")]
check(len(lines) == 1 and lines[0].endswith("; exit status 124: the command did not finish within "
                                             "its --timeout"), "termexit: the summary line", err)
doc = json.load(open(j))
check(doc.get("exit_status") == 124 and doc.get("command_status") == 0 and doc.get("leaked") == 1,
      f"termexit: --json exit_status {doc.get('exit_status')}, command_status "
      f"{doc.get('command_status')}, leaked {doc.get('leaked')}", doc)
ok()
