"""C++ names and inlined frames in optimized builds. tests/scenarios/inline_cpp.cpp is the
seed written as C++ code is: a class template channel in a namespace, detached std::threads
running a lambda. Built at -O1 and -O2 by g++ (meson) and by clang++ when present (here): the
channel's send is inlined into the thread's _M_run at -O2, and clang emits no .debug_aranges
and nests definitions in namespaces. The report must name app::Channel<int>::send(int) at its
source line, the lambda, and app::submit(int) in the creation stack, demangled without
libstdc++'s help. The -O0 C++ seed is in the core suite."""
import os
import shutil
import subprocess
import sys
import tempfile

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

src = os.path.join(lang_util.SRC, "..", "scenarios", "inline_cpp.cpp")
wait_lines = {source_line(src, "one value at a time"), source_line(src, "rendezvous: wait until ours")}
lambda_line = source_line(src, "ch->send(round * 10")
spawn_line = source_line(src, "std::thread(sender).detach()")
main_line = source_line(src, "sum += app::submit(round)")

builds = []
for opt in ("1", "2"):
    path = os.path.join(SCENARIOS, f"inline_cpp_O{opt}")
    if os.path.exists(path):
        builds.append((f"g++ -O{opt}", path, opt))
if not builds:
    print("skipped: no C++ compiler for meson (g++ builds missing)")
clang = shutil.which("clang++")
if clang:
    for opt in ("1", "2"):
        out = os.path.join(SCENARIOS, f"inline_cpp_clang_O{opt}")
        p = subprocess.run([clang, "-g", f"-O{opt}", "-pthread", "-o", out, src],
                           capture_output=True, text=True, timeout=240)
        check(p.returncode == 0, f"clang++ -O{opt} failed", p.stderr)
        builds.append((f"clang++ -O{opt}", out, opt))
else:
    print("skipped: clang++ not found, only g++ builds are checked")
if not builds:
    lang_util.skip("neither g++ (meson) nor clang++ builds")

for what, path, opt in builds:
    bare = run([path], preload=False)
    check(bare.rc == 0 and bare.stdout == b"got 5 answers\n", f"{what}: bare run", bare.stdout)
    r = run([path])
    check(r.rc == 23 and r.stdout == bare.stdout, f"{what}: status {r.rc} / stdout", r.stderr)
    rep = r.report
    check(rep["leaked"] == 15, f"{what}: 15 leaks expected", rep)
    for l in rep["leaks"]:
        check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait" and l["detached"],
              f"{what}: state", l)
        fns = functions(l["stack"])
        check(all(not f.startswith("_Z") for f in fns if f), f"{what}: mangled names {fns}", l)
        send = frame(l["stack"], "app::Channel<int>::send(int)")
        check(send is not None, f"{what}: no app::Channel<int>::send(int) in {fns}", l)
        check(send["file"] and send["file"].endswith("tests/scenarios/inline_cpp.cpp") and send["line"] in wait_lines,
              f"{what}: send at {send['file']}:{send['line']}, expected one of {wait_lines}", l)
        # the wait inside send is inlined (condition_variable::wait with the predicate)
        i = fns.index("app::Channel<int>::send(int)")
        check(any(f and f.startswith("void std::condition_variable::wait<") for f in fns[:i]),
              f"{what}: inlined condition_variable::wait above send: {fns[:i]}", l)
        if opt == "2" and what.startswith("g++"):
            check(send["inlined"] is True, f"{what}: send is inlined at -O2", l)
        # the lambda: named through its closure type, at its line (clang -O2 turns the call
        # into a tail call, so only the thread's entry remains there)
        if not what.startswith("clang++ -O2"):
            check(any(f and ("app::submit(int)::" in f) for f in fns),
                  f"{what}: the lambda's type app::submit(int)::... in {fns}", l)
            check(any(f["line"] == lambda_line and (f["file"] or "").endswith("inline_cpp.cpp")
                      for f in l["stack"]), f"{what}: a frame at the lambda's line {lambda_line}", l)
        cst = l["created_by"]["stack"]
        sub = frame(cst, "app::submit(int)")
        check(sub is not None and sub["line"] == spawn_line,
              f"{what}: app::submit(int) at line {spawn_line} in {functions(cst)}", l)
        mn = frame(cst, "main")
        check(mn is not None and mn["line"] == main_line, f"{what}: main in {functions(cst)}", l)
    print(f"{what}: 15 leaks, send and the lambda named")

# g++ -O0: the lambda's body is nested in main's debug entry, outside main's ranges; its
# inlined call (always_inline) was lost, and the lambda's frame showed the inlined line
gxx = shutil.which("g++")


def gxx_build(name, opt, *flags):
    """tests/lang/NAME.cpp built by g++ at -OOPT into the scenarios' folder: (source, binary)."""
    src = os.path.join(lang_util.SRC, name + ".cpp")
    out = os.path.join(SCENARIOS, f"{name}_O{opt}")
    p = subprocess.run([gxx, "-g", f"-O{opt}", "-pthread", *flags, "-o", out, src],
                       capture_output=True, text=True, timeout=240)
    check(p.returncode == 0, f"g++ -O{opt} {name}.cpp failed", p.stderr)
    return src, out


if gxx:
    lsrc, out = gxx_build("lambda_O0", "0")
    r = run([out])
    check(r.rc == 23 and len(r.leaks) == 3, f"lambda -O0: status {r.rc}", r.stderr)
    # the lambdas written in a block and in a loop lost their inlined call and got the header's
    # file and line, and no start routine
    for l in r.leaks:
        st = l["stack"]
        lam = l["start_routine"] or ""
        mark = {"main::{lambda()#1}": "LAMBDA_CALL", "main::{lambda()#2}": "BLOCK_CALL",
                "main::{lambda()#3}": "LOOP_CALL"}.get(lam.split("::operator()")[0])
        check(mark is not None, f"lambda -O0: start routine {lam!r}", l)
        got = [(f["function"], f["inlined"], f["line"], (f["file"] or "").endswith("lambda_O0.cpp")) for f in st[:2]]
        want = [("wait_byte", True, source_line(lsrc, "INLINED_READ"), True),
                (lam, False, source_line(lsrc, mark), True)]
        check(got == want, f"lambda -O0 {mark}: top frames {got}, expected {want}", st)
    # lambdas at -O2: GCC gives an inlined lambda's operator() no linkage name; it was named
    # "main::operator()" for every lambda of main, start routine included, so a rule written
    # against the -O0 build's "main::{lambda()#3}" did not match the -O2 build
    want = {"main::{lambda()#1}", "main::{lambda(int)#2}", "main::{lambda()#3}",
            "main::{lambda()#4}", "main::{lambda()#4}::operator()() const::{lambda()#1}",
            "Pool::start()::{lambda()#1}", "spawn_t<int>()::{lambda()#1}",
            "main::{lambda(std::__cxx11::basic_string<char, std::char_traits<char>, "
            "std::allocator<char> > const&, double, char*)#5}"}
    for opt in ("0", "2"):
        _, out = gxx_build("lambda_names", opt)
        r = run([out])
        check(r.rc == 23 and len(r.leaks) == 8, f"lambdas -O{opt}: status {r.rc}", r.stderr)
        got = set()
        for l in r.leaks:
            # the innermost frame of a lambda: its name up to its operator(), as the
            # demangler writes it at -O0 ("...::operator()() const"), as we do at -O2
            names = [f["function"] for f in l["stack"] if f["function"] and "{lambda" in f["function"]
                     and "<" not in f["function"].split("{lambda")[0].replace("spawn_t<int>", "")]
            check(names, f"lambdas -O{opt}: no lambda frame in {functions(l['stack'])}", l)
            got.add(names[0].rsplit("::operator()", 1)[0])
            start = l["start_routine"] or ""
            check(start.startswith(names[-1].rsplit("::operator()", 1)[0] + "::operator()"),
                  f"lambdas -O{opt}: start routine {start!r}, outermost lambda frame {names[-1]!r}", l)
        # the nested one at -O2 reads "...{lambda()#4}::operator()::{lambda()#1}"
        got = {g.replace("::operator()::", "::operator()() const::") for g in got}
        check(got == want, f"lambdas -O{opt}: {sorted(got)}, expected {sorted(want)}")
    print("lambdas: named as the demangler names them, at -O0 and -O2")

    # std::async: the start routine is the function given, or the lambda
    for opt in ("0", "2"):
        _, out = gxx_build("async_start", opt)
        r = run([out])
        check(r.rc == 23 and len(r.leaks) == 3, f"async -O{opt}: status {r.rc}", r.stderr)
        dtor = [l for l in r.leaks if "Blocker::~Blocker()" in functions(l["stack"])]
        check(len(dtor) == 1 and not dtor[0]["start_routine"],
              f"async -O{opt}: the thread in a thread_local destructor has start routine "
              f"{dtor and dtor[0]['start_routine']!r}, expected none", r.leaks)
        starts = sorted((l["start_routine"] or "") for l in r.leaks if l not in dtor)
        check(starts[0].startswith("main::{lambda()#2}::operator()") and
              starts[1] == "park_async(int)",
              f"async -O{opt}: start routines {starts}", r.leaks)
        for l in r.leaks:
            st = [f for f in l["created_by"]["stack"] if f["function"] == "_start"]
            check(st and all(f["file"] is None and not f["line"] for f in st),
                  f"async -O{opt}: _start has no source line: {st}", l)
    print("std::async: the start routine is the function or the lambda given")

    # a callable whose last call is a tail call into std's code keeps no frame at -O2: the
    # start routine was null and a `start:` rule matched nothing (a black-box round)
    for opt in ("0", "2"):
        _, out = gxx_build("tail_start", opt, "-std=c++20")
        r = run([out])
        check(r.rc == 23 and len(r.leaks) == 3, f"tail calls -O{opt}: status {r.rc}", r.stderr)
        starts = sorted((l["start_routine"] or "") for l in r.leaks)
        lam = [x for x in starts if x.startswith("main::{lambda()#1}")]
        rest = sorted(set(starts) - set(lam))
        check(len(lam) == 1 and rest in (["", "waiter()"], ["waiter()", "waiter_arg(int)"]),
              f"tail calls -O{opt}: start routines {starts}", r.leaks)
        with tempfile.NamedTemporaryFile("w", suffix=".supp") as supp:
            supp.write("start:^waiter()\n")
            supp.flush()
            r = run([out], options=f"suppressions={supp.name}")
            starts = sorted((l["start_routine"] or "") for l in r.leaks)
            check(r.rc == 23 and len(r.leaks) == 2 and "waiter()" not in starts,
                  f"tail calls -O{opt}: start:^waiter() left {starts}", r.leaks)
    print("tail calls: the callable named from the std::thread's state")

    # C++20 atomic waits: the atomic itself, or libstdc++'s waiter pool said to be one
    _, out = gxx_build("atomic_wait", "2", "-std=c++20")
    r = run([out])
    check(r.rc == 23 and len(r.leaks) == 3, f"atomic waits: status {r.rc}", r.stderr)
    objs = sorted(l["object"] or "" for l in r.leaks)
    pool = [o for o in objs if o.startswith("a slot of libstdc++'s waiter pool")]
    check(len(pool) == 2 and any(o.startswith("futex counter ") for o in objs)
          and not any("__waiter_pool_base" in o for o in objs),
          f"atomic waits: objects {objs}", r.leaks)
    print("C++20 atomic waits: the atomic, or libstdc++'s waiter pool")
else:
    print("skipped: g++ not found")
ok()
