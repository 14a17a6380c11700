"""The exit status a leak changes is the one the parent sees, the low 8 bits of exit()'s
argument (or main's return value, or quick_exit's): exit(256) ends the process with 0, so a leak
makes it 23; exit(-1) ends it with 255, which stays, and the report says 255."""
from exitlib import *  # noqa: F401,F403
from exitlib import check, exe, ok, run

prog = exe("status")
for how in ("exit", "return", "quick"):
    for n, seen, rc in [(256, 0, 23), (512, 0, 23), (0, 0, 23), (-1, 255, 255), (3, 3, 3),
                        (259, 3, 3)]:
        bare = run([prog, how, str(n)], preload=False)
        check(bare.rc == seen, f"bare {how}({n}): status {bare.rc}, expected {seen}")
        r = run([prog, how, str(n)])
        check(r.rc == rc, f"{how}({n}): status {r.rc}, expected {rc}", r.reports, r.stderr)
        check(len(r.leaks) == 1 and r.report["exit_status"] == seen,
              f"{how}({n}): report {r.report and r.report['exit_status']}, expected {seen}",
              r.reports)
        text = run([prog, how, str(n)], json_format=False).stderr.decode(errors="replace")
        words = f"exit status {seen} becomes 23" if rc == 23 else f"exit status {seen})"
        check(words in text, f"{how}({n}): text should say {words!r}", text)
ok()
