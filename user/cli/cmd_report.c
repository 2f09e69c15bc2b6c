// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope report FILE`: the same report a live run prints, from a recording,
 * to stdout: through a pager on a terminal, as git and perf do. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "commands.h"
#include "print_report.h"

static bool is_text(enum us_format f)
{
	return f == US_FORMAT_TREE || f == US_FORMAT_FLAT || f == US_FORMAT_TIMELINE ||
	       f == US_FORMAT_MEMORY || f == US_FORMAT_PATTERNS || f == US_FORMAT_BOTTLENECKS;
}

/* $USCOPE_PAGER, $PAGER or less (quitting at once when it all fits,
 * keeping colours); stdout goes to it. Returns its pid, or 0 for none. */
static pid_t start_pager(void)
{
	const char *pager = getenv("USCOPE_PAGER");
	int fds[2];
	pid_t pid;

	if (!pager)
		pager = getenv("PAGER");
	if (!pager)
		pager = "less";
	if (!*pager || strcmp(pager, "cat") == 0 || pipe(fds) != 0)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		setenv("LESS", "FRX", 0);
		execlp("sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	dup2(fds[1], 1);
	close(fds[0]);
	close(fds[1]);
	signal(SIGPIPE, SIG_IGN);	/* quitting the pager early is no error */
	return pid;
}

int us_cmd_report(struct us_options *o)
{
	struct us_report_options ro;
	pid_t pager = 0;
	int rc;

	o->filters_are_fatal = true;
	if (isatty(1) && !o->no_pager && !o->report_path && is_text(o->format)) {
		us_report_options_for(o, stdout, &ro);	/* as the terminal is, before the pipe */
		o->color = ro.color ? US_COLOR_ALWAYS : US_COLOR_NEVER;
		o->width = ro.width;
		pager = start_pager();
	}
	rc = us_print_report(o->rest[0], o, stdout) ? 1 : 0;
	if (pager) {
		fflush(stdout);
		close(1);
		waitpid(pager, NULL, 0);
	}
	return rc;
}
