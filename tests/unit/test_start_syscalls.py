"""What the library costs a process that starts no thread (most processes a CI job starts): the
system calls of /bin/true preloaded with it, against /bin/true preloaded with an empty library.
Nothing may be allocated (malloc's first use shows as getrandom and brk calls), no file opened
(no /proc read at start or at exit), no futex (no lock contention, no dlsym), whatever the hook
lookup and the exit check do. What it may add is counted, not only named (docs/internals.md,
Process start):
- the identity of fd 2 (one fstat), and of fd 1 with log_path=stdout (a second one);
- for a stderr that is a regular file or a terminal, its close-on-exec copy (prlimit64 and
  fcntl); for a pipe, nothing at start: the O_PATH reference to it is taken before the first
  thread, so no openat of /proc/self/fd/2 here;
- getpid: once at start, once in the destructor's exit check (the two exit handlers ask only
  once a thread was started);
- the exit path's task count (prctl, unshare).
Needs strace (skips without)."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

from tl_test import skip

LIB = os.environ["TL_LIB"]
EMPTY = os.path.join(os.environ["TL_BUILD_ROOT"], "bench", "libtlbench-empty.so")
# system call -> how many more times than under the empty library
BUDGET = {"fstat": 1, "getpid": 2, "prctl": 1, "unshare": 1}
COPY = {"prlimit64": 1, "fcntl": 1}  # the copy of a stderr that is not a pipe

if shutil.which("strace") is None:
    skip("strace not installed")


def syscalls(lib, options=None, stderr=subprocess.PIPE):
    """Count of each system call /bin/true makes after the loader mapped the preloaded library
    (the loader's own calls for mapping a file differ with its size, not with our code)."""
    with tempfile.NamedTemporaryFile(prefix="tlstrace.", delete=False) as f:
        path = f.name
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "THREADLEAK_OPTIONS")}
    if options:
        env["THREADLEAK_OPTIONS"] = options
    # strace writes to its -o file: /bin/true's stderr is ours to choose
    p = subprocess.run(["strace", "-qq", "-f", "-o", path, "-E", f"LD_PRELOAD={lib}", "/bin/true"],
                       env=env, stdout=subprocess.PIPE, stderr=stderr, timeout=60)
    with open(path) as f:
        lines = f.read().splitlines()
    os.unlink(path)
    if p.returncode != 0 or (stderr == subprocess.PIPE and p.stderr):
        print(f"FAIL: /bin/true under {lib}: status {p.returncode}, stderr {p.stderr!r}")
        sys.exit(1)
    # after the last mprotect: the loader has relocated everything, constructors run next
    last = max(i for i, l in enumerate(lines) if " mprotect(" in l or l.startswith("mprotect("))
    count = collections.Counter()
    for l in lines[last + 1:]:
        name = l.split("(", 1)[0].split()[-1]
        count[name] += 1
    return count, lines[last + 1:]


def judge(what, budget, **kw):
    ours, lines = syscalls(LIB, **kw)
    empty, _ = syscalls(EMPTY, **kw)
    extra = ours - empty
    print(f"{what}: after loading, ours: {dict(ours)}  empty: {dict(empty)}")
    over = {k: v for k, v in extra.items() if v > budget.get(k, 0)}
    if over:
        print(f"FAIL: {what}: system calls beyond the budget {budget}: {over}")
        print("\n".join(lines))
        sys.exit(1)


# stderr a pipe (as under most CI runners)
judge("stderr a pipe", BUDGET)
# the parse of THREADLEAK_OPTIONS allocates nothing either
judge("with THREADLEAK_OPTIONS set", BUDGET,
      options="grace_ms=100:max_frames=20:disable_default_sets=node")
# the report to stdout: fd 1's identity too
judge("log_path=stdout", dict(BUDGET, fstat=2), options="log_path=stdout")
# stderr a regular file: its copy, and nothing else
with tempfile.TemporaryFile(prefix="tlstderr.") as err:
    judge("stderr a file", dict(BUDGET, **COPY), stderr=err)
print("ok")
