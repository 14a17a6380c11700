"""A clean program (joined workers, detached workers that finished, a pool shut down
properly, workers joined by an atexit handler and by a destructor): threadleak stays silent. 0 leaks in the JSON report, nothing on stderr with the
text report, exit status 0, stdout byte for byte what a bare run prints (including a last line
without a newline that is still in the stdio buffer at exit)."""
from coreutil import *  # noqa: F403

prog = exe("clean_exit")
expected = b"squares 30\npool 55, detached 4"

bare, r, rep = run_vs_bare([prog], expected, rc=0)
check(r.stderr == b"", "stderr not empty", r.stderr)
check(rep is not None, "no JSON report written (log_path writes one even when clean)")
check(rep["exit_status"] == 0 and rep["leaked"] == 0 and rep["leaks"] == [], "0 leaks expected", rep)
check(rep["suppressed"] == 0 and rep["suppressed_threads"] == [], "nothing suppressed", rep)
check(rep["deadlock"] is None, "no deadlock", rep)

# the default text report: nothing at all on stderr, several times (detached threads finish
# at slightly different moments each run)
for i in range(3):
    t = run([prog], json_format=False)
    check(t.rc == 0, f"text run {i}: exit status {t.rc}", t.stderr)
    check(t.stderr == b"", f"text run {i}: something written to stderr", t.stderr)
    check(t.stdout == bare.stdout, f"text run {i}: stdout differs", t.stdout)
# format=json without log_path: the JSON document goes to stderr only when there are leaks
t = run([prog], options="format=json", json_format=False)
check(t.rc == 0 and t.stderr == b"" and t.stdout == bare.stdout, "format=json without log_path: silent", t.stderr)
ok()
