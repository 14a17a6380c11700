"""Two outputs that are one file are refused before the command runs (status 2, one line),
whatever names them: hard links, a symlink (dangling, to a file not made yet), ./x and x. The
check compared path strings (realpath): hard links and dangling symlinks passed, and the last
output written replaced the other (run --json h.json --sarif hardlink-to-h.json kept only the
SARIF)."""
import json
import os

from clitest import *  # noqa: F403

leaky = exe("leaky")
work = tmpdir()


def p(name):
    return os.path.join(work, name)


def refused(r, what):
    check(r.rc == 2 and r.stdout == b"", f"{what}: status {r.rc}", err(r))
    lines = err(r).strip().splitlines()
    check(len(lines) == 1 and "name the same file" in lines[0], f"{what}: one line", err(r))


# hard links, existing
open(p("h5.json"), "w").close()
os.link(p("h5.json"), p("h5b.json"))
r = tl("run", "--json", "h5.json", "--sarif", "h5b.json", "--", leaky, cwd=work)
refused(r, "run: hard links")
check(os.path.getsize(p("h5.json")) == 0, "run: hard links: nothing written", open(p("h5.json")).read())

# a dangling symlink to the other output, which does not exist yet
os.symlink("out9.json", p("link9.json"))
r = tl("run", "--json", "out9.json", "--sarif", "link9.json", "--", leaky, cwd=work)
refused(r, "run: a dangling symlink to the other output")
check(not os.path.exists(p("out9.json")), "run: dangling symlink: nothing written")
# the same through a link in another folder, relative to that folder
os.mkdir(p("sub"))
os.symlink("../out10.xml", p("sub/link10.xml"))
r = tl("run", "--junit", "out10.xml", "--sarif", "sub/link10.xml", "--", leaky, cwd=work)
refused(r, "run: a dangling symlink relative to its own folder")
# a chain of two dangling symlinks
os.symlink("link9.json", p("link9b.json"))
r = tl("run", "--html", "link9b.json", "--json", p("out9.json"), "--", leaky, cwd=work)
refused(r, "run: a chain of dangling symlinks")
# --baseline is compared as well (it is read and written)
r = tl("run", "--baseline", "link9.json", "--json", "out9.json", "--", leaky, cwd=work)
refused(r, "run: --baseline and a dangling symlink")

# still refused as before: the same path, ./x and x, an existing symlink
r = tl("run", "--json", "a.json", "--sarif", "./a.json", "--", leaky, cwd=work)
refused(r, "run: ./x and x")
open(p("t.json"), "w").close()
os.symlink("t.json", p("tl.json"))
r = tl("run", "--json", "t.json", "--junit", "tl.json", "--", leaky, cwd=work)
refused(r, "run: an existing symlink")

# not refused: different files, a symlink to a different missing file, /dev/null twice
r = tl("run", "--json", "j.json", "--sarif", "link9.json", "--", leaky, cwd=work)
check(r.rc == 23, f"run: a symlink to another file: status {r.rc}", err(r))
check(json.load(open(p("j.json")))["tool"] == "threadleak" and
      json.load(open(p("out9.json")))["version"] == "2.1.0", "run: both written, each its own")
r = tl("run", "--json", "/dev/null", "--sarif", "/dev/null", "--", leaky, cwd=work)
check(r.rc == 23, f"run: /dev/null twice: status {r.rc}", err(r))

# report: the same checks
R = p("j.json")
open(p("out3.json"), "w").close()
os.link(p("out3.json"), p("hard3.json"))
r = tl("report", "--json", "out3.json", "--sarif", "hard3.json", R, cwd=work)
refused(r, "report: hard links")
check(os.path.getsize(p("out3.json")) == 0, "report: hard links: nothing written")
os.symlink("new4.xml", p("link4.xml"))
r = tl("report", "--junit", "new4.xml", "--html", "link4.xml", R, cwd=work)
refused(r, "report: a dangling symlink")
check(not os.path.exists(p("new4.xml")), "report: dangling symlink: nothing written")
# an output that is a hard link of a report read is refused too (it would be overwritten)
os.link(R, p("rlink.json"))
r = tl("report", "--json", "rlink.json", R, cwd=work)
check(r.rc == 2 and "also a report to read" in err(r), f"report: output a hard link of an input: {r.rc}",
      err(r))
check(json.load(open(R))["tool"] == "threadleak", "report: the input is kept")
ok()
