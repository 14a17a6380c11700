"""Thread pools that a library keeps until the process ends, seen by a check made mid-run (a
test fixture's threadleak_verify_none): oneTBB's workers (tests/lang/tbb_api.cpp) and libuv's
(tests/lang/uv_api.c). They are gone by the exit check, but a mid-run check sees them; the
default sets "tbb" (only_in:/libtbb.so.) and "libuv" (only_in:/libuv.so.) suppress them:
- idle: the check finds nothing (verify 0), the workers counted as suppressed by the set;
- the set off: the idle workers are reported, with the library's frames;
- blocked: a worker running the program's own task (TBB) or work callback (libuv) that
  blocks forever is reported, at the program's line, while the idle ones stay suppressed.
Each part skips when the library is not installed (libtbb-dev, libuv1-dev)."""
import os

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

CASES = [
    # program, set, rule, module, the line of the blocked task or callback
    ("tbb_api", "tbb", "only_in:/libtbb.so.", "libtbb.so", ("tbb_api.cpp", "TASK_BLOCKS")),
    ("uv_api", "libuv", "only_in:/libuv.so.", "libuv.so", ("uv_api.c", "WORK_BLOCKS")),
]
ran = 0
for prog, setname, rule, module, (srcname, marker) in CASES:
    path = os.path.join(SCENARIOS, prog)
    if not os.path.exists(path):
        print(f"{prog} not built (library not installed): skipped")
        continue
    ran += 1

    def api_reports(r):
        return [rep for rep in r.reports if rep["check"] == "api"]

    def in_lib(frames):
        return any(module in (f.get("module") or "") for f in frames)

    bare = run([path, "idle"], preload=False)
    check(bare.rc == 0 and bare.stdout.endswith(b"verify -1\n"), f"{prog}: bare run", bare.stdout, bare.stderr)
    r = run([path, "idle"])
    check(r.rc == 0 and r.stdout.endswith(b"verify 0\n"), f"{prog} idle: the check found a leak", r.stdout, r.stderr)
    api = api_reports(r)
    check(len(api) == 1 and api[0]["leaked"] == 0 and api[0]["suppressed"] >= 1, f"{prog} idle: one clean check", r.reports)
    for s in api[0]["suppressed_threads"]:
        check(s["suppressed_by"] == rule and in_lib(s["stack"]), f"{prog} idle: suppressed by {rule}", s)
    check(any(u["rule"] == rule and u["set"] == setname for u in api[0]["suppressions_used"]),
          f"{prog} idle: suppressions_used", api[0])

    # the set is needed
    off = run([path, "idle"], options=f"disable_default_sets={setname}")
    api = api_reports(off)
    check(len(api) == 1 and api[0]["leaked"] >= 1 and api[0]["suppressed"] == 0,
          f"{prog} idle, set {setname} off: the workers reported", off.reports)
    for l in api[0]["leaks"]:
        check(in_lib(l["stack"]), f"{prog}: a worker waiting in {module}", l)

    # a worker running the program's code is the program's leak
    b = run([path, "blocked"])
    check(b.rc == 0 and b.stdout.endswith(b"verify 1\n"), f"{prog} blocked: verify", b.stdout, b.stderr)
    api = api_reports(b)
    check(len(api) == 1 and api[0]["leaked"] == 1, f"{prog} blocked: one leak", b.reports)
    l = api[0]["leaks"][0]
    want = source_line(os.path.join(lang_util.SRC, srcname), marker)
    check(any((f.get("file") or "").endswith(srcname) and f.get("line") == want for f in l["stack"]),
          f"{prog} blocked: the program's frame at {srcname}:{want}", l)
    check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait", f"{prog} blocked: state", l)
    print(f"ok: {prog}: idle workers suppressed by {setname}, reported without it; a blocked task reported")
if ran == 0:
    lang_util.skip("neither tbb_api nor uv_api was built")
ok()
