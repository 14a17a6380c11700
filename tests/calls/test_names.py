"""Objects named with where they were declared, found by their address in the debug info
(tests/calls/calls_names*.c, calls_names_cpp.cpp): statics of the same names in two units
(other.c's waiter was shown on calls_names.c's `mu` and `cv`), two function-local statics of
one name in one unit (first()'s lock was shown at second()'s line), at -O0 and -O2; objects
inside an array of structs and a two-dimensional array, by index and member ("shards[2].cv",
"table[1][2]"; they were "shards+240" and "table+200"); and C++
objects in namespaces, a class's static members and function-local statics, whose symbols are
mangled (they were shown with no place at all). The text report names them the same way. Built
by clang -g (DWARF 5, the unit's own file numbered 0) too, when clang is there."""
import os
import re
import shutil
import subprocess

from tl_test import *  # noqa: E402,F403
from calls_util import ADDR, src

C, OTHER, CPP = "calls_names.c", "calls_names_other.c", "calls_names_cpp.cpp"


def obj(kind, var, source, marker):
    return rf"{kind} {re.escape(var)} \({re.escape(source)}:{source_line(src(source), marker)}\) {ADDR}"


def objects(r):
    """start routine -> object string of each leak (one leak per routine)"""
    out = {}
    for l in r.leaks:
        check(l["start_routine"] not in out, f"two leaks of {l['start_routine']}", r.leaks)
        out[l["start_routine"]] = l["object"] or ""
    return out


def expect(r, want, what):
    got = objects(r)
    check(set(got) == set(want), f"{what}: leaks {sorted(got)}, expected {sorted(want)}", r.leaks)
    for routine, pattern in want.items():
        check(re.fullmatch(pattern, got[routine]) is not None,
              f"{what}: {routine} waits on {got[routine]!r}, expected /{pattern}/", r.leaks)


c_want = {
    "first": obj("mutex", "lock", C, "DECL first_lock"),
    "second": obj("cond", "cv", C, "DECL second_cv") + ", " + obj("mutex", "lock", C, "DECL second_lock"),
    "waiter": obj("cond", "cv", OTHER, "DECL other_cv") + ", " + obj("mutex", "mu", OTHER, "DECL other_mu"),
    # inside an array of structs and a two-dimensional array: "shards+240" and "table+200"
    "third": obj("cond", "shards[2].cv", C, "DECL shards") + ", " +
             obj("mutex", "shards[2].mu", C, "DECL shards"),
    "fourth": obj("mutex", "table[1][2]", C, "DECL table"),
    # at offset 0 of what holds them: they were "pool" and "pool+64"... "pool" for the gate
    "sixth": obj("cond", "pool.lanes[0].cv", C, "DECL pool") + ", " +
             obj("mutex", "pool.lanes[0].mu", C, "DECL pool"),
    "seventh": obj("mutex", "pool.gate", C, "DECL pool"),
}
for prog in ("calls_names", "calls_names_o2"):
    r = run([exe(prog)])
    expect(r, c_want, prog)
    # the text report: the same names and places
    t = run([exe(prog)], json_format=False)
    text = t.stderr.decode(errors="replace")
    for routine, pattern in c_want.items():
        check(re.search(pattern.replace(ADDR, r"\(0x[0-9a-f]+\)"), text) is not None,
              f"{prog} text: no /{pattern}/", t.stderr)
    check(re.search(r"^deadlock: thread \d+ waits for " + c_want["first"], text, re.M) is not None,
          f"{prog} text: the deadlock line names first()'s lock", t.stderr)

# a named semaphore (sem_open) by its name: it was "semaphore 0x7f..." (glibc maps a temporary
# file it then links to the name and removes: the name is found by the inode)
sem = f"/tl_names_{os.getpid()}"
try:
    r = run([exe("calls_names"), sem])
    want = dict(c_want, fifth=rf"semaphore {re.escape(sem)} {ADDR} \(value 0\)")
    expect(r, want, "calls_names with a named semaphore")
finally:
    if os.path.exists(f"/dev/shm/sem.{sem[1:]}"):
        os.unlink(f"/dev/shm/sem.{sem[1:]}")

# clang's -g is DWARF 5 (clang 14): the main file of a unit is file 0, which libdw's
# dwarf_decl_file took for "no file", and the globals of calls_names.c lost their place
clang = shutil.which("clang")
if clang:
    out = os.path.join(tmpdir(), "calls_names_clang")
    subprocess.run([clang, "-g", "-O0", "-pthread", "-o", out, src(C), src(OTHER)], check=True)
    expect(run([out]), c_want, "calls_names built by clang -g")
else:
    print("skipped: clang not found")

if os.environ.get("TL_NO_CPP"):
    ok("C only: no C++ compiler, calls_names_cpp not built")
r = run([exe("calls_names_cpp")])
expect(r, {
    "queue_waiter(void*)": obj("cond", "app::queue_cv", CPP, "DECL app_cv") + ", " +
                           obj("mutex", "app::queue_mu", CPP, "DECL app_mu"),
    "box_waiter(void*)": obj("cond", "app::inner::Box::cv", CPP, "DECL box_cv") + ", " +
                         obj("mutex", "app::inner::Box::mu", CPP, "DECL box_mu"),
    "local_waiter(void*)": obj("cond", "local_waiter(void*)::local_cv", CPP, "DECL local_cv") + ", " +
                           obj("mutex", "local_waiter(void*)::local_mu", CPP, "DECL local_mu"),
    # a member of the base class: it was "derived+8"
    "derived_waiter(void*)": obj("cond", "derived.cv", CPP, "DECL derived") + ", " +
                             obj("mutex", "derived.bm", CPP, "DECL derived"),
    # std::mutex and std::condition_variable at offset 0: it was "workers" for the mutex;
    # std::array's element: "locks._M_elems[1]"
    "worker_waiter(void*)": obj("cond", "workers[0].cv", CPP, "DECL workers") + ", " +
                            obj("mutex", "workers[0].m", CPP, "DECL workers"),
    "array_waiter(void*)": obj("mutex", "locks[1]", CPP, "DECL locks"),
}, "calls_names_cpp")
ok()
