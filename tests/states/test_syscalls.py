"""Threads in system calls threadleak does not wrap are named by the kernel's view: a thread in
io_uring_enter (raw syscalls, no liburing) names the call and the ring's fd, not "syscall
426"; futex_waitv names the first futex word; waitid(P_PIDFD) names the pidfd, wrapped
(waitid) or raw."""
from states import *  # noqa: F403

r, v = run_case("uring")
l = only_leak(r, "uring")
check(l["state"] == "blocked" and l["blocked_in"] == "io_uring_enter",
      f"uring: blocked_in {l.get('blocked_in')!r}, expected io_uring_enter", l)
check((l.get("object") or "").startswith(f"fd {v['ring']} ") and "io_uring" in l["object"],
      f"uring: object {l.get('object')!r} does not name the ring fd {v['ring']}", l)

r, v = run_case("waitv")
check(len(r.leaks) == 3, f"waitv: {len(r.leaks)} leaks, expected 3", r.report)
w = [l for l in r.leaks if l["start_routine"] == "waitv_thread"][0]
check(w["blocked_in"] == "futex_waitv" and (w.get("object") or "").startswith("futex word "),
      f"waitv: {w.get('blocked_in')!r} on {w.get('object')!r}", w)
for l in [l for l in r.leaks if l["start_routine"] == "pidfd_thread"]:
    check(l["blocked_in"] == "waitid" and (l.get("object") or "").startswith(f"fd {v['pidfd']} (anon_inode:[pidfd])"),
          f"pidfd: {l.get('blocked_in')!r} on {l.get('object')!r}", l)
ok()
