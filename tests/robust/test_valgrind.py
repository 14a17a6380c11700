"""Scenario programs under valgrind memcheck with the library preloaded: zero
errors. Uses tl_test.run()'s TL_WRAPPER prefix (valgrind passes LD_PRELOAD on to the client;
the tool itself is static). Noise from libunwind's memory probing is suppressed by
preload/valgrind.supp, which documents each entry. Skipped (77) without valgrind.

Any other suite can run the same way, e.g.
  TL_WRAPPER="valgrind -q --fair-sched=yes --max-threads=3000 --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions=$PWD/preload/valgrind.supp" meson test -C build --suite core
(--fair-sched: a spinning thread otherwise starves the others for minutes; --show-leak-kinds:
keeps "possibly lost" records, which are not errors, off the program's stderr.)"""
import os
import re
import sys

from robust import *  # noqa: F403

if not have("valgrind"):
    skip("valgrind is not installed")

SUPP = os.path.join(HERE, "..", "..", "preload", "valgrind.supp")
os.environ["TL_WRAPPER"] = (f"valgrind --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "
                            f"--show-leak-kinds=definite "
                            f"--suppressions={SUPP}")
os.environ["TL_WRAPPER_TIMEOUT_SCALE"] = "1"


def error_summary(r):
    m = re.findall(rb"ERROR SUMMARY: (\d+) errors", r.stderr)
    return int(m[-1]) if m else None


cases = [
    # argv, expected status, expected leaks (None: any count, only no errors), what
    ([SEED], 23, 15, "the seed (15 threads blocked in wrapped calls)"),
    ([exe("leaky"), "-s", "1", "-r", "1", "-k", "1", "-p", "1"], 23, 4,
     "wrapped calls, a raw syscall and a spinning thread (the sampling signal)"),
    ([exe("leaky"), "-B", "-s", "1", "-p", "1"], 23, 2, "every signal blocked"),
    ([exe("many"), "1000", "8"], 0, 0, "a clean program: 1000 short-lived threads, all joined"),
    ([exe("spawn"), "vfork", "2", "3"], 0, 0, "a clean program: vfork + exec from two threads"),
    ([exe("exitrace"), "exit", "2", "2"], 23, 2, "two threads calling exit() at once"),
    ([exe("exitrace"), "forks", "1", "2"], 23, None, "fork from two threads"),
]
for argv, status, leaks, what in cases:
    r = run(argv, timeout=240)
    errors = error_summary(r)
    check(errors is not None, f"{what}: no valgrind summary (did valgrind run?)", r.stderr)
    check(errors == 0 and r.rc != 99, f"{what}: {errors} valgrind errors", r.stderr)
    check(r.rc == status, f"{what}: exit status {r.rc}, expected {status}", r.stderr)
    if leaks is not None:
        # the program's own report (children that exec'd echo write their own, clean ones)
        counts = sorted(rep["leaked"] for rep in r.reports)
        check(leaks in counts and all(c in (0, leaks) for c in counts),
              f"{what}: leak counts {counts}, expected {leaks}", r.stderr)
    print(f"valgrind: {what}: 0 errors, status {r.rc}, {r.seconds:.1f}s")

# without log_path (no string option keeps a pointer into the parsed copy of
# THREADLEAK_OPTIONS): text report on stderr, and still no definitely lost block
for argv, status, what in (([SEED], 23, "the seed, text report"), ([exe("many"), "100", "4"], 0, "a clean program, no options")):
    r = run(argv, json_format=False, timeout=240)
    errors = error_summary(r)
    expect(errors == 0 and r.rc == status,
           f"{what}: {errors} valgrind errors, status {r.rc}: options.c tl_options_parse keeps its strdup'ed "
           "copy 'for the process lifetime', but when no option points into it the block is definitely "
           "lost (keep it in a static pointer, or free it when nothing points into it)",
           b"\n".join(l for l in r.stderr.splitlines() if b"definitely" in l or b"tl_options_parse" in l))
    print(f"valgrind: {what}: {errors} errors, status {r.rc}, {r.seconds:.1f}s")
finish()
