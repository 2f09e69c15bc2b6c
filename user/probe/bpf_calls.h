/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* probe: load calls.bpf.c, attach one session probe per site (the cookie is
 * the site id, one multi-uprobe link per object) or, with --aggregate, add
 * up each site's calls and times in a map, and hand out the ring
 * buffer and the state every probe family shares (bpf/shared.bpf.h); the
 * other families join it in a probe session (probe_session.h). */
#ifndef USCOPE_BPF_CALLS_H
#define USCOPE_BPF_CALLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <bpf/libbpf.h>
#include "bpf_links.h"
#include "events.h"
#include "plan.h"
#include "plan_unwinders.h"

struct calls_bpf;

/* How the return addresses go back before the target's stack unwinder reads
 * them (bpf/calls.bpf.c). */
enum us_unwinder_guard {
	US_UNWINDER_RESTORED_IN_BPF = 1,	/* restore_return_addresses writes them */
	US_UNWINDER_STOPPED,			/* lockdown: the target stops, uscope writes */
};

struct us_bpf_calls {
	struct calls_bpf *skel;
	struct us_bpf_shared_maps shared_maps;
	struct us_bpf_links links;
	struct us_bpf_links unwinder_links;	/* where the target's stack unwinders start */
	struct ring_buffer *ring;
	struct bpf_link *exec_link;	/* stop_after_exec, while following a shim */
	enum us_unwinder_guard unwinder_guard;
};

/* Whether this kernel and uscope's privileges allow tracing: 0, or -1 after
 * saying what is missing. */
int us_bpf_check_privileges(void);
/* Checks BTF and privileges, opens and loads the programs for `tgid`, and
 * starts watching uscope's own exit (which stops every probe at once).
 * Returns 0, or -1 after saying what failed and what to do. */
struct us_calls_options {
	bool aggregate;		/* counters in BPF maps, no record per call */
	bool follow;		/* processes the target makes are traced too */
};

int us_bpf_calls_load(struct us_bpf_calls *b, pid_t tgid, size_t ring_bytes,
		      const struct us_calls_options *opts);
/* --aggregate: the counters of one probe site, all CPUs together. Returns 0
 * (all zero for a site never called), or -1 when there is nothing to read. */
int us_bpf_calls_read_stats(const struct us_bpf_calls *b, uint32_t site,
			    struct us_call_stats *out);
/* Attaches every site of the plan, filtered to `pid`. On failure nothing
 * stays attached. */
int us_bpf_calls_attach(struct us_bpf_calls *b, const struct us_plan *plan, pid_t pid);
/* Puts the real return addresses back before the target's stack unwinder
 * reads them (bpf/calls.bpf.c): at each entry point, in process `pid`. */
int us_bpf_calls_guard_unwinders(struct us_bpf_calls *b,
				 const struct us_unwinder_entries *entries, pid_t pid);
/* Attaches the sites of the plan that are in `objects` (NULL: all), for
 * process `pid` (a process the target made). */
int us_bpf_calls_attach_for(struct us_bpf_calls *b, const struct us_plan *plan, pid_t pid,
			    const struct us_object_list *objects);
/* --follow: from now on each process a traced process makes, and each exec,
 * stops for uscope and comes as US_EV_TASK_NEW or US_EV_PROCESS_EXEC. */
int us_bpf_calls_follow(struct us_bpf_calls *b);
/* --follow, at the end: every process followed goes on, in case one was
 * stopped for uscope and its record was never read. */
void us_bpf_calls_continue_followed(const struct us_bpf_calls *b);
/* Stops the target at each exec (following a shim), or no longer. */
int us_bpf_calls_stop_at_exec(struct us_bpf_calls *b, bool stop);
int us_bpf_calls_open_ring(struct us_bpf_calls *b, ring_buffer_sample_fn on_event, void *ctx);
/* Drains everything waiting in the ring buffer; waits up to timeout_ms first. */
int us_bpf_calls_drain(struct us_bpf_calls *b, int timeout_ms);
uint64_t us_bpf_calls_lost(const struct us_bpf_calls *b);
/* Every probe of every family stops recording and arming return probes. */
void us_bpf_calls_stop(struct us_bpf_calls *b);
/* The links detach will remove (each costs the kernel a synchronisation). */
size_t us_bpf_calls_link_count(const struct us_bpf_calls *b);
/* Removes this family's probes; the ring stays readable. */
void us_bpf_calls_detach(struct us_bpf_calls *b);
void us_bpf_calls_destroy(struct us_bpf_calls *b);

#endif
