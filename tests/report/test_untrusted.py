"""`threadleak report` of a report from elsewhere: a frame whose module names a FIFO (or a
folder, or /dev/zero) must not block or be read; the frame is printed as it is, the report
finishes."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
work = tempfile.mkdtemp(prefix="tluntrusted.")
fifo = os.path.join(work, "fifo")
os.mkfifo(fifo)


def report_with(module):
    frame = {"pc": "0x7f0000001010", "module": module, "offset": "0x1010", "function": None,
             "file": None, "line": None, "inlined": False}
    leak = {"thread": 2, "tid": 4243, "name": None, "state": "blocked", "detached": False,
            "blocked_in": "read", "object": None, "blocked_ms": 5, "held_by": None,
            "start_routine": "worker", "group": 0, "stack": [frame], "stack_note": None,
            "created_by": {"thread": 1, "stack": [dict(frame, offset="0x2020", pc="0x7f0000002020")]}}
    return {"tool": "threadleak", "schema": 1, "pid": 4242, "exe": "/x/app", "check": "exit",
            "exit_status": 0, "leaked": 1, "suppressed": 0, "check_ms": 1.0, "deadlock": None,
            "leaks": [leak], "suppressed_threads": [], "suppressions_used": []}


for module in [fifo, work, "/dev/zero"]:
    path = os.path.join(work, "rep.json")
    with open(path, "w") as f:
        json.dump(report_with(module), f)
    for extra in [[], ["--exe-map", f"app={module}"], ["--debug-dir", work]]:
        r = run([CLI, "report", *extra, path], preload=False, timeout=20)
        out = r.stdout.decode(errors="replace")
        base = os.path.basename(module)
        check(r.rc == 0 and f"?? ({base}+0x1010)" in out and "1 leaked thread in 1 of 1 process" in out,
              f"module {module} {extra}: status {r.rc}", out, r.stderr)
print("ok: modules that are not regular files are not opened")

# a real module whose build-id debug file, in a --debug-dir, is a FIFO
prog = exe("seed_nodebug")
note = subprocess.run(["readelf", "-n", prog], capture_output=True, text=True).stdout
m = re.search(r"Build ID: ([0-9a-f]+)", note)
check(m, "seed_nodebug has a build-id", note)
bid = m.group(1)
dbg = os.path.join(work, "dbg")
os.makedirs(os.path.join(dbg, ".build-id", bid[:2]))
os.mkfifo(os.path.join(dbg, ".build-id", bid[:2], bid[2:] + ".debug"))
path = os.path.join(work, "rep.json")
with open(path, "w") as f:
    json.dump(report_with(prog), f)
r = run([CLI, "report", "--debug-dir", dbg, path], preload=False, timeout=20)
check(r.rc == 0 and "1 leaked thread in 1 of 1 process" in r.stdout.decode(errors="replace"),
      f"a FIFO as the build-id debug file: status {r.rc}", r.stdout, r.stderr)
print("ok: a FIFO in the build-id tree of a debug folder is not opened")
shutil.rmtree(work, ignore_errors=True)
