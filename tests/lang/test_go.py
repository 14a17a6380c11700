"""The Go runtime in cgo programs: it starts its threads (Ms) through runtime/cgo's
_cgo_try_pthread_create and never ends them. The default set "go"
(created_by:^_cgo_try_pthread_create$; Go exports that function in the dynamic symbol table,
so stripped binaries name it too) suppresses them:
- a cgo program ending with C's exit(): set on, no report, output and status unchanged, the
  Ms counted as suppressed; set off: the Ms reported, created by _cgo_try_pthread_create;
  the same built stripped (-ldflags=-s -w);
- a pthread a cgo function starts is reported, with its own frames and lines;
- a cgo program whose main returns is not checked at all (Go ends the process with the
  exit_group system call: no exit handler runs), and runs unchanged;
- a Go shared library (-buildmode=c-shared) loaded by Python's ctypes: its runtime's threads
  suppressed, a pthread its C code starts reported.
The programs are built with `go build` into the build folder (GOCACHE there too, no network).
Skipped when go is not installed (Debian: golang-go)."""
import os
import shutil
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

go = os.environ.get("TL_GO") or shutil.which("go")
if go is None:
    lang_util.skip("go not found (Debian: golang-go)")
RULE = "created_by:^_cgo_try_pthread_create$"
def go_thread(t):
    return "_cgo_try_pthread_create" in functions(t["created_by"]["stack"])


src = os.path.join(lang_util.SRC, "go", "prog", "main.go")
for name, flags in [("cgo_prog", ()), ("cgo_prog_stripped", ("-ldflags=-s -w",))]:
    prog = lang_util.go_build(go, "prog", name, *flags)
    bare = run([prog, "exit"], preload=False)
    check(bare.rc == 0 and bare.stdout.strip().isdigit(), f"bare {name}", bare.stdout, bare.stderr)

    r = run([prog, "exit"])
    check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == bare.stderr,
          f"{name} exit: status {r.rc} under the detector", r.stderr)
    rep = r.report
    check(rep["leaked"] == 0 and rep["suppressed"] >= 2, f"{name}: the Go runtime's Ms suppressed", rep)
    check(rep["suppressions_used"] == [{"rule": RULE, "count": rep["suppressed"], "set": "go"}],
          f"{name}: suppressions_used", rep)
    for opts in ["disable_default_sets=go", "default_suppressions=0"]:
        r = run([prog, "exit"], options=opts)
        check(r.rc == 23 and r.stdout == bare.stdout, f"{name} {opts}: status {r.rc}", r.stderr)
        rep = r.report
        check(rep["leaked"] >= 2 and rep["suppressed"] == 0 and all(go_thread(l) for l in rep["leaks"]),
              f"{name} {opts}: the Ms reported, created by _cgo_try_pthread_create", rep)
        check(all(l["stack"] for l in rep["leaks"]), f"{name} {opts}: with their stacks", rep)

    # the program's own pthread, started by a cgo function
    r = run([prog, "leak"])
    check(r.rc == 23 and r.stdout == bare.stdout, f"{name} leak: status {r.rc}", r.stderr)
    rep = r.report
    check(rep["leaked"] == 1 and rep["suppressed"] >= 2, f"{name}: the cgo pthread reported", rep)
    l = rep["leaks"][0]
    check(l["blocked_in"] == "read" and not go_thread(l), f"{name}: the user's thread", l)
    check(any("Cfunc_user_leak" in (f or "") for f in functions(l["created_by"]["stack"])),
          f"{name}: created from the cgo call", l)
    if not flags:
        f = frame(l["stack"], "user_worker")
        check(f and f["line"] == source_line(src, "marker: user_worker blocks"), "user_worker's line", l)
        cf = frame(l["created_by"]["stack"], "user_leak")
        check(cf and cf["line"] == source_line(src, "marker: user pthread_create"), "user_leak's line", l)
        check(l["start_routine"] == "user_worker", "start routine", l)

    # main returns: Go exits with exit_group, nothing is checked, nothing changes
    bare = run([prog], preload=False)
    r = run([prog])
    check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == bare.stderr and not r.reports,
          f"{name} return: no check, output unchanged", r.stdout, r.stderr)

# a Go shared library in a C program (Python's ctypes)
lib = lang_util.go_build(go, "shared", "libtlgoshared.so", "-buildmode=c-shared")
py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
code = ("import ctypes, sys; l = ctypes.CDLL(sys.argv[1]); print(l.GoSum(200000)); "
        "sys.argv[2:] and print(l.GoLeak())")
bare = run([py, "-c", code, lib], preload=False)
check(bare.rc == 0 and bare.stdout.strip().isdigit(), "bare c-shared", bare.stdout, bare.stderr)
r = run([py, "-c", code, lib])
check(r.rc == 0 and r.stdout == bare.stdout, f"c-shared: status {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 0 and rep["suppressed"] >= 2 and
      all(s["suppressed_by"] == RULE for s in rep["suppressed_threads"]), "c-shared: the Ms suppressed", rep)
r = run([py, "-c", code, lib], options="disable_default_sets=go")
check(r.rc == 23 and r.report["leaked"] >= 2 and all(go_thread(l) for l in r.report["leaks"]),
      "c-shared without the set: the Ms reported", r.report)
r = run([py, "-c", code, lib, "leak"])
check(r.rc == 23 and r.stdout == bare.stdout + b"0\n", f"c-shared leak: status {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 1 and rep["leaks"][0]["start_routine"] == "shared_worker" and
      not go_thread(rep["leaks"][0]), "c-shared: the C code's pthread reported", rep)
ok()
