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
ok()
