"""Frames of system libraries are named from their symbol table: the program's own frames keep
file and line, libc's have a function name and no file (their compressed debug info is not
inflated). system_lines=1 gives libc's frames file and line too (when its debug info is
installed)."""
from tl_test import *  # noqa: F403

prog = exe("grace")


def frames(options):
    r = run([prog, "forever", "1"], options=options)
    check(r.rc == 23, f"[{options}] exit status {r.rc}", r.stderr)
    waiter = [leak for leak in r.leaks if leak["start_routine"] == "cond_waiter"]
    check(len(waiter) == 1, f"[{options}] one cond waiter", r.report)
    return waiter[0]["stack"]


def libc(stack):
    return [f for f in stack if "libc.so" in (f.get("module") or "")]


default = frames("")
own = frame(default, "cond_waiter") or {}
check(own["file"] and own["file"].endswith("grace.c") and own["line"],
      "the program's frame has file and line", default)
check(libc(default) and all(f["function"] for f in libc(default)),
      "libc's frames are named", default)
check(all(f["file"] is None and f["line"] is None for f in libc(default)),
      "libc's frames have no file by default", default)

lines = frames("system_lines=1")
if not any(f["file"] for f in libc(lines)):
    skip("libc's debug info is not installed: system_lines=1 has nothing to show")
check([f["function"] for f in libc(lines)] == [f["function"] for f in libc(default)],
      "the same libc functions either way", default, lines)
check((frame(lines, "start_thread") or {}).get("file"), "system_lines=1: start_thread has its file", lines)
ok()
