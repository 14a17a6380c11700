"""A leak behind glibc's own helper threads (notify_stuck.c): a timer's helper, then an
mq_notify helper whose notification function blocks. The check hung, in pthread_getattr_np
given an adopted thread's record as a thread; now the process ends with 23 and the blocked
notification thread is reported, the two helpers suppressed by the libc set, waiting on the
condition variable (it read "futex never+40": the word glibc waits on inside it). Five runs: what the
bad read found in memory depended on the heap's layout."""
import os

from apiutil import *  # noqa: F403

block = source_line(os.path.join(SOURCE_ROOT, "tests", "api", "notify_stuck.c"), "NOTIFY_BLOCKS")
for i in range(5):
    r = run([exe("api_notify_stuck")], timeout=30)
    rep = r.report
    check(r.rc == 23 and r.stdout == b"main returns\n", f"run {i}: status {r.rc}, expected 23",
          r.stdout, r.stderr)
    check(rep["leaked"] == 1 and used(rep) == {"start:timer_helper_thread": 1,
                                               "start:mq_notify_helper_thread": 1},
          f"run {i}: {rep['leaked']} leaks, suppressions used {used(rep)}", rep)
    l = rep["leaks"][0]
    fr = [f for f in l["stack"] if f.get("function") == "blocks"]
    check(l["state"] == "untracked" and l.get("blocked_in") == "pthread_cond_wait"
          and (l.get("object") or "").startswith("cond never ")
          and fr and fr[0].get("line") == block,
          f"run {i}: the notification thread: {l['state']} in {l.get('blocked_in')} on "
          f"{l.get('object')}, frames "
          f"{[(f.get('function'), f.get('line')) for f in l['stack']]}", l)
ok()
