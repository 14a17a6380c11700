"""Creation stacks are the same whichever way the creating thread's stack was unwound
(preload/capture.c: a thread's first 64 creations step by step, the later ones through
libunwind's frame cache): main's 70 workers all start at the loop's pthread_create line, under
start_workers and main, the same frames for the first and the 70th; the worker that a
short-lived thread created (its first creation) starts at that thread's pthread_create line.
Workers created in turn through one function by two callers whose frames are the same size (so
at the same stack address) each name their own caller; so do workers created through a function
with a variable-size buffer from one call site by chains of 1, 2 and 3 functions, at the same
stack address each time (a cache of creation stacks checked by their return-address slots took
the stale words of a longer chain for the live ones)."""
from coreutil import *  # noqa: F403

for prog in ("creators", "creators_o2"):  # built -O0 (frame pointers) and -O2 without
    r = run([exe(prog)])
    check(r.rc == 23 and r.stdout == b"creators\n", f"{prog}: status {r.rc}", r.stdout, r.stderr)
    leaks = r.report["leaks"]
    check(len(leaks) == 93, f"{len(leaks)} leaks, expected 93", [l.get("start_routine") for l in leaks])
    loop = line("creators.c", "CREATE_LOOP")
    nested = line("creators.c", "CREATE_NESTED")
    from_main = [l for l in leaks if l.get("start_routine") == "worker"]
    check(len(from_main) == 70, f"{len(from_main)} workers of main", leaks)
    stacks = set()
    for l in from_main:
        st = l["created_by"]["stack"]
        check(st and st[0].get("function") == "start_workers" and st[0].get("line") == loop
              and st[0].get("file", "").endswith("creators.c"),
              f"a worker of main created at {st[0] if st else None}, expected creators.c:{loop}", l)
        check(functions(st)[:2] == ["start_workers", "main"], "under start_workers and main",
              functions(st))
        stacks.add(tuple((f.get("function"), f.get("offset")) for f in st))
    check(len(stacks) == 1, f"{len(stacks)} different creation stacks among main's workers "
          "(the stepped walks and the cached ones differ)", stacks)
    l = [l for l in leaks if l.get("start_routine") == "launched"]
    check(len(l) == 1, "the launcher's worker is reported", leaks)
    st = l[0]["created_by"]["stack"]
    check(st and st[0].get("function") == "launcher" and st[0].get("line") == nested,
          f"the launcher's worker created at {st[0] if st else None}, expected creators.c:{nested}",
          l[0]["created_by"])
    common = line("creators.c", "CREATE_COMMON")
    for start, caller in (("worker_x", "via_x"), ("worker_y", "via_y")):
        mine = [l for l in leaks if l.get("start_routine") == start]
        check(len(mine) == 8, f"{len(mine)} leaks of {start}, expected 8", leaks)
        for l in mine:
            st = l["created_by"]["stack"]
            check(functions(st)[:3] == ["spawn_common", caller, "main"]
                  and st[0].get("line") == common,
                  f"{start} created by {functions(st)[:3]} at line {st[0].get('line') if st else None},"
                  f" expected spawn_common (creators.c:{common}) under {caller} and main", st)
    at = line("creators.c", "CREATE_HANDLE")
    for start, chain in (("worker_h1", ["handle"]), ("worker_h2", ["handle", "middle"]),
                         ("worker_h3", ["handle", "middle", "outer"])):
        mine = [l for l in leaks if l.get("start_routine") == start]
        check(len(mine) == 2, f"{len(mine)} leaks of {start}, expected 2", leaks)
        want = ["spawn_here"] + chain + ["main"]
        for l in mine:
            st = l["created_by"]["stack"]
            got = functions(st)[:len(want)]
            check(got == want and st[0].get("line") == at,
                  f"{start} created by {got}, expected {want} (creators.c:{at})", st)
ok()
