"""A real leak must not hide behind the libc set: the timer's notification function blocks
forever (a thread of glibc's, never seen created: reported as untracked). A later call that
starts a libc helper (aio_read, mq_notify, another timer_create) must not record that stuck
thread as the new helper, which the default set would then suppress."""
from apiutil import *  # noqa: F403

prog = exe("api_libc")

r = run([prog, "timer-stuck"])
rep = r.report
check(r.rc == 23 and rep["leaked"] == 1 and rep["leaks"][0]["state"] == "untracked"
      and used(rep) == {"start:timer_helper_thread": 1}, "timer-stuck: the notification thread is reported",
      rep)
stuck_tid = rep["leaks"][0]["tid"]

for then, rule in (("aio", "start:handle_fildes_io"), ("mq", "start:mq_notify_helper_thread"),
                   ("timer", "start:timer_helper_thread")):
    r = run([prog, "timer-stuck", then])
    rep = r.report
    check(r.rc == 23 and rep["leaked"] == 1 and rep["leaks"][0]["state"] == "untracked",
          f"timer-stuck then {then}: the stuck notification thread is hidden: status {r.rc}, leaked "
          f"{rep['leaked']}, used {used(rep)} (tl_adopt_new_tasks() adopts every task nobody saw created, "
          "not only those the call started: registry.c must adopt only tasks absent before the call)", rep)
# a thread created by such a thread: its creator named by tid, "thread 0" it was (there is none)
r = run([prog, "timer-spawn"])
leaks = [l for l in r.report["leaks"] if l["start_routine"] == "spawned_waiter"]
check(r.rc == 23 and len(leaks) == 1, f"timer-spawn: status {r.rc}", r.report)
cb = leaks[0]["created_by"]
check(cb["thread"] is None and isinstance(cb.get("tid"), int) and cb["tid"] > 0 and
      cb["tid"] != r.report["pid"] and functions(cb["stack"])[:1] == ["timer_fired_spawn"],
      "timer-spawn: created by the notification thread, by tid", cb)
t = run([prog, "timer-spawn"], json_format=False)
check(b"created by timer_fired_spawn at " in t.stderr and b"libc_helpers.c:" in t.stderr and
      b" (untracked), start routine spawned_waiter:" in t.stderr, "timer-spawn: text", t.stderr)
# a deadlock between a worker and the notification thread: the cycle found through the untracked
# thread (by tid), and its line says who holds its mutex (the JSON had it, the text did not)
r = run([prog, "timer-deadlock"])
dl = r.report.get("deadlock") or ""
check(r.rc == 23 and "(untracked)" in dl and dl.count("held by") == 2 and "lock_b" in dl and
      "lock_a" in dl, f"timer-deadlock: status {r.rc}, deadlock {dl!r}", r.report)
t = run([prog, "timer-deadlock"], json_format=False)
line = next((l for l in t.stderr.decode(errors="replace").splitlines() if "never seen created" in l),
            "")
check("lock_a" in line and " held by thread 2 (tid " in line, f"timer-deadlock: text {line!r}",
      t.stderr)
ok()
