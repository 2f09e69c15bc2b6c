// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uscope: an eBPF profiler and execution tracer. Dispatches the commands. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "help.h"
#include "log.h"

struct command {
	const char *name;
	int (*run)(struct us_options *o);
};

static const struct command commands[] = {
	{ "run", us_cmd_run },
	{ "attach", us_cmd_attach },
	{ "report", us_cmd_report },
	{ "diff", us_cmd_diff },
	{ "probes", us_cmd_probes },
	{ "call", us_cmd_call },
	{ "profile", us_cmd_profile },
	{ "top", us_cmd_top },
	{ "dump", us_cmd_dump },
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name || !strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		us_print_usage(name ? stdout : stderr);
		return name ? 0 : 2;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("uscope %s\n", USCOPE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			struct us_options o;
			int rc = us_options_parse(name, argc - 1, argv + 1, &o);

			if (rc == 0 && o.help)
				us_print_command_help(stdout, name);
			else if (rc == 0)
				rc = commands[i].run(&o);
			us_options_free(&o);
			return rc;
		}
	}
	fprintf(stderr, "uscope: error: unknown command '%s'\n", name);
	us_print_usage(stderr);
	return 2;
}
