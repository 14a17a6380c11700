"""What a thread's creation and join cost in system calls: `tlbench create-join` (20,000
threads created and joined one after another) under the library makes no more system calls than
bare, but for a small allowance. The library remembers the tids of the threads it forgot (joined,
or detached and finished) until their tasks are gone, and asks about them when that list is full
(preload/registry.c forget_reaped): it once asked about every one with tgkill, a system call per
join, 4% of a creation and join on a VM where a system call takes a microsecond. Now a process
whose every task the registry accounts for asks about the last few only. The report stays clean
(tlbench leaks nothing). Needs strace (skips without)."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

from tl_test import skip

LIB = os.environ["TL_LIB"]
BENCH = os.path.join(os.environ["TL_BUILD_ROOT"], "bench", "tlbench")
THREADS = 20000
ALLOWED = 0.05  # extra system calls per creation and join (the libraries it loads, the last
# tids asked about at each full list); asking about every tid was 1.0

if shutil.which("strace") is None:
    skip("strace not installed")


def syscalls(lib):
    with tempfile.NamedTemporaryFile(prefix="tlstrace.", delete=False) as f:
        path = f.name
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "THREADLEAK_OPTIONS")}
    cmd = ["strace", "-qq", "-f", "-c", "-U", "name,calls", "-o", path]
    if lib:
        cmd += ["-E", f"LD_PRELOAD={lib}"]
    p = subprocess.run(cmd + [BENCH, "create-join", str(THREADS)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    with open(path) as f:
        table = f.read()
    os.unlink(path)
    if p.returncode != 0 or p.stderr.strip():
        print(f"FAIL: tlbench create-join under {lib or 'no library'}: status {p.returncode}, "
              f"stderr {p.stderr!r}")
        sys.exit(1)
    count = collections.Counter()
    for line in table.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit() and f[0] != "total":
            count[f[0]] = int(f[1])
    return count


bare, ours = syscalls(None), syscalls(LIB)
extra = ours - bare
print(f"bare: {dict(bare)}")
print(f"ours: {dict(ours)}")
per_op = {k: v / THREADS for k, v in extra.items() if v / THREADS > 0.001}
print(f"beyond bare, per creation and join: {per_op}")
if sum(extra.values()) > ALLOWED * THREADS:
    print(f"FAIL: {sum(extra.values())} more system calls than bare for {THREADS} creations and "
          f"joins, over {ALLOWED} a thread: {per_op}")
    sys.exit(1)
print("ok")
