"""Creation stacks where a kept walk must not be trusted (preload/capture.c, "the creation
stacks' memo"), before and after main's first 64 creations: workers created by coroutines on
stacks of their own (mapped for each, unmapped after, a later one where an earlier one was but
ending lower), and by a signal handler on main's stack and on an alternate stack. Each is
reported created at its own pthread_create line under its own callers, and nothing crashes."""
from coreutil import *  # noqa: F403

r = run([exe("creators_odd")])
check(r.rc == 23 and r.stdout == b"creators_odd\n", f"status {r.rc}", r.stdout, r.stderr)
leaks = r.report["leaks"]
check(len(leaks) == 80, f"{len(leaks)} leaks, expected 80", [l.get("start_routine") for l in leaks])


def created(start):
    return [l["created_by"]["stack"] for l in leaks if l.get("start_routine") == start]


loop = created("worker_loop")
check(len(loop) == 70, f"{len(loop)} loop workers", leaks)
for st in loop:
    check(functions(st)[:2] == ["start_loop", "main"] and st[0].get("line") == line("creators_odd.c", "CREATE_LOOP"),
          f"a loop worker created by {functions(st)[:3]}", st)
co = created("worker_co")
check(len(co) == 6, f"{len(co)} coroutine workers, expected 6", leaks)
for st in co:
    check(functions(st)[:2] == ["co_spawn", "co_body"] and st[0].get("line") == line("creators_odd.c", "CREATE_CO"),
          f"a coroutine's worker created by {functions(st)[:3]}, expected co_spawn under co_body", st)
    check("main" not in functions(st) and "odd_ones" not in functions(st),
          "a coroutine's creation stack holds frames of main's stack", functions(st))
for start in ("worker_sig", "worker_alt"):
    sig = created(start)
    check(len(sig) == 2, f"{len(sig)} leaks of {start}, expected 2", leaks)
    for st in sig:
        fs = functions(st)
        check(fs[:1] == ["on_signal"] and st[0].get("line") == line("creators_odd.c", "CREATE_SIG"),
              f"{start} created by {fs[:3]}, expected on_signal", st)
        check("raise_twice" in fs and "main" in fs,
              f"{start}'s creation stack does not reach raise_twice and main through the signal frame", fs)
        # the trampoline named as in a current stack ("??" it was, libc's __restore_rt)
        check(sum(f.get("signal_frame") is True for f in st) == 1 and
              st[1].get("signal_frame") is True, f"{start}: the signal frame not marked", st)
t = run([exe("creators_odd")], json_format=False)
check(t.stderr.count(b"<signal handler called>") >= 4, "the text's creation stacks: no "
      "<signal handler called>", t.stderr)
ok()
