"""Each case of the reach scenario gets the verdict it deserves: the seed's senders wait on a
channel only they can see (unreachable); the same channel kept anywhere a thread that can
run can find it is reachable; a chain of joins behind an unreachable head is unreachable; a
channel freed under its waiters is freed. The text says it in words, and fail_on=unreachable
lets only proven leaks change the exit status."""
import os

import reachutil as U
import tl_test as T

# the seed: 5 rounds of 4 senders, the first answer taken: 15 blocked forever
r, leaks = U.run_case("seed")
if sum(l["verdict"] == "unreachable" for l in leaks) != 15:  # a stale pointer copy: once more
    r, leaks = U.run_case("seed")
T.check(len(leaks) == 15, f"seed: {len(leaks)} leaks, expected 15", leaks)
for l in leaks:
    T.check(l["verdict"] == "unreachable", f"seed: thread {l['thread']} is {l['verdict']} "
            f"({l['verdict_reason']}), expected unreachable", leaks)
    T.check(l["verdict_reason"].startswith("nothing can reach cond "), "seed: reason", l)
T.check(r.rc == 23, f"seed: exit status {r.rc}, expected 23", r.stderr)

# the channel's pointer left in a joined thread's __thread variable and thread-specific value:
# that thread's stack and TCB, in glibc's cache (tid -1), are dead, not roots. They were taken
# for roots, and a leaked C++ pool was "reachable" in one run of two (fail_on=unreachable flaky)
for i in range(5):
    r, leaks = U.run_case("joinedtls")
    T.check(len(leaks) == 3 and all(l["verdict"] == "unreachable" for l in leaks),
            f"joinedtls, run {i + 1}: verdicts {dict(U.verdicts(leaks))}, expected 3 unreachable",
            leaks)

# a global pointing far below a blocked sender's sp, into its stack's unused part: nothing live
# there, so its frames (which hold the channel) are not reachable through it. A round number
# that fell in a waiting thread's stack made joinedtls "reachable" in 1 run of 700
r, leaks = U.run_case("belowsp")
T.check(len(leaks) == 3 and all(l["verdict"] == "unreachable" for l in leaks),
        f"belowsp: verdicts {dict(U.verdicts(leaks))}, expected 3 unreachable", leaks)

# the same with the main heap's top chunk smaller than the window the heap is read through
r, leaks = U.run_case("smalltop")
top = int(r.stdout.split()[-1])
T.check(20 << 10 < top < 60 << 10, f"smalltop: top chunk of {top} bytes", r.stdout)
T.check(len(leaks) == 15 and all(l["verdict"] in ("unreachable", "reachable") for l in leaks),
        f"smalltop: verdicts {dict(U.verdicts(leaks))}", leaks)

# reachable from: a global, another running thread's stack, a thread sleeping in a loop, one
# waiting on a pipe, a callee-saved register of a blocked thread, a __thread variable, a chain
# of heap blocks from a global, an epoll registration, a blocked thread that is itself
# reachable (waits on a global semaphore)
for case, keeper in [("global", None), ("stack", "spinner"), ("sleeper", "sleeper"),
                     ("pipe", "piper"), ("register", "regkeeper"), ("tls", "tlskeeper"),
                     ("heapchain", None), ("epoll", None), ("viablocked", "semwaiter")]:
    r, leaks = U.run_case(case)
    U.assert_reachable(case, leaks, count=3)
    if keeper:
        U.assert_reachable(case, leaks, routine=keeper, count=1)

# an idle pool waiting on a global condition variable: decided without scanning memory (each
# worker's object is one any thread can name), where the seed's case scans
r, leaks = U.run_case("pool", env={"THREADLEAK_REACH_DEBUG": "1"})
U.assert_reachable("pool", leaks, routine="worker", count=4)
NO_SCAN = b"reach: no scan: every waiting thread can be woken"
T.check(NO_SCAN in r.stderr, "pool: memory scanned for waits on a global object", r.stderr)
# nor the heap read: each object is in a module's data (reach.c globals_only)
T.check(b" 0 heap blocks," in r.stderr, "pool: the heap read for waits on globals", r.stderr)
r, leaks = U.run_case("viablocked", env={"THREADLEAK_REACH_DEBUG": "1"})
T.check(NO_SCAN not in r.stderr, "viablocked: not scanned", r.stderr)

# a thread joining one that can still run (a sleeper) is reachable, and so is the channel only
# its stack keeps
r, leaks = U.run_case("joinsleeper")
U.assert_reachable("joinsleeper", leaks, count=3)
U.assert_reachable("joinsleeper", leaks, routine="sleepjoiner", count=1)
T.check(U.verdicts(leaks, "sleepjoiner") ==
        {("reachable", "the thread it joins can run"): 1}, "joinsleeper: the joiner's reason",
        leaks)

# a chain of joins: each joiner waits for the previous thread, the head for a channel nobody
# else has: all 5 blocked forever
r, leaks = U.run_case("chain")
if sum(l["verdict"] == "unreachable" for l in leaks) != 5:  # a stale pointer copy: once more
    r, leaks = U.run_case("chain")
T.check(len(leaks) == 5, f"chain: {len(leaks)} leaks, expected 5", leaks)
for l in leaks:
    T.check(l["verdict"] == "unreachable", f"chain: thread {l['thread']} is {l['verdict']} "
            f"({l['verdict_reason']})", leaks)
joins = [l for l in leaks if l["start_routine"] == "joiner"]
T.check(len(joins) == 4 and all("which nothing can wake" in l["verdict_reason"] for l in joins),
        "chain: the joiners' reason", joins)

# unreachable and reachable side by side (a stale pointer copy can hide a proof, as in the
# seed's case: once more)
r, leaks = U.run_case("mixed")
c = U.verdicts(leaks)
if sum(n for (v, _), n in c.items() if v == "unreachable") != 15:
    r, leaks = U.run_case("mixed")
    c = U.verdicts(leaks)
T.check(sum(n for (v, _), n in c.items() if v == "unreachable") == 15 and
        sum(n for (v, _), n in c.items() if v == "reachable") == 1, f"mixed: {c}", leaks)

# raw futex waits through syscall() (Rust's std, libstdc++'s std::future and std::latch):
# untimed on a heap word only the waiters hold, blocked forever (they were "reachable: it can
# run again on its own"), with FUTEX_WAIT and with FUTEX_WAIT_BITSET; with a timeout, or on a
# global word, reachable
for case in ("futex", "futexbitset"):
    r, leaks = U.run_case(case)
    if sum(l["verdict"] == "unreachable" for l in leaks) != 6:  # a stale pointer copy
        r, leaks = U.run_case(case)
    T.check(len(leaks) == 6, f"{case}: {len(leaks)} leaks, expected 6", leaks)
    for l in leaks:
        T.check(l["blocked_in"] == "futex" and l["verdict"] == "unreachable" and
                l["verdict_reason"].startswith("nothing can reach futex "),
                f"{case}: thread {l['thread']} is {l['verdict']} ({l['verdict_reason']})", leaks)
r, leaks = U.run_case("futextimed")
U.assert_reachable("futextimed", leaks, routine="futex_waiter", count=6)
T.check(all(l["verdict_reason"].startswith("it can run again on its own") for l in leaks),
        f"futextimed: reasons {U.verdicts(leaks)}", leaks)
r, leaks = U.run_case("futexglobal")
U.assert_reachable("futexglobal", leaks, routine="futex_waiter", count=6)

# freed while its senders wait: a channel in a mapping of its own, unmapped by free()
r, leaks = U.run_case("freed", prog="reach_big")
T.check(len(leaks) == 3, f"freed: {len(leaks)} leaks", leaks)
for l in leaks:
    T.check(l["verdict"] == "freed", f"freed: thread {l['thread']} is {l['verdict']} "
            f"({l['verdict_reason']})", leaks)
# a lock's memory taken from under its waiter (pthread_mutex_lock, unwrapped: a futex wait the
# kernel shows): the check's signal made the restarted wait fail with EFAULT and glibc abort
# the process (status 134, no report, stdout lost). Now no signal reaches it: freed (unmapped by
# free()), or blocked on a PROT_NONE page; a semaphore's waiter there no longer crashes the
# check that describes its object (sem_getvalue: SIGSEGV)
for case, prog, verdicts in (("freedlock", "reach_big", ("freed",)),
                             ("protlock", "reach", ("unknown", "reachable")),
                             ("protsem", "reach", ("unknown", "reachable"))):
    for i in range(3):
        r, leaks = U.run_case(case, prog=prog)
        T.check(r.rc == 23 and r.stdout == f"{case}: done\n".encode(),
                f"{case}: status {r.rc}, stdout {r.stdout!r}", r.stderr)
        T.check(len(leaks) == 1 and leaks[0]["state"] == "blocked" and
                leaks[0]["verdict"] in verdicts,
                f"{case}: {[(l['state'], l['verdict']) for l in leaks]}", leaks)
        what = "semaphore" if case == "protsem" else "mutex"
        T.check(leaks[0]["object"].startswith(what + " 0x"), f"{case}: object", leaks)
        if case == "protsem":
            T.check("no longer readable" in leaks[0]["object"], f"{case}: object", leaks)

# the same with a small channel (in the tcache): freed, or unreachable when the check itself
# reused that memory before it looked
r, leaks = U.run_case("freed")
T.check(len(leaks) == 3, f"freed, small: {len(leaks)} leaks", leaks)
for l in leaks:
    T.check(l["verdict"] in ("freed", "unreachable"), f"freed, small: {l['verdict']}", leaks)

# the seed with channels in mappings of their own (large blocks)
r, leaks = U.run_case("seed", prog="reach_big")
if sum(l["verdict"] == "unreachable" for l in leaks) != 15:  # a stale pointer copy: once more
    r, leaks = U.run_case("seed", prog="reach_big")
T.check(len(leaks) == 15 and all(l["verdict"] == "unreachable" for l in leaks),
        f"seed, large channels: {U.verdicts(leaks)}", leaks)

# fail_on=unreachable: a reachable leak keeps exit status 0, a proven one changes it; the
# report lists every leak either way
# "failing", what the API returns, counts the proven ones only ("leaked" all of them)
r, leaks = U.run_case("global", options="fail_on=unreachable")
T.check(r.rc == 0 and len(leaks) == 3, f"fail_on=unreachable, reachable leaks: status {r.rc}",
        r.stderr)
T.check(r.report["leaked"] == 3 and r.report["failing"] == 0,
        f"fail_on=unreachable, global: leaked {r.report['leaked']}, failing {r.report['failing']}",
        r.report)
r, leaks = U.run_case("seed", options="fail_on=unreachable")
T.check(r.rc == 23, f"fail_on=unreachable, seed: status {r.rc}", r.stderr)
proven = sum(l["verdict"] in ("unreachable", "freed") for l in leaks)
T.check(r.report["failing"] == proven > 0, f"fail_on=unreachable, seed: failing "
        f"{r.report['failing']}, {proven} proven", r.report)
r, leaks = U.run_case("seed")
T.check(r.report["failing"] == r.report["leaked"] == 15, "fail_on=all: failing is leaked", r.report)
# ... and the text header does not claim the status changes (it said "becomes 23"), says that
# no leak is proven (it read "found 3 leaked threads" and nothing more, next to an API count
# of 0), and threadleak run honours the option passed on with --options (it failed the run)
r = T.run([T.exe("reach"), "global"], options="fail_on=unreachable", json_format=False)
T.check(r.rc == 0 and b"(pid " in r.stderr and
        b"exit status 0; none proven, not a failure (fail_on=unreachable))" in r.stderr
        and b"becomes" not in r.stderr, f"fail_on=unreachable text: status {r.rc}", r.stderr)
r = T.run([T.exe("reach"), "seed"], options="fail_on=unreachable", json_format=False)
T.check(r.rc == 23 and b"exit status 0 becomes 23; " in r.stderr and
        b" proven, which fail the check (fail_on=unreachable))" in r.stderr,
        f"fail_on=unreachable text, seed: status {r.rc}", r.stderr)
cli = os.path.join(os.environ.get("TL_BUILD_ROOT", ""), "tools", "threadleak")
for case, want in (("global", 0), ("seed", 23)):
    r = T.run([cli, "run", "--options", "fail_on=unreachable", "--", T.exe("reach"), case],
              preload=False)
    T.check(r.rc == want, f"threadleak run --options fail_on=unreachable, {case}: status {r.rc}",
            r.stderr)
    # run's header says it as the library's does (it gave the count and nothing more)
    says = b"; none proven, not a failure (fail_on=unreachable))" if want == 0 else \
        b" proven, which fail the check (fail_on=unreachable))"
    T.check(says in r.stderr, f"threadleak run, {case}: header", r.stderr)
r = T.run([T.exe("reach"), "global"], options="fail_on=sometimes", json_format=False)
T.check(b"invalid value 'sometimes' for fail_on" in r.stderr, "fail_on: bad value", r.stderr)

# a check leaves no copy of the program's pointers in memory malloc hands out again: 4 were
# found, and a later check found one in the program's stdout buffer (a black-box tester's
# program, fail_on=unreachable, status 0 after a mid-run check had proven the leak)
r = T.run([T.exe("stale")], options="check_at_exit=0")
T.check(r.rc == 0 and r.stdout == b"stale copies 0\n", f"stale: {r.stdout!r}, status {r.rc}",
        r.stderr)

# the text headline says it in words
r = T.run([T.exe("reach"), "seed"], json_format=False)
T.check(b"; blocked forever: nothing can reach cond " in r.stderr, "text headline", r.stderr)
r = T.run([T.exe("reach_big"), "freed"], json_format=False)
T.check(b"; waits on freed memory: " in r.stderr, "text headline, freed", r.stderr)
T.ok()
