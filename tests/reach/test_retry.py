"""A thread that was between two wrapped calls when the verdicts' scan took its snapshot, and is
asleep in its next call when the scan looks, is judged on a new snapshot at the next try; it
does not make the scan give up. THREADLEAK_REACH_DEBUG=5 makes the first try's snapshot see
every thread between two calls (and prints each try's timing): every case must still get the
verdicts it gets without it, after a second try."""
import reachutil as U
import tl_test as T

BLIND = {"THREADLEAK_REACH_DEBUG": "5"}


def tries(r):
    return sum("stamps" in line for line in T.stderr_lines(r))


# proven: the seed's senders, judged on the second try's snapshot
r, leaks = U.run_case("seed", env=BLIND)
proven = sum(l["verdict"] == "unreachable" for l in leaks)
T.check(len(leaks) == 15 and proven >= 12 and
        all(l["verdict"] in ("unreachable", "reachable") for l in leaks),
        f"seed: {dict(U.verdicts(leaks))}", r.stderr)
T.check(tries(r) == 2, f"seed: {tries(r)} tries, expected 2", r.stderr)
T.check(r.rc == 23, f"seed: exit status {r.rc}", r.stderr)

# reachable through a thread that can run (a sleeper, a pipe reader, a register), and through
# a global
for case, keeper in [("sleeper", "sleeper"), ("pipe", "piper"), ("register", "regkeeper"),
                     ("global", None)]:
    r, leaks = U.run_case(case, env=BLIND)
    U.assert_reachable(case, leaks, count=3)
    if keeper:
        U.assert_reachable(case, leaks, routine=keeper, count=1)
    T.check(tries(r) >= 2, f"{case}: {tries(r)} tries, expected 2 or more", r.stderr)
T.ok()
