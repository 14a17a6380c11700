"""GLib and GIO: a correct GLib program leaves GLib's own threads behind at exit, and
the default set "glib" suppresses them; each rule is shown needed (the thread is reported with
the set disabled) and sufficient (nothing reported by default), the threads still counted in
"suppressed" and the rules listed in "suppressions_used":
  name:^gmain$            GLib's worker context thread (GTask, GDBus, ...)
  name:^gdbus$            GDBus's shared worker thread
  name:^pool-spawner$     the thread pool's spawner (GLib 2.74 starts it when it cannot read
                          scheduler settings: libtlnosched.so makes sched_getattr fail)
  top:^g_cond_wait_until$ && only_in:/libg*-2.0.so
                          idle threads of GLib's shared thread pool: in GLib's timed wait,
                          running nothing but GLib's code
The program's own leaks are still reported: an exclusive pool never freed (its idle threads wait
without a timeout), a dlopen'ed library's blocked thread, and a worker of its own that polls a
GAsyncQueue with a timeout (the same innermost GLib frame as an idle pool thread; reported
since its own function is on its stack). Skipped without GLib (libglib2.0-dev)."""
import os
import re
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

prog = os.path.join(SCENARIOS, "glib_runtime")
if not os.path.exists(prog):
    lang_util.skip("glib_runtime not built (gio-2.0 not found: install libglib2.0-dev)")
addon = os.path.join(SCENARIOS, "libtladdon.so")
nosched = os.path.join(SCENARIOS, "libtlnosched.so")
env = {"TL_ADDON": addon, "GIO_USE_VFS": "local", "GSETTINGS_BACKEND": "memory"}
RULES = {"gmain": "name:^gmain$", "gdbus": "name:^gdbus$", "pool-spawner": "name:^pool-spawner$",
         "pool": "top:^g_cond_wait_until$ && only_in:/libg*-2.0.so"}


def run_parts(parts, options="", preload_first=None, expect_rc=0):
    e = dict(env)
    if preload_first:
        e["LD_PRELOAD"] = preload_first + ":" + LIB
    bare = run([prog] + parts, preload=False, env=dict(env, LD_PRELOAD=preload_first or ""))
    check(bare.rc == 0 and bare.stdout.endswith(b"done\n"), f"{parts}: bare run", bare.stdout, bare.stderr)
    r = run([prog] + parts, options=options, env=e)
    check(r.stdout == bare.stdout, f"{parts} {options}: stdout changed", r.stdout, bare.stdout)
    check(r.rc == expect_rc, f"{parts} {options}: status {r.rc}, expected {expect_rc}", r.stderr)
    return r.report


def used(rep):
    return {u["rule"]: (u["count"], u["set"]) for u in rep["suppressions_used"]}


# each runtime thread, with and without the set: (parts, the names that must show, preload)
cases = [
    (["dbus"], {"gmain", "gdbus"}, None),
    (["task"], {"gmain", "pool"}, None),
    (["pool"], {"pool"}, None),
    (["pool"], {"pool-spawner", "pool"}, nosched),
]
# only threads that name: rules suppress are left (gmain, gdbus): the check neither waits its
# grace period for them (3 s here) nor takes their stacks; the GLib pool's idle threads
# (top: && only_in:) need their stacks, and the grace period is waited out
rep = run_parts(["dbus"], options="grace_ms=3000")
check(rep["leaked"] == 0 and {s["name"] for s in rep["suppressed_threads"]} == {"gmain", "gdbus"},
      "dbus: GLib's named threads only", rep)
check(rep["check_ms"] < 1500, f"dbus: the check waited {rep['check_ms']} ms for suppressed threads", rep)
check(all(s["stack"] == [] and s["stack_note"].startswith("not taken") for s in rep["suppressed_threads"]),
      "dbus: no stacks taken", rep)
check(used(rep) == {"name:^gmain$": (1, "glib"), "name:^gdbus$": (1, "glib")}, "dbus: rules used", rep)
rep = run_parts(["pool"], options="grace_ms=1000")
check(rep["check_ms"] >= 1000 and all(s["stack"] for s in rep["suppressed_threads"]),
      "pool: rules of stacks: the grace period and the stacks", rep)

seen_rules = set()
for parts, kinds, first in cases:
    rep = run_parts(parts, preload_first=first)
    check(rep["leaked"] == 0, f"{parts}: GLib's own threads are not leaks", rep)
    check(rep["suppressed"] == len(rep["suppressed_threads"]) >= len(kinds), f"{parts}: suppressed count", rep)
    by = {}
    for s in rep["suppressed_threads"]:
        by.setdefault(s["suppressed_by"], []).append(s)
        kind = "pool" if s["name"].startswith("pool") and s["name"] != "pool-spawner" else s["name"]
        check(RULES.get(kind) == s["suppressed_by"], f"{parts}: {s['name']} suppressed by {s['suppressed_by']}", s)
    for k in kinds:
        check(RULES[k] in by, f"{parts}: no thread suppressed by {RULES[k]}", rep)
        check(used(rep).get(RULES[k], (0, None))[1] == "glib", f"{parts}: {RULES[k]} in suppressions_used", rep)
        seen_rules.add(RULES[k])
    # needed: with the set off, the same threads are reported
    for opts in ["disable_default_sets=glib", "default_suppressions=0"]:
        off = run_parts(parts, options=opts, preload_first=first, expect_rc=23)
        check(off["suppressed"] == 0 and off["leaked"] == rep["suppressed"], f"{parts} {opts}: reported", off)
        names = {l["name"] for l in off["leaks"]}
        for k in kinds:
            check(any(n == k or (k == "pool" and n.startswith("pool") and n != "pool-spawner") for n in names),
                  f"{parts} {opts}: no {k} thread among {names}", off)
    print(f"{parts}{' (sched_getattr fails)' if first else ''}: {sorted(kinds)} suppressed by default, "
          f"reported without the set")
check(seen_rules == set(RULES.values()), f"rules never exercised: {set(RULES.values()) - seen_rules}")

# threads the program starts and joins (a GMainLoop in a thread), GResolver: nothing at all
rep = run_parts(["loop", "resolve"])
check(rep["leaked"] == 0, "loop/resolve: nothing leaked", rep)

# the program's own leaks inside GLib are reported
rep = run_parts(["xpool"], expect_rc=23)
check(rep["leaked"] == 2 and all(l["name"].startswith("pool") for l in rep["leaks"]),
      "an exclusive pool never freed: its 2 threads are reported", rep)
for l in rep["leaks"]:
    fns = [f for f in functions(l["stack"]) if f]
    check(fns and fns[0] == "g_cond_wait", f"exclusive pool threads wait without a timeout: {fns}", l)
    cfns = functions(l["created_by"]["stack"])
    check("part_xpool" in cfns and any(f and f.startswith("g_thread_pool_new") for f in cfns),
          f"created by g_thread_pool_new* in part_xpool: {cfns}", l)
    # GLib's thread trampoline is static (no name in a stripped libglib): no start routine,
    # rather than an exported GLib function inner on the stack (it said g_cond_wait)
    check(l["start_routine"] is None, f"exclusive pool: start routine {l['start_routine']!r}", l)
    # the headline: GLib's first named function, not its unnamed g_thread_new_internal ("??")
    head = l["created_by"]["stack"][l["created_by"]["headline"]]
    check((head.get("function") or "").startswith("g_thread"), f"exclusive pool: created by {head}", l)

# the text report: under the headline (GLib's, no source) the program's call into GLib shows its
# source line, as a headline of the program's own does (it showed none)
t = run([prog, "xpool"], env=env, json_format=False)
text = t.stderr.decode(errors="replace")
m = re.search(r"^    part_xpool at \S*glib_runtime\.c:(\d+)\n +(\d+) \| ", text, re.M)
check(t.rc == 23 and m is not None and m.group(1) == m.group(2),
      "xpool text: the source line under part_xpool, below GLib's headline", text)

# a worker of the program's own waiting in g_cond_wait_until (g_async_queue_timeout_pop)
rep = run_parts(["pool", "qworker"], expect_rc=23)
check(rep["leaked"] == 1 and rep["leaks"][0]["name"] == "qworker", "qworker: the program's own worker is reported", rep)
l = rep["leaks"][0]
fns = [f for f in functions(l["stack"]) if f]
check("queue_worker" in fns and "g_cond_wait_until" in fns, f"qworker's stack: {fns}", l)
check(any(f and f.startswith("g_thread_new") for f in functions(l["created_by"]["stack"])) and
      "part_qworker" in functions(l["created_by"]["stack"]), "qworker created in part_qworker", l)
check(rep["suppressed"] >= 1 and any(s["suppressed_by"] == RULES["pool"] for s in rep["suppressed_threads"]),
      "qworker: GLib's idle pool threads beside it are still suppressed", rep)

rep = run_parts(["pool", "task", "dbus", "resolve", "loop", "addon"], expect_rc=23)
check(rep["leaked"] == 1 and rep["suppressed"] >= 3, "everything at once: only the addon's thread", rep)
l = rep["leaks"][0]
check(l["start_routine"] == "addon_worker" and l["blocked_in"] == "pthread_cond_wait", "the addon's leak", l)
check(functions(l["created_by"]["stack"])[:2] == ["addon_start", "part_addon"], "created by addon_start", l)
check("never" in l["object"], "its condition variable is named", l)
ok()
