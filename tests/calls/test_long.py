"""A thread blocked in read for about a second (tests/calls/calls_long.c): its
duration, from the wrapper's entry timestamp, is reported in JSON (blocked_ms) and in the text
("for 1.2s")."""
import os
import re
import sys

from tl_test import *  # noqa: E402,F403
from calls_util import *  # noqa: E402,F403

prog = exe("calls_long")
r = run([prog], timeout=60)
check(r.rc == 23, f"exit status {r.rc}", r.stderr)
leaks = by_name(r.report)
check(list(leaks) == ["long_read"], "one leak", r.report)
leak = leaks["long_read"]
expect(leak, "read", r"fd \d+ \(pipe:\[\d+\]\)")
check(900 <= leak["blocked_ms"] <= 3000, f"blocked_ms {leak['blocked_ms']} not in [900, 3000]", leak)

t = run([prog], json_format=False, timeout=60)
threads = text_threads(t.stderr)
expect_text(threads, "long_read", "read", r"fd \d+ \(pipe:\[\d+\]\)", context=t.stderr)
dur = threads["long_read"]["dur"]
check(re.fullmatch(r"[0-9.]+s", dur) and not dur.endswith("ms") and 0.9 <= float(dur[:-1]) <= 3.0,
      f"text duration {dur!r}", t.stderr)
ok()
