// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "bpf_memory.h"
#include "events.h"
#include "alloc.skel.h"
#include "log.h"
#include "target.h"
#include "util.h"

/* Live blocks the BPF hash map can hold; allocated as they come. */
#define LIVE_BLOCKS_MAX (4u << 20)

int us_bpf_memory_load(struct us_bpf_memory *b, pid_t tgid, const struct us_bpf_shared_maps *shared,
		       size_t ring_bytes, const struct us_memory_options *opts)
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
	us_bpf_prog_set_uprobe_kind(b->skel->progs.allocator, US_UPROBE_SESSION);
	us_bpf_prog_set_uprobe_kind(b->skel->progs.free_enter, US_UPROBE_ENTRY);
	err = bpf_map__set_max_entries(b->skel->maps.live_blocks, LIVE_BLOCKS_MAX);
	if (err)
		us_error("cannot size the live-block map: %s", strerror(-err));
	else
		err = us_bpf_load_sharing(b->skel->skeleton, shared, "the memory BPF programs");
	if (err) {
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

/* One link per object and kind: allocators (session) or frees (entry only). */
static int attach_sites(struct us_bpf_memory *b, const struct us_memory_plan *mp, size_t first,
			bool frees, pid_t pid)
{
	const char *open_path = mp->sites[first].open_path;
	uint64_t *offsets = us_calloc(mp->count, sizeof(*offsets));
	uint64_t *cookies = us_calloc(mp->count, sizeof(*cookies));
	size_t n = 0;
	int err;

	for (size_t i = first; i < mp->count; i++) {
		const struct us_alloc_site *s = &mp->sites[i];

		if (s->is_free != frees || strcmp(s->open_path, open_path) != 0)
			continue;
		offsets[n] = s->probe_offset;
		cookies[n++] = s->cookie;
	}
	err = us_bpf_links_add_uprobes(&b->links, frees ? b->skel->progs.free_enter
							: b->skel->progs.allocator,
				       frees ? US_UPROBE_ENTRY : US_UPROBE_SESSION, open_path,
				       offsets, cookies, n, pid);
	if (err)
		us_error("cannot attach the memory probes on %s in %s: %s",
			 frees ? "free" : "the allocators", mp->sites[first].object, strerror(-err));
	free(offsets);
	free(cookies);
	return err;
}

/* Whether site i is the first of its object and kind (its link's leader). */
static bool leads_its_link(const struct us_memory_plan *mp, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (mp->sites[j].is_free == mp->sites[i].is_free &&
		    strcmp(mp->sites[j].open_path, mp->sites[i].open_path) == 0)
			return false;
	return true;
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
		if (leads_its_link(mp, i) && attach_sites(b, mp, i, mp->sites[i].is_free, pid)) {
			us_bpf_memory_detach(b);
			return -1;
		}
	}
	b->initial_rss_bytes = us_process_rss_bytes(pid);
	us_debug("attached %zu memory probes", mp->count);
	return 0;
}

void us_bpf_memory_totals(const struct us_bpf_memory *b, uint32_t pid, uint64_t ts_ns,
			  uint64_t live_rss_bytes, struct us_mem_totals_event *totals)
{
	memset(totals, 0, sizeof(*totals));
	totals->hdr = (struct us_event_header){ .type = US_EV_MEM_TOTALS, .size = sizeof(*totals),
						.tid = pid, .ts_ns = ts_ns };
	if (!b->skel)
		return;
	totals->initial_rss_bytes = b->initial_rss_bytes;
	totals->peak_rss_bytes = b->skel->bss->peak_rss_bytes;
	totals->final_rss_bytes = live_rss_bytes ? live_rss_bytes : b->skel->bss->current_rss_bytes;
	totals->unknown_frees = b->skel->bss->unknown_frees;
	totals->untracked_allocs = b->skel->bss->untracked_allocs;
	totals->missed_returns = b->skel->bss->missed_returns;
	if (totals->initial_rss_bytes > totals->peak_rss_bytes)
		totals->peak_rss_bytes = totals->initial_rss_bytes;
	if (totals->final_rss_bytes > totals->peak_rss_bytes)
		totals->peak_rss_bytes = totals->final_rss_bytes;
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
