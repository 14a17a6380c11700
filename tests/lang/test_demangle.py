"""Demangling as the report does it (tl_demangle in report/symbolize.c: GNU libiberty's
cplus_demangle with DMGL_PARAMS | DMGL_ANSI), on real symbols: a fixed table copied from
libstdc++.so.6, node and Rust binaries (legacy and v0 mangling, rustc 1.95), then every C++
symbol that libstdc++ exports and every symbol of a freshly built Rust binary when rustc is
present. C++ must not depend on libstdc++ being loaded: the demangle program is plain C."""
import os
import re
import subprocess
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

demangle = exe("demangle")

FIXED = {
    # libstdc++.so.6 (nm -D)
    "_ZNSt6thread15_M_start_threadESt10unique_ptrINS_6_StateESt14default_deleteIS1_EEPFvvE":
        "std::thread::_M_start_thread(std::unique_ptr<std::thread::_State, "
        "std::default_delete<std::thread::_State> >, void (*)())",
    "_ZNKSt13runtime_error4whatEv": "std::runtime_error::what() const",
    "_ZGTtNKSt13runtime_error4whatEv": "transaction clone for std::runtime_error::what() const",
    "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE":
        "std::condition_variable::wait(std::unique_lock<std::mutex>&)",
    # node (nodesource 20, .symtab): the frame the default set "node" matches, and the inspector
    # thread's start routine in an anonymous namespace
    "_ZN4node9inspector5Agent5StartERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_"
    "12DebugOptionsESt10shared_ptrINS_15ExclusiveAccessINS_8HostPortENS_9MutexBaseINS_"
    "16LibuvMutexTraitsEEEEEEb":
        "node::inspector::Agent::Start(std::__cxx11::basic_string<char, std::char_traits<char>, "
        "std::allocator<char> > const&, node::DebugOptions const&, "
        "std::shared_ptr<node::ExclusiveAccess<node::HostPort, "
        "node::MutexBase<node::LibuvMutexTraits> > >, bool)",
    "_ZN4node9inspector12_GLOBAL__N_117StartIoThreadMainEPv":
        "node::inspector::(anonymous namespace)::StartIoThreadMain(void*)",
    # a C++ lambda in a function (g++), as in the stacks of tests/scenarios/inline_cpp.cpp
    "_ZZN3app6submitEiENKUlvE_clEv": "app::submit(int)::{lambda()#1}::operator()() const",
    # Rust legacy mangling (tests/lang/seed.rs, rustc 1.95): hash dropped, $..$ escapes decoded,
    # LLVM's .llvm.N suffix dropped
    "_ZN4seed4main17h9ae6ccfb56618de0E": "seed::main",
    "_ZN3std4sync4mpmc4zero16Channel$LT$T$GT$4send28_$u7b$$u7b$closure$u7d$$u7d$17h26e4d33279314f8fE":
        "std::sync::mpmc::zero::Channel<T>::send::{{closure}}",
    "_ZN4core3ptr149drop_in_place$LT$std..thread..lifecycle..spawn_unchecked$LT$seed..submit.."
    "$u7b$$u7b$closure$u7d$$u7d$$C$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17he5c966511a857b76E":
        "core::ptr::drop_in_place<std::thread::lifecycle::spawn_unchecked<seed::submit::{{closure}},()>"
        "::{{closure}}>",
    "_ZN4core3fmt5Write9write_fmt17h0bf70d78a62ea187E.llvm.11053646469335829455": "core::fmt::Write::write_fmt",
    # Rust v0 mangling (-C symbol-mangling-version=v0)
    "_RNvCsecGrMakXINU_4seed4main": "seed::main",
    "_RINvNtNtCsjrHSEGnQ3l9_3std6thread9lifecycle15spawn_uncheckedNCNvCsecGrMakXINU_4seed6submit0uEB10_":
        "std::thread::lifecycle::spawn_unchecked::<seed::submit::{closure#0}, ()>",
    "_RINvNtNtCsjrHSEGnQ3l9_3std3sys9backtrace28___rust_begin_short_backtraceNCNvCsecGrMakXINU_4seed6"
    "submit0uEB1b_":
        "std::sys::backtrace::__rust_begin_short_backtrace::<seed::submit::{closure#0}, ()>",
    # not mangled: left alone (NULL)
    "main": None,
    "g_thread_new": None,
    "_start": None,
    "PyThread_start_new_thread": None,
}


def run_demangle(names):
    p = subprocess.run([demangle], input="\n".join(names) + "\n", capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, f"demangle exited {p.returncode}", p.stderr)
    out = {}
    for line in p.stdout.splitlines():
        m, _, d = line.partition("\t")
        out[m] = None if d == "-" else d
    check(len(out) == len(set(names)), f"{len(out)} answers for {len(set(names))} names", p.stdout[-2000:])
    return out


got = run_demangle(list(FIXED))
for m, want in FIXED.items():
    check(got[m] == want, f"tl_demangle({m!r}) = {got[m]!r}, expected {want!r}")
print(f"{len(FIXED)} fixed symbols ok")


def nm(path, dynamic=False):
    args = ["nm", "--defined-only"] + (["-D"] if dynamic else []) + [path]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return []
    names = set()
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            names.add(parts[2].split("@")[0])
    return sorted(names)


RUST_LEFTOVERS = re.compile(r"17h[0-9a-f]{16}E|\$(u[0-9a-f]{2}|LT|GT|C|SP|BP|RF|LP|RP)\$|^_ZN|^_R")

# every C++ symbol libstdc++ exports
libstdcxx = None
for cand in ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6"]:
    if os.path.exists(cand):
        libstdcxx = cand
        break
if libstdcxx and subprocess.run(["which", "nm"], capture_output=True).returncode == 0:
    syms = [s for s in nm(libstdcxx, dynamic=True) if s.startswith("_Z")]
    check(len(syms) > 1000, f"only {len(syms)} C++ symbols in {libstdcxx}")
    got = run_demangle(syms)
    bad = [m for m in syms if not got[m] or got[m].startswith("_Z")]
    check(not bad, f"{len(bad)} libstdc++ symbols not demangled, e.g. {bad[:5]}")
    unbalanced = [got[m] for m in syms if got[m].count("(") != got[m].count(")")]
    check(not unbalanced, f"unbalanced parentheses: {unbalanced[:5]}")
    print(f"{len(syms)} libstdc++ symbols ok")
else:
    print("skipped: libstdc++.so.6 or nm not found, no bulk C++ check")

# every Rust symbol of a binary built now (legacy and v0)
rustc = lang_util.find_rustc()
if rustc:
    for variant, flags, prefix in [("legacy", [], "_ZN"), ("v0", ["-C", "symbol-mangling-version=v0"], "_R")]:
        binary = lang_util.build_rust_seed(rustc, variant, flags)
        syms = [s for s in nm(binary) if s.startswith(prefix)]
        check(len(syms) > 20, f"only {len(syms)} {variant} Rust symbols in {binary}")
        got = run_demangle(syms)
        bad = [(m, got[m]) for m in syms if not got[m] or RUST_LEFTOVERS.search(got[m])]
        check(not bad, f"{len(bad)} {variant} Rust symbols badly demangled, e.g. {bad[:3]}")
        check(any(got[m] in ("seed::main",) for m in syms), f"seed::main not among {variant} symbols")
        print(f"{len(syms)} Rust {variant} symbols ok")
else:
    print("skipped: rustc not found, no bulk Rust check (the fixed table above still ran)")
ok()
