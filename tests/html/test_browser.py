"""The pages in a real headless browser (Debian's chromium): each loads with no console message
(an error, a refused load, an uncaught exception: the check is first shown to catch one on a
page made to fail), its script ran (body data-ready), the seed's groups and the deadlock's
cycle are in the DOM after scripts ran and on a screenshot (PNG kept in this suite's build
folder: the cycle's red is drawn on the deadlock page and on no other), and the hostile names
made no element."""
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

from html_util import *  # noqa: E402,F403

browser = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
if browser is None:
    print("chromium not installed (.ci/packages lists it): skipped")
    sys.exit(77)
work = tmpdir("tlbrowser.")
profile = os.path.join(work, "profile")


def chromium(page, *args):
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
                        "--v=0", *args, "file://" + page], capture_output=True, text=True,
                       timeout=120, errors="replace")
    console = [ln for ln in p.stderr.splitlines() if ":CONSOLE" in ln]
    return p, console


def pixels(png):
    """Count of each RGB colour of an 8-bit RGB or RGBA, non-interlaced PNG."""
    with open(png, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{png}: not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype in (2, 6) and interlace == 0, f"{png}: PNG kind {depth} {ctype}")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), width * bpp
    prev, counts = bytearray(stride), {}
    for y in range(height):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            k = bytes(line[x:x + 3])
            counts[k] = counts.get(k, 0) + 1
        prev = line
    return counts


CYCLE_RED = bytes.fromhex("d32f2f")    # html.c: .edge.cycle, .node.cycle
GROUP_BORDER = bytes.fromhex("c62828")  # html.c: .group

# the console check sees errors: a page made to fail
bad = os.path.join(work, "bad.html")
with open(bad, "w") as f:
    f.write("<!DOCTYPE html><p>x</p><script>throw new Error('probe')</script>")
_, console = chromium(bad, "--dump-dom")
check(any("probe" in ln for ln in console), "the console check does not see an uncaught error")

pages = make_pages(work, OUT)  # kept with the screenshots
for name, page in pages.items():
    shot = os.path.join(OUT, name + ".png")
    if os.path.exists(shot):
        os.unlink(shot)
    p, console = chromium(page, "--dump-dom", "--window-size=1280,1600")
    check(p.returncode == 0, f"{name}: chromium --dump-dom exited {p.returncode}", p.stderr)
    check(not console, f"{name}: console messages", "\n".join(console))
    dom = p.stdout
    check(re.search(r'<body[^>]* data-ready="1"', dom), f"{name}: the page's script did not run", dom[:3000])
    check(dom.count("<script") == 1 and "<img" not in dom, f"{name}: elements made from the program's text")
    if name in ("seed", "seed_run"):
        check(dom.count('<article class="group blocked">') == 2 and
              dom.count("chan_send at tests/scenarios/seed.c:") == 2, f"{name}: the seed's groups", dom)
    if name == "deadlock":
        check(dom.count('class="node thread cycle"') == 2 and dom.count("edge held cycle") == 2,
              "deadlock: the cycle", dom)
    if name == "hostile":
        for n in HOSTILE:
            esc = n.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            check(esc in dom, f"hostile: {n!r} not text in the DOM", dom)
    p, console = chromium(page, f"--screenshot={shot}", "--window-size=1280,1400")
    check(p.returncode == 0 and os.path.exists(shot), f"{name}: no screenshot", p.stderr)
    check(not console, f"{name}: console messages", "\n".join(console))
    if name in ("seed", "deadlock"):
        px = pixels(shot)
        red, border = px.get(CYCLE_RED, 0), px.get(GROUP_BORDER, 0)
        check(border > 500, f"{name}: no group on the screenshot ({border} border pixels)")
        check((red > 200) == (name == "deadlock"), f"{name}: {red} pixels of the cycle's red")
        print(f"ok: {name}: screenshot {shot}: {border} group border pixels, {red} cycle pixels")
    print(f"ok: {name}: loads with no console message, script ran")
ok()
