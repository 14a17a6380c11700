"""The seed in C++ (std::thread, std::condition_variable, a lambda, a class template): 15
senders blocked in pthread_cond_wait inside Channel<int>::send(int), called from submit's
lambda; created (through std::thread's constructor) by submit(int) called from main. Every
name demangled. Skipped when no C++ compiler was found."""
from coreutil import *  # noqa: F403

if os.environ.get("TL_NO_CPP"):
    skip("no C++ compiler: seed_cpp not built")
prog = exe("seed_cpp")
S = "seed_cpp.cpp"
bare, r, rep = run_vs_bare([prog], b"got 5 answers\n")
check(rep["leaked"] == 15 and len(rep["leaks"]) == 15, "15 leaks expected", rep)
check(len({l["tid"] for l in rep["leaks"]}) == 15, "distinct tids", rep)
send_lines = {line(S, "one value at a time") + 1, line(S, "rendezvous: wait until ours is taken") + 1}
spawn = line(S, "SPAWN")
for l in rep["leaks"]:
    check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait", "state", l)
    check(l["detached"] is True, "std::thread::detach()ed", l)
    # std::thread's start routine (libstdc++'s execute_native_thread_routine) has no name: the
    # lambda it runs stands for it
    check((l.get("start_routine") or "").startswith("submit(int)::{lambda()#1}::operator()()"),
          f"start routine {l.get('start_routine')!r}: expected submit's lambda", l)
    fns = functions(l["stack"])
    check_frame(top(l), "Channel<int>::send(int)", S, send_lines, "top frame", l)
    check("lambda" in (fns[1] or "") and "submit(int)" in fns[1],
          f"second frame {fns[1]!r}: expected submit's lambda", l)
    check(l["stack"][1]["line"] == spawn, "lambda line", l)
    cfns = functions(l["created_by"]["stack"])
    check(l["created_by"]["thread"] == 1, "created by thread 1", l)
    i = cfns.index("submit(int)") if "submit(int)" in cfns else -1
    check(i >= 0, f"creation stack {cfns} lacks submit(int)", l)
    check(l["created_by"]["stack"][i]["line"] == spawn, "submit line", l)
    check(cfns[i + 1] == "main" and l["created_by"]["stack"][i + 1]["line"] == line(S, "CALL_SUBMIT"),
          "main calls submit", l)
    check(any("lambda" in (f or "") for f in cfns[:i]), f"creation stack {cfns}: no lambda (std::thread ctor) before submit", l)
    for f in l["stack"] + l["created_by"]["stack"]:
        name = f.get("function") or ""
        check(not name.startswith("_Z"), f"mangled name {name}", l)
    no_own_frames(l)

# The demangler is a module of its own beside the library (preload/demangle.c), found through
# /proc/self/maps: a relative LD_PRELOAD finds it too. Without it the report is still whole,
# with mangled names, and says why in one line.
d = tmpdir()
shutil.copy(LIB, d)
solo = run([prog], env={"LD_PRELOAD": os.path.join(d, os.path.basename(LIB)), "LD_LIBRARY_PATH": ""})
check(solo.rc == 23 and solo.report and solo.report["leaked"] == 15, "library alone: 15 leaks", solo)
check(any(f.get("function") == "_ZN7ChannelIiE4sendEi" for f in solo.report["leaks"][0]["stack"]),
      "library alone: the mangled name", solo.report["leaks"][0])
check(warnings(solo) == ["threadleak: cannot load libthreadleak-demangle.so: C++ and Rust names are shown mangled"],
      "library alone: one line says why", solo.stderr)
# the start routine is still the program's function, mangled, not libstdc++'s _M_run (a mangled
# std:: name was not known as std::'s)
starts = {l["start_routine"] for l in solo.report["leaks"]}
check(starts and all(s and not s.startswith(("_ZNSt", "_ZSt")) for s in starts),
      f"library alone: start routines {starts}", solo.report["leaks"][0])
shutil.copy(os.path.join(os.path.dirname(LIB), "libthreadleak-demangle.so"), d)
rel = run([prog], env={"LD_PRELOAD": "./" + os.path.basename(LIB), "LD_LIBRARY_PATH": ""}, cwd=d)
check(rel.rc == 23 and not warnings(rel) and
      top(rel.report["leaks"][0])["function"] == "Channel<int>::send(int)",
      "relative LD_PRELOAD beside the module: demangled", rel)

t = run([prog], json_format=False)
err = t.stderr.decode()
check(t.rc == 23 and "found 15 leaked threads" in err and "Channel<int>::send(int) at" in err and
      "submit(int)" in err, "text report", err)
# std::thread's plumbing below the lambda (std::__invoke_impl ... _M_run) is one line in the text,
# every frame in the JSON
check("frames of the runtime's thread plumbing" in err and "__invoke_impl" not in err and
      "start_thread" in err, "text: std::thread's plumbing as one line, libc's frames kept", err)
check(any("__invoke_impl" in (f or "") for f in functions(rep["leaks"][0]["stack"])),
      "JSON: every frame kept", rep["leaks"][0])
ok()
