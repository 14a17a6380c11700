"""A thread a plugin started outlives the plugin's dlclose (plugin.c, plugin_host.c): its frames
were "?? (module unloaded)" with no start routine, and module:, start: and created_by: rules for
it stopped matching. The symbolizer now reports the unloaded file at its old addresses: the
thread is named (plugin_sleeper at plugin.c), its creation (plugin_start), and each rule holds:
also when dlopen was given a relative path and the program changed folders since (the module is
named by its absolute path). A plugin file replaced after dlclose names nothing (its frames
read as unloaded, not as the new file's functions)."""
import os

from apiutil import *  # noqa: F403

prog = exe("api_plugin_host")
plugin = os.path.join(SCENARIOS, "libapiplugin.so")
src = os.path.join(SOURCE_ROOT, "tests", "api", "plugin.c")
sleeps, starts = source_line(src, "PLUGIN_SLEEPS"), source_line(src, "PLUGIN_STARTS")

r = run([prog, plugin])
check(r.rc == 23 and r.stdout == b"dlclose 0\n", f"status {r.rc}", r.stdout, r.stderr)
check(len(r.leaks) == 1, f"{len(r.leaks)} leaks", r.reports)
l = r.leaks[0]
st = l["stack"]
fr = [f for f in st if f.get("function") == "plugin_sleeper"]
check(l.get("start_routine") == "plugin_sleeper" and fr and fr[0].get("line") == sleeps
      and fr[0].get("file", "").endswith("plugin.c"),
      f"the plugin's thread: start routine {l.get('start_routine')}, frames "
      f"{[(f.get('function'), f.get('line'), f.get('mapping')) for f in st]}", l)
cb = l["created_by"]["stack"]
check(cb and cb[0].get("function") == "plugin_start" and cb[0].get("line") == starts
      and (cb[0].get("module") or "").endswith("libapiplugin.so"),
      f"created by {cb[:1]}, expected plugin_start at plugin.c:{starts}", l["created_by"])

for rule in ("module:libapiplugin.so", "start:plugin_sleeper", "created_by:plugin_start"):
    d = tmpdir()
    supp = os.path.join(d, "plugin.supp")
    with open(supp, "w") as f:
        f.write(rule + "\n")
    r = run([prog, plugin], options=f"suppressions={supp}")
    check(r.rc == 0 and r.report["leaked"] == 0 and r.report["suppressed"] == 1,
          f"{rule}: status {r.rc}, the unloaded plugin's thread not suppressed", r.report)
import shutil

d = tmpdir()
shutil.copy(plugin, os.path.join(d, "libcopy.so"))
r = run([prog, "./libcopy.so", "chdir"], cwd=d)
cb = r.leaks[0]["created_by"]["stack"] if r.leaks else []
check(r.rc == 23 and r.leaks and r.leaks[0].get("start_routine") == "plugin_sleeper"
      and cb and cb[0].get("function") == "plugin_start"
      and cb[0].get("module") == os.path.join(os.path.realpath(d), "libcopy.so"),
      f"relative path, then chdir: status {r.rc}, created by {cb[:1]}", r.reports, r.stderr)

other = os.path.join(d, "other.so")
shutil.copy(os.path.join(SCENARIOS, "libapispawn.so"), other)
r = run([prog, os.path.join(d, "libcopy.so"), "replace", other])
l = r.leaks[0] if r.leaks else {}
names = {f.get("function") for f in l.get("stack", []) + l.get("created_by", {}).get("stack", [])}
check(r.rc == 23 and l and l.get("start_routine") is None and "plugin_start" not in names
      and any(f.get("mapping") == "unloaded" for f in l["created_by"]["stack"]),
      f"replaced after dlclose: start routine {l.get('start_routine')}, names {sorted(n for n in names if n)}",
      l)
# A plugin whose start function ends in `return pthread_create(...)`, built with -O2: no frame
# of it is in the creation stack (which begins in the host's main), and module: did not
# suppress its thread; the start routine's module counts too, also once the plugin is unloaded
tail = os.path.join(SCENARIOS, "libapiplugin_tail.so")
r = run([prog, tail])
cb = r.leaks[0]["created_by"]["stack"] if r.leaks else []
check(r.rc == 23 and len(r.leaks) == 1 and r.leaks[0].get("start_routine") == "tail_keeper",
      f"tail-calling plugin: status {r.rc}, {len(r.leaks)} leaks", r.reports, r.stderr)
if any((f.get("module") or "").endswith("libapiplugin_tail.so") for f in cb):
    print("note: the compiler kept plugin_start's frame (no tail call): module: matched it before too")
for rule in ("module:libapiplugin_tail.so", "module:^libapiplugin_tail.so$"):
    d = tmpdir()
    supp = os.path.join(d, "tail.supp")
    with open(supp, "w") as f:
        f.write(rule + "\n")
    r = run([prog, tail], options=f"suppressions={supp}")
    suppressed = rule.startswith("module:libapiplugin")
    check(r.rc == (0 if suppressed else 23) and r.report["suppressed"] == (1 if suppressed else 0),
          f"{rule} on the tail-calling plugin's thread: status {r.rc}", r.report)
ok()
