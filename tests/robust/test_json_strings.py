"""Hostile strings in reports: thread names (pthread_setname_np), the program's path,
source file paths (#line) and symbols (an assembly start routine) with quotes, backslashes,
control characters and invalid UTF-8. The JSON report must be valid JSON and valid UTF-8
(run() parses every report strictly), valid text must come back unchanged and invalid bytes
as U+FFFD. The text report is for terminals: it should not pass raw control bytes through."""
import os
import shutil
import tempfile

from robust import *  # noqa: F403

leaky = exe("leaky")
weird = exe("weird")
FFFD = "\ufffd"


def text_has_raw_controls(r):
    return control_bytes(r.stderr)


def c_escape(b):
    """bytes -> the \\xHH form leaky -n decodes"""
    return "".join(f"\\x{c:02x}" for c in b)


names = [
    (b'a"b\\c', 'a"b\\c'),
    (b"\x01\x1f\x7fx", "\x01\x1f\x7fx"),
    (b"tab\there\nnl", "tab\there\nnl"),
    (b"\xe2\x82\xac ok \xc3\xa9", "\u20ac ok \u00e9"),
    (b"\xff\xfe\xc3(", None),      # invalid: U+FFFD for the bad bytes
    (b"cut\xe2\x82", None),         # a truncated sequence
    (b"\xed\xa0\x80sur", None),     # an encoded surrogate
    (b"\xc0\xafover", None),        # an overlong encoding
    (b"\x1b]0;pwned\x07", "\x1b]0;pwned\x07"),
]
raw_text = []
for raw, want in names:
    r = run([leaky, "-s", "1", "-n", c_escape(raw)], timeout=60)
    check(r.rc == 23 and r.report and r.report["leaked"] == 1, f"name {raw!r}: report", r.stderr)
    got = r.report["leaks"][0]["name"]
    if want is not None:
        check(got == want, f"name {raw!r}: came back as {got!r}", r.report)
    else:
        check(FFFD in got, f"name {raw!r}: invalid bytes not replaced: {got!r}", r.report)
        kept = "".join(ch for ch in got if ch != FFFD)
        ascii_in = "".join(chr(c) for c in raw if c < 0x80)
        check(kept == ascii_in, f"name {raw!r}: valid characters lost: {got!r}", r.report)
    t = run([leaky, "-s", "1", "-n", c_escape(raw)], json_format=False, timeout=60)
    check(t.rc == 23 and b"found 1 leaked thread" in t.stderr, f"name {raw!r}: text report", t.stderr)
    if text_has_raw_controls(t):
        raw_text.append(raw)
    if raw == b'a"b\\c':  # quoted in the text: its quote and backslash escaped (it read "a"b\c")
        check(b'"a\\"b\\\\c"' in t.stderr, f"name {raw!r}: escaped in the text report", t.stderr)
expect(not raw_text, f"the text report writes thread names with raw control bytes to the terminal "
       f"(names {raw_text}; an escape sequence in a name can retitle or clear the terminal): "
       "report.c text_thread_line prints s->name with %s; escape bytes < 0x20 and 0x7f")

# a source file path and a symbol with hostile bytes (weird.c)
r = run([weird], timeout=60)
check(r.rc == 23 and r.report and r.report["leaked"] == 1, "weird: report", r.stderr)
l = r.report["leaks"][0]
check(l["start_routine"] == 'tramp"q\\b\x01' + FFFD, f"weird: start routine {l['start_routine']!r}", l)
fns = functions(l["stack"])
check(fns[:2] == ["weird_start", 'tramp"q\\b\x01' + FFFD], f"weird: stack {fns}", l)
want_file = 'we"ird\\dir\x01ctl' + FFFD + "/src e.c"
check(l["stack"][0]["file"].endswith(want_file), f"weird: file {l['stack'][0]['file']!r}", l)
t = run([weird], json_format=False, timeout=60)
check(t.rc == 23 and b"weird_start" in t.stderr, "weird: text report", t.stderr)

# the program itself at a hostile path: exe and module fields
with tempfile.TemporaryDirectory(prefix="tljson.") as d:
    dirname = os.path.join(os.fsencode(d), b'dir"q\\b\x01\xff\n\x1b[31m')
    os.mkdir(dirname)
    prog = os.path.join(dirname, b"le\"aky\xfe")
    shutil.copy(leaky, prog)
    r = run([prog, "-s", "1"], timeout=60)
    check(r.rc == 23 and r.report and r.report["leaked"] == 1, "hostile exe path: report", r.stderr)
    exe_field = r.report["exe"]
    check(exe_field.endswith('dir"q\\b\x01' + FFFD + "\n\x1b[31m/le\"aky" + FFFD), f"exe {exe_field!r}", r.report)
    cb = r.report["leaks"][0]["created_by"]["stack"]
    mods = {f["module"] for f in cb}
    expect(exe_field in mods and functions(cb)[:1] == ["main"],
           f"a program whose path has a newline is not symbolized: modules {mods}, creation stack "
           f"{functions(cb)[:2]}. /proc/PID/maps escapes the newline as \\012 and libdw, given "
           "that name by dwfl_linux_proc_report, cannot open the file (symbolize.c tl_sym_open; "
           "dl_iterate_phdr names and readlink(/proc/self/exe) are exact)", r.report)
    t = run([prog, "-s", "1"], json_format=False, timeout=60)
    check(t.rc == 23 and b"found 1 leaked thread" in t.stderr, "hostile exe path: text report", t.stderr)
finish()
