/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options shared by the commands. */
#ifndef USCOPE_OPTIONS_H
#define USCOPE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "filters.h"
#include "plan_memory.h"
#include "report_formats.h"
#include "toml.h"

struct us_options {
	char **patterns;	/* -f, in order */
	size_t n_patterns;
	const char *output;	/* -o: keep the recording here */
	const char *report_path;	/* --report: the report goes here, not stderr */
	const char *settings_file;	/* uscope.toml or pyproject.toml: defaults read from it */
	struct us_toml_table settings;	/* its values, which options may point into */
	enum us_format format;
	struct us_filters filters;
	uint64_t duration_ns;	/* --duration */
	size_t ring_bytes;	/* --buffer-size */
	pid_t pid;		/* -p */
	const char *binary;	/* probes --binary */
	bool python_args;	/* --args: summarise the first arguments of Python calls */
	bool no_deinline;	/* --no-deinline: leave a 3.11+ interpreter untouched */
	bool aggregate;		/* --aggregate: counters per function in BPF, no records */
	bool lines;		/* --lines: each line Python code starts */
	enum us_locals_mode locals;	/* --locals */
	bool globals;		/* --globals: with the locals, the module's globals */
	const char *coverdir;	/* --coverdir: the coverage report's directory */
	uint64_t await_threshold_ns;	/* --await-threshold */
	const char *kwargs;	/* call --kwargs */
	const char *python;	/* call --python: the interpreter (default python3) */
	uint64_t call_timeout_ns;	/* call --timeout: 0 none */
	bool call_profile;	/* call --profile: time by operation, bottlenecks */
	struct us_memory_options memory;	/* --memory, --memory-sample */
	enum us_sort sort;	/* --sort */
	bool all;		/* --all */
	unsigned frequency_hz;	/* profile -F */
	bool all_processes;	/* profile -a */
	bool off_cpu;		/* profile --off-cpu */
	bool wall;		/* profile --wall */
	bool kernel;		/* profile --kernel */
	const char *push_url;	/* profile --push */
	uint64_t push_interval_ns;	/* --push-interval */
	enum { US_CHILDREN_DEFAULT, US_CHILDREN_FOLLOW, US_CHILDREN_IGNORE } subprocesses;
	enum us_color_when { US_COLOR_AUTO, US_COLOR_ALWAYS, US_COLOR_NEVER } color;
	bool no_pager;		/* --no-pager */
	bool filters_are_fatal;	/* report: a filter naming nothing is an error */
	bool help;		/* -h: print the command's help, do nothing else */
	int width;		/* terminal columns to cut names to; 0: the output's own */
	char **rest;		/* run: the command; report: FILE; probes: patterns */
	char **call_rest;	/* call: rest without uscope's own options (owned) */
	int n_rest;
};

#define US_DEFAULT_RING_BYTES (32u << 20)

/* Parses argv for `command` ("run", "attach", "report", "probes", "call").
 * Returns 0 (o->help: print the command's help), or 2 after printing a
 * usage error. */
int us_options_parse(const char *command, int argc, char **argv, struct us_options *o);
void us_options_free(struct us_options *o);

#endif
