"""The HotSpot JVM keeps its own threads until the process ends (GC and JIT compiler workers,
Reference Handler, Finalizer, Service Thread, ...), and abandons daemon threads at exit by
design. The default set "jvm" (module:/libjvm.so$: threads created by the JVM's own code;
module:/libjli.so$: the launcher's thread running main, left waiting in vm_exit when the program
calls System.exit) suppresses them:
- `java -version`: set on, no report and its output and status unchanged, the threads counted
  as suppressed; set off (disable_default_sets=jvm, default_suppressions=0): reported, named
  (GC Thread#0, C1/C2 CompilerThread...), with libjvm's frames (thread_native_entry);
- a Java program with a thread pool it shuts down and a daemon thread it leaves: no report,
  also when it ends with System.exit (without the set: the launcher's thread reported);
- a thread that a native library creates itself is reported with its own frames, both when the
  JVM loads it as a JNI library (System.load runs JNI_OnLoad) and as a JVMTI agent
  (-agentpath runs Agent_OnLoad).
The Java program is compiled once with javac into the build folder. Skipped when java or javac
is not installed (Debian: default-jdk-headless)."""
import os
import shutil
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

java, javac = shutil.which("java"), shutil.which("javac")
if java is None or javac is None:
    lang_util.skip("java or javac not found (Debian: default-jdk-headless)")
RULE = "module:/libjvm.so$"
lib = os.path.join(SCENARIOS, "libtljni.so")
check(os.path.exists(lib), f"{lib} not built")
# the JVM's own start-up cost dominates: keep it small (one GC worker, the client compiler)
JOPTS = ["-XX:TieredStopAtLevel=1", "-XX:ParallelGCThreads=1", "-XX:ConcGCThreads=1"]


def jvm_thread(t):
    return t["start_routine"] == "thread_native_entry(Thread*)" and any(
        (f.get("module") or "").endswith("/libjvm.so") for f in t["stack"])


# java -version: the JVM starts and stops
prog = [java, *JOPTS, "-version"]
bare = run(prog, preload=False)
check(bare.rc == 0 and b"version" in bare.stderr, "bare java -version", bare.stderr)
r = run(prog)
check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == bare.stderr,
      f"java -version under the detector: {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 0 and rep["suppressed"] >= 5, "the JVM's threads suppressed", rep)
check(all(s["suppressed_by"] == RULE for s in rep["suppressed_threads"]), "by the jvm set", rep)
check(rep["suppressions_used"] == [{"rule": RULE, "count": rep["suppressed"], "set": "jvm"}],
      "suppressions_used", rep)
# every thread left is suppressed by a module: rule: the check neither waits its grace period
# for them (3 s here) nor takes their stacks (symbolizing libjvm cost 170 ms)
r = run(prog, options="grace_ms=3000")
check(r.rc == 0 and r.stderr == bare.stderr, f"java -version, grace_ms=3000: {r.rc}", r.stderr)
check(r.report["suppressed"] >= 5 and r.report["check_ms"] < 1500,
      f"the check waited {r.report['check_ms']} ms for suppressed threads", r.report)
check(all(s["stack"] == [] and s["stack_note"].startswith("not taken")
          for s in r.report["suppressed_threads"]), "no stacks taken", r.report)
for opts in ["disable_default_sets=jvm", "default_suppressions=0"]:
    r = run(prog, options=opts)
    check(r.rc == 23 and r.stdout == bare.stdout, f"{opts}: status {r.rc}", r.stderr)
    rep = r.report
    check(rep["leaked"] >= 5 and rep["suppressed"] == 0, f"{opts}: the JVM's threads reported", rep)
    names = {l["name"] for l in rep["leaks"]}
    check("GC Thread#0" in names and any(n.startswith("C1 Compiler") for n in names),
          f"{opts}: the JVM's named threads", names)
    check(all(jvm_thread(l) for l in rep["leaks"]), f"{opts}: with libjvm's frames", rep)

# a native library's own thread, as a JVMTI agent: reported, the JVM's threads not
r = run([java, *JOPTS, f"-agentpath:{lib}", "-version"])
check(r.rc == 23 and r.stderr.endswith(bare.stderr), f"agent: status {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 1 and rep["suppressed"] >= 5, "the agent's thread reported", rep)
check(all(s["suppressed_by"] == RULE for s in rep["suppressed_threads"]), "the JVM's threads suppressed", rep)
l = rep["leaks"][0]
check(l["start_routine"] == "jni_worker" and l["blocked_in"] == "pthread_cond_wait", "the agent's thread", l)
check("Agent_OnLoad" in functions(l["created_by"]["stack"]), "created by Agent_OnLoad", l)

# a Java program: a pool shut down and awaited, a daemon thread left waiting, a JNI library
classes = os.path.join(SCENARIOS, "java")
src = os.path.join(lang_util.SRC, "JvmWork.java")
lang_util.build_cached(os.path.join(classes, "JvmWork.class"), [src],
                       [javac, "-J-XX:TieredStopAtLevel=1", "-d", classes, src])
prog = [java, *JOPTS, "-cp", classes, "JvmWork"]
bare = run(prog, preload=False)
check(bare.rc == 0 and bare.stdout == b"1499991\n", "bare JvmWork", bare.stdout, bare.stderr)
r = run(prog)
check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == bare.stderr, f"JvmWork: status {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 0 and any(s["name"] == "tl-daemon" for s in rep["suppressed_threads"]),
      "JvmWork: nothing reported, the daemon thread is the JVM's", rep)
# System.exit: the launcher's main thread (created by libjli.so) waits in vm_exit
r = run([java, *JOPTS, "-Dtl.exit=true", "-cp", classes, "JvmWork"])
check(r.rc == 0 and r.stdout == bare.stdout and r.report["leaked"] == 0, "System.exit: nothing reported",
      r.report)
check("module:/libjli.so$" in [u["rule"] for u in r.report["suppressions_used"]],
      "System.exit: the launcher's thread suppressed by the jvm set", r.report)
r = run([java, *JOPTS, "-Dtl.exit=true", "-cp", classes, "JvmWork"], options="disable_default_sets=jvm")
check(r.rc == 23 and any(l["start_routine"] == "ThreadJavaMain" for l in r.report["leaks"]),
      "System.exit without the set: the launcher's thread reported", r.report)
r = run(prog + [lib])
check(r.rc == 23 and r.stdout == bare.stdout, f"JvmWork with the JNI library: status {r.rc}", r.stderr)
rep = r.report
check(rep["leaked"] == 1, "the JNI library's thread reported", rep)
l = rep["leaks"][0]
cfns = functions(l["created_by"]["stack"])
check(l["start_routine"] == "jni_worker" and "JNI_OnLoad" in cfns, "created by JNI_OnLoad", l)
check(frame(l["stack"], "jni_worker") is not None, "with its own frames", l)
ok()
