"""Frames in a library shipped without debug info (symlib.c, loaded by symuser.c), made from the
built libtlsym.so the ways distributions make theirs:
- stripped to .dynsym: its static functions are not named after the nearest sizeless dynamic
  symbol (they are `?? (lib+0x...)`), at exit and in `threadleak report`;
- with MiniDebugInfo (.gnu_debugdata, as Fedora makes it): the static functions are named;
- debug info split off (objcopy --only-keep-debug, --strip-debug): file:line from the build-id
  file in a --debug-dir, and, in `threadleak report` only, from a local debuginfod (127.0.0.1)
  when DEBUGINFOD_URLS is set; never at exit; a FIFO in debuginfod's cache is not opened."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "symlib.c")
LINE_READ = source_line(SRC, "marker: symlib_read read")
LINE_BLOCK = source_line(SRC, "marker: symlib_block call")
LINE_CALL = source_line(SRC, "marker: symlib_worker call")
# only the debuginfod part below talks to a server, and only to ours
os.environ.pop("DEBUGINFOD_URLS", None)
work = tempfile.mkdtemp(prefix="tlsymbols.")


def sh(*argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    check(r.returncode == 0, f"{argv}: status {r.returncode}", r.stdout, r.stderr)
    return r.stdout


def variant(name):
    return os.path.join(work, name)


full = variant("full.so")
shutil.copy(exe("libtlsym.so"), full)
# the precondition the first check needs: a sizeless exported function just before the code
syms = {m.group(3): (int(m.group(1), 16), m.group(2)) for m in
        re.finditer(r"^([0-9a-f]+) (\w) (\w+)$", sh("nm", full), re.M)}
check(syms["tl_sizeless_entry"][0] < syms["symlib_block"][0] < syms["symlib_worker"][0],
      "the sizeless symbol comes before the static functions", syms)
bid = re.search(r"Build ID: ([0-9a-f]+)", sh("readelf", "-n", full)).group(1)

stripped = variant("stripped.so")
sh("strip", "--strip-all", "-o", stripped, full)


def leak_of(lib, env=None):
    r = run([exe("symuser"), lib], env=env)
    check(r.rc == 23 and len(r.leaks) == 1, f"{lib}: one leak, status 23 (got {r.rc})",
          r.stderr, r.reports)
    return r, r.leaks[0]


def lib_frames(frames, lib):
    return [f for f in frames if f.get("module") == lib]


def report_text(doc, *args, env=None):
    path = os.path.join(work, "saved.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    r = run([CLI, "report", *args, path], preload=False, env=env, timeout=30)
    out = r.stdout.decode(errors="replace")
    check(r.rc == 0 and "1 leaked thread in 1 of 1 process" in out,
          f"threadleak report {args}: status {r.rc}", out, r.stderr)
    return out


def unnamed(doc):
    """The report as made where the library had no symbols at all."""
    doc = json.loads(json.dumps(doc))
    t = doc["leaks"][0]
    t["start_routine"] = None
    for f in t["stack"] + t["created_by"]["stack"]:
        if f.get("module", "").endswith(".so") and "/tlsymbols." in f["module"]:
            f["function"] = None
    return doc


# ---- stripped: no name rather than a wrong one ----
r, leak = leak_of(stripped)
mine = lib_frames(leak["stack"], stripped)
check(len(mine) == 2 and all(f["function"] is None for f in mine),
      "frames in static code without .symtab are ?? (not the nearest sizeless symbol)", leak)
check(leak["start_routine"] != "tl_sizeless_entry", "start routine not misnamed", leak)
check(functions(lib_frames(leak["created_by"]["stack"], stripped)) == ["symlib_start"],
      "an exported function is named inside its size", leak)
out = report_text(unnamed(r.report))
check("tl_sizeless_entry" not in out and "?? (stripped.so+0x" in out,
      "threadleak report: ?? for static code without .symtab", out)
print("ok: no wrong names from the nearest sizeless dynamic symbol")

# ---- MiniDebugInfo: a symtab-only ELF of the static functions, xz'd into .gnu_debugdata ----
dyn = set(sh("nm", "-D", "--format=posix", "--defined-only", full).split("\n"))
dyn = {line.split()[0] for line in dyn if line}
funcs = {line.split()[0] for line in sh("nm", "--format=posix", "--defined-only", full).split("\n")
         if line and line.split()[1] in "Tt"}
keep = variant("keep_symbols")
with open(keep, "w") as f:
    f.write("\n".join(sorted(funcs - dyn)) + "\n")
sh("objcopy", "--only-keep-debug", full, variant("full.debug"))
sh("objcopy", "-S", "--remove-section", ".gdb_index", "--remove-section", ".comment",
   f"--keep-symbols={keep}", variant("full.debug"), variant("mini_debuginfo"))
sh("xz", "-f", variant("mini_debuginfo"))
mini = variant("mini.so")
sh("objcopy", f"--add-section=.gnu_debugdata={variant('mini_debuginfo.xz')}", stripped, mini)
check(".symtab" not in sh("readelf", "-S", mini), "mini.so has no .symtab")
r, leak = leak_of(mini)
check(functions(lib_frames(leak["stack"], mini)) == ["symlib_block", "symlib_worker"]
      and leak["start_routine"] == "symlib_worker",
      "MiniDebugInfo names the static functions at exit", leak)
out = report_text(unnamed(r.report))
check(re.search(r"^ +symlib_block \(mini\.so\+0x[0-9a-f]+\)$", out, re.M)
      and re.search(r"^ +symlib_worker \(mini\.so\+0x[0-9a-f]+\)$", out, re.M),
      "threadleak report: MiniDebugInfo names the static functions", out)
print("ok: MiniDebugInfo (.gnu_debugdata)")

# ---- debug info split off, found by build-id ----
split = variant("split.so")
split_debug = variant("split.debug")
sh("objcopy", "--only-keep-debug", full, split_debug)
sh("objcopy", "--strip-debug", full, split)
check(".debug_info" not in sh("readelf", "-S", split), "split.so has no DWARF")
r, leak = leak_of(split)
saved = r.report
check(all(f["file"] is None for f in lib_frames(leak["stack"], split)), "no file:line at exit", leak)
want = [rf"symlib_read \(inlined\) at \S*tests/report/symlib\.c:{LINE_READ}\n",
        rf"symlib_block at \S*tests/report/symlib\.c:{LINE_BLOCK}\n",
        rf"symlib_worker at \S*tests/report/symlib\.c:{LINE_CALL}\n"]


def has_lines(out):
    return all(re.search(w, out) for w in want)


out = report_text(saved)
check(not re.search(r"symlib\.c:\d", out), "no file:line without the debug file", out)
dbg = variant("dbg")
os.makedirs(os.path.join(dbg, ".build-id", bid[:2]))
shutil.copy(split_debug, os.path.join(dbg, ".build-id", bid[:2], bid[2:] + ".debug"))
out = report_text(saved, "--debug-dir", dbg)
check(has_lines(out), f"file:line from the build-id debug file: {want}", out)
print("ok: split debug info by build-id in a --debug-dir")

# ---- debuginfod on 127.0.0.1 serving the split-off debug info ----
debuginfod = shutil.which("debuginfod")
check(debuginfod, "debuginfod is installed (Debian package debuginfod)")
servers = []


def serve(name, files, ids):
    """A debuginfod on a free port of 127.0.0.1 serving files, once it has indexed ids."""
    srv = variant(name)
    os.makedirs(srv)
    for f in files:
        shutil.copy(f, srv)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logpath = variant(name + ".log")
    with open(logpath, "w") as log:
        servers.append(subprocess.Popen(
            [debuginfod, "-F", "-p", str(port), "-d", variant(name + ".sqlite"), "-t", "0",
             "-g", "0", srv], stdout=log, stderr=subprocess.STDOUT))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    for i in ids:  # until the scan has indexed them
        while True:
            check(servers[-1].poll() is None, "debuginfod is running", open(logpath).read())
            try:
                with urllib.request.urlopen(f"{url}/buildid/{i}/debuginfo", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            check(time.monotonic() < deadline, f"debuginfod indexed {i} within 60 s",
                  open(logpath).read())
            time.sleep(0.2)
    return url


try:
    url = serve("srv", [split_debug], [bid])
    cache = variant("cache")
    env = {"DEBUGINFOD_URLS": url, "DEBUGINFOD_CACHE_PATH": cache, "DEBUGINFOD_TIMEOUT": "20"}

    # at exit the library never asks a server
    r, leak = leak_of(split, env=env)
    check(all(f["file"] is None for f in lib_frames(leak["stack"], split)),
          "no debuginfod at exit", leak)
    check(not os.path.exists(os.path.join(cache, bid)), "nothing fetched at exit", os.listdir(work))

    out = report_text(saved, env=env)
    check(has_lines(out), f"threadleak report: file:line through debuginfod: {want}", out)
    check(os.path.isfile(os.path.join(cache, bid, "debuginfo")), "fetched into the cache")
    print("ok: threadleak report fetches debug info through debuginfod")

    # a FIFO where the client keeps that build-id's debug file is not opened
    fifo_cache = variant("fifo_cache")
    os.makedirs(os.path.join(fifo_cache, bid))
    os.mkfifo(os.path.join(fifo_cache, bid, "debuginfo"))
    out = report_text(saved, env=dict(env, DEBUGINFOD_CACHE_PATH=fifo_cache))
    check(not has_lines(out), "the FIFO was not used", out)
    print("ok: a FIFO in debuginfod's cache is not opened")

    # Debian's debug files are dwz'd: what several share (here the inlined function's DWARF)
    # moves to an alternate file, named by path and build-id, served by its own build-id
    dwz = shutil.which("dwz")
    check(dwz, "dwz is installed (Debian package dwz)")
    twin = [variant("dwz1.debug"), variant("dwz2.debug")]
    for t in twin:
        shutil.copy(split_debug, t)
    alt = variant("alt.debug")
    sh(dwz, "-m", alt, "-M", "/usr/lib/debug/.dwz/tlsym-test.debug", *twin)
    alt_bid = re.search(r"Build ID: ([0-9a-f]+)", sh("readelf", "-n", alt)).group(1)
    check(".gnu_debugaltlink" in sh("readelf", "-S", twin[0]), "dwz made an alternate file")
    # without the alternate file, the inlined frame has no name (not its caller's)
    dbg_dwz = variant("dbg_dwz")
    os.makedirs(os.path.join(dbg_dwz, ".build-id", bid[:2]))
    shutil.copy(twin[0], os.path.join(dbg_dwz, ".build-id", bid[:2], bid[2:] + ".debug"))
    out = report_text(saved, "--debug-dir", dbg_dwz)
    check(re.search(rf"\?\? \(inlined\) at \S*symlib\.c:{LINE_READ}\n", out)
          and "symlib_block (inlined)" not in out,
          "an inlined frame without its name in reach stays ??", out)
    url2 = serve("srv_dwz", [twin[0], alt], [bid, alt_bid])
    env2 = {"DEBUGINFOD_URLS": url2, "DEBUGINFOD_CACHE_PATH": variant("cache_dwz"),
            "DEBUGINFOD_TIMEOUT": "20"}
    out = report_text(saved, env=env2)
    check(has_lines(out), f"threadleak report: dwz'd debug info through debuginfod: {want}", out)
    print("ok: and the dwz alternate file it names")
finally:
    for server in servers:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
shutil.rmtree(work, ignore_errors=True)
ok("ok: symbol fallbacks")
