"""Small stacks: PTHREAD_STACK_MIN threads with 2-3 KiB of stack left when main exits (one
spinning, one in a raw read), next to one with room. A signal frame with the vector registers'
state does not fit there: the process must not die, every thread is still reported, and a note
says why a stack is missing; the thread with room keeps its full stack."""
from sampling import *  # noqa: F403

prog = exe("smallstack")
for left in ("2048", "3072"):
    for i in range(10):
        r = run([prog, "-n", "3", "-l", left], timeout=60)
        what = f"left {left} run {i}"
        check(r.rc == 23, f"{what}: exit status {r.rc} (a crash?)", r.stderr)
        check(b"main done" in r.stdout, f"{what}: output lost", r.stderr)
        b = by_start(r.report)
        check(sorted(b) == ["roomy", "sleeper", "spinner"] and
              all(len(v) == 3 for v in b.values()), f"{what}: leaks {sorted(b)}", r.report)
        for leak in b["spinner"]:
            check(leak["state"] == "running" and "small stack" in (leak["stack_note"] or ""),
                  f"{what}: the spinner is running, with a note", leak)
        for leak in b["sleeper"]:
            check(leak["state"] == "blocked" and "small stack" in (leak["stack_note"] or ""),
                  f"{what}: the sleeper is blocked, with a note", leak)
        for leak in b["roomy"]:
            check("roomy" in functions(leak["stack"]) and leak["stack_note"] is None,
                  f"{what}: the thread with room keeps its stack", leak)
ok()
