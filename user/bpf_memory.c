// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "alloc.skel.h"
#include "bpf_memory.h"
#include "log.h"
#include "target.h"
#include "util.h"

/* Live blocks the BPF hash map can hold; allocated as they come. */
#define LIVE_BLOCKS_MAX (4u << 20)

int us_bpf_memory_load(struct us_bpf_memory *b, pid_t tgid, int ring_fd, size_t ring_bytes,
		       const struct us_memory_options *opts)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->skel = alloc_bpf__open();
	if (!b->skel) {
		us_error("opening the memory BPF object failed: %s", strerror(errno));
		return -1;
	}
	b->skel->rodata->target_tgid = (__u32)tgid;
	b->skel->rodata->wakeup_bytes = ring_bytes / 4;
	b->skel->rodata->sample_one_in = opts->sample_one_in ? opts->sample_one_in : 1;
	b->skel->rodata->sample_min_bytes = opts->sample_min_bytes;
	err = bpf_map__set_max_entries(b->skel->maps.live_blocks, LIVE_BLOCKS_MAX);
	if (!err)
		err = bpf_map__reuse_fd(b->skel->maps.events, ring_fd);
	if (!err)
		err = alloc_bpf__load(b->skel);
	if (err) {
		us_error("loading the memory BPF programs failed: %s (run with -vv for the "
			 "verifier log)", strerror(-err));
		alloc_bpf__destroy(b->skel);
		b->skel = NULL;
		return -1;
	}
	return 0;
}

static int add_link(struct us_bpf_memory *b, struct bpf_link *link, const char *what)
{
	int err = us_bpf_links_add(&b->links, link);

	if (err)
		us_error("cannot attach the memory probe on %s: %s", what, strerror(-err));
	return err;
}

static int attach_site(struct us_bpf_memory *b, const struct us_alloc_site *site, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .bpf_cookie = site->cookie);
	LIBBPF_OPTS(bpf_uprobe_opts, return_opts, .bpf_cookie = site->cookie, .retprobe = true);
	struct bpf_program *entry = site->is_free ? b->skel->progs.free_enter
						  : b->skel->progs.alloc_enter;

	if (add_link(b, bpf_program__attach_uprobe_opts(entry, pid, site->open_path,
							site->probe_offset, &entry_opts),
		     site->function))
		return -1;
	if (site->is_free)
		return 0;
	return add_link(b, bpf_program__attach_uprobe_opts(b->skel->progs.alloc_return, pid,
							   site->open_path, site->probe_offset,
							   &return_opts),
			site->function);
}

int us_bpf_memory_attach(struct us_bpf_memory *b, const struct us_memory_plan *mp, pid_t pid)
{
	if (add_link(b, bpf_program__attach(b->skel->progs.syscall_enter), "sys_enter") ||
	    add_link(b, bpf_program__attach(b->skel->progs.syscall_exit), "sys_exit") ||
	    add_link(b, bpf_program__attach(b->skel->progs.rss_change), "rss_stat")) {
		us_bpf_memory_detach(b);
		return -1;
	}
	for (size_t i = 0; i < mp->count; i++) {
		if (attach_site(b, &mp->sites[i], pid)) {
			us_bpf_memory_detach(b);
			return -1;
		}
	}
	b->initial_rss_bytes = us_process_rss_bytes(pid);
	us_debug("attached %zu memory probes", mp->count);
	return 0;
}

uint64_t us_bpf_memory_lost(const struct us_bpf_memory *b)
{
	return b->skel ? __atomic_load_n(&b->skel->bss->lost_events, __ATOMIC_RELAXED) : 0;
}

void us_bpf_memory_totals(const struct us_bpf_memory *b, struct us_mem_totals_event *totals)
{
	if (!b->skel)
		return;
	totals->initial_rss_bytes = b->initial_rss_bytes;
	totals->peak_rss_bytes = b->skel->bss->peak_rss_bytes;
	totals->final_rss_bytes = b->skel->bss->current_rss_bytes;
	totals->unknown_frees = b->skel->bss->unknown_frees;
	totals->untracked_allocs = b->skel->bss->untracked_allocs;
	totals->missed_returns = b->skel->bss->missed_returns;
}

void us_bpf_memory_stop(struct us_bpf_memory *b)
{
	if (b->skel)
		__atomic_store_n(&b->skel->bss->tracing_stopped, 1, __ATOMIC_SEQ_CST);
}

void us_bpf_memory_detach(struct us_bpf_memory *b)
{
	us_bpf_links_destroy(&b->links);
}

void us_bpf_memory_destroy(struct us_bpf_memory *b)
{
	us_bpf_memory_detach(b);
	alloc_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}
