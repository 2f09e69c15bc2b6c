// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* speedscope: its file format (https://www.speedscope.app/file-format-schema.json),
 * one "sampled" profile per thread, weighted in nanoseconds, frames shared:
 * each frame a function with its file (and, for Python, its line). */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "profile_paths.h"
#include "report_profile.h"
#include "util.h"

/* speedscope's frame of a label: its index in "frames" (labels that group
 * samples, such as threads, are not frames). */
static void json_shared_frames(struct us_json *j, const struct us_profile_paths *paths,
			       int64_t *frame_of_label)
{
	int64_t n = 0;

	us_json_key(j, "shared");
	us_json_object_begin(j);
	us_json_key(j, "frames");
	us_json_array_begin(j);
	for (size_t i = 0; i < paths->n_labels; i++) {
		const struct us_path_label *l = &paths->labels[i];

		frame_of_label[i] = -1;
		if (l->kind == US_LABEL_GROUP)
			continue;
		frame_of_label[i] = n++;
		us_json_object_begin(j);
		us_json_kv_string(j, "name", l->text);
		if (l->frame && *l->frame->file)
			us_json_kv_string(j, "file", l->frame->file);
		if (l->frame && l->frame->kind == US_FRAME_PYTHON && l->frame->line > 0)
			us_json_kv_int(j, "line", l->frame->line);
		us_json_object_end(j);
	}
	us_json_array_end(j);
	us_json_object_end(j);
}

/* One thread's samples: its stacks root first and their weights. */
static void json_thread_profile(struct us_json *j, struct us_profile_paths *paths,
				const struct us_profile *p, const int64_t *frame_of_label,
				uint32_t pid, uint32_t tid, unsigned kinds)
{
	const struct us_profile_samples *first = NULL;
	uint64_t total = 0;
	char name[96];

	for (size_t i = 0; i < p->n_samples; i++)
		if (p->samples[i].pid == pid && p->samples[i].tid == tid &&
		    (kinds & (1u << p->samples[i].kind))) {
			first = first ? first : &p->samples[i];
			total += p->samples[i].weight_ns;
		}
	if (!first)
		return;
	snprintf(name, sizeof(name), "%s [%u] / thread %s [%u]", first->process_comm, pid,
		 first->thread_comm, tid);
	us_json_object_begin(j);
	us_json_kv_string(j, "type", "sampled");
	us_json_kv_string(j, "name", name);
	us_json_kv_string(j, "unit", "nanoseconds");
	us_json_kv_uint(j, "startValue", 0);
	us_json_kv_uint(j, "endValue", total);
	us_json_key(j, "samples");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_samples; i++) {
		const struct us_profile_samples *s = &p->samples[i];
		const struct us_profile_stack *stack = us_profile_stack_of(p, s->stack_id);

		if (s->pid != pid || s->tid != tid || !(kinds & (1u << s->kind)))
			continue;
		us_json_array_begin(j);
		for (int k = stack ? (int)stack->depth - 1 : -1; k >= 0; k--) {
			int64_t f = frame_of_label[us_profile_paths_frame_label(paths, p,
										stack->frames[k])];

			if (f >= 0)
				us_json_uint(j, (uint64_t)f);
		}
		us_json_array_end(j);
	}
	us_json_array_end(j);
	us_json_key(j, "weights");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_samples; i++)
		if (p->samples[i].pid == pid && p->samples[i].tid == tid &&
		    (kinds & (1u << p->samples[i].kind)))
			us_json_uint(j, p->samples[i].weight_ns);
	us_json_array_end(j);
	us_json_object_end(j);
}

void us_report_profile_speedscope(FILE *out, const struct us_recording *rec,
				  const struct us_model *m, const struct us_report_options *ro)
{
	const struct us_profile *p = &m->profile;
	unsigned kinds = us_profile_kinds(p);
	struct us_profile_paths paths;
	struct us_map seen = { 0 };
	int64_t *frame_of_label;
	struct us_json j;

	us_profile_paths_build(&paths, p, kinds);
	/* every frame gets its label before the frames are written */
	for (size_t i = 0; i < p->n_frames; i++)
		us_profile_paths_frame_label(&paths, p, (uint32_t)i);
	frame_of_label = us_calloc(paths.n_labels + 1, sizeof(*frame_of_label));
	us_json_init(&j, out, 1);
	us_json_object_begin(&j);
	us_json_kv_string(&j, "$schema", "https://www.speedscope.app/file-format-schema.json");
	us_json_kv_string(&j, "exporter", "uscope " USCOPE_VERSION);
	us_json_kv_string(&j, "name", rec->argc ? rec->argv[0] : "uscope profile");
	us_json_kv_uint(&j, "activeProfileIndex", 0);
	json_shared_frames(&j, &paths, frame_of_label);
	us_json_key(&j, "profiles");
	us_json_array_begin(&j);
	for (size_t i = 0; i < p->n_samples; i++) {
		uint64_t key = (uint64_t)p->samples[i].pid << 32 | p->samples[i].tid;

		if (us_map_get(&seen, key) != US_MAP_NONE)
			continue;
		us_map_put(&seen, key, 1);
		json_thread_profile(&j, &paths, p, frame_of_label, p->samples[i].pid,
				    p->samples[i].tid, kinds);
	}
	us_json_array_end(&j);
	us_json_object_end(&j);
	us_json_finish(&j);
	us_map_free(&seen);
	free(frame_of_label);
	us_profile_paths_free(&paths);
}
