"""threadleak run on process trees: a shell script starting three leaking programs (three
processes reported, grouped by program), a program that fork-execs a leaking child, a
grandchild, an orphan left behind by a script, --no-children, and processes still running."""
import json
import os
import re
import signal
import sys

from clitest import *  # noqa: E402,F403

leaky, forker = exe("leaky"), exe("forker")
three = os.path.join(HERE, "three.sh")
work = tmpdir()
j = os.path.join(work, "r.json")


def procs(path=j):
    return json.load(open(path))["processes"]


# a shell script that runs three leaking programs: three processes, one program
r = tl("run", "--json", j, "--", "sh", three, leaky, cwd=work)
e = err(r)
check(r.rc == 23, f"script: status {r.rc}", e)
ps = [p for p in procs() if p["exe"] == leaky]
check(len(ps) == 3 and len({p["pid"] for p in ps}) == 3, f"three leaky processes reported, got {len(ps)}", procs())
check(sorted(p["leaked"] for p in ps) == [1, 2, 2], "their leaks", ps)
m = re.search(r"threadleak: found 5 leaked threads in \S*leaky \(3 processes: pids (\d+), (\d+), (\d+)\)", e)
check(m, "one section for the program, with its three processes", e)
check(sorted(int(x) for x in m.groups()) == sorted(p["pid"] for p in ps), "the pids listed", e)
check(e.count("Thread ") == 2, "two groups: the start_a threads of two processes, the start_b thread", e)
check("and 3 more with the same stacks:" in e, "same stacks grouped across processes", e)
check(re.search(r"thread \d+ \(pid \d+, tid \d+", e), "thread lines name their process", e)
check(e.rstrip().endswith("5 leaked threads in 3 of 3 processes; exit status 0 becomes 23"), "summary", e)
check(out(r) == "leaky a done\nleaky a done\nleaky b done\n", "the programs ran normally", r.stdout)

# fork + exec of a leaking child: the parent is clean, the child is reported, and the child's
# own exit status is the one its parent sees (the library is told exitcode=0 by run)
r = tl("run", "--json", j, "--", forker, leaky, "a", cwd=work)
check(r.rc == 23, f"fork-exec: status {r.rc}", err(r))
check(out(r).endswith("child exited 0\n"), "the parent saw the child's own status", r.stdout)
ps = procs()
check(len(ps) == 2 and ps[0]["exe"] == forker and ps[0]["leaked"] == 0, "the parent first, clean", ps)
check(ps[1]["exe"] == leaky and ps[1]["leaked"] == 2, "the child's leaks", ps)
check("leaky (pid " in err(r) and "forker" not in err(r).split("\n\n")[0], "report names the child", err(r))

# a grandchild: sh -> forker -> leaky
r = tl("run", "--json", j, "--", "sh", "-c", f"{forker} {leaky} b; true", cwd=work)
check(r.rc == 23 and any(p["exe"] == leaky and p["leaked"] == 1 for p in procs()), "grandchild reported", err(r))

# --no-children: only the command itself is checked
r = tl("run", "--no-children", "--json", j, "--", forker, leaky, "a", cwd=work)
check(r.rc == 0, f"--no-children: status {r.rc}", err(r))
check([p["exe"] for p in procs()] == [forker], "only the parent reported", procs())
check(out(r).endswith("child exited 0\n"), "the child still ran", r.stdout)
r = tl("run", "--no-children", "--", leaky, cwd=work)
check(r.rc == 23, "--no-children still checks the command itself", err(r))

# an orphan: the script ends before its background child; run is its subreaper and waits
r = tl("run", "--json", j, "--", "sh", "-c", f"{leaky} b & exit 0", cwd=work)
check(r.rc == 23, f"orphan: status {r.rc}", err(r))
check(any(p["exe"] == leaky for p in procs()), "the orphan's report was read", procs())

# a shell that runs only builtins ends by _exit and writes no report, but started no thread:
# nothing to say (it said that no process of the command wrote a report, in every run)
r = tl("run", "--", "sh", "-c", "echo hi", cwd=work)
check(r.rc == 0 and out(r) == "hi\n" and r.stderr == b"", f"sh -c 'echo hi': status {r.rc}", err(r))

# a process left running past --orphan-wait is named (and not waited for forever); the one that
# started it ends by _exit after a thread of its own, so no report is written at all
r = tl("run", "--orphan-wait", "100", "--", sys.executable, "-c",
       "import os, subprocess, threading; t = threading.Thread(target=len, args=('',)); "
       "t.start(); t.join(); subprocess.Popen(['sleep', '30'], stdin=subprocess.DEVNULL, "
       "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); os._exit(0)",
       cwd=work, timeout=20)
m = re.search(r"threadleak: pid (\d+) \(sleep\), started by the command, is still running", err(r))
if m:
    os.kill(int(m.group(1)), signal.SIGKILL)
check(r.rc == 0 and m, f"still running process named: status {r.rc}", err(r))
check(r.seconds < 10, f"run did not wait for it ({r.seconds:.1f}s)")
# and the note on the others does not say that every process ended ("each ended without
# running exit handlers", right after naming one still running)
check("no process of the command that has ended wrote a report" in err(r)
      and "no process of the command wrote a report" not in err(r),
      "the note on the processes that ended, next to one still running", err(r))
ok()
