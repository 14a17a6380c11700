"""Hooks the program defines, the LeakSanitizer way, exported (-rdynamic: found with dlsym) or
not (found in the symbol table at the check):
  threadleak_default_suppressions(): its rules apply (default_suppressions=0 does not turn
    the program's own rules off), with files after them; its malformed line is named
    threadleak_default_suppressions():3
  threadleak_default_options() returning "exitcode=42": the status with leaks is 42;
    THREADLEAK_OPTIONS wins over it;
  threadleak_default_options() returning "default_suppressions=0", not exported, in a program
    whose threads have names the default set glib suppresses (gmain, gdbus): both reported.
    The check decides about such threads before it has the symbols (it does not wait for them),
    with the options it had then: the hook it finds later makes it decide again."""
import os
import shutil
import subprocess

from apiutil import *  # noqa: F403

work = workdir()


def dynamic_symbols(path):
    nm = shutil.which("nm")
    if nm is None:
        return None
    p = subprocess.run([nm, "-D", "--defined-only", path], stdout=subprocess.PIPE, text=True)
    return {l.split()[-1] for l in p.stdout.splitlines() if l.strip()}


try:
    for name, exported in (("api_hook_supp", False), ("api_hook_supp_dyn", True)):
        prog = exe(name)
        syms = dynamic_symbols(prog)
        if syms is not None:
            check(("threadleak_default_suppressions" in syms) == exported,
                  f"{name}: hook {'not ' if not exported else ''}expected in the dynamic symbol table", sorted(syms))
        bare = run([prog], preload=False)
        check(bare.rc == 0 and bare.stdout == b"ready\n" and bare.stderr == b"", f"{name}: bare run", bare.stderr)

        for opts in ("", "default_suppressions=0", "disable_default_sets=libc"):
            r = run([prog], options=opts)
            logger_suppressed(r, "name:^logger$", f"{name} {opts}")
            ws = warnings(r.stderr)
            check(len(ws) == 1 and ws[0].startswith("threadleak: threadleak_default_suppressions():3: ")
                  and "bogus line" in ws[0], f"{name} {opts}: one warning naming the hook's line 3", r.stderr)

        # a file adds to the hook's rules
        f = supp_file(work, "w.supp", "start:worker_loop\n")
        r = run([prog], options=f"suppressions={f}")
        rep = r.report
        check(r.rc == 0 and rep["leaked"] == 0 and rep["suppressed"] == 2
              and used(rep) == {"name:^logger$": 1, "start:worker_loop": 1}, f"{name}: hook and file", rep)

        t = run([prog], json_format=False)
        err = t.stderr.decode(errors="replace")
        check(t.rc == 23 and err.endswith("suppressions used:\n  count rule\n      1 name:^logger$\n"),
              f"{name}: text report lists the hook's rule", err)

    for name, exported in (("api_hook_opts", False), ("api_hook_opts_dyn", True)):
        prog = exe(name)
        syms = dynamic_symbols(prog)
        if syms is not None:
            check(("threadleak_default_options" in syms) == exported, f"{name}: dynamic symbol table", sorted(syms))
        bare = run([prog], preload=False)
        check(bare.rc == 0 and bare.stdout == b"ready\n", f"{name}: bare run", bare.stderr)
        r = run([prog])
        check(r.rc == 42 and r.report["leaked"] == 2, f"{name}: status {r.rc}, expected the hook's 42", r.stderr,
              r.report)
        check(warnings(r.stderr) == [], f"{name}: no warnings", r.stderr)
        r = run([prog], options="exitcode=9")
        check(r.rc == 9, f"{name}: status {r.rc}, THREADLEAK_OPTIONS exitcode=9 wins", r.stderr)
        # all suppressed: the program's own status
        f = supp_file(work, "both.supp", "name:logger\nname:worker\n")
        r = run([prog], options=f"suppressions={f}")
        check(r.rc == 0 and r.report["leaked"] == 0, f"{name}: nothing leaked, status {r.rc}", r.report)

        # a bad exitcode in THREADLEAK_OPTIONS keeps the hook's, and (exported: the hook is
        # known when the warning is written, at start) says so
        r = run([prog], options="exitcode=abc")
        ws = warnings(r.stderr)
        check(r.rc == 42 and len(ws) == 1 and "invalid value 'abc' for exitcode" in ws[0] and
              (not exported or ws[0].endswith("keeping 42")),
              f"{name}: exitcode=abc: status {r.rc}, warning {ws}", r.stderr)

    # hooks defined in C++: found by their C++ names without threadleak.h, by their C names
    # (exported) with it; before, both were ignored (status 23, logger reported)
    for name in ("api_hook_cpp", "api_hook_cpp_header"):
        if os.environ.get("TL_NO_CPP"):
            print("C++ hooks: skipped (no C++ compiler)")
            break
        prog = exe(name)
        syms = dynamic_symbols(prog)
        if syms is not None and name.endswith("header"):
            check({"threadleak_default_options", "threadleak_default_suppressions"} <= syms,
                  f"{name}: the hooks exported by their C names", sorted(syms))
        r = run([prog])
        rep = r.report
        check(r.rc == 42 and rep["leaked"] == 1 and rep["suppressed"] == 1 and
              [l["name"] for l in rep["leaks"]] == ["worker"] and r.stdout == b"ready\n",
              f"{name}: status {r.rc}, the hooks' exitcode 42 and rule expected", r.stderr, rep)
        check(warnings(r.stderr) == [], f"{name}: no warnings", r.stderr)

    prog = exe("api_hook_nodefaults")
    r = run([prog])
    check(r.rc == 23 and r.report["leaked"] == 2 and r.report["suppressed"] == 0,
          f"api_hook_nodefaults: status {r.rc}, the hook's default_suppressions=0 applies", r.report)
    check({l["name"] for l in r.report["leaks"]} == {"gmain", "gdbus"}, "api_hook_nodefaults: both", r.report)
    r = run([prog], options="default_suppressions=1")
    check(r.rc == 0 and r.report["suppressed"] == 2, f"api_hook_nodefaults: THREADLEAK_OPTIONS wins: {r.rc}",
          r.report)
finally:
    shutil.rmtree(work, ignore_errors=True)
ok()
