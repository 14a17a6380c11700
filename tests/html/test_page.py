"""threadleak report --html and run --html: one self-contained page (no element that loads
anything, a Content-Security-Policy that forbids the network, one inline style and one inline
script); every leaked thread and group of the seed with its stacks and source lines; the
deadlock scenario's wait-for graph with its cycle marked; the watch session's chart, one line
per creation site; hostile thread names and sites shown as text, never as markup."""
import html.parser
import json
import re
import os
import subprocess

from html_util import *  # noqa: E402,F403


class Page(html.parser.HTMLParser):
    """Elements (tag, attributes, class list) and the text, as a browser's parser sees them."""

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.ends = [], [], []
        self.in_script = False
        with open(path, encoding="utf-8") as f:  # must be valid UTF-8
            self.feed(f.read())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a, (a.get("class") or "").split()))
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.ends.append(tag)
        self.in_script = False

    def handle_data(self, data):
        if not self.in_script:
            self.text.append(data)

    def all(self, tag, *classes):
        return [t for t in self.tags if t[0] == tag and all(c in t[2] for c in classes)]

    @property
    def body(self):
        return "".join(self.text)


work = tmpdir("tlhtml.")
pages = make_pages(work, work)
parsed = {name: Page(path) for name, path in pages.items()}

# self-contained: nothing is loaded, from anywhere
for name, pg in parsed.items():
    loaders = [t for t in pg.tags if t[0] in ("img", "link", "iframe", "object", "embed", "audio",
                                                "video", "source", "base", "form")
               or "src" in t[1] or "href" in t[1]]
    check(not loaders, f"{name}: elements that load something: {loaders}")
    csp = [t for t in pg.all("meta") if t[1].get("http-equiv") == "Content-Security-Policy"]
    check(csp and "default-src 'none'" in csp[0][1]["content"], f"{name}: no CSP forbidding the network")
    check(len(pg.all("script")) == 1 and len(pg.all("style")) == 1,
          f"{name}: {len(pg.all('script'))} scripts, {len(pg.all('style'))} styles")
    check(pg.ends.count("details") == len(pg.all("details")), f"{name}: unbalanced <details>")
print("ok: self-contained pages")

# the seed: every thread, its groups, stacks folded and unfolded, source lines
seed = parsed["seed"]
with open(os.path.join(work, "seed.json")) as f:
    doc = json.load(f)
groups = {t["group"] for t in doc["leaks"]}
check(len(seed.all("article", "group")) == len(groups),
      f"seed: {len(seed.all('article', 'group'))} groups on the page, {len(groups)} in the JSON")
for t in doc["leaks"]:
    check(f"hread {t['thread']} (tid {t['tid']}," in seed.body, f"seed: thread {t['thread']} missing")
check(seed.body.count("chan_send at tests/scenarios/seed.c:") == len(groups), "seed: stacks", seed.body)
check(len(seed.all("details", "stack")) == len(groups) and
      all("open" in t[1] for t in seed.all("details", "stack")), "seed: current stacks unfolded")
check(len(seed.all("details", "creation")) == len(groups) and
      not any("open" in t[1] for t in seed.all("details", "creation")), "seed: creation stacks folded")
check("pthread_cond_wait(&c->taken, &c->mu);" in seed.body and
      "pthread_create(&t, NULL, sender, &jobs[round][i]);" in seed.body and
      len(seed.all("pre", "src")) == 2 * len(groups), "seed: source lines", seed.body)
# its wait-for graph: 15 threads on 5 channels, no cycle
check(len(seed.all("g", "node", "thread")) == 15 and len(seed.all("g", "node", "object")) == 5 and
      not seed.all("g", "cycle"), "seed: wait-for graph",
      [t for t in seed.tags if t[0] == "g"])
run_page = parsed["seed_run"]
check(len(run_page.all("article", "group")) == len(groups) and len(run_page.all("pre", "src")) ==
      2 * len(groups), "run --html: the seed's groups and source lines")
print(f"ok: seed: {len(doc['leaks'])} threads in {len(groups)} groups, graph of 15 threads on 5 objects")

# the deadlock: the cycle, thread 2 -> lock_a -> thread 3 -> lock_b -> thread 2
dl = parsed["deadlock"]
check(len(dl.all("p", "deadlock")) == 1 and "deadlock: thread" in dl.body, "deadlock: the cycle in words")
check(len(dl.all("g", "node", "thread", "cycle")) == 2 and len(dl.all("g", "node", "object", "cycle")) == 2
      and len(dl.all("line", "edge", "cycle")) == 4 and len(dl.all("line", "held", "cycle")) == 2,
      "deadlock: the cycle in the graph", [t for t in dl.tags if t[0] in ("g", "line")])
check("mutex lock_a (calls_deadlock.c:" in dl.body, "deadlock: objects named", dl.body)
print("ok: deadlock: 2 threads and 2 mutexes in the cycle, 4 edges")

# hostile names are text
h = parsed["hostile"]
for name in HOSTILE:
    check(f'"{name}"' in h.body, f"hostile: {name!r} not shown as text", h.body)
check(h.body.count("\x1b") == 0 and h.body.count("\x01") == 0, "hostile: raw control bytes on the page")
print("ok: hostile names shown as text")

# the watch session: one line per site, hostile site names as text
w = parsed["watch"]
check(len(w.all("svg", "chart")) == 1 and len(w.all("polyline", "series")) == len(WATCH_SITES),
      "watch: one chart, a line per site", [t for t in w.tags if t[0] in ("svg", "polyline")])
check("<b>bold</b> at a\"b.c:1" in w.body and len(w.all("b")) == 1, "watch: hostile site as text", w.body)
check("submit at tests/scenarios/seed.c:65" in w.body and "21 threads at the end, grew" in w.body,
      "watch: the growing site", w.body)
print("ok: watch chart")

# the suppressed threads and the rules used (a rule with markup in it, as text)
supp = os.path.join(work, "names.supp")
with open(supp, "w") as f:
    f.write("name:<script>alert(\n")
r = run([PROGRAMS["hostile"]], options=f"suppressions={supp}", cwd=SRC)
check(r.rc == 23 and r.report and r.report["suppressed"] == 1, "hostile with a suppression", r.stderr)
doc_s = os.path.join(work, "suppressed.json")
with open(doc_s, "w") as f:
    json.dump(r.report, f)
page = os.path.join(work, "suppressed.html")
p = subprocess.run([CLI, "report", "--html", page, doc_s], cwd=SRC, capture_output=True, text=True,
                   timeout=120)
sp = Page(page)
check(p.returncode == 0 and "Suppressed threads (1)" in sp.body and "name:<script>alert(" in sp.body
      and len(sp.all("table", "rules")) == 2 and len(sp.all("script")) == 1,
      "the suppressed thread and its rule", sp.body)
print("ok: suppressed threads and the rules used")

# the graph is drawn for exit and hang checks and for deadlocks, not for a mid-run check
with open(os.path.join(work, "deadlock.json")) as f:
    dl_doc = json.load(f)
for check_kind, deadlock, drawn in [("hang", None, True), ("api", None, False), ("api", "deadlock: x", True)]:
    dl_doc["check"], dl_doc["deadlock"] = check_kind, deadlock
    doc_k = os.path.join(work, f"dl_{check_kind}.json")
    with open(doc_k, "w") as f:
        json.dump(dl_doc, f)
    page = os.path.join(work, f"dl_{check_kind}.html")
    p = subprocess.run([CLI, "report", "--html", page, doc_k], cwd=SRC, capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0 and bool(Page(page).all("svg", "waitfor")) == drawn,
          f"check {check_kind}, deadlock {deadlock}: graph drawn should be {drawn}")
print("ok: the graph for hang checks and deadlocks, not for a mid-run check")

# a hang report's threads are not leaks: counted apart ("3 leaked threads in 0 of 1 process" it
# said of a deadlocked process that run --timeout reported)
dl_doc["check"], dl_doc["deadlock"] = "hang", None
n_hung = len(dl_doc["leaks"])
doc_h = os.path.join(work, "dl_hang_only.json")
with open(doc_h, "w") as f:
    json.dump(dl_doc, f)
page = os.path.join(work, "dl_hang_only.html")
p = subprocess.run([CLI, "report", "--html", page, doc_h], cwd=SRC, capture_output=True,
                   text=True, timeout=120)
body = Page(page).body
check(p.returncode == 0 and re.search(r"\d+ leaked threads? in", body) is None and
      f"1 process had not exited (hang report: {n_hung} threads, not leaks)" in body,
      "a hang report alone: no leaked threads counted", body[:3000])
print("ok: a hang report's threads counted apart from leaks")

# two cycles (the library joins their lines with a newline): one paragraph each, and one
# text line each from `report`
dl_doc["check"], dl_doc["deadlock"] = "exit", "deadlock: cycle one\ndeadlock: cycle two"
doc_2 = os.path.join(work, "dl_two.json")
with open(doc_2, "w") as f:
    json.dump(dl_doc, f)
page = os.path.join(work, "dl_two.html")
p = subprocess.run([CLI, "report", "--html", page, doc_2], cwd=SRC, capture_output=True, text=True,
                   timeout=120)
two = Page(page)
check(p.returncode == 0 and len(two.all("p", "deadlock")) == 2 and "\\x0a" not in two.body
      and "deadlock: cycle one" in two.body and "deadlock: cycle two" in two.body,
      "two cycles: two paragraphs", p.stderr, two.body[:2000])
p = subprocess.run([CLI, "report", doc_2], cwd=SRC, capture_output=True, text=True, timeout=120)
lines = p.stderr.splitlines() + p.stdout.splitlines()
check("deadlock: cycle one" in lines and "deadlock: cycle two" in lines,
      "two cycles: two text lines", p.stdout, p.stderr)
print("ok: two deadlock cycles, a paragraph and a line each")

# --html names its own file: the same path as another output is refused
same = os.path.join(work, "same.out")
for cmd in (["report", "--html", same, "--json", same, os.path.join(work, "seed.json")],
            ["run", "--html", same, "--junit", same, "--", PROGRAMS["seed"]]):
    p = subprocess.run([CLI, *cmd], cwd=SRC, capture_output=True, text=True, timeout=120)
    check(p.returncode == 2 and "--html" in p.stderr and not os.path.exists(same),
          f"{cmd[0]}: --html and another output on one file", p.stderr)
print("ok: --html and another output on one file refused")

# --no-source
page = os.path.join(work, "nosrc.html")
p = subprocess.run([CLI, "report", "--no-source", "--html", page, os.path.join(work, "seed.json")],
                   cwd=SRC, capture_output=True, text=True, timeout=120)
check(p.returncode == 0 and not Page(page).all("pre", "src"), "--no-source: source lines on the page")
print("ok: --no-source")
ok()
