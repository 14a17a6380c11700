"""threadleak_default_options() in the program (applied first; THREADLEAK_OPTIONS wins),
exported (-rdynamic: found with dlsym at start-up) or not (found in the symbol table at the
check). Either way a malformed THREADLEAK_OPTIONS item gets exactly one warning, and the
hook's exitcode applies unless THREADLEAK_OPTIONS overrides it. The hook's grace_ms and
max_frames hold for the whole check in both builds (not exported, they were read after the grace
period and the stacks: a worker ending 500 ms after main, inside the hook's 1.5 s grace period,
was reported, and stacks were not cut)."""
from coreutil import *  # noqa: F403

for name in ("hook_options", "hook_options_dyn"):
    prog = exe(name)
    bare = run([prog], preload=False)
    check(bare.rc == 0 and bare.stdout == b"hook\n", f"{name}: bare run", bare.stdout + bare.stderr)

    r = run([prog])
    check(r.rc == 5, f"{name}: status {r.rc}, expected the hook's exitcode=5", r.stderr)
    check(r.report["leaked"] == 1, f"{name}: 1 leak", r.report)
    check(warnings(r.stderr) == [], f"{name}: warnings with valid options", r.stderr)

    r = run([prog], options="exitcode=9")
    check(r.rc == 9, f"{name}: status {r.rc}, expected THREADLEAK_OPTIONS' exitcode=9 to win", r.stderr)

    r = run([prog], options="grace_ms=abc")
    w = warnings(r.stderr)
    check(len(w) == 1, f"{name}: {len(w)} warning lines for one malformed item, expected exactly 1", r.stderr)
    check("grace_ms" in w[0] and "abc" in w[0], f"{name}: warning {w[0]}", r.stderr)
    check(r.rc == 5 and r.report["leaked"] == 1, f"{name}: status {r.rc}, the check still runs", r.stderr)

    r = run([prog], env={"HOOK_OPTS": "exitcode=5:grace_ms=1500:max_frames=1",
                         "HOOK_FINISHER": "1"})
    starts = [l.get("start_routine") for l in r.leaks]
    check(r.rc == 5 and starts == ["stuck"], f"{name}: the hook's grace_ms=1500: status {r.rc}, "
          f"reported {starts}, expected the finisher gone within the grace period", r.stderr)
    if starts:
        l = r.leaks[0]
        check(len(l["stack"]) == 1 and len(l["created_by"]["stack"]) == 1,
              f"{name}: the hook's max_frames=1: {len(l['stack'])} frames, "
              f"{len(l['created_by']['stack'])} in the creation stack", l)
ok()
