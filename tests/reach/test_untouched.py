"""The check reads no untouched page of a thread's stack (untouched.c): the lower halves of 8
and then 40 waiting threads' stacks are not in memory before the check, and still not after it.
The verdicts' heap search used to read the first words of every writable anonymous mapping,
thread stacks included; on a kernel that gives such a read a page of its own (no zero page: a
Firecracker guest) that was 4 KiB of memory and a page fault per thread, 40 MB at 10,000.
Nor of a thread that keeps running through the check: the scan read its whole stack mapping
(8 MiB committed a running thread). The report itself must still find the waiters (leaked >
0)."""
import re

from tl_test import *  # noqa: F403

prog = exe("untouched")
for n, spinners in ((8, 0), (40, 0), (8, 2)):
    r = run([prog, str(n), str(spinners)], json_format=False,
            options="format=json:log_path=/dev/null")
    m = re.match(rb"pages (\d+), in memory before (\d+), after the check (\d+), leaked (\d+)\n", r.stdout)
    check(r.rc == 0 and m is not None, f"{n} threads: output", r.stdout, r.stderr)
    pages, before, after, leaked = (int(x) for x in m.groups())
    check(pages >= (n + spinners) * 100, f"{n} threads: {pages} pages looked at", r.stdout)
    check(before == 0, f"{n} threads: {before} pages of the stacks' lower halves in memory before the check "
          "(the scenario's own assumption)", r.stdout)
    check(after == 0, f"{n} threads: the check brought {after} untouched stack pages into memory", r.stdout)
    check(leaked >= n, f"{n} threads: the report lists the waiters ({leaked})", r.stdout)
ok()
