"""A leaked thread blocked in read() inside a signal handler: its stack runs through the kernel's
signal frame (the trampoline the handler returns to, glibc's __restore_rt, which Debian's libc
names nowhere). The JSON marks that frame ("function": "<signal handler called>",
"signal_frame": true) where it was an unreadable `?? (libc.so.6+0x...)`, and the frames are,
in order: the handler, the signal frame, the interrupted function, the thread's function. The
frame after the signal frame was interrupted, not called: its pc is looked up as it is, not at
pc-1 (the trap case: the interrupted pc is the first byte of trap_here, and pc-1 named the
function before it), by the library and by `threadleak report` when it symbolizes a report made
without debug info. The text says `<signal handler called>`, the library's and `threadleak
report`'s alike."""
import copy
import json
import os
import platform
import re

from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
prog = exe("sigframe")
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sigframe.c")
SIGFRAME = "<signal handler called>"
work = tmpdir("tlsigframe.")


def frame_lines(text):
    """The frame lines of the one thread block in text ("    fn at file:line", "    fn (mod+0x..)"),
    without the source lines under them, up to the creation."""
    block = text.split("  created by ")[0]
    return [l[4:] for l in block.splitlines() if l.startswith("    ") and not l.startswith("     ")]


def report_cli(rep):
    """`threadleak report` of a saved report: (its text, the JSON it writes with --json)."""
    path = os.path.join(work, "rep.json")
    out = os.path.join(work, "out.json")
    with open(path, "w") as f:
        json.dump(rep, f)
    t = run([CLI, "report", "--no-color", "--json", out, path], preload=False, timeout=60)
    check(t.rc == 0, f"threadleak report: status {t.rc}", t.stdout, t.stderr)
    with open(out) as f:
        doc = json.load(f)
    return t.stdout.decode(errors="replace"), doc


def leaked_stack(mode):
    r = run([prog, mode])
    check(r.rc == 23 and r.stdout == b"in handler\n", f"{mode}: status {r.rc}", r.stdout, r.stderr)
    check(len(r.leaks) == 1, f"{mode}: one leak", r.report)
    leak = r.leaks[0]
    check(leak["state"] == "blocked" and leak["blocked_in"] == "read", f"{mode}: blocked in read", leak)
    return r, leak["stack"]


def at(f, function, marker):
    return (f.get("function") == function and (f.get("file") or "").endswith("/sigframe.c")
            and f.get("line") == source_line(src, marker))


def check_frames(mode, st, interrupted, interrupted_ok, outer, outer_marker):
    """handler, the signal frame, the interrupted function, the thread's function; no other
    frame marked."""
    check(len(st) >= 4 and at(st[0], "handler", "HANDLER_READ"),
          f"{mode}: the handler's read at line {source_line(src, 'HANDLER_READ')} first", st)
    s = st[1]
    check(s.get("function") == SIGFRAME and s.get("signal_frame") is True and s.get("file") is None
          and s.get("line") is None and s.get("inlined") is False and s.get("module"),
          f"{mode}: the second frame is the signal frame, marked as such", st)
    check(interrupted_ok(st[2]), f"{mode}: the interrupted {interrupted} third", st)
    check(at(st[3], outer, outer_marker), f"{mode}: {outer} fourth", st)
    check([i for i, f in enumerate(st) if "signal_frame" in f] == [1], f"{mode}: one signal frame", st)


def check_text(what, text, want):
    got = frame_lines(text)
    check(len(got) >= len(want) and all(re.fullmatch(w, g) for w, g in zip(want, got)),
          f"{what}: frames {got[:len(want)]}, expected {want}", text)
    check("?? (libc" not in text, f"{what}: no unreadable libc frame", text)


def line_re(function, marker):
    return rf"{re.escape(function)} at \S*sigframe\.c:{source_line(src, marker)}"


# -- pause(), interrupted by SIGUSR1
r, st = leaked_stack("pause")
check_frames("pause", st, "pause", lambda f: f.get("function") == "pause", "pauser", "PAUSE")
want = [line_re("handler", "HANDLER_READ"), re.escape(SIGFRAME), r"pause \(libc\.so\.\d+\+0x[0-9a-f]+\)",
        line_re("pauser", "PAUSE")]
t = run([prog, "pause"], json_format=False)
check_text("library text", t.stderr.decode(errors="replace"), want)
text, doc = report_cli(r.report)
check_text("threadleak report", text, want)
check(doc["processes"][0]["leaks"][0]["stack"][1] == st[1],
      "threadleak report --json: the signal frame as the library wrote it", doc)

# -- a fault at the first byte of trap_here (x86_64): the interrupted pc is exact
if platform.machine() == "x86_64":
    r, st = leaked_stack("trap")
    check_frames("trap", st, "trap_here", lambda f: at(f, "trap_here", "TRAP"), "trapper", "CALL_TRAP")
    want = [line_re("handler", "HANDLER_READ"), re.escape(SIGFRAME), line_re("trap_here", "TRAP"),
            line_re("trapper", "CALL_TRAP")]
    t = run([prog, "trap"], json_format=False)
    check_text("library text (trap)", t.stderr.decode(errors="replace"), want)
    # a report made without debug info: `threadleak report` looks the frames up again by module
    # and offset, the one after the signal frame at its pc, and leaves the signal frame as it is
    bare = copy.deepcopy(r.report)
    for f in bare["leaks"][0]["stack"]:
        f["file"], f["line"] = None, None
    text, doc = report_cli(bare)
    check_text("threadleak report of a report without lines (trap)", text, want)
    again = doc["processes"][0]["leaks"][0]["stack"]
    check(again[1] == bare["leaks"][0]["stack"][1] and at(again[2], "trap_here", "TRAP")
          and again[2].get("symbolized_from"),
          "threadleak report --json: the signal frame kept, trap_here symbolized at its pc", again)
ok("ok: a handler's stack shows the signal frame, and the interrupted frame at its exact pc")
