/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* probe: load profile.bpf.c into the session's ring, and sample: one
 * software cpu-clock perf event per CPU at the asked frequency, its BPF
 * program filtering to the profiled processes (or every one but uscope). */
#ifndef USCOPE_BPF_PROFILE_H
#define USCOPE_BPF_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpf_links.h"
#include "python_layout.h"

struct profile_bpf;

struct us_profile_options {
	unsigned frequency_hz;
	bool all_processes;		/* -a */
	bool follow_children;		/* --subprocesses */
	bool on_cpu;			/* sample running threads (not with --off-cpu) */
	bool off_cpu;			/* --off-cpu, --wall: sample blocked time */
	bool kernel;			/* --kernel: kernel stacks too */
};

struct us_bpf_profile {
	struct profile_bpf *skel;
	struct us_bpf_links links;	/* the perf events' and tracepoints' links */
	int *perf_fds;
	size_t n_perf_fds;
};

int us_bpf_profile_load(struct us_bpf_profile *b, const struct us_bpf_shared_maps *shared,
			size_t ring_bytes, const struct us_profile_options *opts);
/* Profiles process `pid` (and its children with follow_children). */
int us_bpf_profile_add_process(struct us_bpf_profile *b, pid_t pid);
/* Lets the sampler read the Python frames of process `pid`. */
int us_bpf_profile_add_python(struct us_bpf_profile *b, pid_t pid,
			      const struct us_py_sampling *layout);
/* Starts sampling on every CPU. On failure nothing stays attached. */
int us_bpf_profile_attach(struct us_bpf_profile *b, const struct us_profile_options *opts);
/* Samples the probe took, and those whose stack it could not copy. */
uint64_t us_bpf_profile_samples_taken(const struct us_bpf_profile *b);
uint64_t us_bpf_profile_stacks_unreadable(const struct us_bpf_profile *b);
void us_bpf_profile_detach(struct us_bpf_profile *b);
void us_bpf_profile_destroy(struct us_bpf_profile *b);

#endif
