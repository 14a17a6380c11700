"""A command that runs without the library although run preloaded it is named with the real
reason: `env -i` or `env -u LD_PRELOAD` (the variable removed); when run cannot tell, the message lists these
causes too, not only "_exit, a fatal signal, or the check was turned off"."""
import os
import shutil
import sys

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")

for args in (["env", "-i", leaky, "a"], ["env", "-u", "LD_PRELOAD", leaky, "a"],
             ["env", "--ignore-environment", leaky, "a"]):
    r = tl("run", "--", *args)
    e = err(r)
    check(r.rc == 0 and out(r) == "leaky a done\n", f"{args}: status {r.rc}", e)
    check(f"threadleak: {leaky} (pid " in e and ") was not checked: env removed LD_PRELOAD from its "
          "environment" in e, f"{args}: the reason", e)
    check("_exit" not in e, f"{args}: not explained as _exit", e)

# deeper in the tree: named by the library's exec wrapper (tests/cli/test_exec_notes.py)
r = tl("run", "--", "sh", "-c", 'exec env -i "$0" a', leaky)
e = err(r)
check(r.rc == 0 and f"threadleak: {leaky} (pid " in e and "env removed LD_PRELOAD" in e
      and "no process of the command wrote a report" not in e, f"sh -c 'exec env -i ...': status {r.rc}", e)

# valgrind's tool is statically linked, but loads the program it runs with LD_PRELOAD: that
# program is checked (its leaks reported), and run does not call it unchecked
if shutil.which("valgrind"):
    r = tl("run", "--", "valgrind", "-q", "--suppressions=" + os.path.join(SOURCE_ROOT, "preload", "valgrind.supp"),
           leaky, "a", timeout=300)
    e = err(r)
    check(r.rc == 23 and "statically linked" not in e and "not checked" not in e and "leaked thread" in e,
          f"valgrind: status {r.rc}", e)
    # the program named, not valgrind's tool (/proc/self/exe; the threads' kernel names are
    # the tool's, as the kernel keeps them)
    check(f"leaked threads in {leaky} (pid" in e, "valgrind: the report names the program", e)

# run cannot tell why: every cause is listed (a process that started a thread and ended by
# _exit; without a thread it is clean, test_processes.py)
r = tl("run", "--", sys.executable, "-c",
       "import os, threading; t = threading.Thread(target=len, args=('',)); t.start(); t.join(); "
       "os._exit(0)")
e = err(r)
check(r.rc == 0 and "no process of the command wrote a report" in e and "lost LD_PRELOAD" in e
      and "statically linked" in e, f"_exit: status {r.rc}", e)

# a set-user-ID command: tests/cli/test_exec_notes.py (with the same copy run deeper)
ok()
