// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "condition.h"
#include "help.h"
#include "toml.h"
#include "log.h"
#include "options.h"
#include "util.h"

/* Where the option being parsed came from, when not the command line:
 * "uscope.toml:3" (errors name it). */
static const char *option_origin;

static int usage_error(const char *fmt, const char *arg)
{
	fputs("uscope: error: ", stderr);
	if (option_origin)
		fprintf(stderr, "%s: ", option_origin);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'uscope COMMAND --help'.\n", stderr);
	return 2;
}

/* --condition: parsed here so that a mistake is told at once, with its column. */
static int set_condition(struct us_options *o, const char *text)
{
	char err[512];
	struct us_condition *c = us_condition_parse(text, err, sizeof(err));

	if (!c)
		return usage_error("%s", err);
	us_condition_free(c);
	free(o->filters.condition);
	o->filters.condition = us_strdup(text);
	return 0;
}

static void add_pattern(struct us_options *o, const char *p)
{
	size_t cap = o->n_patterns;

	us_grow(&o->patterns, &cap, o->n_patterns + 1, sizeof(*o->patterns));
	o->patterns[o->n_patterns++] = us_strdup(p);
}

static bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* --scope takes a directory; Python file names are absolute paths. */
static int set_scope(struct us_options *o, const char *dir)
{
	char *real = realpath(dir, NULL);

	if (!real)
		return usage_error("--scope takes an existing directory, not '%s'", dir);
	free(o->filters.scope);
	o->filters.scope = real;
	return 0;
}

static int parse_one(int opt, const char *arg, struct us_options *o)
{
	uint64_t v;

	switch (opt) {
	case 'f':
		add_pattern(o, arg);
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'p':
		if (!us_parse_uint(arg, 0x7fffffff, &v) || v == 0)
			return usage_error("-p takes a process id, not '%s'", arg);
		o->pid = (pid_t)v;
		return 0;
	case 'F':
		if (!us_parse_uint(arg, 100000, &v) || v == 0)
			return usage_error("-F takes samples a second per CPU (1-100000), not '%s'", arg);
		o->frequency_hz = (unsigned)v;
		return 0;
	case 'a':
		o->all_processes = true;
		return 0;
	case OPT_OFF_CPU:
		o->off_cpu = true;
		return 0;
	case OPT_WALL:
		o->wall = true;
		return 0;
	case OPT_KERNEL:
		o->kernel = true;
		return 0;
	case OPT_PUSH:
		o->push_url = arg;
		return 0;
	case OPT_PUSH_INTERVAL:
		if (!us_parse_duration_ns(arg, &v) || v < 100000000ULL)
			return usage_error("--push-interval takes a duration of at least 100ms, not '%s'",
					   arg);
		o->push_interval_ns = v;
		return 0;
	case OPT_SUBPROCESSES:
	case OPT_FOLLOW:
		o->subprocesses = US_CHILDREN_FOLLOW;
		return 0;
	case OPT_NO_SUBPROCESSES:
	case OPT_NO_FOLLOW:
		o->subprocesses = US_CHILDREN_IGNORE;
		return 0;
	case OPT_FORMAT:
		if (!us_format_parse(arg, &o->format)) {
			char *text = us_asprintf("unknown format '%%s' (%s)", us_format_names());
			int err = usage_error(text, arg);

			free(text);
			return err;
		}
		return 0;
	case OPT_REPORT:
		o->report_path = arg;
		return 0;
	case OPT_MIN_DURATION:
		if (!us_parse_duration_ns(arg, &o->filters.min_duration_ns) ||
		    arg[strspn(arg, "0123456789.")] == '\0')
			return usage_error("--min-duration takes a duration with its unit (ns, us, ms "
					   "or s: 500us, 2ms, 1s), not '%s'", arg);
		return 0;
	case OPT_MAX_DEPTH:
		if (!us_parse_uint(arg, UINT32_MAX, &v) || v == 0)
			return usage_error("--max-depth takes a positive number, not '%s'", arg);
		o->filters.max_depth = (uint32_t)v;
		return 0;
	case OPT_EXCLUDE:
		us_filters_add_exclude(&o->filters, arg);
		return 0;
	case OPT_DURATION:
		if (!us_parse_duration_ns(arg, &o->duration_ns) || o->duration_ns == 0)
			return usage_error("--duration takes seconds (like 2 or 2.5) or 500ms, not '%s'", arg);
		return 0;
	case OPT_BUFFER_SIZE:
		/* a bare number is MiB; with a unit (64K, 4M, 1G) it may be smaller */
		if (us_parse_uint(arg, 4096, &v))
			v <<= 20;
		else if (!us_parse_bytes(arg, &v))
			v = 0;
		if (!is_power_of_two(v) || v < 16 * 1024 || v > (4096ULL << 20))
			return usage_error("--buffer-size takes MiB as a power of two up to 4096, or a size "
					   "from 16K with its unit (64K, 4M), not '%s'", arg);
		o->ring_bytes = (size_t)v;
		return 0;
	case OPT_BINARY:
		o->binary = arg;
		return 0;
	case OPT_ARGS:
		o->python_args = true;
		return 0;
	case OPT_NO_DEINLINE:
		o->no_deinline = true;
		return 0;
	case OPT_AGGREGATE:
		o->aggregate = true;
		return 0;
	case OPT_LINES:
		o->lines = true;
		return 0;
	case OPT_LOCALS:
		if (!arg || !strcmp(arg, "all"))
			o->locals = US_LOCALS_ALL;
		else if (!strcmp(arg, "changed"))
			o->locals = US_LOCALS_CHANGED;
		else
			return usage_error("--locals takes nothing, =all or =changed, not '%s'", arg);
		return 0;
	case OPT_GLOBALS:
		o->globals = true;
		return 0;
	case OPT_COVERDIR:
		o->coverdir = arg;
		return 0;
	case OPT_AWAIT_THRESHOLD: {
		char *end;
		double ms = strtod(arg, &end);

		if (end == arg || *end || !(ms >= 0) || ms > 1e9)
			return usage_error("--await-threshold takes milliseconds (like 10 or 2.5), "
					   "not '%s'", arg);
		o->await_threshold_ns = (uint64_t)(ms * 1e6);
		return 0;
	}
	case OPT_INCLUDE:
		us_filters_add_include(&o->filters, arg);
		return 0;
	case OPT_SCOPE:
		return set_scope(o, arg);
	case OPT_FOCUS:
		free(o->filters.focus);
		o->filters.focus = us_strdup(arg);
		return 0;
	case OPT_EXCEPTION_ONLY:
		o->filters.exception_only = true;
		return 0;
	case OPT_CONDITION:
		return set_condition(o, arg);
	case OPT_NO_IMPORTS:
		o->filters.no_imports = true;
		return 0;
	case OPT_KWARGS:
		o->kwargs = arg;
		return 0;
	case OPT_PYTHON:
		o->python = arg;
		return 0;
	case OPT_CALL_PROFILE:
		o->call_profile = true;
		return 0;
	case OPT_TIMEOUT:
		if (!us_parse_duration_ns(arg, &o->call_timeout_ns) || o->call_timeout_ns == 0)
			return usage_error("--timeout takes seconds (like 2 or 2.5) or 500ms, not '%s'",
					   arg);
		return 0;
	case OPT_MEMORY:
		if (!arg || !strcmp(arg, "libc"))
			o->memory.mode = US_MEMORY_LIBC;
		else if (!strcmp(arg, "objects"))
			o->memory.mode = US_MEMORY_OBJECTS;
		else
			return usage_error("--memory takes nothing or =objects, not '%s'", arg);
		return 0;
	case OPT_MEMORY_SAMPLE:
		if (!us_parse_uint(arg, 1u << 30, &v) || v == 0)
			return usage_error("--memory-sample takes a positive K (one in K), not '%s'", arg);
		o->memory.sample_one_in = (uint32_t)v;
		return 0;
	case OPT_MEMORY_SAMPLE_MIN:
		if (!us_parse_bytes(arg, &o->memory.sample_min_bytes))
			return usage_error("--memory-sample-min takes a size like 4096, 64K or 1M, not '%s'",
					   arg);
		return 0;
	case OPT_SORT:
		if (!us_sort_parse(arg, &o->sort))
			return usage_error("--sort takes total, self, calls, name or first, not '%s'", arg);
		return 0;
	case OPT_ALL:
		o->all = true;
		return 0;
	case OPT_COLOR:
		if (!strcmp(arg, "auto"))
			o->color = US_COLOR_AUTO;
		else if (!strcmp(arg, "always"))
			o->color = US_COLOR_ALWAYS;
		else if (!strcmp(arg, "never"))
			o->color = US_COLOR_NEVER;
		else
			return usage_error("--color takes auto, always or never, not '%s'", arg);
		return 0;
	case OPT_NO_PAGER:
		o->no_pager = true;
		return 0;
	case 'v':
		us_log_set_verbosity(us_log_verbosity() + 1);
		return 0;
	case 'q':
		us_log_set_verbosity(-1);
		return 0;
	case 'h':
		o->help = true;
		return 0;
	default:
		return 2;
	}
}

static const struct option *long_option_named(const char *name, size_t len)
{
	for (const struct option *lo = us_long_options(); lo->name; lo++)
		if (strlen(lo->name) == len && strncmp(lo->name, name, len) == 0)
			return lo;
	return NULL;
}

/* `uscope call MODULE.FUNC ARG... --kwargs 'k=1'`: uscope's long options may
 * follow the function too; anything else (say -1) is the function's, as is
 * everything after "--". */
static int parse_call_arguments(struct us_options *o)
{
	char **kept = us_calloc((size_t)o->n_rest + 1, sizeof(*kept));
	int n = 0, err = 0;
	bool options_end = false;

	for (int i = 0; i < o->n_rest && !err; i++) {
		const char *a = o->rest[i], *eq;
		const struct option *lo;

		if (i == 0 || options_end || strncmp(a, "--", 2) != 0) {
			kept[n++] = o->rest[i];
			continue;
		}
		if (!a[2]) {
			options_end = true;
			continue;
		}
		eq = strchr(a, '=');
		lo = long_option_named(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (!lo) {
			kept[n++] = o->rest[i];
			continue;
		}
		if (lo->has_arg == required_argument && !eq && i + 1 >= o->n_rest)
			err = usage_error("--%s needs a value", lo->name);
		else if (lo->has_arg == required_argument)
			err = parse_one(lo->val, eq ? eq + 1 : o->rest[++i], o);
		else
			err = parse_one(lo->val, eq ? eq + 1 : NULL, o);
	}
	o->call_rest = kept;
	o->rest = kept;
	o->n_rest = n;
	return err;
}

/* An option of another command is an error that names its commands. */
static int belongs_to(const char *command, int key)
{
	const struct us_option_spec *spec = us_option_spec_of(key);
	char owners[64];

	if (!spec || (spec->commands & us_command_bit(command)))
		return 0;
	fprintf(stderr, "uscope: error: --%s is for %s, not %s\nTry 'uscope %s --help'.\n",
		spec->name, us_option_commands(spec, owners, sizeof(owners)), command, command);
	return 2;
}

static int check_for_command(const char *command, struct us_options *o)
{
	bool tracing = !strcmp(command, "run") || !strcmp(command, "attach");
	bool profile = !strcmp(command, "profile") || !strcmp(command, "top");
	int targets = (o->pid != 0) + o->all_processes + (o->n_rest > 0);

	if (!strcmp(command, "call") && o->n_rest == 0)
		return usage_error("%s needs a function: uscope call MODULE.FUNC [ARG...]", "call");
	if (!strcmp(command, "call") && (o->output || o->pid || o->n_patterns))
		return usage_error("%s takes MODULE.FUNC and its arguments, not -f, -o or -p", "call");
	if (!strcmp(command, "run") && o->n_rest == 0)
		return usage_error("%s needs a command: uscope run [OPTIONS] -- COMMAND [ARG...]", "run");
	if ((!strcmp(command, "attach") || !strcmp(command, "dump")) && !o->pid)
		return usage_error("%s needs -p PID", command);
	if (!strcmp(command, "dump") && o->n_rest)
		return usage_error("unexpected argument '%s' (dump takes -p PID)", o->rest[0]);
	if (!strcmp(command, "attach") && o->n_rest)
		return usage_error("unexpected argument '%s' (attach takes -p PID)", o->rest[0]);
	if (!strcmp(command, "report") && o->n_rest != 1)
		return usage_error("%s needs exactly one recording FILE", "report");
	if (!strcmp(command, "diff") && o->n_rest != 2)
		return usage_error("%s needs two recordings: uscope diff A B", "diff");
	if (!strcmp(command, "diff") && o->format != US_FORMAT_TREE && o->format != US_FORMAT_JSON &&
	    o->format != US_FORMAT_HTML)
		return usage_error("%s writes text (the default), --format json or --format html",
				   "diff");
	if (!strcmp(command, "probes") && o->pid && o->binary)
		return usage_error("%s takes -p PID or --binary PATH, not both", "probes");
	if (profile && targets != 1)
		return usage_error("%s samples one of: -p PID, -a (every process), or -- COMMAND "
				   "[ARG...]", command);
	if (profile && o->off_cpu && o->wall)
		return usage_error("%s: --wall already holds the off-CPU time; give one of them",
				   "profile");
	if (profile && o->memory.mode)
		return usage_error("%s samples stacks: --memory is for run, attach and call", "profile");
	if (!tracing && !profile && (o->output || o->duration_ns || o->n_patterns))
		return usage_error("-f, -o and --duration are for run and attach, not %s", command);
	if (o->aggregate && (o->format == US_FORMAT_TIMELINE || o->format == US_FORMAT_TIMELINE_JSON ||
			     o->format == US_FORMAT_CHROME || o->format == US_FORMAT_HTML ||
			     o->python_args))
		return usage_error("--aggregate keeps counters, not calls: no %s",
				   o->python_args ? "--args" : "timeline, chrome or html report");
	if (o->globals && !o->locals)
		return usage_error("--globals adds a module's globals to the locals: add %s",
				   "--locals");
	if (o->aggregate && (o->lines || o->locals))
		return usage_error("--aggregate keeps counters per function: no %s",
				   o->lines ? "--lines" : "--locals");
	/* without --lines, steps are the calls and returns --locals reads */
	if (tracing && !o->lines && us_format_needs_lines(o->format) &&
	    !(o->format == US_FORMAT_STEPS && o->locals))
		return usage_error("--format %s is a report of lines: add --lines",
				   us_format_name(o->format));
	if (!tracing && o->memory.mode && strcmp(command, "probes") != 0 &&
	    strcmp(command, "call") != 0)
		return usage_error("--memory is for run, attach, call and probes, not %s", command);
	if ((o->memory.sample_one_in > 1 || o->memory.sample_min_bytes) && !o->memory.mode)
		o->memory.mode = US_MEMORY_LIBC;	/* sampling implies --memory */
	if (!strcmp(command, "run") && o->pid)
		return usage_error("%s takes a command, not -p (use attach)", "run");
	return 0;
}

/* ---- settings files ------------------------------------------------------ */

/* One setting: a long option's default, as if given before the command line. */
static int apply_value(const struct option *lo, const struct us_toml_value *v,
		       struct us_options *o)
{
	bool is_bool = v->kind == US_TOML_BOOL, yes = is_bool && strcmp(v->text, "true") == 0;

	if (lo->has_arg == no_argument && !is_bool)
		return usage_error("%s is a switch: true or false", lo->name);
	if (lo->has_arg == required_argument && is_bool)
		return usage_error("%s takes a value, not true or false", lo->name);
	if (is_bool)
		return yes ? parse_one(lo->val, NULL, o) : 0;	/* false: the default */
	return parse_one(lo->val, v->text, o);
}

/* "unknown setting 'formt' (did you mean format?)". */
static int unknown_setting(const char *key)
{
	const char *best = NULL;
	size_t best_distance = 3;
	char *text;
	int err;

	for (const struct option *lo = us_long_options(); lo->name; lo++) {
		size_t d = us_edit_distance(key, lo->name);

		if (d < best_distance) {
			best_distance = d;
			best = lo->name;
		}
	}
	text = best ? us_asprintf("unknown setting '%%s' (did you mean %s?)", best)
		    : us_strdup("unknown setting '%s' (no uscope option has that name)");
	err = usage_error(text, key);
	free(text);
	return err;
}

static int apply_setting(const char *command, const char *file,
			 const struct us_toml_setting *s, struct us_options *o)
{
	const struct option *lo = long_option_named(s->key, strlen(s->key));
	const struct us_option_spec *spec = lo ? us_option_spec_of(lo->val) : NULL;
	char origin[300];
	int err = 0;

	snprintf(origin, sizeof(origin), "%s:%d", file, s->line);
	option_origin = origin;
	if (!lo || !spec || !strcmp(s->key, "help"))
		err = unknown_setting(s->key);
	else if (spec->commands & us_command_bit(command))	/* another command's: not here */
		for (size_t i = 0; !err && i < s->n_values; i++)
			err = apply_value(lo, &s->values[i], o);
	option_origin = NULL;
	return err;
}

/* uscope.toml in the working directory, else pyproject.toml's
 * [tool.uscope]: defaults for any long option; the command line wins. */
static int apply_settings_file(const char *command, struct us_options *o)
{
	static const struct { const char *file, *table; } places[] = {
		{ "uscope.toml", "" }, { "pyproject.toml", "tool.uscope" },
	};
	struct us_toml_table t;
	char err[256];
	int rc = 0;

	for (size_t p = 0; p < US_ARRAY_SIZE(places); p++) {
		size_t len;
		char *text = us_read_file(places[p].file, &len);

		if (!text && errno == ENOENT)
			continue;
		if (!text) {
			fprintf(stderr, "uscope: error: cannot read %s: %s\n", places[p].file,
				strerror(errno));
			return 2;
		}
		if (us_toml_read_table(text, places[p].table, &t, err, sizeof(err))) {
			fprintf(stderr, "uscope: error: %s: %s\n", places[p].file, err);
			free(text);
			us_toml_table_free(&t);
			return 2;
		}
		free(text);
		if (!t.found) {
			us_toml_table_free(&t);
			continue;
		}
		o->settings_file = places[p].file;
		for (size_t i = 0; !rc && i < t.n; i++)
			rc = apply_setting(command, places[p].file, &t.settings[i], o);
		o->settings = t;	/* options point into its values (report = "trace.txt") */
		return rc;
	}
	return 0;
}

int us_options_parse(const char *command, int argc, char **argv, struct us_options *o)
{
	/* run: stop at the first non-option, so the command's own options stay its
	 * own; the others take options before or after their arguments */
	bool stops_at_command = !strcmp(command, "run") || !strcmp(command, "call") ||
				!strcmp(command, "profile") || !strcmp(command, "top");
	const char *short_options = stops_at_command ? "+f:o:p:F:avqh" : "f:o:p:F:avqh";
	int opt, err;

	memset(o, 0, sizeof(*o));
	o->format = US_FORMAT_TREE;
	o->ring_bytes = US_DEFAULT_RING_BYTES;
	o->memory.sample_one_in = 1;
	err = apply_settings_file(command, o);
	if (err)
		return err;
	optind = 1;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, short_options, us_long_options(), NULL)) != -1) {
		if (opt == '?')
			return usage_error("%s", "bad option (see above)");
		err = belongs_to(command, opt) ? 2 : parse_one(opt, optarg, o);
		if (err)
			return err;
	}
	if (o->help)
		return 0;
	if (o->settings_file && us_log_verbosity() > 0)
		fprintf(stderr, "uscope: settings from %s\n", o->settings_file);
	o->rest = argv + optind;
	o->n_rest = argc - optind;
	if (strcmp(command, "call") == 0 && o->n_rest > 1) {
		err = parse_call_arguments(o);
		if (err)
			return err;
	}
	err = check_for_command(command, o);
	if (!o->memory.sample_min_bytes)
		o->memory.sample_min_bytes = US_DEFAULT_SAMPLE_MIN_BYTES;
	return err;
}

void us_options_free(struct us_options *o)
{
	us_toml_table_free(&o->settings);
	free(o->call_rest);
	for (size_t i = 0; i < o->n_patterns; i++)
		free(o->patterns[i]);
	free(o->patterns);
	us_filters_free(&o->filters);
}
