"""GoogleTest death tests (gtest_death.cpp): a death test's child process is not checked, in
both styles (threadsafe: the binary runs itself again with --gtest_internal_run_death_test;
fast: fork(), told by gtest's InDeathTestChild()): every test passes as bare, the status is 0
and no report names the parent's service thread or the child's own thread; the parent is still
checked (TL_GTEST_LEAK: its leaked thread reported, status 23). Before, ExitedWithCode(0) saw
23 (2 of 3 tests failed in the threadsafe style, 1 in the fast one). Skipped without GoogleTest
(Debian: libgtest-dev)."""
import os

from apiutil import *  # noqa: F403

if os.environ.get("TL_NO_GTEST"):
    skip("GoogleTest not found (Debian: libgtest-dev)")
prog = exe("api_gtest_death")
for style in ("threadsafe", "fast"):
    argv = [prog, f"--gtest_death_test_style={style}"]
    bare = run(argv, preload=False, timeout=120)
    check(bare.rc == 0 and b"[  PASSED  ] 3 tests." in bare.stdout, f"{style}: bare run", bare.stdout)
    r = run(argv, timeout=120)
    check(r.rc == 0 and b"[  PASSED  ] 3 tests." in r.stdout and b"FAILED" not in r.stdout,
          f"{style}: status {r.rc}", r.stdout, r.stderr)
    leaks = [l for rep in r.reports for l in rep["leaks"]]
    check(leaks == [], f"{style}: {len(leaks)} threads reported", r.reports)
    r = run(argv, env={"TL_GTEST_LEAK": "1"}, timeout=120)
    leaks = [l for rep in r.reports for l in rep["leaks"]]
    check(r.rc == 23 and b"[  PASSED  ] 3 tests." in r.stdout and len(leaks) == 1,
          f"{style}: the parent's own leak: status {r.rc}, {len(leaks)} reported", r.stdout, r.reports)
ok()
