/* `--html FILE`: the report as one self-contained page for a CI artifact. No network (a
 * Content-Security-Policy of default-src 'none'), inline CSS and JS, no fonts. Per program:
 * the summary, each group's threads (the text report's own thread lines, report/text.c),
 * its stacks folded and unfolded with source lines, the wait-for graph as inline SVG (threads
 * and objects as nodes, waits and holders as edges, cycles in red); then the suppressed
 * threads and the rules used; for a watch session, the thread count per creation site over
 * time as an SVG chart. Everything from the program goes through tl_buf_html: text, never
 * markup. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(struct tl_buf *b, const char *s)
{
	tl_buf_put(b, s, strlen(s));
}

static void esc(struct tl_buf *b, const char *s)
{
	tl_buf_html(b, s);
}

/* A text line from report/text.c without its indentation and line end, escaped. */
static void esc_line(struct tl_buf *b, const struct tl_buf *line)
{
	const char *p = line->p ? line->p : "";
	size_t n = line->len;
	while (*p == ' ')
		p++, n--;
	char *copy = strndup(p, n);
	if (copy == NULL)
		return;
	while (n > 0 && copy[n - 1] == '\n')
		copy[--n] = '\0';
	esc(b, copy);
	free(copy);
}

/* ---- watch sessions: JSON lines of {"tool": "threadleak", "kind": "watch", ...} ---- */
static bool is_watch(json_object *o)
{
	const char *tool = jstr(o, "tool"), *kind = jstr(o, "kind");
	return tool && kind && strcmp(tool, "threadleak") == 0 && strcmp(kind, "watch") == 0;
}

bool watch_read(struct watchset *w, const char *path)
{
	if (strcmp(path, "-") == 0)
		return false;
	int fd = tl_open_regular(path);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	char *line = NULL;
	size_t cap = 0, total = 0, added = 0;
	ssize_t n;
	json_object *got = json_object_new_array();
	while ((n = getline(&line, &cap, f)) > 0 && (total += (size_t)n) <= TL_MAX_REPORT) {
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		json_object *o = json_tokener_parse(line);
		if (!is_watch(o)) {
			json_object_put(o);
			if (added == 0)
				break; /* not a watch session: a report for procset_read */
			continue;      /* a line cut short by a watch that was killed */
		}
		json_object_array_add(got, o);
		added++;
	}
	free(line);
	fclose(f);
	if (added == 0) {
		json_object_put(got);
		return false;
	}
	if (w->samples == NULL)
		w->samples = json_object_new_array();
	for (size_t i = 0; i < added; i++)
		json_object_array_add(w->samples,
		                      json_object_get(json_object_array_get_idx(got, i)));
	json_object_put(got);
	return true;
}

/* ---- the page ---- */
static const char css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px "
    "40px;color:#1d1d1f;background:#fff}"
    "h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 6px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px;word-break:break-all}"
    "h3{font-size:14px;margin:8px 0}"
    "code,pre,.mono,.thread,.frames,.members{font-family:ui-monospace,monospace;font-size:12.5px}"
    ".summary td,.summary th,.rules td,.rules th{padding:3px 10px;text-align:left;"
    "border-bottom:1px solid #eee}"
    ".group{border:1px solid #ddd;border-left:4px solid #c62828;border-radius:4px;"
    "margin:12px 0;padding:6px 12px}"
    ".group.exited{border-left-color:#ef6c00}.group.running{border-left-color:#6a1b9a}"
    ".group.untracked{border-left-color:#546e7a}"
    ".thread{font-weight:600;word-break:break-word}"
    ".members{margin:2px 0 2px 12px;padding:0;list-style:none;word-break:break-word}"
    ".frames{margin:4px 0;padding-left:28px;word-break:break-word}"
    ".frames li{color:#777}.frames li.user{color:#1d1d1f;font-weight:600}"
    ".src{margin:2px 0 4px 8px;padding:2px 8px;background:#f4f6f8;border-left:3px solid #1565c0;"
    "font-weight:400;color:#1d1d1f;white-space:pre-wrap}.src .ln{color:#888}"
    ".created{color:#8d6e00;margin-top:6px;word-break:break-word}"
    ".deadlock{color:#b71c1c;font-weight:600;font-family:ui-monospace,monospace;font-size:12.5px}"
    "summary{cursor:pointer;color:#1565c0}"
    "svg{max-width:100%;height:auto;border:1px solid #eee;border-radius:4px;background:#fcfcfc}"
    ".edge{stroke:#999;stroke-width:1.4;fill:none}.edge.held{stroke-dasharray:5 3}"
    ".edge.cycle{stroke:#d32f2f;stroke-width:2.6}"
    ".node circle{fill:#e3f2fd;stroke:#1565c0;stroke-width:1.5}"
    ".node rect{fill:#fff8e1;stroke:#ef6c00;stroke-width:1.5}"
    ".node.cycle circle,.node.cycle rect{fill:#ffebee;stroke:#d32f2f;stroke-width:2.6}"
    ".node text{font:11px ui-monospace,monospace;fill:#1d1d1f}"
    ".node text.id{font-weight:700}.node text.label{paint-order:stroke;stroke:#fcfcfc;"
    "stroke-width:4px;stroke-linejoin:round}"
    ".legend{list-style:none;padding:0}.legend span{display:inline-block;width:12px;height:12px;"
    "margin-right:6px;vertical-align:middle;border-radius:2px}"
    ".chart text{font:11px system-ui,sans-serif;fill:#555}.chart .axis{stroke:#999}"
    ".chart .grid{stroke:#eee}.chart polyline{fill:none;stroke-width:2}"
    ".note{color:#666}button{margin-right:6px}";

static const char script[] =
    "(function(){var all=document.querySelectorAll('details');"
    "function set(v){for(var i=0;i<all.length;i++)all[i].open=v;}"
    "document.getElementById('expand').addEventListener('click',function(){set(true);});"
    "document.getElementById('collapse').addEventListener('click',function(){set(false);});"
    "document.body.setAttribute('data-ready','1');})();";

static void page_head(struct tl_buf *b)
{
	put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<title>threadleak report</title>\n<style>");
	put(b, css);
	put(b, "</style></head>\n<body>\n<h1>threadleak report</h1>\n");
}

/* ---- groups ---- */
static void frame_text(struct tl_buf *b, const struct tl_frame *f, const char *cwd)
{
	struct tl_text_style st = tl_text_plain;
	st.cwd = cwd;
	struct tl_buf line = {0};
	tl_text_frame(&line, &st, f);
	esc_line(b, &line);
	free(line.p);
}

/* The source line of f as a block under its frame; false when there is none. */
static bool source_html(struct tl_buf *b, const struct tl_frame *f, bool no_source)
{
	char src[TL_SOURCE_MAX + 1];
	if (no_source || !tl_source_line(f, src, sizeof(src)))
		return false;
	tl_buf_printf(b, "<pre class=\"src\"><span class=\"ln\">%6d |</span> ", f->line);
	esc(b, src);
	put(b, "</pre>");
	return true;
}

static void frames_html(struct tl_buf *b, const struct tl_frame *f, int from, int n,
                        const struct render_opts *o, bool source)
{
	tl_buf_printf(b, "<ol class=\"frames\" start=\"%d\">", from + 1);
	for (int j = from; j < n; j++) {
		tl_buf_printf(b, "<li%s>", text_frame_is_user(&f[j]) ? " class=\"user\"" : "");
		frame_text(b, &f[j], o->cwd);
		if (source)
			source = !source_html(b, &f[j], o->no_source);
		put(b, "</li>");
	}
	put(b, "</ol>");
}

static void thread_html(struct tl_buf *b, const struct tl_text_thread *t, bool first)
{
	struct tl_buf line = {0};
	tl_text_thread_line(&line, &tl_text_plain, t, first);
	esc_line(b, &line);
	free(line.p);
}

static void group_html(struct tl_buf *b, const struct group *g, bool show_pid,
                       const struct render_opts *o)
{
	struct tl_text_group tg;
	text_group_of(g, show_pid, &tg);
	const char *state = tg.t[0].state ? tg.t[0].state : "unknown";
	put(b, "<article class=\"group ");
	esc(b, state);
	put(b, "\"><h3 class=\"thread\">");
	thread_html(b, &tg.t[0], true);
	put(b, "</h3>\n");
	if (tg.n > 1) {
		tl_buf_printf(b,
		              "<details class=\"more\"><summary>and %zu more with the same "
		              "stacks</summary><ul class=\"members\">",
		              tg.n - 1);
		for (size_t j = 1; j < tg.n; j++) {
			put(b, "<li>");
			thread_html(b, &tg.t[j], false);
			put(b, "</li>");
		}
		put(b, "</ul></details>\n");
	}
	if (strcmp(state, "exited") != 0) {
		tl_buf_printf(b,
		              "<details class=\"stack\" open><summary>current stack (%d "
		              "frame%s)</summary>",
		              tg.nstack, tg.nstack == 1 ? "" : "s");
		if (tg.stack_note) {
			put(b, "<p class=\"note\">");
			esc(b, tg.stack_note);
			put(b, "</p>");
		}
		frames_html(b, tg.stack, 0, tg.nstack, o, true);
		if (tg.stack_cut) {
			put(b, "<p class=\"note\">");
			esc(b, tg.stack_cut);
			put(b, "</p>");
		}
		put(b, "</details>\n");
	}
	if (tg.created) {
		int h = tg.headline;
		if (h < 0 || h >= tg.ncreate)
			h = tl_creator_headline(tg.create, tg.ncreate);
		put(b, "<div class=\"created\">created by ");
		if (tg.ncreate > 0)
			frame_text(b, &tg.create[h], o->cwd);
		tl_creator_words(b, tg.creator, tg.creator_tid);
		if (tg.start_routine) {
			put(b, ", start routine ");
			esc(b, tg.start_routine);
		}
		put(b, "</div>");
		if (tg.ncreate > 0)
			source_html(b, &tg.create[h], o->no_source);
		if (h + 1 < tg.ncreate) {
			tl_buf_printf(
			    b,
			    "<details class=\"creation\"><summary>creation stack (%d more "
			    "frame%s)</summary>",
			    tg.ncreate - h - 1, tg.ncreate - h - 1 == 1 ? "" : "s");
			frames_html(b, tg.create, h + 1, tg.ncreate, o, false);
			put(b, "</details>");
		}
		if (tg.create_cut) {
			put(b, "<p class=\"note\">");
			esc(b, tg.create_cut);
			put(b, "</p>");
		}
	}
	put(b, "</article>\n");
	text_group_free(&tg);
}

/* ---- the wait-for graph of one process ---- */
#define GRAPH_MAX_NODES 400

struct gnode {
	bool object;
	const char *key; /* object text, or NULL for a thread */
	uint64_t number; /* thread number (0: untracked, by tid) */
	long tid;
	const char *name;  /* thread name */
	const char *title; /* full text for the tooltip */
	int next;          /* a thread: the thread holding what it waits for, or -1 */
	int via;           /* a thread: the object it waits on, or -1 */
	int comp, deg;
	bool cycle, placed;
	double x, y;
};
struct gedge {
	int a, b;
	bool held, cycle;
	const char *label;
};
struct graph {
	struct gnode *n;
	size_t nn;
	struct gedge *e;
	size_t ne;
	bool full; /* nodes left out */
};

static int node_thread(struct graph *g, uint64_t number, long tid)
{
	for (size_t i = 0; i < g->nn; i++)
		if (!g->n[i].object &&
		    (number ? g->n[i].number == number : g->n[i].number == 0 && g->n[i].tid == tid))
			return (int)i;
	if (g->nn >= GRAPH_MAX_NODES)
		return g->full = true, -1;
	g->n = cli_realloc(g->n, sizeof(*g->n) * (g->nn + 1));
	g->n[g->nn] = (struct gnode){.number = number, .tid = tid, .next = -1, .via = -1};
	return (int)g->nn++;
}

static int node_object(struct graph *g, const char *key)
{
	for (size_t i = 0; i < g->nn; i++)
		if (g->n[i].object && strcmp(g->n[i].key, key) == 0)
			return (int)i;
	if (g->nn >= GRAPH_MAX_NODES)
		return g->full = true, -1;
	g->n = cli_realloc(g->n, sizeof(*g->n) * (g->nn + 1));
	g->n[g->nn] =
	    (struct gnode){.object = true, .key = key, .title = key, .next = -1, .via = -1};
	return (int)g->nn++;
}

static void edge(struct graph *g, int a, int b, bool held, const char *label)
{
	if (a < 0 || b < 0)
		return;
	g->e = cli_realloc(g->e, sizeof(*g->e) * (g->ne + 1));
	g->e[g->ne++] = (struct gedge){a, b, held, false, label};
	g->n[a].deg++;
	g->n[b].deg++;
}

static void graph_build(struct graph *g, json_object *leaks)
{
	size_t n = leaks ? json_object_array_length(leaks) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(leaks, i), *held = jobj(l, "held_by");
		const char *object = jstr(l, "object");
		if (object == NULL && held == NULL)
			continue;
		int t = node_thread(g, (uint64_t)jint(l, "thread", 0), (long)jint(l, "tid", 0));
		if (t < 0)
			continue;
		g->n[t].name = jstr(l, "name");
		int o = object ? node_object(g, object) : -1;
		edge(g, t, o, false, jstr(l, "blocked_in"));
		g->n[t].via = o;
		if (held) {
			int h = node_thread(g, (uint64_t)jint(held, "thread", 0),
			                    (long)jint(held, "tid", 0));
			if (h < 0)
				continue;
			g->n[t].next = h;
			edge(g, o >= 0 ? o : t, h, true, "held by");
		}
	}
	/* cycles: each thread waits for at most one other (next): walk each path once */
	int *mark = calloc(g->nn ? g->nn : 1, sizeof(int));
	for (size_t s = 0; mark && s < g->nn; s++) {
		int v = (int)s;
		while (v >= 0 && mark[v] == 0) {
			mark[v] = (int)s + 1;
			v = g->n[v].next;
		}
		if (v < 0 || mark[v] != (int)s + 1)
			continue;
		int start = v; /* a new cycle: the thread where the walk met itself */
		do {
			g->n[v].cycle = true;
			if (g->n[v].via >= 0)
				g->n[g->n[v].via].cycle = true;
			for (size_t k = 0; k < g->ne; k++) {
				struct gedge *e = &g->e[k];
				int from = g->n[v].via >= 0 ? g->n[v].via : v;
				if ((e->a == v && e->b == g->n[v].via) ||
				    (e->a == from && e->b == g->n[v].next && e->held))
					e->cycle = true;
			}
			v = g->n[v].next;
		} while (v != start);
	}
	free(mark);
}

static int find(int *up, int x)
{
	while (up[x] != x)
		x = up[x] = up[up[x]];
	return x;
}

/* One component around (cx, cy): a cycle on a ring, the other nodes on an outer ring; without
 * a cycle, the node with most edges in the middle and the others around it. Returns the
 * radius used. */
static double place_component(struct graph *g, const int *members, int m, double cx, double cy)
{
	int ring[GRAPH_MAX_NODES], rest[GRAPH_MAX_NODES], nr = 0, no = 0, hub = -1;
	for (int i = 0; i < m; i++) {
		int v = members[i];
		if (!g->n[v].cycle || g->n[v].object)
			continue;
		/* the cycle in order: thread, its object, the next thread, ... */
		for (int u = v; nr < m && !g->n[u].placed && !g->n[u].object;) {
			g->n[u].placed = true;
			ring[nr++] = u;
			int via = g->n[u].via;
			if (via >= 0 && !g->n[via].placed) {
				g->n[via].placed = true;
				ring[nr++] = via;
			}
			u = g->n[u].next;
			if (u < 0)
				break;
		}
		break;
	}
	if (nr == 0) {
		for (int i = 0; i < m; i++)
			if (hub < 0 || g->n[members[i]].deg > g->n[hub].deg)
				hub = members[i];
		g->n[hub].placed = true;
		g->n[hub].x = cx;
		g->n[hub].y = cy;
	}
	for (int i = 0; i < m; i++)
		if (!g->n[members[i]].placed)
			rest[no++] = members[i];
	double r1 = nr ? fmax(110, nr * 90 / (2 * M_PI)) : 0;
	double r2 = no ? fmax(r1 + (nr ? 90 : 95), no * 50 / (2 * M_PI)) : r1;
	for (int i = 0; i < nr; i++) {
		double a = -M_PI / 2 + 2 * M_PI * i / nr;
		g->n[ring[i]].x = cx + r1 * cos(a);
		g->n[ring[i]].y = cy + r1 * sin(a);
	}
	for (int i = 0; i < no; i++) {
		double a = -M_PI / 2 + 2 * M_PI * (i + 0.5) / no;
		g->n[rest[i]].x = cx + r2 * cos(a);
		g->n[rest[i]].y = cy + r2 * sin(a);
	}
	return r2 > 0 ? r2 : 30;
}

/* A short label: the first object without where it is ("mutex lock_a"), at most 26 bytes
 * (whole UTF-8); the node's title has it all. */
static void short_label(struct tl_buf *b, const char *s)
{
	size_t n = strcspn(s, ",");
	const char *where = strstr(s, " (");
	if (where && where != s && (size_t)(where - s) < n)
		n = (size_t)(where - s);
	bool cut = n > 26;
	if (cut) {
		n = 25;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	char *copy = strndup(s, n);
	if (copy)
		esc(b, copy);
	free(copy);
	if (cut)
		put(b, "\xe2\x80\xa6");
}

static void graph_svg(struct tl_buf *b, struct graph *g, int id)
{
	int *up = malloc(sizeof(int) * g->nn), *members = malloc(sizeof(int) * g->nn);
	if (up == NULL || members == NULL) {
		free(up);
		free(members);
		return;
	}
	for (size_t i = 0; i < g->nn; i++)
		up[i] = (int)i;
	for (size_t k = 0; k < g->ne; k++)
		up[find(up, g->e[k].a)] = find(up, g->e[k].b);
	/* components in a flow, cycles first */
	const double width = 1100, pad = 80;
	double x = 0, y = 0, row = 0, maxx = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t r = 0; r < g->nn; r++) {
			if (find(up, (int)r) != (int)r)
				continue;
			int m = 0;
			bool cyc = false;
			for (size_t i = 0; i < g->nn; i++)
				if (find(up, (int)i) == (int)r) {
					members[m++] = (int)i;
					cyc = cyc || g->n[i].cycle;
				}
			if (cyc != (pass == 0))
				continue;
			/* size first at the origin, then move into place */
			double rad = place_component(g, members, m, 0, 0) + pad;
			if (x > 0 && x + 2 * rad > width) {
				x = 0;
				y += row;
				row = 0;
			}
			for (int i = 0; i < m; i++) {
				g->n[members[i]].x += x + rad;
				g->n[members[i]].y += y + rad;
			}
			x += 2 * rad;
			row = fmax(row, 2 * rad);
			maxx = fmax(maxx, x);
		}
	double h = y + row;
	tl_buf_printf(b,
	              "<svg class=\"waitfor\" id=\"waitfor-%d\" viewBox=\"0 0 %.0f %.0f\" "
	              "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"wait-for graph\">"
	              "<defs><marker id=\"arr%d\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
	              "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,"
	              "10z\" fill=\"#999\"/></marker><marker id=\"arc%d\" viewBox=\"0 0 10 10\" "
	              "refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\">"
	              "<path d=\"M0,0L10,5L0,10z\" fill=\"#d32f2f\"/></marker></defs>\n",
	              id, maxx, h, maxx, h, id, id);
	for (size_t k = 0; k < g->ne; k++) {
		struct gedge *e = &g->e[k];
		struct gnode *a = &g->n[e->a], *c = &g->n[e->b];
		double dx = c->x - a->x, dy = c->y - a->y, d = sqrt(dx * dx + dy * dy);
		if (d < 1)
			continue;
		double r = 17; /* stop at the node's edge */
		tl_buf_printf(b,
		              "<line class=\"edge%s%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		              "y2=\"%.1f\" marker-end=\"url(#%s%d)\"><title>",
		              e->held ? " held" : "", e->cycle ? " cycle" : "", a->x + dx * r / d,
		              a->y + dy * r / d, c->x - dx * r / d, c->y - dy * r / d,
		              e->cycle ? "arc" : "arr", id);
		esc(b, e->held ? "held by" : e->label ? e->label : "waits on");
		put(b, "</title></line>\n");
	}
	for (size_t i = 0; i < g->nn; i++) {
		struct gnode *v = &g->n[i];
		tl_buf_printf(b, "<g class=\"node %s%s\"><title>", v->object ? "object" : "thread",
		              v->cycle ? " cycle" : "");
		if (v->object) {
			esc(b, v->title);
			tl_buf_printf(
			    b,
			    "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"24\" "
			    "rx=\"3\" transform=\"rotate(45 %.1f %.1f)\"/>"
			    "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">",
			    v->x - 12, v->y - 12, v->x, v->y, v->x, v->y + 32);
			short_label(b, v->key);
			put(b, "</text></g>\n");
			continue;
		}
		if (v->number)
			tl_buf_printf(b, "thread %llu", (unsigned long long)v->number);
		else
			tl_buf_printf(b, "tid %ld", v->tid);
		if (v->name) {
			put(b, " \"");
			esc(b, v->name);
			put(b, "\"");
		}
		tl_buf_printf(
		    b,
		    "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"16\"/><text class=\"id\" "
		    "x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		    v->x, v->y, v->x, v->y + 4);
		if (v->number)
			tl_buf_printf(b, "T%llu", (unsigned long long)v->number);
		else
			tl_buf_printf(b, "%ld", v->tid);
		put(b, "</text>");
		if (v->name) {
			tl_buf_printf(b,
			              "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" "
			              "text-anchor=\"middle\">",
			              v->x, v->y + 30);
			short_label(b, v->name);
			put(b, "</text>");
		}
		put(b, "</g>\n");
	}
	put(b, "</svg>\n");
	free(up);
	free(members);
}

static void process_graph(struct tl_buf *b, const struct proc *p, bool show_pid, int *ids)
{
	const char *check = jstr(p->doc, "check");
	/* exit and hang checks see the whole process; a deadlock is drawn whatever the check */
	if (!jstr(p->doc, "deadlock") &&
	    !(check && (strcmp(check, "exit") == 0 || strcmp(check, "hang") == 0)))
		return;
	struct graph g = {0};
	graph_build(&g, jarr(p->doc, "leaks"));
	if (g.ne > 0) {
		size_t cyc = 0;
		for (size_t i = 0; i < g.nn; i++)
			cyc += g.n[i].cycle && !g.n[i].object;
		put(b, "<h3>Wait-for graph");
		if (show_pid)
			tl_buf_printf(b, " (pid %d)", p->pid);
		tl_buf_printf(b,
		              "</h3><p class=\"note\">%zu thread%s and objects; arrows: waits "
		              "on, dashed: held by%s",
		              g.nn, g.nn == 1 ? "" : "s",
		              cyc ? "; <b style=\"color:#d32f2f\">red: a cycle (deadlock)</b>"
		                  : "");
		if (g.full)
			tl_buf_printf(b, "; only the first %d nodes are drawn", GRAPH_MAX_NODES);
		put(b, "</p>\n");
		graph_svg(b, &g, (*ids)++);
	}
	free(g.n);
	free(g.e);
}

/* ---- programs ---- */
static void program_html(struct tl_buf *b, const struct program *pg, const struct render_opts *o,
                         int *ids)
{
	size_t shown = pg->leaked - pg->hidden - pg->hung;
	put(b, "<section class=\"program\"><h2>");
	esc(b, path_under(pg->exe, o->cwd));
	put(b, "</h2>\n<p>");
	if (shown > 0 || pg->hung == 0)
		tl_buf_printf(b, "%zu leaked thread%s%s", shown, shown == 1 ? "" : "s",
		              pg->hung ? ", " : "");
	if (pg->hung > 0)
		tl_buf_printf(b, "%zu thread%s of a process that had not exited", pg->hung,
		              pg->hung == 1 ? "" : "s");
	tl_buf_printf(b, " in %zu process%s (pid", pg->nprocs, pg->nprocs == 1 ? "" : "es");
	for (size_t i = 0; i < pg->nprocs; i++)
		tl_buf_printf(b, "%s %d", i ? "," : "", pg->procs[i]->pid);
	put(b, ")");
	if (pg->nprocs == 1 && jint(pg->procs[0]->doc, "exit_status", -1) >= 0)
		tl_buf_printf(b, ", exit status %lld",
		              (long long)jint(pg->procs[0]->doc, "exit_status", -1));
	if (pg->hidden)
		tl_buf_printf(b, "; %zu more match%s the baseline", pg->hidden,
		              pg->hidden == 1 ? "es" : "");
	tl_buf_printf(b, "; %zu group%s of threads with the same stacks</p>\n", pg->ng,
	              pg->ng == 1 ? "" : "s");
	for (size_t i = 0; i < pg->nprocs; i++) {
		/* one paragraph per cycle ("deadlock: ..." lines) */
		const char *cur = jstr(pg->procs[i]->doc, "deadlock");
		char one[4096];
		while (next_line(&cur, one, sizeof(one))) {
			put(b, "<p class=\"deadlock\">");
			if (pg->nprocs > 1)
				tl_buf_printf(b, "pid %d: ", pg->procs[i]->pid);
			esc(b, one);
			put(b, "</p>\n");
		}
	}
	for (size_t i = 0; i < pg->nprocs; i++)
		process_graph(b, pg->procs[i], pg->nprocs > 1, ids);
	for (size_t j = 0; j < pg->ng; j++)
		group_html(b, &pg->g[j], pg->nprocs > 1, o);
	put(b, "</section>\n");
}

static void summary_html(struct tl_buf *b, const struct procset *s, const struct program *pg,
                         size_t np, const char *cwd)
{
	/* a hang report's threads are not leaks: its process had not exited (counted apart) */
	struct procset ended = {0}, hung = {0};
	for (size_t i = 0; i < s->n; i++)
		procset_add(proc_is_hang(&s->v[i]) ? &hung : &ended, s->v[i].doc, s->v[i].source);
	size_t leaked = procset_leaked(&ended), leaky = procset_processes(&ended, proc_leaky),
	       nprocs = procset_processes(&ended, NULL), nhung = procset_leaked(&hung),
	       nhungp = procset_processes(&hung, NULL);
	json_object *rules = json_object_new_object();
	int64_t suppressed = suppressed_counts(&ended, rules); /* each thread once */
	json_object_put(rules);
	if (ended.n > 0) /* else a watch session alone, or hangs alone */
		tl_buf_printf(
		    b,
		    "<p class=\"total\"><b>%zu leaked thread%s</b> in %zu of %zu process%s; "
		    "%lld suppressed</p>\n",
		    leaked, leaked == 1 ? "" : "s", leaky, nprocs, nprocs == 1 ? "" : "es",
		    (long long)suppressed);
	if (hung.n > 0)
		tl_buf_printf(b,
		              "<p class=\"total\"><b>%zu process%s had not exited</b> (hang "
		              "report%s: %zu thread%s, not leaks)</p>\n",
		              nhungp, nhungp == 1 ? "" : "es", nhungp == 1 ? "" : "s", nhung,
		              nhung == 1 ? "" : "s");
	procset_free(&ended);
	procset_free(&hung);
	if (np > 0) {
		put(b, "<table class=\"summary\"><tr><th>program</th><th>processes</th><th>leaked "
		       "threads</th><th>hung threads</th><th>groups</th><th>deadlock</th></tr>\n");
		for (size_t i = 0; i < np; i++) {
			bool dl = false;
			for (size_t j = 0; j < pg[i].nprocs; j++)
				dl = dl || jstr(pg[i].procs[j]->doc, "deadlock");
			put(b, "<tr><td class=\"mono\">");
			esc(b, path_under(pg[i].exe, cwd));
			tl_buf_printf(
			    b,
			    "</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%s</"
			    "td></tr>\n",
			    pg[i].nprocs, pg[i].leaked - pg[i].hidden - pg[i].hung, pg[i].hung,
			    pg[i].ng, dl ? "yes" : "");
		}
		put(b, "</table>\n");
	}
	put(b, "<p><button id=\"expand\" type=\"button\">Unfold all</button><button "
	       "id=\"collapse\" type=\"button\">Fold all</button></p>\n");
}

/* Suppressed threads (each with its rule) and the rules used, over every process. */
static void suppressed_html(struct tl_buf *b, const struct procset *s, const char *cwd)
{
	json_object *rules = json_object_new_object(), *seen = json_object_new_object();
	int64_t n = suppressed_counts(s, rules);
	if (n == 0) {
		json_object_put(rules);
		json_object_put(seen);
		return;
	}
	tl_buf_printf(b, "<section class=\"suppressed\"><h2>Suppressed threads (%lld)</h2>\n",
	              (long long)n);
	put(b, "<details><summary>threads</summary><table class=\"rules\"><tr><th>program</th>"
	       "<th>thread</th><th>rule</th></tr>\n");
	for (size_t i = 0; i < s->n; i++) {
		json_object *st = jarr(s->v[i].doc, "suppressed_threads");
		for (size_t j = 0; st && j < json_object_array_length(st); j++) {
			json_object *t = json_object_array_get_idx(st, j);
			if (!suppressed_first(seen, &s->v[i], t))
				continue; /* listed by an earlier check of its process */
			struct member m = {&s->v[i], t};
			struct group g = {.m = &m, .n = 1};
			struct tl_text_group tg;
			text_group_of(&g, s->n > 1, &tg);
			put(b, "<tr><td class=\"mono\">");
			esc(b, path_under(s->v[i].exe, cwd));
			put(b, "</td><td class=\"mono\">");
			thread_html(b, &tg.t[0], true);
			put(b, "</td><td class=\"mono\">");
			esc(b, jstr(t, "suppressed_by"));
			put(b, "</td></tr>\n");
			text_group_free(&tg);
		}
	}
	put(b, "</table></details>\n<h3>Rules used</h3><table class=\"rules\"><tr><th>rule</th>"
	       "<th>default set</th><th>threads</th></tr>\n");
	json_object_object_foreach(rules, rule, u)
	{
		put(b, "<tr><td class=\"mono\">");
		esc(b, rule);
		put(b, "</td><td>");
		esc(b, jstr(u, "set"));
		tl_buf_printf(b, "</td><td>%lld</td></tr>\n", (long long)jint(u, "count", 0));
	}
	put(b, "</table></section>\n");
	json_object_put(rules);
	json_object_put(seen);
}

/* ---- a watch session: threads per creation site over time ---- */
static const char *const palette[] = {"#1565c0", "#d32f2f", "#2e7d32", "#ef6c00", "#6a1b9a",
                                      "#00838f", "#ad1457", "#5d4037", "#9e9d24", "#455a64"};

static double jnum(json_object *o, const char *key)
{
	json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return json_object_get_double(v);
	return 0;
}

static void watch_html(struct tl_buf *b, json_object *samples)
{
	size_t ns = json_object_array_length(samples);
	json_object *index = json_object_new_object(); /* site key -> series */
	json_object *series = json_object_new_array(); /* [key, [[t, count]...], grew] */
	double tmin = 0, tmax = 0, ymax = 1;
	for (size_t i = 0; i < ns; i++) {
		json_object *s = json_object_array_get_idx(samples, i), *groups = jarr(s, "groups");
		double t = jnum(s, "t");
		tmin = i == 0 || t < tmin ? t : tmin;
		tmax = i == 0 || t > tmax ? t : tmax;
		for (size_t j = 0; groups && j < json_object_array_length(groups); j++) {
			json_object *gr = json_object_array_get_idx(groups, j), *se;
			struct tl_buf key = {0};
			tl_buf_printf(&key, "%s", jstr(gr, "site") ? jstr(gr, "site") : "?");
			if (jstr(gr, "file"))
				tl_buf_printf(&key, " at %s:%lld", jstr(gr, "file"),
				              (long long)jint(gr, "line", 0));
			if (jstr(gr, "state"))
				tl_buf_printf(&key, " (%s%s%s)", jstr(gr, "state"),
				              jstr(gr, "call") ? " in " : "",
				              jstr(gr, "call") ? jstr(gr, "call") : "");
			if (key.p == NULL)
				continue;
			if (!json_object_object_get_ex(index, key.p, &se)) {
				se = json_object_new_array();
				json_object_array_add(se, json_object_new_string(key.p));
				json_object_array_add(se, json_object_new_array());
				json_object_array_add(se, json_object_new_boolean(0));
				json_object_object_add(index, key.p, json_object_get(se));
				json_object_array_add(series, se);
			}
			free(key.p);
			double c = jnum(gr, "count");
			json_object *pt = json_object_new_array();
			json_object_array_add(pt, json_object_new_double(t));
			json_object_array_add(pt, json_object_new_double(c));
			json_object_array_add(json_object_array_get_idx(se, 1), pt);
			if (jbool(gr, "grew"))
				json_object_array_put_idx(se, 2, json_object_new_boolean(1));
			ymax = c > ymax ? c : ymax;
		}
	}
	if (tmax <= tmin)
		tmax = tmin + 1;
	ymax = ceil(ymax / 4) * 4; /* whole numbers on the axis */
	const double W = 900, H = 320, L = 56, R = 16, T = 16, B = 40;
	tl_buf_printf(b,
	              "<section class=\"watch\"><h2>Threads per creation site over time</h2>\n"
	              "<p class=\"note\">%zu samples from %.1f s to %.1f s</p>\n"
	              "<svg class=\"chart\" id=\"watch-chart\" viewBox=\"0 0 %.0f %.0f\" "
	              "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"threads per "
	              "creation site over time\">\n",
	              ns, tmin, tmax, W, H, W, H);
#define X(t) (L + ((t)-tmin) / (tmax - tmin) * (W - L - R))
#define Y(c) (H - B - (c) / ymax * (H - T - B))
	for (int k = 0; k <= 4; k++) {
		double c = ymax * k / 4, t = tmin + (tmax - tmin) * k / 4;
		tl_buf_printf(
		    b,
		    "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f s</text>\n",
		    L, W - R, Y(c), Y(c), L - 6, Y(c) + 4, c, X(t), H - B + 16, t);
	}
	tl_buf_printf(b,
	              "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
	              "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
	              "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time</text>\n",
	              L, W - R, H - B, H - B, L, L, T, H - B, (L + W - R) / 2, H - 6);
	size_t nser = json_object_array_length(series);
	for (size_t i = 0; i < nser; i++) {
		json_object *se = json_object_array_get_idx(series, i);
		json_object *pts = json_object_array_get_idx(se, 1);
		tl_buf_printf(b, "<polyline class=\"series\" stroke=\"%s\" points=\"",
		              palette[i % 10]);
		for (size_t k = 0; k < json_object_array_length(pts); k++) {
			json_object *pt = json_object_array_get_idx(pts, k);
			tl_buf_printf(b, "%s%.1f,%.1f", k ? " " : "",
			              X(json_object_get_double(json_object_array_get_idx(pt, 0))),
			              Y(json_object_get_double(json_object_array_get_idx(pt, 1))));
		}
		put(b, "\"><title>");
		esc(b, json_object_get_string(json_object_array_get_idx(se, 0)));
		put(b, "</title></polyline>\n");
	}
#undef X
#undef Y
	put(b, "</svg>\n<ul class=\"legend\">\n");
	for (size_t i = 0; i < nser; i++) {
		json_object *se = json_object_array_get_idx(series, i);
		json_object *pts = json_object_array_get_idx(se, 1);
		size_t np = json_object_array_length(pts);
		double last = np ? json_object_get_double(json_object_array_get_idx(
		                       json_object_array_get_idx(pts, np - 1), 1))
		                 : 0;
		tl_buf_printf(b, "<li><span style=\"background:%s\"></span><code>",
		              palette[i % 10]);
		esc(b, json_object_get_string(json_object_array_get_idx(se, 0)));
		tl_buf_printf(
		    b, "</code>: %.0f thread%s at the end%s</li>\n", last, last == 1 ? "" : "s",
		    json_object_get_boolean(json_object_array_get_idx(se, 2)) ? ", <b>grew</b>"
		                                                              : "");
	}
	put(b, "</ul></section>\n");
	json_object_put(index);
	json_object_put(series);
}

int write_html(const char *path, const struct procset *s, const struct watchset *w,
               const struct render_opts *o)
{
	struct tl_buf b = {0};
	page_head(&b);
	size_t np;
	struct program *pg = programs(s, o->show_baselined, &np);
	summary_html(&b, s, pg, np, o->cwd);
	int ids = 0;
	for (size_t i = 0; i < np; i++)
		if (pg[i].ng > 0)
			program_html(&b, &pg[i], o, &ids);
	programs_free(pg, np);
	suppressed_html(&b, s, o->cwd);
	if (w && w->samples && json_object_array_length(w->samples) > 0)
		watch_html(&b, w->samples);
	put(&b, "<script>");
	put(&b, script);
	put(&b, "</script>\n</body></html>\n");
	if (b.oom) {
		free(b.p);
		cli_err("--html %s: out of memory", path);
		return -1;
	}
	FILE *f = fopen(path, "w");
	bool ok = f && fwrite(b.p, 1, b.len, f) == b.len;
	if (f && fclose(f) != 0)
		ok = false;
	free(b.p);
	if (!ok) {
		cli_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* One page for run and report: the hang reports among the processes (each with its graph of
 * waits); run --timeout wrote a page without them. */
int write_html_page(const char *path, const struct procset *set, const struct procset *hangs,
                    const struct watchset *w, const struct render_opts *o)
{
	struct procset page = {0};
	for (size_t i = 0; i < set->n; i++)
		procset_add(&page, set->v[i].doc, set->v[i].source);
	for (size_t i = 0; hangs && i < hangs->n; i++)
		procset_add(&page, hangs->v[i].doc, hangs->v[i].source);
	int r = write_html(path, &page, w, o);
	procset_free(&page);
	return r;
}
