// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --lines: the reports of each line a Python frame started (model_lines.h).
 * `lines`: the lines with the most time, line_profiler's view; `coverage`:
 * one annotated copy of each source file, as `python -m trace --count
 * --missing` writes it; `steps`: every line in the order it ran, as
 * `python -m trace --trace --timing` prints it (report_steps.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "json_writer.h"
#include "model_program.h"
#include "report_formats.h"
#include "report_lines.h"
#include "util.h"

extern char **environ;

/* ---- source files ---------------------------------------------------------- */

void us_source_file_free(struct us_source_file *f)
{
	for (size_t i = 0; i < f->n_lines; i++)
		free(f->lines[i]);
	free(f->lines);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

/* The file as the target named it (co_filename), from uscope's directory. */
void us_source_path(const struct us_recording *rec, const char *file, char *buf, size_t len)
{
	if (file[0] == '/' || !rec->cwd)
		snprintf(buf, len, "%s", file);
	else
		snprintf(buf, len, "%s/%s", rec->cwd, file);
}

bool us_source_file_read(struct us_source_file *f, const char *path)
{
	FILE *in = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lines_cap = 0;
	ssize_t n;

	memset(f, 0, sizeof(*f));
	f->path = us_strdup(path);
	if (!in)
		return false;
	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		us_grow(&f->lines, &lines_cap, f->n_lines + 1, sizeof(*f->lines));
		f->lines[f->n_lines++] = us_strdup(line);
	}
	free(line);
	fclose(in);
	f->readable = true;
	return true;
}

const char *us_source_line(const struct us_source_file *f, int32_t line)
{
	return line > 0 && (size_t)line <= f->n_lines ? f->lines[line - 1] : NULL;
}

/* The text of a line without its indentation, "" when unknown. */
static const char *trimmed(const char *text)
{
	if (!text)
		return "";
	while (*text == ' ' || *text == '\t')
		text++;
	return text;
}

/* ---- lines: the lines with the most time ------------------------------------ */

struct line_row {
	uint32_t fn_id;		/* the first function seen on it */
	int32_t line;
	size_t first;		/* index of its first entry in m->lines: the order it first ran */
	uint64_t count, ns;
};

static enum us_sort lines_sort;

static int compare_rows(const void *a, const void *b)
{
	const struct line_row *x = a, *y = b;

	if (lines_sort == US_SORT_CALLS && x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (lines_sort == US_SORT_FIRST)
		return x->first < y->first ? -1 : x->first > y->first;
	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* The lines a report shows, one row per file and line (a comprehension
 * shares its line with the function around it: settrace counts both, and
 * the outer one's time holds the inner one's), sorted (--sort): the
 * program's own unless --all. */
static struct line_row *line_rows(const struct us_model *m, const struct us_report_options *ro,
				  size_t *n_rows)
{
	struct line_row *rows = us_calloc(m->n_lines ? m->n_lines : 1, sizeof(*rows));
	struct us_map index = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < m->n_lines; i++) {
		const struct us_line_stats *s = &m->lines[i];
		const char *file = m->functions[s->fn_id].file;
		uint64_t count = ro->all ? s->count : s->program_count;
		uint64_t ns = ro->all ? s->time_ns : s->program_ns;
		uint64_t key = us_hash_u64(us_hash_str(file) + (uint64_t)s->line);
		uint32_t at;

		if (!count)
			continue;
		for (;; key = us_hash_u64(key)) {	/* another file and line may share the key */
			at = us_map_get(&index, key);
			if (at == US_MAP_NONE || (rows[at].line == s->line &&
						   strcmp(m->functions[rows[at].fn_id].file, file) == 0))
				break;
		}
		if (at == US_MAP_NONE) {
			at = (uint32_t)n++;
			rows[at] = (struct line_row){ .fn_id = s->fn_id, .line = s->line, .first = i };
			us_map_put(&index, key, at);
		}
		rows[at].count += count;
		if (ns > rows[at].ns)
			rows[at].ns = ns;
	}
	us_map_free(&index);
	lines_sort = ro->sort;
	qsort(rows, n, sizeof(*rows), compare_rows);
	*n_rows = n;
	return rows;
}

static void say_no_lines(FILE *out, const struct us_model *m)
{
	if (!m->line_events)
		fprintf(out, "uscope: no lines in this recording: trace with --lines\n");
	else
		fprintf(out, "uscope: no line of the program's own code ran (%llu lines in start-up "
			"and shutdown: --all shows them)\n", (unsigned long long)m->line_events);
}

#define LINES_SHOWN 50

void us_report_lines(FILE *out, const struct us_recording *rec, const struct us_model *m,
		     const struct us_report_options *ro)
{
	uint64_t span = us_program_span_ns(rec, m);
	size_t n;
	struct line_row *rows = line_rows(m, ro, &n);
	struct us_source_file src = { 0 };
	const char *src_file = NULL;
	char time[32], path[PATH_MAX];
	int width = 4;

	us_report_summary(out, rec, m, ro);
	if (!n) {
		say_no_lines(out, m);
		free(rows);
		return;
	}
	fprintf(out, "uscope: %llu line starts (settrace's 'line' events), %zu distinct lines%s; "
		"time of a line: until its frame's next line, calls made on it included\n",
		(unsigned long long)m->line_events, n, n > LINES_SHOWN ? ", the first 50 shown" : "");
	if (m->lines_unknown)
		fprintf(out, "uscope: %llu line starts whose line could not be told\n",
			(unsigned long long)m->lines_unknown);
	for (size_t i = 0; i < n && i < LINES_SHOWN; i++) {
		const struct us_function *fn = &m->functions[rows[i].fn_id];
		int w = snprintf(NULL, 0, "%s:%d", us_module_relative_path(fn->file, rec->cwd),
				 rows[i].line);

		width = w > width ? w : width;
	}
	fprintf(out, "\n%10s %12s %6s  %-*s  %s\n", "COUNT", "TIME", "%", width, "LINE", "SOURCE");
	for (size_t i = 0; i < n && i < LINES_SHOWN; i++) {
		const struct us_function *fn = &m->functions[rows[i].fn_id];
		char where[PATH_MAX + 16];

		if (!src.path || strcmp(src_file, fn->file) != 0) {
			us_source_file_free(&src);
			us_source_path(rec, fn->file, path, sizeof(path));
			us_source_file_read(&src, path);
			src_file = fn->file;
		}
		us_format_duration(time, sizeof(time), rows[i].ns);
		snprintf(where, sizeof(where), "%s:%d", us_module_relative_path(fn->file, rec->cwd),
			 rows[i].line);
		fprintf(out, "%10llu %12s %5.1f%%  %-*s  %s\n", (unsigned long long)rows[i].count,
			time, span ? 100.0 * (double)rows[i].ns / (double)span : 0.0, width, where,
			trimmed(us_source_line(&src, rows[i].line)));
	}
	us_source_file_free(&src);
	free(rows);
}

void us_json_lines(struct us_json *j, const struct us_model *m, const struct us_report_options *ro)
{
	us_json_key(j, "lines");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_lines; i++) {
		const struct us_line_stats *s = &m->lines[i];
		const struct us_function *fn = &m->functions[s->fn_id];
		uint64_t count = ro->all ? s->count : s->program_count;

		if (!count)
			continue;
		us_json_object_begin(j);
		us_json_kv_string(j, "file", fn->file);
		us_json_kv_int(j, "line", s->line);
		us_json_kv_string(j, "function", fn->name);
		us_json_kv_uint(j, "count", count);
		us_json_kv_double(j, "time_ms", us_ns_to_ms(ro->all ? s->time_ns : s->program_ns));
		if (s->untimed)
			us_json_kv_uint(j, "untimed", s->untimed);
		us_json_object_end(j);
	}
	us_json_array_end(j);
	us_json_key(j, "line_events");
	us_json_uint(j, m->line_events);
}

static bool is_package_init(const char *file)
{
	size_t n = strlen(file);

	return n >= 12 && strcmp(file + n - 12, "/__init__.py") == 0;
}

/* The module name trace.py gives a file: relative to the script's own
 * directory (the first entry of sys.path) when it is under it, else as
 * uscope names modules ("json.tool"). */
static void cover_module_name(const struct us_recording *rec, const struct us_model *m,
			      const char *file, const char *path, char *buf, size_t len)
{
	const char *main_path = m->program.main_kind == US_MAIN_SCRIPT ? m->program.main_path : NULL;
	const char *slash = main_path ? strrchr(main_path, '/') : NULL;
	size_t dir_len = slash ? (size_t)(slash - main_path) : 0;

	if (dir_len && strncmp(path, main_path, dir_len) == 0 && path[dir_len] == '/') {
		snprintf(buf, len, "%s", path + dir_len + 1);
		if (strlen(buf) > 3 && strcmp(buf + strlen(buf) - 3, ".py") == 0)
			buf[strlen(buf) - 3] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '/')
				*p = '.';
		return;
	}
	us_module_name(file, rec->cwd, buf, len);
	if (is_package_init(file))	/* "pkg.__init__", as trace names it */
		snprintf(buf + strlen(buf), len - strlen(buf), ".__init__");
}

/* ---- coverage: annotated source files ------------------------------------------ */

/* Which lines of `path` hold code, as `python -m trace --missing` decides it:
 * the interpreter that ran the program compiles the file. A new array of
 * flags by line number, or NULL when that cannot be run. */
static bool *executable_lines(const char *python, const char *path, size_t n_lines)
{
	static const char script[] =
		"import sys, trace\n"
		"print(*sorted(n for n in trace._find_executable_linenos(sys.argv[1]) if n))\n";
	char *argv[] = { (char *)python, "-I", "-c", (char *)script, (char *)path, NULL };
	posix_spawn_file_actions_t actions;
	int fds[2], status = 0;
	bool *flags = NULL;
	FILE *in;
	pid_t pid;
	long line;

	if (pipe2(fds, O_CLOEXEC))
		return NULL;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
	posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, python, &actions, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&actions);
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	in = fdopen(fds[0], "r");
	flags = us_calloc(n_lines + 2, sizeof(*flags));
	while (in && fscanf(in, "%ld", &line) == 1)
		if (line > 0 && (size_t)line <= n_lines)
			flags[line] = true;
	if (in)
		fclose(in);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(flags);
		return NULL;
	}
	return flags;
}

/* The interpreter that ran the program: the command's first word when it
 * is a python, else python3. */
static const char *program_python(const struct us_recording *rec)
{
	char **argv = rec->exec_argv && rec->exec_argv[0] ? rec->exec_argv : rec->argv;
	const char *base;

	if (!argv || !argv[0])
		return "python3";
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	return strncmp(base, "python", 6) == 0 ? argv[0] : "python3";
}

/* Counts of one file's lines, by line number. */
static uint64_t *file_counts(const struct us_model *m, const struct us_report_options *ro,
			     const char *file, size_t n_lines)
{
	uint64_t *counts = us_calloc(n_lines + 2, sizeof(*counts));

	for (size_t i = 0; i < m->n_lines; i++) {
		const struct us_line_stats *s = &m->lines[i];
		const struct us_function *fn = &m->functions[s->fn_id];

		if (strcmp(fn->file, file) == 0 && s->line > 0 && (size_t)s->line <= n_lines)
			counts[s->line] += ro->all ? s->count : s->program_count;
	}
	return counts;
}

/* One .cover file: "%5d: " before a line run, ">>>>>> " before a line of
 * code never run, seven spaces before the rest (trace.py's format). */
static bool write_cover_file(const char *cover_path, const struct us_source_file *src,
			     const uint64_t *counts, const bool *code, size_t *hit,
			     size_t *missed)
{
	FILE *f = fopen(cover_path, "we");

	if (!f)
		return false;
	for (size_t i = 1; i <= src->n_lines; i++) {
		const char *text = src->lines[i - 1];

		if (counts[i]) {
			fprintf(f, "%5llu: ", (unsigned long long)counts[i]);
			(*hit)++;
		} else if (code && code[i] && !strstr(text, "#pragma NO COVER")) {
			fputs(">>>>>> ", f);
			(*missed)++;
		} else {
			fputs("       ", f);
		}
		fprintf(f, "%s\n", text);
	}
	return fclose(f) == 0;
}

void us_report_coverage(FILE *out, const struct us_recording *rec, const struct us_model *m,
			const struct us_report_options *ro)
{
	const char *dir = ro->coverdir ? ro->coverdir : ".", *python = program_python(rec);
	char **done = us_calloc(m->n_lines + 1, sizeof(*done));
	size_t n_done = 0, written = 0;

	us_report_summary(out, rec, m, ro);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(out, "uscope: cannot make --coverdir %s: %s\n", dir, strerror(errno));
		free(done);
		return;
	}
	fprintf(out, "%6s %6s %6s  %-40s %s\n", "lines", "run", "cov%", "module", "cover file");
	for (size_t i = 0; i < m->n_lines; i++) {
		const struct us_function *fn = &m->functions[m->lines[i].fn_id];
		char path[PATH_MAX], module[256], cover[PATH_MAX];
		struct us_source_file src;
		size_t hit = 0, missed = 0, k;
		uint64_t *counts;
		bool *code;

		if (!(ro->all ? m->lines[i].count : m->lines[i].program_count) || fn->file[0] == '<')
			continue;
		for (k = 0; k < n_done && strcmp(done[k], fn->file) != 0; k++)
			;
		if (k < n_done)
			continue;
		done[n_done++] = fn->file;
		us_source_path(rec, fn->file, path, sizeof(path));
		if (!us_source_file_read(&src, path)) {
			fprintf(out, "uscope: cannot read %s: %s (no cover file)\n", path,
				strerror(errno));
			us_source_file_free(&src);
			continue;
		}
		counts = file_counts(m, ro, fn->file, src.n_lines);
		code = executable_lines(python, path, src.n_lines);
		cover_module_name(rec, m, fn->file, path, module, sizeof(module));
		snprintf(cover, sizeof(cover), "%s/%s.cover", dir, module);
		if (!write_cover_file(cover, &src, counts, code, &hit, &missed)) {
			fprintf(out, "uscope: cannot write %s: %s\n", cover, strerror(errno));
		} else {
			written++;
			fprintf(out, "%6zu %6zu %5.0f%%  %-40s %s%s\n", hit + missed, hit,
				hit + missed ? 100.0 * (double)hit / (double)(hit + missed) : 0.0,
				module, cover, code ? "" : " (lines never run not marked: "
				"the interpreter could not be run)");
		}
		free(code);
		free(counts);
		us_source_file_free(&src);
	}
	if (!written)
		say_no_lines(out, m);
	free(done);
}
