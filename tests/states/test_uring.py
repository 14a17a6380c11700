"""A thread waiting in io_uring_enter (raw syscalls, no liburing) is named by the call and the
ring's fd, not "syscall 426"."""
from states import *  # noqa: F403

r, v = run_case("uring")
l = only_leak(r, "uring")
check(l["state"] == "blocked" and l["blocked_in"] == "io_uring_enter",
      f"uring: blocked_in {l.get('blocked_in')!r}, expected io_uring_enter", l)
check(l.get("object", "").startswith(f"fd {v['ring']} ") and "io_uring" in l["object"],
      f"uring: object {l.get('object')!r} does not name the ring fd {v['ring']}", l)
ok()
