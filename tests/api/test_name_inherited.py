"""name: rules match the name a thread was given, not one the kernel copied from its creator.
A thread named like a default set's thread ("ctrl-c", "gmain", "gdbus", "gdb worker") starts a
worker without naming it: the worker carries that name and was suppressed with it (a Rust
ctrlc handler or a GLib callback starting a thread hid its leak). Now the worker is reported,
the creator still suppressed; a worker that names itself the same is suppressed
(inherit.c). A worker that names itself and returns, never joined, keeps its name in the report
(the kernel's copy went with it) and the rule for it still holds."""
from apiutil import *  # noqa: F403

prog = exe("api_inherit")
for name in ("ctrl-c", "gmain", "gdbus", "gdb worker"):
    r = run([prog, name])
    rep = r.report
    check(r.rc == 23 and rep["leaked"] == 1 and rep["suppressed"] == 1, f"{name}: status {r.rc}", rep)
    check(rep["leaks"][0]["name"] == name and rep["leaks"][0]["start_routine"] == "worker",
          f"{name}: the worker reported", rep)
    check(rep["suppressed_threads"][0]["start_routine"] == "creator", f"{name}: the creator suppressed", rep)
    r = run([prog, name, "named"])
    check(r.rc == 0 and r.report["leaked"] == 0 and r.report["suppressed"] == 2,
          f"{name} named: status {r.rc}", r.report)
    r = run([prog, name, "named", "gone"])
    w = [t for t in r.report.get("suppressed_threads", []) if t["start_routine"] == "worker"]
    check(r.rc == 0 and r.report["leaked"] == 0 and r.report["suppressed"] == 2 and w
          and w[0]["state"] == "exited" and w[0]["name"] == name,
          f"{name} named, gone: status {r.rc}, the finished worker "
          f"{[(t['state'], t['name']) for t in w]}", r.report)
ok()
