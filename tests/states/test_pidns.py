"""Under a new PID namespace without a new /proc (unshare --pid --fork), gettid() and
/proc/self/task disagree: three threads blocked in read are three leaks, blocked, tracked,
with their calls and fds, not extra "exited" and "untracked" host tids."""
import shutil
import subprocess

from states import *  # noqa: F403

unshare = shutil.which("unshare")
if unshare is None or subprocess.run([unshare, "-Urpf", "true"], capture_output=True).returncode != 0:
    skip("unshare -Urpf is not permitted here")

r, v = run_case("three", argv_prefix=[unshare, "-Urpf"])
reports = [d for d in r.reports if d.get("leaked")]
check(len(reports) == 1, f"pidns: expected one report with leaks, got {len(r.reports)}", r.reports, r.stderr)
leaks = reports[0]["leaks"]
check(len(leaks) == 3, f"pidns: {len(leaks)} leaks, expected 3", reports[0])
for l in leaks:
    check(l["state"] == "blocked" and l["blocked_in"] == "read"
          and l.get("object", "").startswith(f"fd {v['a']} (pipe:"),
          f"pidns: a leak is not 'blocked in read on fd {v['a']}'", l)
    check(any(f == "reader" for f in functions(l["stack"])), "pidns: reader not on the stack", l)
ok()
