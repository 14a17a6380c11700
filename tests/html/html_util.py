"""The html suite's pages: the seed, the deadlock scenario, threads with hostile names and a
watch session, each rendered by `threadleak report --html` from the JSON the library wrote,
and the seed once more through `threadleak run --html`."""
import json
import os
import subprocess

from tl_test import *  # noqa: E402,F403

CLI = os.environ["TL_CLI"]
BUILD = os.environ["TL_BUILD_ROOT"]
SRC = os.environ["TL_SOURCE_ROOT"]
OUT = os.environ["TL_SCENARIOS"]  # this suite's build folder: the pages and screenshots stay

PROGRAMS = {
    "seed": os.path.join(BUILD, "tests", "core", "seed"),
    "deadlock": os.path.join(BUILD, "tests", "calls", "calls_deadlock"),
    "hostile": os.path.join(OUT, "hostile_names"),
}
# the names hostile_names.c gives its threads, and how the page must show them (as text)
HOSTILE = ["<script>alert(", "\"'><img src=x>", "</details>&amp;", "\\x1b[31mred\\x01\\x7f"]
# a watch session as `threadleak watch` writes it (JSON lines), the last line cut short
WATCH_SITES = ["submit", "pool_start", "<b>bold</b>"]


def watch_lines():
    lines = []
    for i in range(8):
        groups = [{"site": "submit", "file": "tests/scenarios/seed.c", "line": 65,
                   "state": "blocked", "call": "pthread_cond_wait", "count": 3 * i, "grew": i > 0},
                  {"site": "pool_start", "file": "src/pool.c", "line": 12, "state": "blocked",
                   "call": "read", "count": 4, "grew": False},
                  {"site": "<b>bold</b>", "file": "a\"b.c", "line": 1, "state": "running",
                   "call": None, "count": i % 3, "grew": False}]
        lines.append(json.dumps({"tool": "threadleak", "kind": "watch", "pid": 4242, "t": i * 0.5,
                                 "groups": groups}))
    return "\n".join(lines) + '\n{"tool": "threadleak", "kind": "wat'


def make_pages(work, out):
    """name -> path of each page, written in folder out (each test its own: they run at once);
    the JSON reports are kept in work."""
    pages = {}
    for name, prog in PROGRAMS.items():
        r = run([prog], cwd=SRC)
        check(r.rc == 23 and r.report, f"{name}: status {r.rc}", r.stderr)
        doc = os.path.join(work, name + ".json")
        with open(doc, "w") as f:
            json.dump(r.report, f)
        page = os.path.join(out, name + ".html")
        p = subprocess.run([CLI, "report", "--html", page, doc], cwd=SRC, capture_output=True,
                           text=True, timeout=120)
        check(p.returncode == 0 and os.path.getsize(page) > 0, f"{name}: report --html", p.stderr)
        pages[name] = page
    watch = os.path.join(work, "watch.jsonl")
    with open(watch, "w") as f:
        f.write(watch_lines())
    page = os.path.join(out, "watch.html")
    p = subprocess.run([CLI, "report", "--html", page, watch], cwd=SRC, capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0, "watch: report --html", p.stderr)
    pages["watch"] = page
    page = os.path.join(out, "seed_run.html")
    p = subprocess.run([CLI, "run", "--html", page, "--", PROGRAMS["seed"]], cwd=SRC,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 23 and os.path.getsize(page) > 0, f"run --html: status {p.returncode}",
          p.stderr)
    pages["seed_run"] = page
    return pages
