// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bottlenecks of a profile (uscope profile), as the trace's rules are
 * (report_bottlenecks.c): each from the samples, with its evidence and a
 * suggestion; a rule with no evidence does not fire (docs/reports.md):
 *
 *   cpu_hotspot  a place of the program's own code runs on the CPU, itself
 *                or in the system code it calls, in >= 10 % of the on-CPU
 *                samples (and 20 or more)
 *   off_cpu      threads blocked (off-CPU samples, --off-cpu or --wall) in
 *                one place of the program's own code for >= 5 % of all the
 *                sampled time
 * A sample's place is its stack's innermost Python frame, else its innermost
 * frame outside the C library, the dynamic loader, the vDSO and the kernel.
 */
#include <stdlib.h>
#include <string.h>
#include "bottleneck_list.h"
#include "json_writer.h"
#include "profile_paths.h"
#include "report_profile.h"
#include "util.h"

#define HOTSPOT_SHARE 0.10
#define HOTSPOT_MIN_SAMPLES 20	/* fewer tell nothing */
#define OFF_CPU_SHARE 0.05

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static bool names_code(const struct us_path_label *l)
{
	return l->kind == US_FRAME_NATIVE || l->kind == US_FRAME_PYTHON;
}

/* The C library, the dynamic loader: where a program blocks, not why. */
static bool is_system_frame(const struct us_path_label *l)
{
	const char *file = l->frame && l->frame->file ? l->frame->file : "";
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	return l->kind != US_FRAME_PYTHON &&
	       (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0 ||
		strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "libpthread", 10) == 0 ||
		strcmp(base, "[vdso]") == 0 || strncmp(l->text, "[vdso]", 6) == 0 ||
		l->kind == US_FRAME_KERNEL);
}

/* A sample's place: its innermost frame of the program's own code. */
static uint32_t program_place(const struct us_profile_paths *p, uint32_t node)
{
	uint32_t native = US_NO_NODE;

	for (uint32_t at = node; at != US_PATH_ROOT; at = p->nodes[at].parent) {
		const struct us_path_label *l = &p->labels[p->nodes[at].label];

		if (l->kind == US_FRAME_PYTHON)
			return p->nodes[at].label;
		if (native == US_NO_NODE && names_code(l) && !is_system_frame(l))
			native = p->nodes[at].label;
	}
	return native;
}

/* On-CPU samples by place, for the hotspot rule. */
static void hotspot_rule(struct us_bottleneck_list *f, const struct us_model *m)
{
	struct us_profile_paths p;
	uint64_t *self_count, *self_ns, whole;

	us_profile_paths_build(&p, &m->profile, 1u << US_SAMPLE_ON_CPU);
	whole = p.nodes[US_PATH_ROOT].count;
	self_count = us_calloc(p.n_labels + 1, sizeof(*self_count));
	self_ns = us_calloc(p.n_labels + 1, sizeof(*self_ns));
	for (size_t i = 1; i < p.n_nodes; i++) {
		uint32_t place = p.nodes[i].self_count ? program_place(&p, (uint32_t)i) : US_NO_NODE;

		if (place == US_NO_NODE)
			continue;
		self_count[place] += p.nodes[i].self_count;
		self_ns[place] += p.nodes[i].self_weight_ns;
	}
	for (size_t l = 0; whole && l < p.n_labels; l++) {
		if (!names_code(&p.labels[l]) || self_count[l] < HOTSPOT_MIN_SAMPLES ||
		    (double)self_count[l] < HOTSPOT_SHARE * (double)whole)
			continue;
		us_bottleneck_add(f, "cpu_hotspot", us_strdup(p.labels[l].text), "it keeps the CPU busy",
		    us_asprintf("%llu of %llu on-CPU samples (%.0f%%) are in it, or in the system "
				"code it calls",
				(unsigned long long)self_count[l], (unsigned long long)whole,
				percent(self_count[l], whole)),
		    "make it do less per call or call it less; `uscope run -f` on it counts its "
		    "calls and times each one exactly", self_ns[l]);
	}
	free(self_count);
	free(self_ns);
	us_profile_paths_free(&p);
}

static void off_cpu_rule(struct us_bottleneck_list *f, const struct us_model *m, uint64_t all_ns,
			 bool on_cpu_too)
{
	struct us_profile_paths p;
	uint64_t *blocked;

	us_profile_paths_build(&p, &m->profile, 1u << US_SAMPLE_OFF_CPU);
	blocked = us_calloc(p.n_labels + 1, sizeof(*blocked));
	for (size_t i = 1; i < p.n_nodes; i++) {
		uint32_t place;

		if (!p.nodes[i].self_weight_ns)
			continue;
		place = program_place(&p, (uint32_t)i);
		if (place != US_NO_NODE)
			blocked[place] += p.nodes[i].self_weight_ns;
	}
	for (size_t l = 0; l < p.n_labels; l++) {
		if (!blocked[l] || (double)blocked[l] < OFF_CPU_SHARE * (double)all_ns)
			continue;
		us_bottleneck_add(f, "off_cpu", us_strdup(p.labels[l].text),
		    "its threads wait here, off the CPU (sleeping, I/O, a lock)",
		    us_asprintf("blocked %.1f ms here (%.0f%% of %s)", (double)blocked[l] / 1e6,
				percent(blocked[l], all_ns), on_cpu_too
				? "the sampled time, on and off the CPU"
				: "the time its threads were blocked"),
		    "wait less: batch the I/O, do it concurrently, or hold the lock for less; the "
		    "profile's tree shows what it waits in", blocked[l]);
	}
	free(blocked);
	us_profile_paths_free(&p);
}

static void find(const struct us_model *m, struct us_bottleneck_list *f)
{
	unsigned kinds = us_profile_kinds(&m->profile);
	struct us_profile_paths all;

	if (kinds & (1u << US_SAMPLE_ON_CPU))
		hotspot_rule(f, m);
	if (kinds & (1u << US_SAMPLE_OFF_CPU)) {
		us_profile_paths_build(&all, &m->profile, kinds);
		off_cpu_rule(f, m, all.nodes[US_PATH_ROOT].weight_ns,
			     (kinds & (1u << US_SAMPLE_ON_CPU)) != 0);
		us_profile_paths_free(&all);
	}
	us_bottleneck_sort(f);
}

void us_report_profile_bottlenecks(FILE *out, const struct us_recording *rec,
				   const struct us_model *m, const struct us_report_options *ro)
{
	struct us_bottleneck_list f = { 0 };

	find(m, &f);
	us_bottleneck_print(out, &f);
	us_bottleneck_list_free(&f);
}

void us_json_profile_bottlenecks(struct us_json *j, const struct us_model *m)
{
	struct us_bottleneck_list f = { 0 };

	find(m, &f);
	us_bottleneck_json(j, &f, false);
	us_bottleneck_list_free(&f);
}
