"""A program built with -O2 -D_FORTIFY_SOURCE=2 (tests/calls/calls_fortify.c)
calls __read_chk, __recv_chk and __poll_chk; the report still names read, recv and poll, with
their fds."""
import os
import subprocess
import sys

from tl_test import *  # noqa: E402,F403
from calls_util import *  # noqa: E402,F403

prog = exe("calls_fortify")
# the build really is fortified: it imports the checking variants and not the plain calls
syms = subprocess.run(["nm", "-D", "--undefined-only", prog], stdout=subprocess.PIPE, check=True).stdout.decode()
names = {line.split()[-1].split("@")[0] for line in syms.splitlines() if line.strip()}
for want in ("__read_chk", "__recv_chk", "__poll_chk"):
    check(want in names, f"{prog} does not call {want}: {sorted(names)}")
for plain in ("read", "recv", "poll"):
    check(plain not in names, f"{prog} calls plain {plain}", syms)

EXPECT = {
    "fortify_read": ("read", r"fd \d+ \(pipe:\[\d+\]\)"),
    "fortify_recv": ("recv", r"fd \d+ \(socket:\[\d+\], unix stream\)"),
    "fortify_poll": ("poll", r"1 fd: fd \d+ \(pipe:\[\d+\]\)"),
}
r = run([prog], timeout=60)
check(r.rc == 23 and r.stdout == b"fortified\n", f"exit status {r.rc}", r.stdout, r.stderr)
leaks = by_name(r.report)
check(set(leaks) == set(EXPECT), f"leaks {sorted(leaks)}", r.report)
for name, (call, obj) in EXPECT.items():
    expect(leaks[name], call, obj)
t = run([prog], json_format=False, timeout=60)
threads = text_threads(t.stderr)
for name, (call, obj) in EXPECT.items():
    expect_text(threads, name, call, obj, context=t.stderr)
ok()
