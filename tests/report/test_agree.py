"""One report whichever way it is made. For each scenario whose text report the other suites
check, three texts: the library's own (LD_PRELOAD, format=text), `threadleak run`'s, and
`threadleak report` of the JSON that run saved. The thread blocks must agree: `report` prints
exactly what `run` printed (same data), and the library's text (another run of the program)
has the same stacks and creator headlines for the same number of threads, the thread lines
equal once tids, durations and addresses are set aside. Optimized C++ (g++ and clang++), the
Rust seed, a program without debug information, the programs that block in every wrapped call,
Python (Debian's stripped interpreter), Node.js and GLib included."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
BUILD = os.environ["TL_BUILD_ROOT"]
SRC = os.environ["TL_SOURCE_ROOT"]
work = tempfile.mkdtemp(prefix="tlagree.")


def built(suite, name):
    path = os.path.join(BUILD, "tests", suite, name)
    return path if os.path.exists(path) else None


def compile_with(compiler, args, out):
    p = subprocess.run([compiler, *args, "-o", out], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"{compiler} {args} failed", p.stderr)
    return out


programs = []  # (what, argv, headline expected in the creator line or None, environment)
for what, suite, name, head in [
        ("C seed -O0", "core", "seed", "submit at"),
        ("C seed without debug info", "report", "seed_nodebug", "seed_nodebug+0x"),
        ("C++ seed g++ -O0", "core", "seed_cpp", "submit(int) at"),
        ("C++ seed g++ -O1", "report", "seed_cpp_O1", "submit"),
        ("C++ inline g++ -O2", "report", "inline_cpp_O2", "app::submit(int)"),
        ("unjoined threads", "core", "unjoined", None),
        ("untracked threads (raw clone)", "core", "rawclone", None),
        ("deadlock", "calls", "calls_deadlock", None),
        ("a thread blocked in every wrapped call", "calls", "calls_all", None),
        ("more blocking calls", "calls", "calls_more", None),
        ("fortified calls", "calls", "calls_fortify", None),
        ("old condition variables", "calls", "calls_oldcond", None),
        ("names with control bytes", "robust", "weird", None)]:
    path = built(suite, name)
    if path is None:
        print(f"skipped: {what}: {suite}/{name} not built")
        continue
    programs.append((what, [path], head, None))

clang = shutil.which("clang++")
if clang:
    programs.append(("C++ seed clang++ -O1", [compile_with(clang, [
        "-g", "-O1", "-pthread", os.path.join(SRC, "tests", "scenarios", "seed_cpp.cpp")],
        os.path.join(work, "seed_cpp_clang_O1"))], "submit", None))
    programs.append(("C++ inline clang++ -O2", [compile_with(clang, [
        "-g", "-O2", "-pthread", os.path.join(SRC, "tests", "scenarios", "inline_cpp.cpp")],
        os.path.join(work, "inline_cpp_clang_O2"))], "app::submit(int)", None))
else:
    print("skipped: clang++ not found")
rustc = next((c for c in [os.environ.get("RUSTC"), shutil.which("rustc"),
                          os.path.expanduser("~/.cargo/bin/rustc")] if c and os.path.exists(c)), None)
if rustc:
    programs.append(("Rust seed", [compile_with(rustc, [
        "-g", "-C", "opt-level=1", os.path.join(SRC, "tests", "lang", "seed.rs")],
        os.path.join(work, "seed_rs"))], "seed::submit", None))
else:
    print("skipped: rustc not found")
LANG = os.path.join(SRC, "tests", "lang")
addon = built("lang", "libtladdon.so")
py_env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}
if os.path.exists("/usr/bin/python3"):
    programs.append(("Python daemon threads", ["/usr/bin/python3", "-I",
                     os.path.join(LANG, "py_daemon.py")], "PyThread_start_new_thread", py_env))
    if addon:
        programs.append(("a native library's thread in Python", ["/usr/bin/python3", "-I",
                         os.path.join(LANG, "py_addon.py"), addon], "addon_start", py_env))
node = shutil.which("node") or shutil.which("nodejs")
if node and addon:
    programs.append(("a native library's thread in Node.js", [node, "-e",
                     "try { process.dlopen({exports: {}}, process.argv[1]); } catch (e) {} "
                     "console.log('loaded');", addon], "addon_start", {"TL_ADDON_AUTOSTART": "1"}))
else:
    print("skipped: node or the addon not found")
glib = built("lang", "glib_runtime")
if glib and addon:
    programs.append(("GLib pools and a library's thread", [glib, "pool", "task", "dbus", "resolve",
                     "loop", "addon", "xpool"], None,
                     {"TL_ADDON": addon, "GIO_USE_VFS": "local", "GSETTINGS_BACKEND": "memory"}))
else:
    print("skipped: glib_runtime not built")
check(len(programs) >= 6, f"too few scenarios built: {[p[0] for p in programs]}")


def blocks(text):
    """The thread blocks: (thread lines, body lines) from each "Thread" line to the blank line."""
    out, cur = [], None
    for ln in text.splitlines():
        if ln.startswith("Thread "):
            cur = ([ln], [])
            out.append(cur)
        elif cur is not None and ln == "":
            cur = None
        elif cur is not None:
            # the thread lines come first, then the stacks
            if not cur[1] and ln.startswith(("  thread ", "  and ", "  ... (")):
                cur[0].append(ln)
            else:
                cur[1].append(ln)
    return out


def normal_thread(ln):
    ln = re.sub(r"^(Thread|  thread) \d+ \(", r"\1 N (", ln)
    ln = re.sub(r"\b(tid|pid) \d+", r"\1 T", ln)
    ln = re.sub(r"held by thread \d+", "held by thread N", ln)
    ln = re.sub(r" for (\d+m\d+s|[\d.]+m?s)", "", ln)
    ln = re.sub(r"(pipe|socket|anon_inode):\[\d+\]", r"\1:[N]", ln)
    # objects made anew by each run: SysV ids, names and fds that carry a pid or a counter
    ln = re.sub(r"(SysV [a-z ]+?) \d+", r"\1 N", ln)
    ln = re.sub(r"/tmp/[^ )]+", "/tmp/?", ln)  # mkstemp names
    ln = re.sub(r"(/calls_[a-z]+\.[a-z]+)\.\d+", r"\1.N", ln)  # message queues named by pid
    # the library's run and run's run are two processes: a verdict may differ between them (a
    # stale pointer copy makes the scan say "reachable"); report of the same JSON is compared whole
    ln = re.sub(r"; (blocked forever|waits on freed memory): .*$", "", ln)
    ln = re.sub(r"0x[0-9a-f]+", "0x?", ln)
    return re.sub(r"\b\d{4,}\b", "N", ln)


def normal_body(lines):
    return "\n".join(re.sub(r"\?\? \(0x[0-9a-f]+,", "?? (0x?,", ln) for ln in lines)


def summary(text):
    """body -> thread count, body -> normalized thread lines."""
    count, lines = Counter(), defaultdict(set)
    for threads, body in blocks(text):
        key = normal_body(body)
        n = 1
        for ln in threads[1:]:
            m = re.match(r"  and (\d+) more", ln)
            if m:
                continue
            m = re.match(r"  \.\.\. \((\d+) more\)", ln)
            n += int(m.group(1)) if m else 1
        count[key] += n
        lines[key] |= {normal_thread(ln) for ln in threads if not ln.startswith(("  and ", "  ... ("))}
    return count, lines


def headlines(text):
    return sorted({ln for ln in text.splitlines() if ln.startswith("  created by ")})


def body_difference(what, lib_text, run_text):
    """None when both texts have the same stacks for the same numbers of threads with the same
    thread lines; else what differs."""
    c_lib, l_lib = summary(lib_text)
    c_run, l_run = summary(run_text)
    for body in set(c_lib) | set(c_run):
        if c_lib[body] != c_run[body]:
            return f"{what}: {c_lib[body]} threads (library) against {c_run[body]} (run) with the stacks\n{body}"
        if l_lib[body] != l_run[body]:
            return (f"{what}: thread lines differ for the stacks\n{body}\n"
                    f"library {sorted(l_lib[body])}\nrun {sorted(l_run[body])}")
    return None


def leaked(text, pattern):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


for what, argv, head, env in programs:
    lib = run(argv, json_format=False, cwd=SRC, timeout=120, env=env)
    lib_text = lib.stderr.decode(errors="replace")
    jpath = os.path.join(work, "run.json")
    ran = run([CLI, "run", "--json", jpath, "--", *argv], preload=False, cwd=SRC, timeout=120,
              env=env)
    run_text = ran.stderr.decode(errors="replace")
    rep = run([CLI, "report", jpath], preload=False, cwd=SRC, timeout=120)
    rep_text = rep.stdout.decode(errors="replace")
    check(lib.rc == 23 and ran.rc == 23 and rep.rc == 0,
          f"{what}: statuses library {lib.rc}, run {ran.rc}, report {rep.rc}", lib_text, run_text, rep_text)
    n_lib = leaked(lib_text, r"threadleak: found (\d+) leaked thread")
    n_run = leaked(run_text, r"threadleak: found (\d+) leaked thread")
    # the process's header line too: the same but for the pid and who changes the status
    # (the library says "becomes 23"; under run, run says it in its last line)
    def header(text):
        m = re.search(r"^threadleak: found .*$", text, re.M)
        return m and re.sub(r"pid \d+", "pid N", re.sub(r" becomes \d+", "", m.group(0)))
    check(header(lib_text) is not None and header(lib_text) == header(run_text),
          f"{what}: headers differ: library {header(lib_text)!r}, run {header(run_text)!r}",
          lib_text, run_text)
    check(n_lib is not None and n_lib == n_run, f"{what}: {n_lib} leaked (library), {n_run} (run)",
          lib_text, run_text)
    b_run, b_rep = blocks(run_text), blocks(rep_text)
    check(b_run and b_run == b_rep, f"{what}: threadleak report of the saved JSON prints other thread blocks "
          "than threadleak run did", run_text, rep_text)
    # a report of an older version (no headline, no mapping) reads the same
    with open(jpath) as f:
        doc = json.load(f)
    for proc in doc["processes"]:
        for t in proc["leaks"] + proc["suppressed_threads"]:
            for fr in t["stack"] + ((t.get("created_by") or {}).get("stack") or []):
                fr.pop("mapping", None)
            if t.get("created_by"):
                t["created_by"].pop("headline", None)
    old = os.path.join(work, "old.json")
    with open(old, "w") as f:
        json.dump(doc, f)
    rep_old = run([CLI, "report", old], preload=False, cwd=SRC, timeout=120)
    check(blocks(rep_old.stdout.decode(errors="replace")) == b_run,
          f"{what}: a report without headline and mapping prints other blocks", run_text, rep_old.stdout)
    if head:
        check(headlines(lib_text) and all(head in h for h in headlines(lib_text)),
              f"{what}: headline should name {head!r}: {headlines(lib_text)}", lib_text)
    # GLib's own pool threads start and settle on their own schedule: on a loaded machine one
    # may be caught between two calls in one of the two processes (a true report of a running
    # thread, with another stack). Two more pairs of runs for that program only.
    for attempt in range(3 if what.startswith("GLib") else 1):
        differ = body_difference(what, lib_text, run_text)
        if differ is None or attempt == 2 or not what.startswith("GLib"):
            break
        print(f"note: {what}: {differ.splitlines()[0]}: both runs once more")
        lib_text = run(argv, json_format=False, cwd=SRC, timeout=120, env=env).stderr.decode(errors="replace")
        run_text = run([CLI, "run", "--json", jpath, "--", *argv], preload=False, cwd=SRC, timeout=120,
                       env=env).stderr.decode(errors="replace")
    check(differ is None, differ, lib_text, run_text)
    # after the retries: the creator of a GLib pool thread depends on the schedule too (an idle
    # thread of a freed shared pool, waiting in the global pool, may be adopted by a pool made
    # later, even an exclusive one), so compare the pair that was last taken
    check(headlines(lib_text) == headlines(run_text),
          f"{what}: creator headlines differ: library {headlines(lib_text)}, run {headlines(run_text)}",
          lib_text, run_text)
    c_lib, _ = summary(lib_text)
    print(f"ok: {what}: {n_lib} threads, {len(c_lib)} distinct stacks, headlines {headlines(lib_text)}")
# Threads that print the same are one group, though their creation stacks differ above the
# "created by" frame (std::vector reallocating on some emplace_back calls): they were a group
# of three and one of one, in both texts.
gxx = shutil.which("g++")
if gxx:
    prog = compile_with(gxx, ["-g", "-O0", "-pthread", os.path.join(SRC, "tests", "report",
                                                                   "vector_pool.cpp")],
                        os.path.join(work, "vector_pool"))
    lib_text = run([prog], json_format=False, timeout=120).stderr.decode(errors="replace")
    run_text = run([CLI, "run", "--", prog], preload=False, timeout=120).stderr.decode(errors="replace")
    for who, text in (("library", lib_text), ("run", run_text)):
        check(len(re.findall(r"^Thread \d+ ", text, re.M)) == 1 and
              "and 3 more with the same stacks:" in text,
              f"vector_pool: the {who}'s text is not one group of four", text)
else:
    print("skipped: g++ not found")
shutil.rmtree(work, ignore_errors=True)
