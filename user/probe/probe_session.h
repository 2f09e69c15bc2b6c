/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * probe: one tracing session's BPF side. The calls family (bpf_calls.h)
 * comes first: it owns the ring buffer and the state every family shares
 * (bpf/shared.bpf.h). Every other family (Python, memory, ...) loads into
 * the same ring and joins the session's list, so stopping, counting links,
 * detaching and destroying go over all of them in one place.
 */
#ifndef USCOPE_PROBE_SESSION_H
#define USCOPE_PROBE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf_calls.h"
#include "bpf_memory.h"
#include "bpf_profile.h"
#include "bpf_python.h"

/* What the session asks of a family it holds. */
struct us_probe_family {
	const char *name;
	void *state;
	size_t (*link_count)(const void *state);
	void (*detach)(void *state);	/* its probes come off */
	void (*destroy)(void *state);
};

#define US_PROBE_FAMILIES_MAX 8

struct us_probe_session {
	struct us_bpf_calls calls;	/* first: the ring and the shared state */
	struct us_bpf_python python;	/* loaded when the target is CPython */
	struct us_bpf_memory memory;	/* loaded with --memory */
	struct us_bpf_profile profile;	/* loaded by `uscope profile` */
	struct us_probe_family families[US_PROBE_FAMILIES_MAX];
	size_t n_families;
};

/* Loads the calls family: see us_bpf_calls_load. */
int us_probe_session_load(struct us_probe_session *s, pid_t tgid, size_t ring_bytes,
			  const struct us_calls_options *opts);
bool us_probe_session_loaded(const struct us_probe_session *s);
/* Loads the Python programs into the session's ring and list. */
int us_probe_session_load_python(struct us_probe_session *s, const struct us_python *py,
				 pid_t tgid, size_t ring_bytes, const struct us_python_options *opts);
/* Loads the memory programs into the session's ring and list. */
int us_probe_session_load_memory(struct us_probe_session *s, pid_t tgid, size_t ring_bytes,
				 const struct us_memory_options *opts);
/* Loads the sampler into the session's ring and list. */
int us_probe_session_load_profile(struct us_probe_session *s, size_t ring_bytes,
				  const struct us_profile_options *opts);
/* Every probe of every family stops recording and arming return probes. */
void us_probe_session_stop(struct us_probe_session *s);
/* The links detach will remove (each costs the kernel a synchronisation). */
size_t us_probe_session_link_count(const struct us_probe_session *s);
/* Every family's probes come off, after all of them went quiet; the ring
 * stays readable. */
void us_probe_session_detach(struct us_probe_session *s);
void us_probe_session_destroy(struct us_probe_session *s);

#endif
