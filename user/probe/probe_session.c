// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "log.h"
#include "probe_session.h"

static size_t python_links(const void *state)
{
	return us_bpf_links_count(&((const struct us_bpf_python *)state)->links);
}

static void python_detach(void *state)
{
	us_bpf_python_detach(state);
}

static void python_destroy(void *state)
{
	us_bpf_python_destroy(state);
}

static size_t memory_links(const void *state)
{
	return us_bpf_links_count(&((const struct us_bpf_memory *)state)->links);
}

static void memory_detach(void *state)
{
	us_bpf_memory_detach(state);
}

static void memory_destroy(void *state)
{
	us_bpf_memory_destroy(state);
}

static size_t profile_links(const void *state)
{
	return us_bpf_links_count(&((const struct us_bpf_profile *)state)->links);
}

static void profile_detach(void *state)
{
	us_bpf_profile_detach(state);
}

static void profile_destroy(void *state)
{
	us_bpf_profile_destroy(state);
}

static void join(struct us_probe_session *s, struct us_probe_family family)
{
	if (s->n_families < US_PROBE_FAMILIES_MAX)
		s->families[s->n_families++] = family;
}

int us_probe_session_load(struct us_probe_session *s, pid_t tgid, size_t ring_bytes,
			  const struct us_calls_options *opts)
{
	return us_bpf_calls_load(&s->calls, tgid, ring_bytes, opts);
}

bool us_probe_session_loaded(const struct us_probe_session *s)
{
	return s->calls.skel != NULL;
}

int us_probe_session_load_python(struct us_probe_session *s, const struct us_python *py,
				 pid_t tgid, size_t ring_bytes, const struct us_python_options *opts)
{
	int err = us_bpf_python_load(&s->python, py, tgid, &s->calls.shared_maps, ring_bytes, opts);

	if (!err)
		join(s, (struct us_probe_family){ "python", &s->python, python_links, python_detach,
						  python_destroy });
	return err;
}

int us_probe_session_load_memory(struct us_probe_session *s, pid_t tgid, size_t ring_bytes,
				 const struct us_memory_options *opts)
{
	int err = us_bpf_memory_load(&s->memory, tgid, &s->calls.shared_maps, ring_bytes, opts);

	if (!err)
		join(s, (struct us_probe_family){ "memory", &s->memory, memory_links, memory_detach,
						  memory_destroy });
	return err;
}

int us_probe_session_load_profile(struct us_probe_session *s, size_t ring_bytes,
				  const struct us_profile_options *opts)
{
	int err = us_bpf_profile_load(&s->profile, &s->calls.shared_maps, ring_bytes, opts);

	if (!err)
		join(s, (struct us_probe_family){ "profile", &s->profile, profile_links,
						  profile_detach, profile_destroy });
	return err;
}

void us_probe_session_stop(struct us_probe_session *s)
{
	us_bpf_calls_stop(&s->calls);	/* the one shared flag every family reads */
}

size_t us_probe_session_link_count(const struct us_probe_session *s)
{
	size_t links = us_bpf_calls_link_count(&s->calls);

	for (size_t i = 0; i < s->n_families; i++)
		links += s->families[i].link_count(s->families[i].state);
	return links;
}

void us_probe_session_detach(struct us_probe_session *s)
{
	/* every program of every family goes quiet at once (one shared state)
	 * and arms no more return probes; then the links go */
	us_probe_session_stop(s);
	for (size_t i = 0; i < s->n_families; i++) {
		us_debug("detaching the %s probes", s->families[i].name);
		s->families[i].detach(s->families[i].state);
	}
	us_bpf_calls_detach(&s->calls);
}

void us_probe_session_destroy(struct us_probe_session *s)
{
	us_probe_session_detach(s);
	for (size_t i = 0; i < s->n_families; i++)
		s->families[i].destroy(s->families[i].state);
	us_bpf_calls_destroy(&s->calls);
	memset(s, 0, sizeof(*s));
}
