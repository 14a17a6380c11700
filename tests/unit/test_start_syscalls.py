"""What the library costs a process that starts no thread (most processes a CI job starts): the
system calls of a few such commands preloaded with it, against the same commands preloaded with
an empty library. None more (docs/internals.md, Process start): nothing allocated (malloc's
first use shows as getrandom and brk calls), no file opened (no /proc read at start or at exit),
no futex (no lock contention, no dlsym), and since the identity of fd 2 and the pid are read
when first needed, not at start, and whether another task may exist is told from flags at exit
(exit.c never_threaded), no getpid, fstat, prctl or unshare either: on a VM with page-table
isolation and no PCID each system call empties the TLB, and those five (seven with a stderr
that is a file, whose copy cost prlimit64 and fcntl) cost /bin/true about 1% of its CPU time.
What is still allowed, counted: fd 1's identity with log_path=stdout (one fstat).

Commands: /bin/true (main returns); coreutils' echo, whose exit handler closes stdout and stderr
(fclose through our wrapper, once the exit has begun: nothing to read then); a shell's `exit 3`
(exit() through our wrapper); a C program that closes fd 0 and calls exit() with an atexit
handler that closes stderr. Needs strace (skips without)."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

from tl_test import skip

LIB = os.environ["TL_LIB"]
EMPTY = os.path.join(os.environ["TL_BUILD_ROOT"], "bench", "libtlbench-empty.so")

if shutil.which("strace") is None:
    skip("strace not installed")


def syscalls(cmd, lib, options=None, stderr=subprocess.PIPE):
    """Count of each system call cmd makes after the loader mapped the preloaded library (the
    loader's own calls for mapping a file differ with its size, not with our code), and its
    status and stderr."""
    with tempfile.NamedTemporaryFile(prefix="tlstrace.", delete=False) as f:
        path = f.name
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "THREADLEAK_OPTIONS")}
    if options:
        env["THREADLEAK_OPTIONS"] = options
    # strace writes to its -o file: the command's stderr is ours to choose
    p = subprocess.run(["strace", "-qq", "-f", "-o", path, "-E", f"LD_PRELOAD={lib}", *cmd],
                       env=env, stdout=subprocess.PIPE, stderr=stderr, timeout=60)
    with open(path) as f:
        lines = f.read().splitlines()
    os.unlink(path)
    # after the last mprotect: the loader has relocated everything, constructors run next
    last = max(i for i, l in enumerate(lines) if " mprotect(" in l or l.startswith("mprotect("))
    count = collections.Counter()
    for l in lines[last + 1:]:
        name = l.split("(", 1)[0].split()[-1]
        count[name] += 1
    return count, lines[last + 1:], p.returncode, p.stdout, p.stderr


def judge(cmd, budget={}, **kw):
    ours, lines, rc, out, err = syscalls(cmd, LIB, **kw)
    empty, _, rc_e, out_e, err_e = syscalls(cmd, EMPTY, **kw)
    what = " ".join(os.path.basename(c) for c in cmd) + (f" ({kw})" if kw else "")
    extra = ours - empty
    print(f"{what}: after loading, ours: {dict(ours)}  empty: {dict(empty)}")
    if (rc, out, err) != (rc_e, out_e, err_e):
        print(f"FAIL: {what}: status, stdout or stderr differ from the empty library's: "
              f"{rc} {out!r} {err!r} against {rc_e} {out_e!r} {err_e!r}")
        sys.exit(1)
    over = {k: v for k, v in extra.items() if v > budget.get(k, 0)}
    if over:
        print(f"FAIL: {what}: system calls beyond the budget {budget}: {over}")
        print("\n".join(lines))
        sys.exit(1)


with tempfile.TemporaryDirectory(prefix="tlsys.") as tmp:
    prog = os.path.join(tmp, "atexit_exit")
    with open(prog + ".c", "w") as f:
        f.write("#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n"
                "static void bye(void) { fclose(stderr); }\n"
                "int main(void) { atexit(bye); printf(\"hi\\n\"); close(0); exit(3); }\n")
    cc = shutil.which("cc") or shutil.which("gcc")
    commands = [["/bin/true"], ["/bin/echo", "x"], ["/bin/sh", "-c", "exit 3"]]
    if cc and subprocess.run([cc, "-o", prog, prog + ".c"]).returncode == 0:
        commands.append([prog])
    else:
        print("no C compiler: the atexit program is left out")
    for cmd in commands:
        # stderr a pipe (as under most CI runners)
        judge(cmd)
        # stderr a regular file (it cost a copy at start: prlimit64 and fcntl)
        with tempfile.TemporaryFile(prefix="tlstderr.") as err:
            judge(cmd, stderr=err)
    # the parse of THREADLEAK_OPTIONS allocates nothing either
    judge(["/bin/true"], options="grace_ms=100:max_frames=20:disable_default_sets=node")
    # the report to stdout: fd 1's identity too
    judge(["/bin/true"], {"fstat": 1}, options="log_path=stdout")
print("ok")
