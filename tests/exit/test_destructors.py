"""The exit check and other libraries' destructors.

- Interposers preloaded after threadleak (libfaketime; libpoison, which aborts when called after
  its destructor): a leaking program exits with 23 and its report, stdout intact, no crash;
  libfaketime also the other way round, and through `threadleak run -- faketime`.
- A pool of threads that a library's destructor joins (it runs after threadleak's) is not a leak,
  with or without libfaketime; next to a real leak, only the real leak is reported.
- Workers that main had the pool start are reported by the check in threadleak's destructor,
  whose JSON is already in the log file when the library's destructor joins them: the last exit
  handler takes it back (the file holds one clean report, status 0)."""
import os
import subprocess

from exitlib import *  # noqa: F401,F403
from exitlib import LIB, check, exe, ok, run

BUILD = os.environ["TL_BUILD_ROOT"]
SCEN = os.environ["TL_SCENARIOS"]
POISON = os.path.join(SCEN, "libpoison.so")
FAKETIME_DIR = "/usr/lib/x86_64-linux-gnu/faketime"
FAKETIME = os.path.join(FAKETIME_DIR, "libfaketimeMT.so.1")
sleeper = os.path.join(BUILD, "tests", "core", "sleeper")
check(os.path.exists(FAKETIME), f"{FAKETIME} missing (Debian package faketime)")


def leaks_once(preload, what, env=None):
    e = {"LD_PRELOAD": preload}
    e.update(env or {})
    # no 1 ms poller ("0"): a leaked thread that calls the interposer every millisecond calls
    # it after its destructor now and then, in the microseconds before _exit (with threadleak,
    # 20-60 us; bare, 6-9), and libpoison aborts: the program's race, not the check's
    bare = run([sleeper, "0"], preload=False, env=e if preload != LIB else None)
    for i in range(3):
        r = run([sleeper, "0"], env=e)
        check(r.rc == 23, f"{what}: exit status {r.rc}, expected 23", r.stderr)
        check(r.stdout == bare.stdout, f"{what}: stdout {r.stdout!r}, bare {bare.stdout!r}")
        check(len(r.leaks) >= 1, f"{what}: no leak reported", r.reports, r.stderr)
        check(b"libpoison" not in r.stderr, f"{what}: a call after a destructor", r.stderr)


ft = {"FAKETIME": "-1d"}
leaks_once(f"{LIB}:{POISON}", "threadleak then libpoison")
leaks_once(f"{LIB}:{FAKETIME}", "threadleak then libfaketime", ft)
leaks_once(f"{FAKETIME}:{LIB}", "libfaketime then threadleak", ft)

# threadleak run -- faketime: faketime appends its library to LD_PRELOAD (and shares its clock
# through a semaphore, which its destructor closes)
tool = os.path.join(BUILD, "tools", "threadleak")
for i in range(3):
    p = subprocess.run([tool, "run", "--", "faketime", "2020-01-01 00:00:00", sleeper],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(p.returncode == 23, f"threadleak run -- faketime: status {p.returncode}", p.stderr)
    check(b"leaked" in p.stderr and b"Segmentation" not in p.stderr, "report", p.stderr)

# a library's pool, joined by its destructor
pool = exe("pool_user")
for preload, env, what in ((LIB, None, "alone"), (f"{LIB}:{FAKETIME}", ft, "with libfaketime"),
                           (f"{LIB}:{POISON}", None, "with libpoison")):
    e = {"LD_PRELOAD": preload}
    e.update(env or {})
    for i in range(3):
        r = run([pool], env=e)
        check(r.rc == 0, f"pool {what}: exit status {r.rc}", r.reports, r.stderr)
        check(r.stdout == b"main returns\n", f"pool {what}: stdout {r.stdout!r}")
        check(not r.leaks, f"pool {what}: the library's joined pool reported", r.leaks)
for i in range(3):
    r = run([pool, "late"])
    check(r.rc == 0, f"pool started from main: exit status {r.rc}", r.reports, r.stderr)
    check(len(r.reports) == 1 and not r.leaks,
          "pool started from main: the first look's report was not taken back", r.reports)
for i in range(3):
    r = run([pool, "leak"])
    check(r.rc == 23, f"pool and a leak: exit status {r.rc}", r.stderr)
    starts = [l.get("start_routine") for l in r.leaks]
    check(starts == ["reader"], f"pool and a leak: reported {starts}", r.reports)
ok()
