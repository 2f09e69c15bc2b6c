// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which functions run and attach trace: -f patterns, or the default. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "plan_python.h"
#include "trace_plan.h"
#include "util.h"

/* C runtime start-up and tear-down code: not the program's own functions. */
static const char *const runtime_functions[] = {
	"_start", "_init", "_fini", "frame_dummy", "register_tm_clones",
	"deregister_tm_clones", "__do_global_dtors_aux", "__libc_csu_init",
	"__libc_csu_fini", "_dl_relocate_static_pie",
};

/* Adds what `text` matches; -1 on a bad pattern or unreadable object. */
static int add_matches(struct us_plan *plan, const char *text,
		       const struct us_object_list *objects, const struct us_filters *filters,
		       bool is_default, char *err, size_t errlen)
{
	struct us_filters excludes = { 0 };
	struct us_pattern pat;
	int added;

	if (!us_pattern_parse(text, &pat)) {
		snprintf(err, errlen, "bad function pattern '%s': use [OBJECT:]GLOB", text);
		return -1;
	}
	us_filters_merge(&excludes, filters);
	for (size_t i = 0; is_default && i < US_ARRAY_SIZE(runtime_functions); i++)
		us_filters_add_exclude(&excludes, runtime_functions[i]);
	added = us_plan_add_pattern(plan, &pat, objects, excludes.excludes, excludes.n_excludes,
				    err, errlen);
	us_filters_free(&excludes);
	us_pattern_free(&pat);
	return added;
}

size_t us_extend_plan(struct us_plan *plan, const struct us_options *o,
		      const struct us_object_list *objects)
{
	size_t before = plan->count;
	struct us_python py;
	char err[1024];
	int python = us_python_detect(objects, &py, err, sizeof(err));

	if (python > 0)
		us_python_free(&py);
	/* as for the target: a Python program's own code is its Python calls */
	if (o->n_patterns == 0 && !python && objects->count &&
	    us_has_function_symbols(objects->items[objects->main_index].open_path))
		add_matches(plan, "*", objects, &o->filters, true, err, sizeof(err));
	for (size_t i = 0; i < o->n_patterns; i++)
		add_matches(plan, o->patterns[i], objects, &o->filters, false, err, sizeof(err));
	return plan->count - before;
}

static int plan_one(struct us_plan *plan, const char *text, const struct us_object_list *objects,
		    const struct us_filters *filters, bool is_default)
{
	struct us_filters excludes = { 0 };
	struct us_pattern pat;
	char err[1024];
	int added;

	if (!us_pattern_parse(text, &pat)) {
		us_error("bad function pattern '%s': use [OBJECT:]GLOB", text);
		return -1;
	}
	us_filters_merge(&excludes, filters);
	for (size_t i = 0; is_default && i < US_ARRAY_SIZE(runtime_functions); i++)
		us_filters_add_exclude(&excludes, runtime_functions[i]);
	added = us_plan_add_pattern(plan, &pat, objects, excludes.excludes, excludes.n_excludes,
				    err, sizeof(err));
	if (added < 0)
		us_error("%s", err);
	if (added == 0) {
		us_plan_suggest(&pat, objects, err, sizeof(err));
		us_error("pattern '%s' matches no function; %s", text, err);
		added = -1;
	}
	us_filters_free(&excludes);
	us_pattern_free(&pat);
	return added < 0 ? -1 : 0;
}

/* A pattern naming a library by path may name one the target has not
 * mapped yet (it will dlopen it): the uprobe attaches to the file anyway. */
static void add_object_named_by_path(const char *pattern, struct us_object_list *objects)
{
	struct us_pattern pat;
	char *real;

	if (!us_pattern_parse(pattern, &pat))
		return;
	if (pat.object && strchr(pat.object, '/') && us_is_elf(pat.object)) {
		real = realpath(pat.object, NULL);
		if (real)
			us_objects_add(objects, real, NULL);
		free(real);
	}
	us_pattern_free(&pat);
}

/* Whether a shared library that `name` names is installed where the
 * dynamic loader looks by default. */
static bool installed_library(const char *name)
{
	static const char *const dirs[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib",
		"/usr/local/lib",
	};
	bool installed = false;
	char err[256];

	for (size_t i = 0; !installed && i < US_ARRAY_SIZE(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && !installed && (e = readdir(d))) {
			struct us_object_list one = { 0 };

			if (!strstr(e->d_name, ".so"))
				continue;
			us_objects_add(&one, e->d_name, NULL);	/* matched by its file name */
			installed = us_objects_find(&one, name, err, sizeof(err)) != NULL;
			us_objects_free(&one);
		}
		if (d)
			closedir(d);
	}
	return installed;
}

/* "liblzma:lzma_code" for a shell that runs xz: the object is not the
 * shell's, but an installed library a program the shell runs may load
 * (--follow). A name no installed library has stays an error. */
static bool names_an_absent_object(const char *text, const struct us_object_list *objects)
{
	struct us_pattern pat;
	char err[256];
	bool absent;

	if (!us_pattern_parse(text, &pat))
		return false;
	absent = pat.object && !strchr(pat.object, '/') &&
		 !us_objects_find(objects, pat.object, err, sizeof(err)) &&
		 installed_library(pat.object);
	us_pattern_free(&pat);
	return absent;
}

int us_build_plan(struct us_plan *plan, const struct us_options *o,
		  struct us_object_list *objects, bool python, bool following)
{
	if (o->n_patterns == 0 && python)
		return 0;	/* Python calls, and no native function unless asked */
	if (o->n_patterns == 0) {
		const char *exe = objects->items[objects->main_index].path;

		if (!us_is_elf(objects->items[objects->main_index].open_path)) {
			us_error("%s is not an ELF executable (a script?): name what to trace with "
				 "-f OBJECT:GLOB", exe);
			return -1;
		}
		if (!us_has_function_symbols(objects->items[objects->main_index].open_path)) {
			us_warn("%s is stripped (no function symbols, no debug file found): it runs "
				"untraced; install its debug symbols (Debian: its -dbgsym package) "
				"or name functions of its libraries with -f (like -f 'libc:read*')",
				exe);
			return 0;
		}
		return plan_one(plan, "*", objects, &o->filters, true);
	}
	for (size_t i = 0; i < o->n_patterns; i++)
		add_object_named_by_path(o->patterns[i], objects);
	for (size_t i = 0; i < o->n_patterns; i++) {
		if (following && names_an_absent_object(o->patterns[i], objects)) {
			us_info("'%s': no such object in %s yet; traced in the programs it runs that "
				"load it", o->patterns[i], objects->items[objects->main_index].path);
			continue;
		}
		if (plan_one(plan, o->patterns[i], objects, &o->filters, false))
			return -1;
	}
	return 0;
}

/* Says what will be traced, what is slow, and what cannot be traced at all. */
