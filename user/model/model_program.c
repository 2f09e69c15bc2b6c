// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "demangle.h"
#include "model_program.h"
#include "util.h"

/* ---- __main__ from the interpreter's command line ---------------------- */

/* CPython options that take a value: -c CMD, -m MOD, -W ARG, -X OPT. */
static bool takes_value(char option)
{
	return option == 'c' || option == 'm' || option == 'W' || option == 'X';
}

static char *absolute(const char *path, const char *cwd)
{
	if (path[0] == '/' || !cwd)
		return us_strdup(path);
	return us_asprintf("%s/%s", cwd, path);
}

/* python [OPTION...] (SCRIPT | -m MODULE | -c CODE | -) [ARG...] */
static void find_main(char *const *argv, size_t argc, struct us_program_info *info)
{
	for (size_t i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1]) {
			if (strcmp(a, "-") != 0) {
				info->main_kind = US_MAIN_SCRIPT;
				info->main_path = absolute(a, info->cwd);
			}
			return;
		}
		if (a[1] == '-') {	/* --long options: one takes a value */
			if (!a[2])
				return;	/* "--": the script follows, handled as a plain word */
			if (strcmp(a, "--check-hash-based-pycs") == 0)
				i++;
			continue;
		}
		for (const char *o = a + 1; *o; o++) {
			if (!takes_value(*o))
				continue;
			const char *value = o[1] ? o + 1 : (i + 1 < argc ? argv[++i] : NULL);

			if (*o == 'c') {
				info->main_kind = US_MAIN_CODE;
				return;
			}
			if (*o == 'm' && value) {
				info->main_kind = US_MAIN_MODULE;
				info->main_module = us_strdup(value);
				return;
			}
			break;	/* -W / -X: the value is the rest of this word or the next */
		}
	}
}

void us_program_info_from_recording(const struct us_recording *rec, struct us_program_info *info)
{
	memset(info, 0, sizeof(*info));
	info->cwd = rec->cwd ? us_strdup(rec->cwd) : NULL;
	info->main_tid = (uint32_t)rec->pid;
	info->from_start = rec->mode && strcmp(rec->mode, "run") == 0;
	if (rec->python && rec->exec_argc)
		find_main(rec->exec_argv, rec->exec_argc, info);
	if (rec->python && strncmp(rec->python, "3.", 2) == 0)	/* "3.11 /usr/bin/python3.11" */
		info->python_minor = atoi(rec->python + 2);
}

/* ---- names ---------------------------------------------------------------- */

static const char *after_last(const char *s, const char *marker)
{
	const char *found = NULL;

	for (const char *p = strstr(s, marker); p; p = strstr(p + 1, marker))
		found = p + strlen(marker);
	return found;
}

/* After ".../lib/python3.X/" (or ".../lib/python3/"): the standard library. */
static const char *after_library_dir(const char *file)
{
	const char *p = after_last(file, "/lib/python3");

	if (!p)
		return NULL;
	while (*p == '.' || (*p >= '0' && *p <= '9'))
		p++;
	return *p == '/' ? p + 1 : NULL;
}

const char *us_module_relative_path(const char *file, const char *cwd)
{
	const char *p = after_last(file, "/site-packages/");
	size_t n;

	if (!p)
		p = after_last(file, "/dist-packages/");
	if (!p)
		p = after_library_dir(file);
	if (p && *p)
		return p;
	n = cwd ? strlen(cwd) : 0;
	if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file;
}

void us_module_name(const char *file, const char *cwd, char *buf, size_t len)
{
	const char *rel = us_module_relative_path(file, cwd);
	size_t n, out = 0;

	if (strncmp(file, "<frozen ", 8) == 0) {
		snprintf(buf, len, "%.*s", (int)(strcspn(file + 8, ">")), file + 8);
		return;
	}
	if (rel[0] == '/')
		rel = strrchr(rel, '/') + 1;	/* outside any known root: the file's own name */
	n = strlen(rel);
	if (n > 3 && strcmp(rel + n - 3, ".py") == 0)
		n -= 3;
	if (n > 9 && strncmp(rel + n - 9, "/__init__", 9) == 0)
		n -= 9;
	for (size_t i = 0; i < n && out + 1 < len; i++)
		buf[out++] = rel[i] == '/' ? '.' : rel[i];
	buf[out] = '\0';
}

static char *python_label(const struct us_function *fn, const char *file_shown, const char *cwd)
{
	char module[256];

	if (strcmp(fn->name, "<module>") == 0 && fn->file[0] == '<' &&
	    strncmp(fn->file, "<frozen ", 8) != 0)
		return us_asprintf("<module> (%s)", fn->file);	/* -c CODE: <string> */
	if (strcmp(fn->name, "<module>") == 0) {
		us_module_name(fn->file, cwd, module, sizeof(module));
		return us_asprintf("<module %s>", module);
	}
	return us_asprintf("%s (%s:%u)", fn->name, file_shown, fn->line);
}

/* The script run as __main__ is named as its own module would be: its
 * directory is the first on sys.path, so `examples/shapes.py` is "shapes". */
static bool is_main_script(const struct us_model *m, const struct us_function *fn)
{
	return m->program.main_kind == US_MAIN_SCRIPT && m->program.main_path &&
	       strcmp(fn->name, "<module>") == 0 && strcmp(fn->file, m->program.main_path) == 0;
}

/* Its module: a Python file's as `import` names it; native: the object's
 * file name (--condition's module). */
static char *module_of(const struct us_model *m, const struct us_function *fn)
{
	char module[256];

	if (fn->kind != US_FN_PYTHON)
		return us_strdup(fn->object ? us_base_name(fn->object) : "");
	us_module_name(fn->file, is_main_script(m, fn) ? NULL : m->program.cwd, module,
		       sizeof(module));
	return us_strdup(module);
}

void us_model_label_function(const struct us_model *m, struct us_function *fn)
{
	free(fn->label);
	free(fn->module);
	fn->module = module_of(m, fn);
	if (fn->kind != US_FN_PYTHON) {
		fn->label = us_demangle(fn->name);	/* C++: level1(int), not _Z6level1i */
		if (!fn->label)
			fn->label = us_strdup(fn->name);
		return;
	}
	if (is_main_script(m, fn))
		fn->label = python_label(fn, fn->file, NULL);
	else
		fn->label = python_label(fn, us_module_relative_path(fn->file, m->program.cwd),
					 m->program.cwd);
}

void us_model_shorten_labels(struct us_model *m)
{
	struct us_map files = { 0 };	/* base name hash -> first file with it, or many */
	const uint32_t many = UINT32_MAX - 1;

	for (uint32_t i = 0; i < m->n_functions; i++) {
		const struct us_function *fn = &m->functions[i];
		uint64_t key = us_hash_str(us_base_name(fn->file));
		uint32_t seen;

		if (fn->kind != US_FN_PYTHON)
			continue;
		seen = us_map_get(&files, key);
		if (seen == US_MAP_NONE)
			us_map_put(&files, key, i);
		else if (seen != many && strcmp(m->functions[seen].file, fn->file) != 0)
			us_map_put(&files, key, many);
	}
	for (uint32_t i = 0; i < m->n_functions; i++) {
		struct us_function *fn = &m->functions[i];

		if (fn->kind != US_FN_PYTHON || strcmp(fn->name, "<module>") == 0 ||
		    us_map_get(&files, us_hash_str(us_base_name(fn->file))) == many)
			continue;
		free(fn->label);
		fn->label = python_label(fn, us_base_name(fn->file), m->program.cwd);
	}
	us_map_free(&files);
}

/* ---- filters ---------------------------------------------------------------- */

/* `path` is `file`, or ends with "/file" (a relative path names it too). */
static bool path_names(const char *path, const char *file)
{
	size_t n = strlen(path), k = strlen(file);

	if (strcmp(path, file) == 0)
		return true;
	return k < n && path[n - k - 1] == '/' && strcmp(path + n - k, file) == 0;
}

/* FILE:LINE names the code that starts there. */
static bool names_file_line(const struct us_function *fn, const char *glob, const char *cwd)
{
	const char *colon = strrchr(glob, ':');
	char *file;
	bool named;

	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strtoul(colon + 1, NULL, 10) != fn->line)
		return false;
	file = strndup(glob, (size_t)(colon - glob));
	named = file && (path_names(fn->file, file) ||
			 strcmp(us_module_relative_path(fn->file, cwd), file) == 0);
	free(file);
	return named;
}

bool us_function_matches(const struct us_model *m, const struct us_function *fn, const char *glob)
{
	const char *cwd = m->program.cwd, *rel;
	char module[256], qualified[512];

	if (us_glob_match(glob, fn->name))
		return true;
	if (fn->kind != US_FN_PYTHON)
		return false;
	if (names_file_line(fn, glob, cwd))
		return true;
	rel = us_module_relative_path(fn->file, cwd);
	if (us_glob_match(glob, fn->file) || us_glob_match(glob, rel) ||
	    us_glob_match(glob, us_base_name(fn->file)) || path_names(fn->file, glob))
		return true;
	us_module_name(fn->file, cwd, module, sizeof(module));
	snprintf(qualified, sizeof(qualified), "%s.%s", module, fn->name);
	return us_glob_match(glob, module) || us_glob_match(glob, qualified);
}

static bool ran(const struct us_model *m, uint32_t fn_id)
{
	return m->funcs[fn_id].seen != 0;
}

bool us_model_glob_matched(const struct us_model *m, const char *glob)
{
	for (uint32_t i = 0; i < m->n_functions; i++)
		if (ran(m, i) && us_function_matches(m, &m->functions[i], glob))
			return true;
	return false;
}

struct near_label {
	const char *label;
	size_t distance;
};

static int by_distance(const void *a, const void *b)
{
	const struct near_label *x = a, *y = b;

	if (x->distance != y->distance)
		return (x->distance > y->distance) - (x->distance < y->distance);
	return strcmp(x->label, y->label);
}

void us_model_closest_functions(const struct us_model *m, const char *glob, char *buf,
				size_t len)
{
	struct near_label *near = us_calloc(m->n_functions + 1, sizeof(*near));
	size_t n = 0, used = 0;

	for (uint32_t i = 0; i < m->n_functions; i++) {
		const struct us_function *fn = &m->functions[i];

		if (!ran(m, i))
			continue;
		near[n].label = fn->label;
		near[n++].distance = us_edit_distance(glob, fn->name) < us_edit_distance(glob, fn->label)
			? us_edit_distance(glob, fn->name) : us_edit_distance(glob, fn->label);
	}
	us_sort(near, n, sizeof(*near), by_distance);
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 5 && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", near[i].label);
	free(near);
}

/* ---- phases ----------------------------------------------------------------- */

static bool has_python_frame(const struct us_thread *t)
{
	for (size_t i = 0; i < t->depth; i++)
		if (t->stack[i].python)
			return true;
	return false;
}

static bool is_main_module_code(const struct us_model *m, const struct us_function *fn)
{
	const struct us_program_info *p = &m->program;
	char module[256];
	size_t n;

	if (fn->kind != US_FN_PYTHON || strcmp(fn->name, "<module>") != 0)
		return false;
	switch (p->main_kind) {
	case US_MAIN_SCRIPT:
		if (fn->file[0] == '/')
			return strcmp(fn->file, p->main_path) == 0;
		/* 3.8 names the script as the command line did */
		n = strlen(fn->file);
		return strlen(p->main_path) > n && strcmp(p->main_path + strlen(p->main_path) - n,
							  fn->file) == 0;
	case US_MAIN_CODE:
		return strcmp(fn->file, "<string>") == 0;
	case US_MAIN_MODULE:
		/* -m PACKAGE imports the package, then runs PACKAGE.__main__ */
		n = strlen(fn->file);
		if (n >= 12 && strcmp(fn->file + n - 12, "/__init__.py") == 0)
			return false;
		us_module_name(fn->file, p->cwd, module, sizeof(module));
		n = strlen(p->main_module);
		return strcmp(module, p->main_module) == 0 ||
		       (strncmp(module, p->main_module, n) == 0 && strcmp(module + n, ".__main__") == 0);
	default:
		return false;
	}
}

bool us_model_is_main_code(const struct us_model *m, const struct us_thread *t, uint32_t fn_id)
{
	if (t->phase != US_PHASE_STARTUP || m->main_code_fn != US_ROOT_FN)
		return false;
	if (!is_main_module_code(m, &m->functions[fn_id]))
		return false;
	/* a script or -c runs from C; -m from runpy's frames */
	return m->program.main_kind == US_MAIN_MODULE || !has_python_frame(t);
}


bool us_model_is_import_machinery(const struct us_function *fn)
{
	return fn->kind == US_FN_PYTHON &&
	       (strncmp(fn->file, "<frozen importlib", 17) == 0 ||
		strstr(fn->file, "/importlib/_bootstrap") != NULL ||
		strncmp(fn->file, "<frozen zipimport", 17) == 0);
}

static bool matches_any(const struct us_model *m, char *const *globs, size_t n,
			const struct us_function *fn)
{
	for (size_t i = 0; i < n; i++)
		if (us_function_matches(m, fn, globs[i]))
			return true;
	return false;
}

/* What the filters say about a function, decided once when it appears. */
static void apply_filters(const struct us_model *m, struct us_function *fn)
{
	const struct us_filters *f = &m->filters;

	fn->hidden = matches_any(m, f->excludes, f->n_excludes, fn) ||
		     (f->n_includes && !matches_any(m, f->includes, f->n_includes, fn)) ||
		     (f->no_imports && us_model_is_import_machinery(fn));
	fn->out_of_scope = f->scope && fn->kind == US_FN_PYTHON && !us_path_under(fn->file, f->scope);
	fn->is_focus = f->focus && us_function_matches(m, fn, f->focus);
}

void us_model_describe_function(const struct us_model *m, struct us_function *fn)
{
	us_model_label_function(m, fn);
	apply_filters(m, fn);
}

const struct us_thread *us_model_program_thread(const struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++)
		if (m->threads[i].roots[US_PHASE_STARTUP] != US_NO_NODE &&
		    m->threads[i].roots[US_PHASE_PROGRAM] != US_NO_NODE)
			return &m->threads[i];
	return NULL;
}
