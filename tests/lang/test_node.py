"""Node.js: the runtime keeps one thread of its own at exit, the inspector's I/O
thread (node::inspector::(anonymous namespace)::StartIoThreadMain, created by
node::inspector::Agent::Start, blocked in sem_wait until SIGUSR1). The default set "node"
suppresses it:
- `node -e 'console.log(1)'` prints its output intact and reports no leak; the thread is
  counted in "suppressed" and the rule listed in "suppressions_used";
- so it is with the library alone, without its demangler (the rule has a mangled form), and
  nothing is said about the demangler then;
- with disable_default_sets=node (or default_suppressions=0) it is reported: the rule is needed;
- a program using libuv's pool, crypto, zlib and a Worker reports nothing either;
- a native library loaded with process.dlopen that leaks its thread is still reported.
Skipped when node is not installed."""
import os
import shutil
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

node = os.environ.get("TL_NODE") or shutil.which("node") or shutil.which("nodejs")
if node is None:
    lang_util.skip("node not found")
RULE = "created_by:^node::inspector::Agent::Start("
addon = os.path.join(SCENARIOS, "libtladdon.so")


def inspector_thread(l):
    cfns = [f for f in functions(l["created_by"]["stack"]) if f]
    return any(f.startswith("node::inspector::Agent::Start(") for f in cfns)


prog = [node, "-e", "console.log(1)"]
bare = run(prog, preload=False)
check(bare.rc == 0 and bare.stdout == b"1\n", "bare node", bare.stdout, bare.stderr)

# default: suppressed, counted, listed
r = run(prog)
check(r.rc == 0 and r.stdout == b"1\n" and r.stderr == bare.stderr, f"node under the detector: {r.rc}",
      r.stdout, r.stderr)
rep = r.report
check(rep["leaked"] == 0 and rep["suppressed"] == 1, "the inspector thread is suppressed", rep)
s = rep["suppressed_threads"][0]
check(s["suppressed_by"] == RULE and inspector_thread(s), "suppressed by the node set's rule", s)
check(s["state"] == "blocked" and s["blocked_in"] == "sem_wait", "the inspector thread waits on a semaphore", s)
check(rep["suppressions_used"] == [{"rule": RULE, "count": 1, "set": "node"}], "suppressions_used", rep)
t = run(prog, json_format=False)
check(t.rc == 0 and t.stdout == b"1\n" and b"leaked" not in t.stderr, "text mode: no report", t.stderr)

# the library alone, without libthreadleak-demangle.so beside it: names stay mangled, and the
# rule's mangled form still matches; no line about the demangler either, since nothing is
# reported (it exited 23 with that line)
d = tmpdir()
shutil.copy(LIB, d)
solo = run(prog, env={"LD_PRELOAD": os.path.join(d, os.path.basename(LIB)), "LD_LIBRARY_PATH": ""},
           json_format=False)
check(solo.rc == 0 and solo.stdout == b"1\n" and solo.stderr == bare.stderr,
      f"library alone: status {solo.rc}", solo.stdout, solo.stderr)

# the rule is needed: without the set the thread is reported
for opts in ["disable_default_sets=node", "disable_default_sets=libc,node,glib", "default_suppressions=0"]:
    r = run(prog, options=opts)
    check(r.rc == 23 and r.stdout == b"1\n", f"{opts}: status {r.rc}", r.stdout, r.stderr)
    rep = r.report
    check(rep["leaked"] == 1 and rep["suppressed"] == 0 and inspector_thread(rep["leaks"][0]),
          f"{opts}: the inspector thread is reported", rep)
# turning off another set leaves this one on
r = run(prog, options="disable_default_sets=glib")
check(r.rc == 0 and r.report["suppressed"] == 1, "disable_default_sets=glib keeps the node set", r.report)

# a program using libuv's thread pool, crypto, zlib and a Worker: nothing but the inspector
prog = [node, os.path.join(lang_util.SRC, "node_work.js")]
bare = run(prog, preload=False)
check(bare.rc == 0 and bare.stdout.count(b"\n") == 4, "bare node_work.js", bare.stdout, bare.stderr)
r = run(prog)
check(r.rc == 0 and r.stdout == bare.stdout, f"node_work.js under the detector: {r.rc}", r.stdout, r.stderr)
check(r.report["leaked"] == 0 and r.report["suppressed"] == 1, "node_work.js: only the inspector", r.report)

# a native library that leaks its thread inside node is still reported
check(os.path.exists(addon), f"{addon} not built")
js = ("try { process.dlopen({exports: {}}, process.argv[1]); } catch (e) {} "
      "console.log('loaded');")
r = run([node, "-e", js, addon], env={"TL_ADDON_AUTOSTART": "1"})
check(r.rc == 23 and r.stdout == b"loaded\n", f"addon in node: status {r.rc}", r.stdout, r.stderr)
rep = r.report
check(rep["leaked"] == 1 and rep["suppressed"] == 1, "the addon's thread is reported, the inspector's not", rep)
l = rep["leaks"][0]
check(l["start_routine"] == "addon_worker" and l["blocked_in"] == "pthread_cond_wait", "addon leak", l)
ok()
