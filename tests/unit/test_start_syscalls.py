"""What the library costs a process that starts no thread (most processes a CI job starts): the
system calls of /bin/true preloaded with it, against /bin/true preloaded with an empty library.
Nothing may be allocated (malloc's first use shows as getrandom and brk calls), no file opened
(no /proc read at exit), no futex (no lock contention, no dlsym), whatever the hook lookup and
the exit check do. What it may add is listed: saving stderr (prlimit64, fcntl, newfstatat),
getpid, and the exit path's task count (prctl, unshare, gettid); when stderr is a pipe (as here),
also the O_PATH reference to it that preload/log.c keeps instead of a copy (a copy would hold the
pipe open for a reader waiting for its end): one openat of /proc/self/fd/2 and one close. Needs
strace (skips without)."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

from tl_test import skip

LIB = os.environ["TL_LIB"]
EMPTY = os.path.join(os.environ["TL_BUILD_ROOT"], "bench", "libtlbench-empty.so")
ALLOWED_EXTRA = {"prlimit64", "fcntl", "newfstatat", "getpid", "prctl", "unshare", "gettid"}

if shutil.which("strace") is None:
    skip("strace not installed")


def syscalls(lib, options=None):
    """Count of each system call /bin/true makes after the loader mapped the preloaded library
    (the loader's own calls for mapping a file differ with its size, not with our code)."""
    with tempfile.NamedTemporaryFile(prefix="tlstrace.", delete=False) as f:
        path = f.name
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "THREADLEAK_OPTIONS")}
    if options:
        env["THREADLEAK_OPTIONS"] = options
    p = subprocess.run(["strace", "-qq", "-f", "-o", path, "-E", f"LD_PRELOAD={lib}", "/bin/true"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    with open(path) as f:
        lines = f.read().splitlines()
    os.unlink(path)
    if p.returncode != 0 or p.stderr:
        print(f"FAIL: /bin/true under {lib}: status {p.returncode}, stderr {p.stderr!r}")
        sys.exit(1)
    # after the last mprotect: the loader has relocated everything, constructors run next
    last = max(i for i, l in enumerate(lines) if " mprotect(" in l or l.startswith("mprotect("))
    count = collections.Counter()
    for l in lines[last + 1:]:
        name = l.split("(", 1)[0].split()[-1]
        count[name] += 1
    return count, lines[last + 1:]


def pipe_reference(lines, count):
    """Take out the O_PATH reference to a pipe stderr (log.c), and only that."""
    opens = [l for l in lines if "openat(" in l and '"/proc/self/fd/2"' in l and "O_PATH" in l]
    if opens and count["openat"] >= len(opens):
        count["openat"] -= len(opens)
        count["close"] -= min(count["close"], len(opens))
    return +count


ours, ours_lines = syscalls(LIB)
ours = pipe_reference(ours_lines, ours)
empty, _ = syscalls(EMPTY)
extra = ours - empty
print("after loading, ours:", dict(ours), " empty:", dict(empty))
bad = {k: v for k, v in extra.items() if k not in ALLOWED_EXTRA}
if bad:
    print(f"FAIL: system calls a thread-less process should not make: {bad}")
    print("\n".join(ours_lines))
    sys.exit(1)
# and the same with options set (the parse of THREADLEAK_OPTIONS allocates nothing either)
opt, opt_lines = syscalls(LIB, "grace_ms=100:max_frames=20:disable_default_sets=node")
opt = pipe_reference(opt_lines, opt)
bad = {k: v for k, v in (opt - empty).items() if k not in ALLOWED_EXTRA}
if bad:
    print(f"FAIL: with THREADLEAK_OPTIONS set: {bad}")
    print("\n".join(opt_lines))
    sys.exit(1)
print("ok")
