"""Frames in no module: a thread started by a library that was dlclose'd since (its file deleted
first: else its frames are named from the file, below), and a thread running generated code in
an anonymous executable mapping (JIT). The JSON keeps the pc with a null module and says which
("mapping": "unloaded" / "anonymous"); the text says `?? (0x..., module unloaded)` /
`?? (0x..., anonymous executable mapping)`, from the library and from `threadleak report` of the
JSON alike. A library dlclose'd whose file is still there: its frames are named from it."""
import json
import os
import re
import shutil
import sys
import tempfile

from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
prog = exe("outside")
lib = os.path.join(SCENARIOS, "libtlspawner.so")
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "outside.c")
block_line = source_line(src, "BLOCK")
work = tempfile.mkdtemp(prefix="tloutside.")


def outside_frames(frames):
    return [f for f in frames if f.get("module") is None]


def text_of_report(rep):
    path = os.path.join(work, "rep.json")
    with open(path, "w") as f:
        json.dump(rep, f)
    t = run([CLI, "report", path], preload=False, timeout=60)
    check(t.rc == 0, f"threadleak report: status {t.rc}", t.stderr)
    return t.stdout.decode(errors="replace")


def gone_copy():
    """A copy of the library that the program deletes before dlclose (argument "gone")."""
    path = os.path.join(work, "libtlspawner.so")
    shutil.copy(lib, path)
    return path


# -- a library dlclose'd after it started the thread, its file still there: named from it
spawner_c = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spawner.c")
r = run([prog, "unloaded", lib])
check(r.rc == 23 and r.stdout == b"unloaded\n", f"unloaded: status {r.rc}", r.stdout, r.stderr)
cs = r.report["leaks"][0]["created_by"]["stack"]
check(cs and cs[0].get("function") == "spawner_start" and cs[0].get("module") == lib
      and cs[0].get("file") == spawner_c and cs[0].get("mapping") is None,
      "the unloaded library's frame, named from its file", cs)
r = run([prog, "unloaded_stack", lib])
st = r.report["leaks"][0]["stack"]
check(r.rc == 23 and st and st[-1].get("module") == lib and st[-1].get("function")
      and "unmapped code" in (r.report["leaks"][0].get("stack_cut") or ""),
      "unloaded_stack: the last frame named from the file, the stack cut after it", st)

# -- a library dlclose'd after it started the thread, its file deleted
r = run([prog, "unloaded", gone_copy(), "gone"])
check(r.rc == 23 and r.stdout == b"unloaded\n", f"unloaded: status {r.rc}", r.stdout, r.stderr)
leak = r.report["leaks"][0]
check(leak["blocked_in"] == "read", "blocked in read", leak)
cs = leak["created_by"]["stack"]
gone = outside_frames(cs)
check(gone and gone[0].get("mapping") == "unloaded" and int(gone[0]["pc"], 16) > 0 and gone[0].get("offset") is None,
      "the library's frame: pc kept, module null, mapping unloaded", cs)
check(cs[leak["created_by"].get("headline", 0)] == gone[0],
      "headline: the first frame past pthread_create, in the unloaded library", leak["created_by"])
pat = re.compile(r"  created by \?\? \(0x[0-9a-f]+, module unloaded\) in thread 1")
t = run([prog, "unloaded", gone_copy(), "gone"], json_format=False)
text = t.stderr.decode(errors="replace")
check(pat.search(text) and "?+0x0" not in text, "library text: module unloaded", text)
text = text_of_report(r.report)
check(pat.search(text) and "?+0x0" not in text, "threadleak report: module unloaded", text)
pc = gone[0]["pc"]
check(f"?? ({pc}, module unloaded)" in text, f"threadleak report: the pc {pc}", text)

# -- the thread's current stack runs through the unloaded library: its return address there is
# kept, and the stack is said to be cut after it (no unwind information past unloaded code:
# libunwind's frame-pointer guess invented frames, one of them inside the thread's own stack)
r = run([prog, "unloaded_stack", gone_copy(), "gone"])
check(r.rc == 23 and r.stdout == b"unloaded\n", f"unloaded_stack: status {r.rc}", r.stdout, r.stderr)
leak = r.report["leaks"][0]
st = leak["stack"]
check(leak["blocked_in"] == "read" and st and st[0].get("line") == block_line, "blocked in blocker's read", leak)
gone = outside_frames(st)
check(len(gone) == 1 and gone[0] is st[-1] and gone[0].get("mapping") == "unloaded",
      "one unloaded frame, the last one: nothing guessed past it", st)
check("unmapped code" in (leak.get("stack_cut") or ""), f"stack_cut says why: {leak.get('stack_cut')!r}", leak)
t = run([prog, "unloaded_stack", gone_copy(), "gone"], json_format=False)
text = t.stderr.decode(errors="replace")
pat = re.compile(r"    \?\? \(0x[0-9a-f]+, module unloaded\)\n    \(stack cut after a frame in unmapped code")
check(pat.search(text), "library text: the stack is cut after the unloaded frame", text)
check(pat.search(text_of_report(r.report)), "threadleak report: the same", r.report)

# -- JIT code in an anonymous executable mapping
r = run([prog, "jit"])
m = re.match(rb"region 0x([0-9a-f]+) (\d+)", r.stdout)
check(r.rc == 23 and m, f"jit: status {r.rc}", r.stdout, r.stderr)
lo, size = int(m.group(1), 16), int(m.group(2))
leak = r.report["leaks"][0]
jit = outside_frames(leak["stack"])
check(jit and jit[0].get("mapping") == "anonymous" and lo <= int(jit[0]["pc"], 16) < lo + size,
      f"the JIT frame: pc in [{lo:#x}, {lo + size:#x}), module null, mapping anonymous", leak["stack"])
check(any(f.get("line") == block_line for f in leak["stack"]), "blocker() below the JIT frame", leak["stack"])
t = run([prog, "jit"], json_format=False)
text = t.stderr.decode(errors="replace")
pat = re.compile(r"    \?\? \(0x[0-9a-f]+, anonymous executable mapping\)")
check(pat.search(text) and "?+0x0" not in text, "library text: anonymous executable mapping", text)
text = text_of_report(r.report)
check(f"    ?? ({jit[0]['pc']}, anonymous executable mapping)" in text, "threadleak report: the JIT frame", text)
print("ok: frames in no module keep their pc and say why")
shutil.rmtree(work, ignore_errors=True)
