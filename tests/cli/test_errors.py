"""Clear errors: a command not found (127) or not executable (126), unknown options and a
missing command (2), help texts, and a statically linked program (125: cannot be preloaded)."""
import os
import sys

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")
work = tmpdir()


def expect(args, rc, *words, where="stderr"):
    r = tl(*args, cwd=work)
    text = err(r) if where == "stderr" else out(r)
    check(r.rc == rc, f"{args}: status {r.rc}, expected {rc}", err(r), out(r))
    for w in words:
        check(w in text, f"{args}: {w!r} not in {where}", text)
    return r


# the command cannot be run: like a shell
expect(["run", "--", "/nonexistent/prog"], 127, "threadleak: /nonexistent/prog: command not found")
expect(["run", "--", "no-such-command-tl5"], 127, "threadleak: no-such-command-tl5: command not found")
expect(["run", "--", LEAKY_C], 126, f"threadleak: {LEAKY_C}: Permission denied")
expect(["run", "--", work], 126, f"threadleak: {work}: Is a directory")
# a script whose interpreter is missing exists: named as a shell names it, not "not found"
script = os.path.join(work, "noint.sh")
with open(script, "w") as f:
    f.write("#!/nonexistent/interp -e\necho hi\n")
os.chmod(script, 0o755)
expect(["run", "--", script], 127,
       f"threadleak: {script}: /nonexistent/interp: bad interpreter: No such file or directory")
# command line mistakes: status 2, what was wrong, where to look
expect(["run", "--bogus", "--", leaky], 2, "unknown option '--bogus'", "threadleak run --help")
# a duration too large is said to be so, not "not a duration"; a source root must be a folder
expect(["run", "--timeout", "99999999999", "--", leaky], 2, "--timeout: '99999999999' is out of range")
expect(["run", "--source-root", LEAKY_C, "--", leaky], 2, f"--source-root {LEAKY_C}: not a folder")
expect(["report", "--source-root", LEAKY_C, LEAKY_C], 2, f"--source-root {LEAKY_C}: not a folder")
# a watch session given to report without --html: said so (it read "not a threadleak report")
wl = os.path.join(work, "w.jsonl")
with open(wl, "w") as f:
    f.write('{"tool": "threadleak", "kind": "watch", "pid": 5, "t": 1.0, "groups": []}\n')
expect(["report", wl], 1, "a watch session (threadleak watch --json): only --html renders it")
# a duration out of range names the range (it read "not a number of seconds" for 2.5)
expect(["dump", "--wait", "2.5", "1"], 2, "--wait: '2.5' is not a whole number of seconds from 1 to 3600")
expect(["watch", "--interval", "0.01", "1"], 2, "--interval: '0.01' is not a number of seconds from 0.05 to 86400")
expect(["run"], 2, "missing command")
expect(["run", "--"], 2, "missing command")
expect(["run", "--grace"], 2, "option '--grace' needs a value")
expect(["run", "--grace", "soon", "--", leaky], 2, "--grace: 'soon'")
expect(["run", "--exitcode", "300", "--", leaky], 2, "--exitcode: '300'")
expect(["run", "--suppressions", "/nonexistent.supp", "--", leaky], 2, "--suppressions /nonexistent.supp")
expect(["run", "--update-baseline", "--", leaky], 2, "--update-baseline needs --baseline")
# an output that cannot be written is said before the command runs (it ran the whole command,
# then said "cannot write", status 125); an empty name, or "--" taken as the file
for args, words in ((["--json", "/nonexistent/x.json"], "--json /nonexistent/x.json: cannot be written"),
                    (["--sarif", ""], "--sarif: '' is not a file name"),
                    (["--json", "--"], "--json: '--' is not a file name"),
                    (["--junit", work], "a folder, not a file")):
    r = expect(["run", *args, "--", leaky], 2, words)
    check(r.stdout == b"", f"{args}: the command did not run", r.stdout)
expect(["report", "--html", "/nonexistent/x.html", "x.json"], 2, "--html /nonexistent/x.html: cannot be written")
expect(["frobnicate"], 2, "unknown command 'frobnicate'")
expect(["--frobnicate"], 2, "unknown option '--frobnicate'")
expect([], 2, "Usage:")
expect(["report"], 2, "no report file given")
expect(["report", "--bogus", "x.json"], 2, "unknown option '--bogus'")
expect(["report", "--exe-map", "nonsense", "x.json"], 2, "--exe-map: 'nonsense' is not OLD=NEW")
# help
expect(["--help"], 0, "Usage: threadleak run", "threadleak report", where="stdout")
expect(["run", "--help"], 0, "--suppressions FILE", "--baseline FILE", "--sarif FILE", "--junit FILE",
       "--no-children", "--exitcode N", "--grace MS", "--options", where="stdout")
expect(["report", "--help"], 0, "--debug-dir DIR", "--exe-map OLD=NEW", "--no-color", where="stdout")
expect(["help", "run"], 0, "Usage: threadleak run", where="stdout")
expect(["--version"], 0, "threadleak ", where="stdout")

# a statically linked program cannot be preloaded: say so instead of reporting nothing
static = os.path.join(SCENARIOS, "static_prog")
if os.path.exists(static):
    r = expect(["run", "--", static], 125, "is statically linked", "cannot be preloaded")
    check(r.stdout == b"", "the static program was not run", r.stdout)
    r = expect(["run", "--allow-static", "--", static], 0, "is statically linked: it is not checked")
    check(out(r) == "static program ran\n", "--allow-static runs it", r.stdout)
else:
    print("static linking unavailable: static program part skipped")
ok()
