"""The seed in Rust: std::sync::mpsc::sync_channel(0), 4 spawned senders per round,
one recv, 5 rounds: 15 threads blocked at exit while main returns normally. Built here with
rustc -g -C opt-level=1, so Sender::send and the closure are inlined: the report must still
name them, demangled (legacy and v0 mangling), and give the closure as the start routine (not
std's thread_start). Then the default set "rust" (rust_helpers.rs): the ctrlc crate's "ctrl-c"
thread and the jobserver crate's helper are suppressed, each rule shown needed, and a thread of
the program's own is still reported. Skipped when rustc is not installed."""
import os
import re
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

rustc = lang_util.find_rustc()
if rustc is None:
    lang_util.skip("rustc not found (PATH, $RUSTC, ~/.cargo/bin); the Rust seed is not built")

src = os.path.join(lang_util.SRC, "seed.rs")
send_line = source_line(src, "let _ = tx.send(")
spawn_line = source_line(src, "thread::spawn(move")
main_line = source_line(src, "if submit(round) > 0")
MANGLED = re.compile(r"^_ZN|^_R[A-Z]|17h[0-9a-f]{16}E|\$(u[0-9a-f]{2}|LT|GT|C|LP|RP)\$")

for variant, flags, closure in [("legacy", [], "seed::submit::{{closure}}"),
                                ("v0", ["-C", "symbol-mangling-version=v0"], "seed::submit::{closure#0}")]:
    seed = lang_util.build_rust_seed(rustc, variant, flags)
    bare = run([seed], preload=False)
    check(bare.rc == 0 and bare.stdout == b"got 5 answers\n", f"{variant}: bare run", bare.stdout, bare.stderr)

    r = run([seed])
    check(r.rc == 23, f"{variant}: exit status {r.rc}, expected 23", r.stderr)
    check(r.stdout == bare.stdout, f"{variant}: stdout changed under the detector", r.stdout)
    rep = r.report
    check(rep["leaked"] == 15 and len(rep["leaks"]) == 15, f"{variant}: 15 leaks expected", rep)
    for l in rep["leaks"]:
        # Rust's channel parks on a futex through syscall(): our syscall wrapper (or the kernel)
        check(l["state"] == "blocked" and l["blocked_in"] == "futex", f"{variant}: state", l)
        check(l["detached"] is True, f"{variant}: JoinHandle dropped = detached", l)
        fns = functions(l["stack"])
        named = [f for f in fns if f]
        check(all(not MANGLED.search(f) for f in named), f"{variant}: mangled names left: {fns}", l)
        # the user's closure, inlined into the thread's entry, at the send line of seed.rs
        cl = frame(l["stack"], closure)
        check(cl is not None, f"{variant}: no {closure} frame in the current stack {fns}", l)
        check(cl["file"] and cl["file"].endswith("tests/lang/seed.rs") and cl["line"] == send_line,
              f"{variant}: closure at {cl['file']}:{cl['line']}, expected seed.rs:{send_line}", l)
        i = fns.index(closure)
        check(any(f and f.endswith("::send") or f and "::send::<" in f for f in fns[:i]),
              f"{variant}: no send frame inside the closure: {fns[:i]}", l)
        cfns = functions(l["created_by"]["stack"])
        check(l["created_by"]["thread"] == 1, f"{variant}: created by thread 1", l)
        sub = frame(l["created_by"]["stack"], "seed::submit")
        check(sub is not None and sub["line"] == spawn_line,
              f"{variant}: seed::submit at the spawn line {spawn_line} in the creation stack {cfns}", l)
        mn = frame(l["created_by"]["stack"], "seed::main")
        check(mn is not None and mn["line"] == main_line, f"{variant}: seed::main in {cfns}", l)
        check(all(not MANGLED.search(f) for f in cfns if f), f"{variant}: mangled creation names {cfns}", l)
        # what the thread was started with, not std's thread_start
        check(l["start_routine"] == closure, f"{variant}: start routine {l['start_routine']}", l)
    print(f"{variant}: 15 leaks, {closure} at seed.rs:{send_line}, created in seed::submit")

# Rust crates' helper threads that live as long as the process (default set "rust")
hsrc = os.path.join(lang_util.SRC, "rust_helpers.rs")
hexe = os.path.join(SCENARIOS, "rust_helpers")
lang_util.build_cached(hexe, [hsrc], [rustc, "-g", "-o", hexe, hsrc])
bare = run([hexe], preload=False)
check(bare.rc == 0 and bare.stdout == b"ready\n", "rust_helpers: bare run", bare.stdout, bare.stderr)
r = run([hexe])
rep = r.report
check(r.rc == 0 and r.stdout == bare.stdout and rep["leaked"] == 0 and rep["suppressed"] == 2,
      f"rust_helpers: status {r.rc}, the crates' threads suppressed", rep)
check({(u["rule"], u["set"]) for u in rep["suppressions_used"]} ==
      {("name:^ctrl-c$", "rust"), ("any:jobserver::imp::spawn_helper", "rust")}, "rust_helpers: rules", rep)
for opts in ["disable_default_sets=rust", "default_suppressions=0"]:
    r = run([hexe], options=opts)
    check(r.rc == 23 and r.report["leaked"] == 2, f"rust_helpers {opts}: reported", r.report)
    starts = {l["start_routine"] for l in r.report["leaks"]}
    check("rust_helpers::jobserver::imp::spawn_helper::{{closure}}" in starts, f"rust_helpers: start routines {starts}",
          r.report)
r = run([hexe, "own"])
rep = r.report
check(r.rc == 23 and rep["leaked"] == 1 and rep["leaks"][0]["name"] == "own-worker" and rep["suppressed"] == 2,
      "rust_helpers own: the program's own thread reported", rep)
# a finished thread never joined: no stack says what it ran, so no start routine (it was std's
# thread_start, which also went into baseline signatures)
r = run([hexe, "exited"])
rep = r.report
check(r.rc == 23 and rep["leaked"] == 1 and rep["leaks"][0]["state"] == "exited" and
      rep["leaks"][0]["start_routine"] is None,
      f"rust_helpers exited: status {r.rc}, start routine of the finished thread", rep)
print("rust: ctrl-c and jobserver helper suppressed, the program's own thread reported")

# a release build without debug info (cargo build --release): the closures are inlined into
# std's frames; the start routine is what the stack says, or null, never std's thread_start
rexe = os.path.join(SCENARIOS, "rust_helpers_release")
lang_util.build_cached(rexe, [hsrc], [rustc, "-C", "opt-level=3", "-C", "debuginfo=0", "-o", rexe, hsrc])
r = run([rexe, "own"], options="disable_default_sets=rust")
check(r.rc == 23 and r.report["leaked"] == 3, f"release: status {r.rc}", r.report)
for l in r.report["leaks"]:
    check(not (l["start_routine"] or "").endswith("thread_start"), f"release: start routine {l['start_routine']}", l)

# the text report, as the README shows it
seed = lang_util.build_rust_seed(rustc, "legacy")
t = run([seed], json_format=False)
err = t.stderr.decode()
check(t.rc == 23 and "found 15 leaked threads" in err, "text report header", err)
check("seed::submit::{{closure}} (inlined) at " in err and "blocked in futex" in err, "text report body", err)
check("created by " in err and "seed::submit (inlined) at " in err, "text creation stack", err)
ok()
