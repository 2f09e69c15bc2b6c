/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli: every option once, with the commands it belongs to and its help
 * text; every command with its usage line, what it does and examples.
 * `uscope CMD --help` prints that command's part; the parser takes its
 * getopt table from here and refuses an option of another command.
 */
#ifndef USCOPE_HELP_H
#define USCOPE_HELP_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

enum us_command_bit {
	US_CMD_RUN = 1u << 0,
	US_CMD_ATTACH = 1u << 1,
	US_CMD_REPORT = 1u << 2,
	US_CMD_PROBES = 1u << 3,
	US_CMD_CALL = 1u << 4,
	US_CMD_DUMP = 1u << 5,
	US_CMD_PROFILE = 1u << 6,
	US_CMD_TOP = 1u << 7,
	US_CMD_DIFF = 1u << 8,
};

/* getopt values of the options without a short letter */
enum us_option_key {
	OPT_FORMAT = 1000, OPT_REPORT, OPT_MIN_DURATION, OPT_MAX_DEPTH, OPT_EXCLUDE,
	OPT_DURATION, OPT_BUFFER_SIZE, OPT_BINARY, OPT_ARGS, OPT_NO_DEINLINE, OPT_AGGREGATE, OPT_FOLLOW,
	OPT_NO_FOLLOW, OPT_INCLUDE,
	OPT_SCOPE, OPT_FOCUS, OPT_EXCEPTION_ONLY, OPT_CONDITION, OPT_NO_IMPORTS, OPT_KWARGS, OPT_PYTHON,
	OPT_MEMORY, OPT_MEMORY_SAMPLE, OPT_MEMORY_SAMPLE_MIN, OPT_SORT, OPT_ALL, OPT_COLOR,
	OPT_NO_PAGER, OPT_VERSION, OPT_SUBPROCESSES, OPT_NO_SUBPROCESSES,
	OPT_OFF_CPU, OPT_WALL, OPT_PUSH, OPT_PUSH_INTERVAL, OPT_KERNEL, OPT_TIMEOUT, OPT_CALL_PROFILE,
	OPT_LINES, OPT_COVERDIR, OPT_AWAIT_THRESHOLD, OPT_LOCALS, OPT_GLOBALS,
};

struct us_option_spec {
	const char *name;	/* the long name */
	int key;		/* the short letter, or an OPT_* */
	int has_arg;		/* no_argument, required_argument, optional_argument */
	const char *arg;	/* its value as help shows it ("[OBJECT:]GLOB"), or NULL */
	unsigned commands;	/* US_CMD_* it belongs to */
	bool python;		/* help lists it under "Python" */
	const char *help;	/* lines separated by \n */
};

/* The command's bit, 0 for an unknown command. */
unsigned us_command_bit(const char *command);
/* The spec of getopt's `key`, NULL if none. */
const struct us_option_spec *us_option_spec_of(int key);
/* getopt_long's table (every option, NULL-terminated). */
const struct option *us_long_options(void);
/* "run, attach": the commands an option belongs to, for messages. */
const char *us_option_commands(const struct us_option_spec *spec, char *buf, size_t len);

/* `uscope --help`: the commands. */
void us_print_usage(FILE *out);
/* `uscope COMMAND --help`: its usage, what it does, examples and options. */
void us_print_command_help(FILE *out, const char *command);

#endif
