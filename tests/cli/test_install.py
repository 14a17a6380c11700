"""Finding the library: next to the program in the build tree (the other tests), under
PREFIX/LIBDIR when installed as PREFIX/bin/threadleak (relocated: a copy of that layout), in
the program's own folder (a copy of both in one folder: before, not looked for there),
with THREADLEAK_LIB, and a clear error when it is nowhere. The man page is well-formed."""
import os
import shutil
import subprocess
import sys

from clitest import *  # noqa: E402,F403

leaky, tidy = exe("leaky"), exe("tidy")
libdir = os.environ.get("TL_LIBDIR", "lib")
work = tmpdir()

# PREFIX/bin/threadleak + PREFIX/LIBDIR/libthreadleak.so
prefix = os.path.join(work, "prefix")
os.makedirs(os.path.join(prefix, "bin"))
os.makedirs(os.path.join(prefix, libdir))
cli = os.path.join(prefix, "bin", "threadleak")
shutil.copy(CLI, cli)
shutil.copy(LIB, os.path.join(prefix, libdir, "libthreadleak.so"))
r = run([cli, "run", "--", leaky], preload=False)
check(r.rc == 23 and b"wait_forever" in r.stderr, f"installed layout: status {r.rc}", r.stderr)
r = run([cli, "run", "--", tidy], preload=False)
check(r.rc == 0 and r.stderr == b"", f"installed layout, clean: {r.rc}", r.stderr)

# nowhere to be found (unless a real install exists in the configured prefix)
alone = os.path.join(work, "alone")
os.makedirs(alone)
shutil.copy(CLI, os.path.join(alone, "threadleak"))
r = run([os.path.join(alone, "threadleak"), "run", "--", tidy], preload=False)
if r.rc != 0:
    check(r.rc == 125 and b"cannot find libthreadleak.so" in r.stderr and b"THREADLEAK_LIB" in r.stderr,
          f"no library: status {r.rc}", r.stderr)
check(r.stdout == b"" or r.rc == 0, "the command did not run without the library", r.stdout)

# a copy of both in one folder: the library beside the program
beside = os.path.join(work, "beside")
os.makedirs(beside)
shutil.copy(CLI, os.path.join(beside, "threadleak"))
shutil.copy(LIB, os.path.join(beside, "libthreadleak.so"))
r = run([os.path.join(beside, "threadleak"), "run", "--", leaky], preload=False)
check(r.rc == 23 and b"wait_forever" in r.stderr, f"library beside the program: status {r.rc}",
      r.stderr)

# THREADLEAK_LIB names it
r = run([os.path.join(alone, "threadleak"), "run", "--", leaky], preload=False, env={"THREADLEAK_LIB": LIB})
check(r.rc == 23, f"THREADLEAK_LIB: status {r.rc}", r.stderr)

r = run([os.path.join(alone, "threadleak"), "run", "--", leaky], preload=False,
        env={"THREADLEAK_LIB": "/nonexistent/libthreadleak.so"})
check(r.rc == 125 and b"THREADLEAK_LIB=/nonexistent/libthreadleak.so: No such file" in r.stderr,
      f"THREADLEAK_LIB pointing nowhere: {r.rc}", r.stderr)

# an LD_PRELOAD already set is kept, after the library
r = run([CLI, "run", "--", "sh", "-c", 'echo "$LD_PRELOAD"'], preload=False, env={"LD_PRELOAD": "libm.so.6"})
check(r.stdout.decode().strip() == f"{os.path.realpath(LIB)}:libm.so.6", "LD_PRELOAD prepended", r.stdout)

# the man page
man = os.path.join(SOURCE_ROOT, "docs", "threadleak.1")
text = open(man).read()
check(text.startswith(".TH THREADLEAK 1") and ".SH SYNOPSIS" in text and '.SH "EXIT STATUS"' in text, "man page", text[:300])
groff = shutil.which("groff")
if groff:
    p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", man], stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0 and p.stderr == "", "man page renders without warnings", p.stderr)
ok()
