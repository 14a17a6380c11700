"""Test runners, as docs/cli.md shows them: `meson test --wrapper 'threadleak run --'`, CTest
(add_test with the wrapper, and the whole ctest under threadleak run), and `make check`. A
small project with a clean test and a leaking one: the leaking one fails, with its report."""
import os
import shutil
import subprocess
import sys

from clitest import *  # noqa: E402,F403

work = tmpdir()
proj = os.path.join(work, "proj")
os.makedirs(proj)
for f in ("leaky.c", "tidy.c"):
    shutil.copy(os.path.join(HERE, f), proj)
env = dict(os.environ)
for k in ("LD_PRELOAD", "THREADLEAK_OPTIONS", "MESON_TESTTHREADS"):
    env.pop(k, None)
env["PATH"] = os.path.dirname(CLI) + os.pathsep + env.get("PATH", "")  # threadleak on PATH


def sh(argv, cwd=proj, timeout=180):
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{argv} hung")
    return p.returncode, p.stdout.decode(errors="replace")


ran = []


def part(name, tool):
    if shutil.which(tool) is None:
        print(f"{tool} not installed: {name} skipped")
        return False
    ran.append(name)
    return True


# ---- meson test --wrapper ----
if part("meson", "meson"):
    with open(os.path.join(proj, "meson.build"), "w") as f:
        f.write("project('demo', 'c')\n"
                "threads = dependency('threads')\n"
                "test('tidy', executable('tidy', 'tidy.c', dependencies : threads))\n"
                "test('leaky', executable('leaky', 'leaky.c', dependencies : threads))\n"
                "add_test_setup('threadleak', exe_wrapper : [find_program('threadleak'), 'run', '--'])\n")
    rc, o = sh(["meson", "setup", "bmeson"])
    check(rc == 0, "meson setup", o)
    rc, o = sh(["meson", "test", "-C", "bmeson", "--wrapper", "threadleak run --", "--print-errorlogs"])
    check(rc != 0, "meson test fails on the leaking test", o)
    check(any(" tidy " in ln and "OK" in ln for ln in o.splitlines()), "the clean test passes", o)
    check(any(" leaky " in ln and "FAIL" in ln and "exit status 23" in ln for ln in o.splitlines()),
          "the leaking test fails with status 23", o)
    check("created by start_a at" in o, "its report in the error log", o)
    rc, o = sh(["meson", "test", "-C", "bmeson", "--wrapper", "threadleak run --", "tidy"])
    check(rc == 0, "meson test of the clean test alone passes", o)
    rc, o = sh(["meson", "test", "-C", "bmeson", "--setup", "threadleak", "--print-errorlogs"])
    check(rc != 0 and "created by start_a at" in o, "meson test --setup threadleak (add_test_setup)", o)
    rc, o = sh(["meson", "test", "-C", "bmeson"])
    check(rc == 0, "without the wrapper the leak goes unnoticed", o)

# ---- CTest ----
if part("ctest", "cmake"):
    with open(os.path.join(proj, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.13)\n"
                "project(demo C)\n"
                "find_package(Threads REQUIRED)\n"
                "enable_testing()\n"
                "find_program(THREADLEAK threadleak REQUIRED)\n"
                "foreach(t tidy leaky)\n"
                "  add_executable(${t} ${t}.c)\n"
                "  target_link_libraries(${t} Threads::Threads)\n"
                "  add_test(NAME ${t} COMMAND ${THREADLEAK} run -- $<TARGET_FILE:${t}>)\n"
                "  add_test(NAME plain_${t} COMMAND $<TARGET_FILE:${t}>)\n"
                "endforeach()\n")
    rc, o = sh(["cmake", "-S", ".", "-B", "bcmake", "-DCMAKE_BUILD_TYPE=Debug"])
    check(rc == 0, "cmake configure", o)
    rc, o = sh(["cmake", "--build", "bcmake"])
    check(rc == 0, "cmake build", o)
    rc, o = sh(["ctest", "--test-dir", "bcmake", "--output-on-failure"])
    check(rc != 0 and "tidy ...." in o and "Passed" in o and "leaky ..." in o and "Failed" in o, "ctest results", o)
    check("created by start_a at" in o, "ctest shows the report", o)
    # the whole ctest under threadleak run: every test process is checked
    J = os.path.join(work, "ctest.json")
    rc, o = sh(["threadleak", "run", "--json", J, "--", "ctest", "--test-dir", "bcmake", "-R", "^tidy$"])
    check(rc == 0, f"threadleak run -- ctest (clean test): {rc}", o)
    # tests registered without the wrapper: only the outer run sees the leak
    rc, o = sh(["ctest", "--test-dir", "bcmake", "-R", "^plain_"])
    check(rc == 0, f"ctest of the plain tests alone passes: {rc}", o)
    rc, o = sh(["threadleak", "run", "--", "ctest", "--test-dir", "bcmake", "-R", "^plain_"])
    check(rc == 23 and "created by start_a at" in o and "leaky" in o,
          f"threadleak run -- ctest follows the test processes: {rc}", o)

# ---- make check ----
if part("make check", "make"):
    with open(os.path.join(proj, "Makefile"), "w") as f:
        f.write("THREADLEAK ?= threadleak\n"
                "CFLAGS ?= -g -O0\n"
                "LDLIBS = -pthread\n"
                "TESTS = tidy leaky\n"
                "check: $(TESTS)\n"
                "\t@for t in $(TESTS); do $(THREADLEAK) run -- ./$$t || exit 1; done\n"
                "check-tidy: tidy\n"
                "\t$(THREADLEAK) run -- ./tidy\n"
                "check-plain: $(TESTS)\n"
                "\t@for t in $(TESTS); do ./$$t || exit 1; done\n")
    rc, o = sh(["make", "check"])
    check(rc != 0 and "tidy done" in o and "created by start_a at" in o, f"make check fails on the leak: {rc}", o)
    rc, o = sh(["make", "check-tidy"])
    check(rc == 0, "make check of the clean test passes", o)
    rc, o = sh(["threadleak", "run", "--", "make", "-s", "check"])
    check(rc != 0 and "created by start_a" in o, "threadleak run -- make check", o)
    # a check target that runs the tests bare: the outer run alone must catch the leak
    rc, o = sh(["make", "-s", "check-plain"])
    check(rc == 0, f"make check-plain without threadleak passes: {rc}", o)
    rc, o = sh(["threadleak", "run", "--", "make", "-s", "check-plain"])
    check(rc == 23 and "created by start_a" in o, f"threadleak run -- make check-plain: {rc}", o)
if not ran:
    print("no test runner installed: skipped")
    sys.exit(77)
ok()
