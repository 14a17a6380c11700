"""A program whose calloc sets errno on success (tests/core/calloc_errno.c): the library's
first creation, which finds glibc's list of thread_local destructors by the words of libc's
TLS block a registration changes, must not read errno's word as a pointer (it crashed)."""
from coreutil import *  # noqa: F403

bare, r = bare_and_preloaded([exe("calloc_errno")])
check(r.rc == 0 and r.stdout == b"ok\n", f"status {r.rc}, stdout {r.stdout!r}", r.stderr)
check(r.reports and not r.report["leaks"], "nothing leaks", r.reports, r.stderr)
ok()
