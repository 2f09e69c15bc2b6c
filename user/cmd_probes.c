// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope probes`: the dry run. What each pattern matches, where the probe
 * goes, and whether the kernel emulates it (cheap) or single-steps it (slow). */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "log.h"
#include "target.h"

static int objects_for(const struct us_options *o, struct us_target *t)
{
	if (o->pid)
		return us_target_attach(t, o->pid) || us_target_list_objects(t) ? -1 : 0;
	memset(t, 0, sizeof(*t));
	t->release_fd = t->exec_error_fd = t->pidfd = -1;
	t->exe_path = us_resolve_command(o->binary);
	if (!t->exe_path) {
		us_error("%s: no such executable", o->binary);
		return -1;
	}
	return us_objects_of_executable(t->exe_path, &t->objects);
}

static void print_sites(const struct us_plan *plan)
{
	int width = 8;

	for (size_t i = 0; i < plan->count; i++)
		if ((int)strlen(plan->sites[i].function) > width)
			width = (int)strlen(plan->sites[i].function);
	printf("%-*s %-18s %-26s %s\n", width, "FUNCTION", "ADDRESS", "PROBE", "OBJECT");
	for (size_t i = 0; i < plan->count; i++) {
		const struct us_site *s = &plan->sites[i];
		char probe[64];

		snprintf(probe, sizeof(probe), "%s (%s)",
			 !s->probeable ? "cannot probe" : s->emulated ? "emulated" : "single-step",
			 s->insn);
		printf("%-*s 0x%-16llx %-26s %s\n", width, s->function, (unsigned long long)s->vaddr,
		       probe, s->object);
	}
}

static void print_objects(const struct us_object_list *objects)
{
	printf("objects:\n");
	for (size_t i = 0; i < objects->count; i++)
		printf("  %s%s\n", objects->items[i].path, i == objects->main_index ? "  (main)" : "");
}

int us_cmd_probes(struct us_options *o)
{
	struct us_options plan_opts = *o;
	struct us_plan plan = { 0 };
	struct us_target t;
	size_t slow = 0;
	int rc = 0;

	if (!o->pid && !o->binary) {
		if (o->n_rest == 0) {
			us_error("probes needs -p PID or --binary PATH");
			return 2;
		}
		plan_opts.binary = o->rest[0];	/* uscope probes COMMAND [PATTERN...] */
		plan_opts.rest++;
		plan_opts.n_rest--;
	}
	if (objects_for(&plan_opts, &t)) {
		us_target_close(&t);
		return 1;
	}
	plan_opts.patterns = plan_opts.rest;
	plan_opts.n_patterns = (size_t)plan_opts.n_rest;
	print_objects(&t.objects);
	if (us_build_plan(&plan, &plan_opts, &t.objects)) {
		rc = 1;
	} else {
		print_sites(&plan);
		for (size_t i = 0; i < plan.count; i++)
			slow += plan.sites[i].probeable && !plan.sites[i].emulated;
		printf("%zu functions, %zu single-stepped (~13 us a hit; emulated ~1 us)\n", plan.count,
		       slow);
	}
	us_plan_free(&plan);
	us_target_close(&t);
	return rc;
}
