/* threadleak report [OPTIONS] FILE...: JSON reports (one per process, or run --json documents)
 * rendered as text, after symbolizing offline the frames that lack file:line. A file that
 * cannot be read or is not valid JSON is named and skipped; the status is then 1. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void usage_report(FILE *out)
{
	fputs("Usage: threadleak report [OPTIONS] FILE...\n"
	      "\n"
	      "Renders threadleak JSON reports as text on standard output: the files of\n"
	      "THREADLEAK_OPTIONS=format=json:log_path=P (P.PID), or of run --json. Frames\n"
	      "without file:line are symbolized offline with libdw from module+offset, so a\n"
	      "report made with a stripped binary can be read where the unstripped one (or\n"
	      "its debug file) is; with DEBUGINFOD_URLS set, debug files found nowhere\n"
	      "local are fetched by build-id through debuginfod. FILE '-' is standard input.\n"
	      "Status: 0, or 1 when a file could not be read or parsed (it is named and\n"
	      "skipped).\n"
	      "\n"
	      "Options:\n"
	      "  --debug-dir DIR      look for modules by name in DIR (with the same build-id\n"
	      "                       when the original is at hand), and for build-id debug\n"
	      "                       files in DIR/.build-id/xx/yyyy.debug; repeatable\n"
	      "  --exe-map OLD=NEW    symbolize module OLD (a path, or a file name) with NEW\n"
	      "  --no-symbolize       print the frames as they are\n"
	      "  --json FILE          write the reports as one merged JSON document\n"
	      "  --sarif FILE         write SARIF 2.1.0\n"
	      "  --junit FILE         write JUnit XML\n"
	      "  --source-root DIR    SARIF paths are relative to DIR (default: .)\n"
	      "  --html FILE          write one self-contained HTML page: groups, stacks,\n"
	      "                       source lines, the wait-for graph; for watch sessions\n"
	      "                       (JSON lines), threads per creation site over time\n"
	      "  --no-source          no source lines under the frames\n"
	      "  --color[=WHEN]       auto (on a terminal), always, never\n"
	      "  --no-color           no colors\n"
	      "  -v, --verbose        say which modules could not be symbolized\n"
	      "  -h, --help           this help\n",
	      out);
}

struct report_opts {
	struct osym_opts sym;
	bool no_symbolize;
	const char *json, *sarif, *junit, *source_root, *html;
	int color;
	bool no_source;
};

static int parse_report(int argc, char **argv, struct report_opts *o)
{
	static const struct option longs[] = {
	    {"debug-dir", required_argument, NULL, 'd'},
	    {"exe-map", required_argument, NULL, 'm'},
	    {"no-symbolize", no_argument, NULL, 'n'},
	    {"json", required_argument, NULL, 'j'},
	    {"sarif", required_argument, NULL, 'S'},
	    {"junit", required_argument, NULL, 'J'},
	    {"source-root", required_argument, NULL, 'r'},
	    {"color", optional_argument, NULL, 'c'},
	    {"no-color", no_argument, NULL, 'C'},
	    {"html", required_argument, NULL, 'H'},
	    {"no-source", no_argument, NULL, 'L'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (struct report_opts){.color = -1};
	opterr = 0;
	optind = 1;
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, ":hv", longs, NULL)) != -1) {
		switch (c) {
		case 'd': {
			char *abs = realpath(
			    optarg, NULL); /* libdw reads build-id folders by absolute path */
			if (abs == NULL)
				bad += (cli_err("--debug-dir %s: %s", optarg, strerror(errno)), 1);
			else
				strv_push(&o->sym.debug_dirs, &o->sym.ndebug_dirs, abs);
			break;
		}
		case 'm':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				bad += (cli_err("--exe-map: '%s' is not OLD=NEW", optarg), 1);
			else if (access(strchr(optarg, '=') + 1, R_OK) != 0) /* said, not fatal */
				cli_err(
				    "--exe-map %s: %s: %s; its frames keep the report's symbols",
				    optarg, strchr(optarg, '=') + 1, strerror(errno));
			strv_push(&o->sym.maps, &o->sym.nmaps, optarg);
			break;
		case 'n':
			o->no_symbolize = true;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'S':
			o->sarif = optarg;
			break;
		case 'J':
			o->junit = optarg;
			break;
		case 'r':
			o->source_root = optarg;
			break;
		case 'c':
			if ((o->color = color_arg(optarg)) == -2)
				bad +=
				    (cli_err("--color: '%s' is not auto, always or never", optarg),
				     1);
			break;
		case 'C':
			o->color = 0;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'L':
			o->no_source = true;
			break;
		case 'v':
			o->sym.verbose = true;
			break;
		case 'h':
			usage_report(stdout);
			exit(0);
		case ':':
			cli_err("report: option '%s' needs a value", argv[optind - 1]);
			bad++;
			break;
		default:
			cli_err("report: unknown option '%s'", argv[optind - 1]);
			bad++;
		}
	}
	if (!bad && optind >= argc)
		bad += (cli_err("report: no report file given"), 1);

	if (bad) {
		fprintf(stderr, "Try 'threadleak report --help'.\n");
		return -1;
	}
	return optind;
}

static void report_opts_free(struct report_opts *o)
{
	for (size_t i = 0; i < o->sym.ndebug_dirs; i++)
		free(o->sym.debug_dirs[i]); /* realpath'd */
	free(o->sym.debug_dirs);
	free(o->sym.maps);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	int first = parse_report(argc, argv, &o);
	const char *names[] = {"--json", "--sarif", "--junit", "--html"};
	const char *paths[] = {o.json, o.sarif, o.junit, o.html};
	if (first < 0 || outputs_distinct(names, paths, 4) != 0 ||
	    outputs_writable(names, paths, 4) != 0 ||
	    outputs_not_inputs(names, paths, 4, argv + first, (size_t)(argc - first)) != 0) {
		report_opts_free(&o);
		return TL_EXIT_USAGE;
	}
	struct stat root_st;
	errno = 0;
	if (o.source_root && (stat(o.source_root, &root_st) != 0 || !S_ISDIR(root_st.st_mode))) {
		cli_err("--source-root %s: %s", o.source_root,
		        errno ? strerror(errno) : "not a folder");
		report_opts_free(&o);
		return TL_EXIT_USAGE;
	}
	/* a reader of stdout that has gone (| head -1) must not end report before it writes its
	 * --json, --sarif, --junit and --html files: a write to it fails instead */
	signal(SIGPIPE, SIG_IGN);
	struct procset hangs = {0}, set = {.hangs = &hangs};
	struct watchset ws = {0};
	size_t nwatch = 0; /* watch sessions read (for --html) */
	int watch_skipped = 0;
	for (int i = first; i < argc; i++) {
		if (!watch_read(&ws, argv[i]))
			procset_read(&set, argv[i], TL_MAX_REPORT);
		else if (o.html)
			nwatch++;
		else {
			cli_err(
			    "%s: a watch session (threadleak watch --json): only --html renders "
			    "it; skipped",
			    argv[i]);
			watch_skipped++;
		}
	}
	if (!o.no_symbolize) {
		symbolize_offline(&set, &o.sym);
		symbolize_offline(&hangs, &o.sym);
	}
	char cwd[PATH_MAX], root[PATH_MAX];
	const char *here = getcwd(cwd, sizeof(cwd)) ? cwd : NULL;
	if (realpath(o.source_root ? o.source_root : ".", root) == NULL)
		snprintf(root, sizeof(root), "%s", here ? here : "/");
	const char *term = getenv("TERM");
	bool color = o.color >= 0 ? o.color
	                          : isatty(1) && getenv("NO_COLOR") == NULL &&
	                                !(term && strcmp(term, "dumb") == 0);
	struct render_opts ro = {.color = color, .cwd = here, .no_source = o.no_source};
	size_t leaked = procset_leaked(&set), nprocs = procset_processes(&set, NULL),
	       nleaky = procset_processes(&set, proc_leaky);
	if (leaked)
		render_text(stdout, &set, &ro);
	for (size_t i = 0; i < hangs.n; i++) /* a hang is not a leak: apart, as run prints them */
		render_hang(stdout, &hangs.v[i], here);
	if (nprocs || (!hangs.n && !nwatch))
		printf("threadleak: %zu leaked thread%s in %zu of %zu process%s\n", leaked,
		       leaked == 1 ? "" : "s", nleaky, nprocs, nprocs == 1 ? "" : "es");
	if (hangs.n)
		printf("threadleak: %zu hang report%s\n", hangs.n, hangs.n == 1 ? "" : "s");
	fflush(stdout);
	struct run_info ri = {
	    .cmd_status = -1, .exit_status = -1, .hangs = &hangs, .timed_out = set.timed_out};
	int werr = 0;
	if (o.json)
		werr |= write_merged_json(o.json, &set, &ri);
	if (o.sarif)
		werr |= write_sarif(o.sarif, &set, &hangs, root);
	if (o.junit)
		werr |= write_junit(o.junit, &set, &hangs, here);
	if (o.html)
		werr |= write_html_page(o.html, &set, &hangs, &ws, &ro);
	json_object_put(ws.samples);
	if (nwatch && o.html && !werr)
		printf("threadleak: %zu watch session%s drawn in %s\n", nwatch,
		       nwatch == 1 ? "" : "s", o.html);
	int bad = set.bad_files + hangs.bad_files + watch_skipped;
	if (bad)
		cli_err("%d file%s skipped", bad, bad == 1 ? "" : "s");
	procset_free(&set);
	procset_free(&hangs);
	report_opts_free(&o);
	return bad || werr ? 1 : 0;
}
