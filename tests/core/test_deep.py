"""Stacks cut at max_frames say so: the thread blocked 100 frames deep (created 50 frames deep)
keeps max_frames frames of each stack, and "stack_cut" (the thread's, and created_by's) says
"stack cut at max_frames=N", in the JSON, the library's text and threadleak report's text. A
shallow thread's stacks are whole: stack_cut null."""
import json
import os
import tempfile

from coreutil import *  # noqa: F403

prog = exe("deep")
for frames in (32, 8):
    opts = "" if frames == 32 else f"max_frames={frames}"
    r = run([prog], options=opts)
    check(r.rc == 23 and r.stdout == b"deep\n", f"status {r.rc}", r.stdout, r.stderr)
    leaks = by_start(r.report["leaks"])
    cut = f"stack cut at max_frames={frames}"
    d = leaks["deep_blocker"]
    check(len(d["stack"]) >= frames and functions(d["stack"])[-1] == "down",
          f"[{frames}] the deep stack: {len(d['stack'])} frames, ending in down", d["stack"])
    check(d.get("stack_cut") == cut, f"[{frames}] stack_cut {d.get('stack_cut')!r}", d)
    check(d["created_by"].get("stack_cut") == cut and len(d["created_by"]["stack"]) == frames,
          f"[{frames}] created_by stack_cut {d['created_by'].get('stack_cut')!r}", d["created_by"])
    s = leaks["shallow"]
    check(s.get("stack_cut") is None and s["created_by"].get("stack_cut") is None,
          f"[{frames}] the shallow thread's stacks are whole", s)
    t = run([prog], options=opts, json_format=False)
    text = t.stderr.decode(errors="replace")
    check(text.count(f"    ({cut})\n") == 2, f"[{frames}] text: ({cut}) after each stack", text)
    cli = os.path.join(os.environ["TL_BUILD_ROOT"], "tools", "threadleak")
    if not os.path.exists(cli):  # the CLI is optional (json-c)
        continue
    with tempfile.TemporaryDirectory(prefix="tldeep.") as work:
        path = os.path.join(work, "rep.json")
        with open(path, "w") as f:
            json.dump(r.report, f)
        t = run([cli, "report", path], preload=False, timeout=60)
        text = t.stdout.decode(errors="replace")
        check(t.rc == 0 and text.count(f"    ({cut})\n") == 2,
              f"[{frames}] threadleak report: ({cut}) after each stack", text, t.stderr)
# max_frames exactly the length of a whole creation stack keeps it whole, uncut; one fewer cuts
# it. It kept one frame fewer than asked and said "cut" (our frame that calls main counted)
r = run([prog])
whole = len(by_start(r.report["leaks"])["shallow"]["created_by"]["stack"])
for frames, cut in ((whole, None), (whole - 1, f"stack cut at max_frames={whole - 1}")):
    r = run([prog], options=f"max_frames={frames}")
    cb = by_start(r.report["leaks"])["shallow"]["created_by"]
    check(len(cb["stack"]) == frames and cb.get("stack_cut") == cut,
          f"max_frames={frames}: the shallow creation stack has {len(cb['stack'])} frames, cut "
          f"{cb.get('stack_cut')!r}", cb)
ok()
