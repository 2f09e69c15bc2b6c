// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "model_profile.h"
#include "util.h"

static char *bounded_copy(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *copy = us_calloc(n + 1, 1);

	memcpy(copy, s, n);
	return copy;
}

void us_model_on_profile_frame(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_profile_frame_event *ev = (const void *)hdr;
	struct us_profile *p = &m->profile;
	struct us_profile_frame *f;

	if (ev->id >= (1u << 24))
		return;	/* not from uscope: ids count up from 0 */
	if (ev->id >= p->n_frames) {
		us_grow(&p->frames, &p->frames_cap, ev->id + 1, sizeof(*p->frames));
		memset(p->frames + p->n_frames, 0, (ev->id + 1 - p->n_frames) * sizeof(*p->frames));
		p->n_frames = ev->id + 1;
	}
	f = &p->frames[ev->id];
	free(f->function);
	free(f->file);
	f->function = bounded_copy(ev->function, sizeof(ev->function));
	f->file = bounded_copy(ev->file, sizeof(ev->file));
	f->line = ev->line;
	f->kind = ev->kind;
	f->address = ev->address;
}

void us_model_on_profile_stack(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_profile_stack_event *ev = (const void *)hdr;
	struct us_profile *p = &m->profile;
	struct us_profile_stack *s;
	uint16_t depth = ev->depth <= US_PROFILE_MAX_DEPTH ? ev->depth : US_PROFILE_MAX_DEPTH;

	if (ev->id >= (1u << 24))
		return;
	if (ev->id >= p->n_stacks) {
		us_grow(&p->stacks, &p->stacks_cap, ev->id + 1, sizeof(*p->stacks));
		memset(p->stacks + p->n_stacks, 0, (ev->id + 1 - p->n_stacks) * sizeof(*p->stacks));
		p->n_stacks = ev->id + 1;
	}
	s = &p->stacks[ev->id];
	free(s->frames);
	s->frames = us_calloc(depth ? depth : 1, sizeof(*s->frames));
	memcpy(s->frames, ev->frames, depth * sizeof(*s->frames));
	s->depth = depth;
	s->flags = ev->flags;
}

static uint64_t samples_key(const struct us_profile_sample_event *ev)
{
	return us_hash_u64(((uint64_t)ev->pid << 32 | ev->hdr.tid) ^
			   us_hash_u64((uint64_t)ev->stack_id << 1 | (ev->kind & 1)));
}

void us_model_on_profile_sample(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_profile_sample_event *ev = (const void *)hdr;
	struct us_profile *p = &m->profile;
	uint64_t key = samples_key(ev);
	uint32_t i = us_map_get(&p->sample_index, key);
	struct us_profile_samples *s;

	if (ev->kind > US_SAMPLE_OFF_CPU)
		return;
	if (i == US_MAP_NONE) {
		us_grow(&p->samples, &p->samples_cap, p->n_samples + 1, sizeof(*p->samples));
		i = (uint32_t)p->n_samples++;
		s = &p->samples[i];
		memset(s, 0, sizeof(*s));
		s->pid = ev->pid;
		s->tid = ev->hdr.tid;
		s->stack_id = ev->stack_id;
		s->kind = ev->kind;
		us_map_put(&p->sample_index, key, i);
	}
	s = &p->samples[i];
	memcpy(s->thread_comm, ev->thread_comm, US_COMM_LEN);	/* the latest name */
	memcpy(s->process_comm, ev->process_comm, US_COMM_LEN);
	s->count += ev->count;
	s->weight_ns += ev->weight_ns;
	p->count[ev->kind] += ev->count;
	p->weight_ns[ev->kind] += ev->weight_ns;
}

void us_model_on_profile_totals(struct us_model *m, const struct us_event_header *hdr)
{
	memcpy(&m->profile.totals, hdr, sizeof(m->profile.totals));
	m->profile.has_totals = true;
}

const struct us_profile_frame *us_profile_frame_of(const struct us_profile *p, uint32_t id)
{
	return id < p->n_frames && p->frames[id].function ? &p->frames[id] : NULL;
}

const struct us_profile_stack *us_profile_stack_of(const struct us_profile *p, uint32_t id)
{
	return id < p->n_stacks && p->stacks[id].frames ? &p->stacks[id] : NULL;
}

void us_model_free_profile(struct us_model *m)
{
	struct us_profile *p = &m->profile;

	for (size_t i = 0; i < p->n_frames; i++) {
		free(p->frames[i].function);
		free(p->frames[i].file);
	}
	for (size_t i = 0; i < p->n_stacks; i++)
		free(p->stacks[i].frames);
	free(p->frames);
	free(p->stacks);
	free(p->samples);
	us_map_free(&p->sample_index);
	memset(p, 0, sizeof(*p));
}
