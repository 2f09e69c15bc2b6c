/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf: the links a probe family holds, removed together.
 *
 * Uprobes go in as multi-uprobe links (BPF_TRACE_UPROBE_MULTI, kernel 6.6+):
 * one link for every probe of a program in one object, so removing them
 * costs the kernel one synchronisation per link instead of one per probe
 * (docs/performance.md). Entry and return probes are one session program
 * (BPF_TRACE_UPROBE_SESSION, 6.13+) that declines to arm the return once
 * tracing stops (bpf/shared.bpf.h). libbpf 1.1.2 has neither, so the links
 * are made with the bpf() syscall.
 */
#ifndef USCOPE_BPF_LINKS_H
#define USCOPE_BPF_LINKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_link;
struct bpf_object;
struct bpf_program;

/* The maps every BPF object shares with the first (bpf/shared.bpf.h). */
struct us_bpf_shared_maps {
	int events_fd;		/* the ring buffer */
	int state_fd;		/* .data.shared */
	int thread_losses_fd;
	int aggregate_threads_fd;	/* --aggregate: open calls, for self times */
	int followed_fd;		/* --follow: the processes the target made */
};

/* Before `obj` is loaded: make its shared maps the first object's. */
int us_bpf_share_maps(struct bpf_object *obj, const struct us_bpf_shared_maps *shared);
/* Loads a probe family's skeleton with the first object's maps, saying what
 * failed ("the Python BPF programs"). Returns 0 or -errno. */
struct bpf_object_skeleton;
int us_bpf_load_sharing(struct bpf_object_skeleton *skeleton,
			const struct us_bpf_shared_maps *shared, const char *what);

enum us_uprobe_kind {
	US_UPROBE_ENTRY,	/* runs at the probed instruction only */
	US_UPROBE_SESSION,	/* runs at entry and, unless it declined, at the return */
};

struct us_bpf_links {
	int *fds;			/* multi-uprobe links */
	size_t n_fds, fds_cap;
	struct bpf_link **items;	/* libbpf links: tracepoints, USDT */
	size_t count, cap;
};

/* Before its object is loaded: `prog` is to be a multi-uprobe program. */
void us_bpf_prog_set_uprobe_kind(struct bpf_program *prog, enum us_uprobe_kind kind);
/* Keeps `link`. A NULL link (a failed attach) returns -errno, else 0. */
int us_bpf_links_add(struct us_bpf_links *l, struct bpf_link *link);
/* Attaches `prog` at `n` file offsets of `path` in process `pid`, cookie i
 * at offset i, as one link. Returns 0 or -errno. */
int us_bpf_links_add_uprobes(struct us_bpf_links *l, const struct bpf_program *prog,
			     enum us_uprobe_kind kind, const char *path, const uint64_t *offsets,
			     const uint64_t *cookies, size_t n, pid_t pid);
/* Links held: how many removals the kernel will synchronise. */
size_t us_bpf_links_count(const struct us_bpf_links *l);
/* Removes every probe the links hold. */
void us_bpf_links_destroy(struct us_bpf_links *l);

#endif
