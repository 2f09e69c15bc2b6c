// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `uscope call MODULE.FUNC [ARG...]` (one function's trace as JSON): a
 * small driver imports MODULE in the default python3, calls FUNC with the
 * literal arguments given, and tells uscope where FUNC's code is; uscope
 * traces the run like `uscope run`, focused on that function, and prints the
 * call as one JSON document (report_call.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "log.h"
#include "model_load.h"
#include "report_call.h"
#include "util.h"

/* The driver. argv: INFO_FILE TIMEOUT_SEC TARGET KWARGS ARG... (timeout 0:
 * none); it writes to INFO_FILE
 * "code FILE\nline N\n" and one "arg NAME=REPR" line per bound argument;
 * "raised TYPE: MESSAGE" when the arguments do not fit the function (the
 * call's own exception); "yields N" when it returned a generator, which it
 * then runs to the end; "timeout" when --timeout stopped the call (a
 * CallTimeout raised in it); or "error TEXT" when it cannot call it at all. Its
 * own output goes to stderr: uscope's stdout is the JSON. */
/* call_driver.py, embedded by the build as `driver_source`. */
#include "call_driver.h"

static char *write_driver(const char *dir)
{
	char *path = us_asprintf("%s/uscope_call_driver.py", dir);
	FILE *f = fopen(path, "we");

	if (!f || fputs(driver_source, f) < 0 || fclose(f) != 0) {
		us_error("cannot write %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

static void parse_info_line(struct us_call_info *info, char *line)
{
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "code ", 5) == 0) {
		info->file = us_strdup(line + 5);
	} else if (strncmp(line, "line ", 5) == 0) {
		info->line = (uint32_t)strtoul(line + 5, NULL, 10);
	} else if (strncmp(line, "error ", 6) == 0) {
		info->error = us_strdup(line + 6);
	} else if (strncmp(line, "raised ", 7) == 0 && strstr(line, ": ")) {
		char *colon = strstr(line, ": ");

		*colon = '\0';
		info->raised_type = us_strdup(line + 7);
		info->raised_message = us_strdup(colon + 2);
	} else if (strcmp(line, "timeout") == 0) {
		info->timed_out = true;
	} else if (strncmp(line, "yields ", 7) == 0) {
		info->yields = strtoll(line + 7, NULL, 10);
	} else if (strncmp(line, "arg ", 4) == 0 && strchr(line, '=')) {
		char *eq = strchr(line, '=');

		*eq = '\0';
		us_grow(&info->args, &info->args_cap, info->n_args + 1, sizeof(*info->args));
		info->args[info->n_args++] = (struct us_call_arg){
			.name = us_strdup(line + 4), .value = us_strdup(eq + 1),
		};
	}
}

static int read_info(const char *path, struct us_call_info *info)
{
	char line[4096];
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		parse_info_line(info, line);
	fclose(f);
	return info->file || info->error ? 0 : -1;
}

/* Runs the driver under `uscope run`, keeping the recording; no report. */
static int trace_driver(const struct us_options *o, const char *driver, const char *info,
			const char *recording, int *exit_code)
{
	char *argv[256], timeout[32];
	struct us_run_request req = {
		.argv = argv, .recording = recording, .python_args = true, .no_report = true,
		.unfiltered = true,	/* the report focuses on the function */
	};
	int n = 0;

	snprintf(timeout, sizeof(timeout), "%.3f", (double)o->call_timeout_ns / 1e9);
	argv[n++] = (char *)(o->python ? o->python : "python3");
	argv[n++] = (char *)driver;
	argv[n++] = (char *)info;
	argv[n++] = timeout;
	argv[n++] = o->rest[0];
	argv[n++] = (char *)(o->kwargs ? o->kwargs : "");
	for (int i = 1; i < o->n_rest && n < 255; i++)
		argv[n++] = o->rest[i];
	argv[n] = NULL;
	req.argc = n;
	*exit_code = us_run_traced(o, &req);
	return access(recording, R_OK) == 0 ? 0 : -1;
}

static int report_call(const char *recording, const struct us_call_info *info,
		       const struct us_options *o)
{
	struct us_filters focus = { 0 };
	struct us_recording rec;
	struct us_model m;
	char err[512];
	int rc;

	us_filters_merge(&focus, &o->filters);
	free(focus.focus);
	focus.focus = us_asprintf("%s:%u", info->file, info->line);
	rc = us_model_load(recording, &focus, NULL, &rec, &m, err, sizeof(err));
	us_filters_free(&focus);
	if (rc) {
		us_error("%s", err);
		return -1;
	}
	us_report_call(stdout, &rec, &m, info);
	us_model_free(&m);
	us_recording_free(&rec);
	return 0;
}

int us_cmd_call(struct us_options *o)
{
	char dir_template[] = "/tmp/uscope-call-XXXXXX";
	char *dir = mkdtemp(dir_template), *driver = NULL, *info_path, *recording;
	struct us_call_info info = { .path = o->rest[0], .yields = -1, .profile = o->call_profile };
	int exit_code = 0, rc = 1;

	if (!dir) {
		us_error("cannot create a temporary directory: %s", strerror(errno));
		return 1;
	}
	info_path = us_asprintf("%s/info", dir);
	recording = us_asprintf("%s/call.usc", dir);
	driver = write_driver(dir);
	if (driver && trace_driver(o, driver, info_path, recording, &exit_code) == 0 &&
	    read_info(info_path, &info) == 0) {
		if (info.error)
			us_error("cannot call %s: %s", o->rest[0], info.error);
		else
			rc = report_call(recording, &info, o) ? 1 : 0;	/* a raise is in the JSON */
	} else if (driver) {
		us_error("tracing %s failed (see above)", o->rest[0]);
	}
	unlink(info_path);
	unlink(recording);
	if (driver)
		unlink(driver);
	rmdir(dir);
	us_call_info_free(&info);
	free(driver);
	free(info_path);
	free(recording);
	return rc;
}
