"""The library exports only what it interposes (names libc defines) and its API (threadleak_*):
nothing of the code it links statically (libiberty's xmalloc, cplus_demangle, ...). A program
whose own library defines such names works under the library as it does bare."""
import subprocess

from exitlib import *  # noqa: F401,F403
from exitlib import LIB, check, exe, libc_path, ok, run


def defined(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":  # "A": version nodes (GLIBC_2.2.5)
            names.add(parts[2].split("@")[0])
    return names


libc = defined(libc_path())
ours = defined(LIB)
extra = sorted(n for n in ours if n not in libc and not n.startswith("threadleak_"))
check(not extra, f"exported names that are neither libc's nor threadleak_*: {extra}")
check("threadleak_verify_none" in ours and "pthread_create" in ours, f"exports lost: {sorted(ours)}")

bare = run([exe("xnames")], preload=False)
check(bare.rc == 0, f"bare run failed: {bare.rc}", bare.stderr)
under = run([exe("xnames")])
check(under.rc == 0 and under.stdout == bare.stdout,
      f"under the library: status {under.rc}, stdout {under.stdout!r} (bare {bare.stdout!r})",
      under.stderr)
check(not under.reports or not under.report["leaks"], "no threads, no leaks", under.reports)
ok()
