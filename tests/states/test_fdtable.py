"""A thread with its own fd table (unshare(CLONE_FILES)) blocked on its own fd 3 while the
process's fd 3 is a pipe: the object is the thread's socket, not the process's pipe."""
from states import *  # noqa: F403

r, v = run_case("fdtable")
check(v["private"] == v["a"], f"fdtable: the thread's socket did not take fd {v['a']}", r.stdout)
l = only_leak(r, "fdtable")
obj = l.get("object", "")
check(l["blocked_in"] == "read" and obj.startswith(f"fd {v['private']} (socket:["),
      f"fdtable: object {obj!r}, expected the thread's socket on fd {v['private']}", l)
check("pipe" not in obj, f"fdtable: object {obj!r} describes the process's pipe", l)
ok()
