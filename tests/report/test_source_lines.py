"""Source lines in the text report: under the innermost frame in the program's own sources and
under the creator, the line itself with its number, as a compiler shows it under a diagnostic.
The seed's report shows the line of seed.c that blocks and the pthread_create line; the option
source_lines=0 (and `threadleak report --no-source`) turns them off; a source that was moved,
deleted, changed after the build, or is shorter than the line prints nothing, and the report is
otherwise the same; the library and `threadleak report` of a saved JSON print the same
lines."""
import json
import os
import re
import shutil
import subprocess

from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
BUILD = os.environ["TL_BUILD_ROOT"]
SRC = os.environ["TL_SOURCE_ROOT"]
SEED_SRC = os.path.join(SRC, "tests", "scenarios", "seed.c")
SRC_LINE = re.compile(r"^ +(\d+) \| (.*)$")
work = tmpdir("tlsource.")


def text_of(argv, options="", cwd=SRC):
    r = run(argv, options=options, json_format=False, cwd=cwd, timeout=120)
    check(r.rc == 23, f"{argv}: status {r.rc}", r.stderr)
    return r.stderr.decode(errors="replace")


def source_lines(text):
    """(frame line above, number, code) of every source line."""
    out, prev = [], None
    for ln in text.splitlines():
        m = SRC_LINE.match(ln)
        if m:
            out.append((prev, int(m.group(1)), m.group(2)))
        else:
            prev = ln
    return out


def without_source(text):
    """The distinct lines of the report other than source lines and thread lines (how many
    threads wait at which line of the seed varies from run to run): stacks, creators, the
    header without its numbers."""
    out = set()
    for ln in text.splitlines():
        if SRC_LINE.match(ln) or ln.startswith(("Thread ", "  thread ", "  and ", "  ... (")):
            continue
        ln = re.sub(r"\b(pid|tid) \d+", r"\1 T", ln)
        out.add(re.sub(r"\d+ leaked thread", "N leaked thread", ln))
    return out


def file_line(path, n):
    with open(path) as f:
        return f.read().splitlines()[n - 1].strip()


# 1. the seed: the blocking line under chan_send, the pthread_create line under the creator
seed = os.path.join(BUILD, "tests", "core", "seed")
text = text_of([seed])
lines = source_lines(text)
send = source_line(SEED_SRC, "rendezvous: wait until ours is taken") + 1
create = source_line(SEED_SRC, "pthread_create(&t, NULL, sender")
check(any(f"chan_send at tests/scenarios/seed.c:{send}" in above and n == send and
          code == file_line(SEED_SRC, send) for above, n, code in lines),
      f"no source line {send} under chan_send", text)
check(any(above.startswith("  created by submit at") and n == create and
          code == file_line(SEED_SRC, create) for above, n, code in lines),
      f"no source line {create} under the creator", text)
# one line per stack (the innermost frame in the program's sources), one per creator
blocks = text.count("\nThread ")
check(len(lines) == 2 * blocks, f"{len(lines)} source lines for {blocks} thread blocks", text)
check(not any("nptl/" in (above or "") or "sysdeps" in (above or "") for above, _, _ in lines),
      "a source line under a glibc frame", text)
print(f"ok: seed: {len(lines)} source lines, line {send} under chan_send, {create} under submit")

# 2. the option turns them off; the report is otherwise the same
off = text_of([seed], options="source_lines=0")
check(not source_lines(off), "source_lines=0 still prints source lines", off)
check(without_source(off) == without_source(text), "source_lines=0 changes more than the source lines",
      off, text)
print("ok: source_lines=0")

# 3. the library and threadleak report of a saved JSON print the same lines; --no-source
r = run([seed], cwd=SRC)
check(r.rc == 23 and r.report, "seed under format=json", r.stderr)
saved = os.path.join(work, "seed.json")
with open(saved, "w") as f:
    json.dump(r.report, f)
rep = subprocess.run([CLI, "report", saved], cwd=SRC, capture_output=True, text=True, timeout=120)
check(rep.returncode == 0, "threadleak report", rep.stderr)
check(sorted(set(source_lines(rep.stdout))) == sorted(set(lines)),
      "threadleak report prints other source lines than the library", rep.stdout, text)
rep_off = subprocess.run([CLI, "report", "--no-source", saved], cwd=SRC, capture_output=True,
                         text=True, timeout=120)
check(rep_off.returncode == 0 and not source_lines(rep_off.stdout) and
      without_source(rep_off.stdout) == without_source(rep.stdout),
      "threadleak report --no-source", rep_off.stdout, rep.stdout)
print("ok: threadleak report of the saved JSON prints the library's source lines; --no-source")

# 4. a copy of the seed built here: its source moved, deleted, changed, shortened
gcc = shutil.which("cc") or shutil.which("gcc")
csrc = os.path.join(work, "seed.c")
shutil.copy(SEED_SRC, csrc)
prog = os.path.join(work, "seed_copy")
p = subprocess.run([gcc, "-g", "-O0", "-pthread", "-o", prog, csrc], capture_output=True, text=True)
check(p.returncode == 0, "cc seed.c", p.stderr)
# the binary is newer than its source
os.utime(csrc, (os.path.getmtime(prog) - 10, os.path.getmtime(prog) - 10))
base = text_of([prog], cwd=work)
check(len(source_lines(base)) == len(lines), "the copy's report has its source lines", base)


def nothing(what, text2):
    check(not source_lines(text2), f"{what}: source lines printed", text2)
    check(without_source(text2) == without_source(base), f"{what}: the report changed otherwise",
          text2, base)
    print(f"ok: {what}: no source line, the report otherwise the same")


os.rename(csrc, csrc + ".moved")
nothing("source moved", text_of([prog], cwd=work))
os.rename(csrc + ".moved", csrc)
os.utime(csrc, None)  # edited after the build
nothing("source newer than the program", text_of([prog], cwd=work))
with open(csrc) as f:
    head = f.read().splitlines()[:10]
with open(csrc, "w") as f:
    f.write("\n".join(head) + "\n")
os.utime(csrc, (os.path.getmtime(prog) - 10, os.path.getmtime(prog) - 10))
nothing("source shorter than the line", text_of([prog], cwd=work))
os.unlink(csrc)
nothing("source deleted", text_of([prog], cwd=work))
ok()
