"""The README's options table says what help=1 says: the same options in the same order, each
with the same default and the same description (backticks and quotes aside, which only the
README renders). Both come from one list in the source (preload/options.h), so a new option, a
changed default or a reworded help line that the README does not follow fails here."""
import os
import re

from coreutil import *  # noqa: F403

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def norm(text):
    return " ".join(text.replace("`", "").replace("'", "").split())


def readme_table():
    with open(README, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = lines.index("| option | default | meaning |")
    except ValueError:
        fail("README.md has no options table ('| option | default | meaning |')")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        check(len(cells) == 3, f"README options row with {len(cells)} cells: {line}")
        m = re.fullmatch(r"`([a-z_]+)`", cells[0])
        check(m is not None, f"README options row without a `name`: {line}")
        rows.append((m.group(1), cells[1] or "''", norm(cells[2])))
    return rows


def help_table():
    r = run([exe("clean_exit")], options="help=1", json_format=False)
    check(r.rc == 0, f"help=1 on a clean program: status {r.rc}", r.stderr)
    rows = []
    for line in r.stderr.decode().splitlines():
        m = re.fullmatch(r"threadleak:   (\S+) +default (\S+) +(.*)", line)
        if m:
            rows.append((m.group(1), m.group(2), norm(m.group(3))))
    check(rows, "help=1 printed no option", r.stderr)
    return rows


readme, helped = readme_table(), help_table()
names_r, names_h = [r[0] for r in readme], [h[0] for h in helped]
check(names_r == names_h,
      f"options differ: only in the README {sorted(set(names_r) - set(names_h))}, only in "
      f"help=1 {sorted(set(names_h) - set(names_r))}, or in another order",
      f"README {names_r}\nhelp=1 {names_h}")
for (name, rdef, rtext), (_, hdef, htext) in zip(readme, helped):
    check(rdef == hdef, f"{name}: README default {rdef!r}, help=1 default {hdef!r}")
    check(rtext == htext, f"{name}: descriptions differ", f"README: {rtext}\nhelp=1: {htext}")
ok()
