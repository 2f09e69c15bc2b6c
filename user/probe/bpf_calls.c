// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpf_calls.h"
#include "call_stats.h"
#include "events.h"
#include "calls.skel.h"
#include "log.h"
#include "util.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && us_log_verbosity() < 2)
		return 0;
	if (level == LIBBPF_INFO && us_log_verbosity() < 1)
		return 0;
	if (level == LIBBPF_WARN && us_log_verbosity() < 1)
		return 0;	/* failures are reported by uscope itself */
	return vfprintf(stderr, fmt, ap);
}

/* Two file descriptors per probe site: raise the soft limit to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

static void explain_load_error(int err)
{
	if (err == -EPERM || err == -EACCES)
		us_error("loading the BPF programs was refused: uscope needs root "
			 "(or CAP_BPF and CAP_PERFMON); run it with sudo");
	else
		us_error("loading the BPF programs failed: %s (run with -vv for the verifier log)",
			 strerror(-err));
}

/* CAP_BPF (39) and CAP_PERFMON (38), or CAP_SYS_ADMIN (21), effective. */
static bool has_tracing_capabilities(void)
{
	char text[4096], *line;
	unsigned long long caps;

	if (!us_read_text_file("/proc/self/status", text, sizeof(text)))
		return false;
	line = strstr(text, "\nCapEff:");
	if (!line || sscanf(line + 8, "%llx", &caps) != 1)
		return false;
	return (caps & (1ULL << 21)) || ((caps & (1ULL << 38)) && (caps & (1ULL << 39)));
}

/* Multi-uprobe links (6.6) with session programs (6.13): one link a
 * probe family per object, so detach costs one synchronisation, and no
 * return probe is armed once tracing stops. */
static bool kernel_has_uprobe_sessions(char *release, size_t len)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) != 0)
		return true;	/* cannot tell: let the load say */
	snprintf(release, len, "%s", u.release);
	if (sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor >= 13);
}

int us_bpf_check_privileges(void)
{
	char release[65] = "";

	if (!kernel_has_uprobe_sessions(release, sizeof(release))) {
		us_error("uscope needs Linux 6.13 or later (uprobe session links), this is %s",
			 release);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		us_error("this kernel has no BTF (/sys/kernel/btf/vmlinux): uscope needs a kernel "
			 "built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	if (geteuid() != 0 && !has_tracing_capabilities()) {
		us_error("uscope needs root (or CAP_BPF and CAP_PERFMON) to trace: run it with sudo");
		return -1;
	}
	return 0;
}

/* --aggregate: memory for the per-CPU array of the first sites' counters
 * (bpf/calls.bpf.c); the sites past it go to a hash. */
#define US_DENSE_SITES_BUDGET (8u << 20)

static uint32_t dense_sites(void)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t per_site = sizeof(struct us_call_stats) * (size_t)(ncpus > 0 ? ncpus : 1);
	size_t n = US_DENSE_SITES_BUDGET / per_site;

	return n > 65536 ? 65536 : n ? (uint32_t)n : 1;
}

static int open_and_load(struct us_bpf_calls *b, pid_t tgid, size_t ring_bytes,
			 const struct us_calls_options *opts, enum us_unwinder_guard guard)
{
	int err;

	b->skel = calls_bpf__open();
	if (!b->skel) {
		us_error("opening the BPF object failed: %s", strerror(errno));
		return 1;
	}
	b->skel->rodata->target_tgid = (__u32)tgid;
	b->skel->rodata->uscope_tgid = (__u32)getpid();
	b->skel->rodata->wakeup_bytes = ring_bytes / 4;
	b->skel->rodata->aggregate = opts->aggregate;
	b->skel->rodata->dense_sites = dense_sites();
	b->skel->rodata->follow = opts->follow;
	us_bpf_prog_set_uprobe_kind(b->skel->progs.call_probe, US_UPROBE_SESSION);
	us_bpf_prog_set_uprobe_kind(b->skel->progs.restore_return_addresses, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(b->skel->progs.stop_for_unwinder, US_UPROBE_ENTRY);
	bpf_program__set_autoload(b->skel->progs.restore_return_addresses,
				  guard == US_UNWINDER_RESTORED_IN_BPF);
	bpf_program__set_autoload(b->skel->progs.stop_for_unwinder,
				  guard == US_UNWINDER_STOPPED);
	err = bpf_map__set_max_entries(b->skel->maps.events, (__u32)ring_bytes);
	if (!err)
		err = bpf_map__set_max_entries(b->skel->maps.dense_site_stats,
					       b->skel->rodata->dense_sites);
	if (!err)
		err = calls_bpf__load(b->skel);
	if (err) {
		calls_bpf__destroy(b->skel);
		b->skel = NULL;
	}
	b->unwinder_guard = guard;
	return err;
}

int us_bpf_calls_load(struct us_bpf_calls *b, pid_t tgid, size_t ring_bytes,
		      const struct us_calls_options *opts)
{
	int err;

	memset(b, 0, sizeof(*b));
	libbpf_set_print(libbpf_print);
	if (us_bpf_check_privileges())
		return -1;
	raise_fd_limit();
	err = open_and_load(b, tgid, ring_bytes, opts, US_UNWINDER_RESTORED_IN_BPF);
	/* a kernel in lockdown refuses bpf_probe_write_user */
	if (err < 0)
		err = open_and_load(b, tgid, ring_bytes, opts, US_UNWINDER_STOPPED);
	if (!b->skel) {
		if (err < 0)
			explain_load_error(err);
		return -1;
	}
	b->shared_maps = (struct us_bpf_shared_maps){
		.events_fd = bpf_map__fd(b->skel->maps.events),
		.state_fd = bpf_map__fd(b->skel->maps.data_shared),
		.thread_losses_fd = bpf_map__fd(b->skel->maps.thread_losses),
		.aggregate_threads_fd = bpf_map__fd(b->skel->maps.aggregate_threads),
		.followed_fd = bpf_map__fd(b->skel->maps.followed),
	};
	/* from now on, uscope's own death stops every probe before they go */
	err = us_bpf_links_add(&b->links, bpf_program__attach(b->skel->progs.thread_exit));
	if (err) {
		us_error("cannot attach to the sched_process_exit tracepoint: %s", strerror(-err));
		return -1;
	}
	return 0;
}

/* A link that failed names no probe: try them one by one to say which. */
static void explain_attach_error(struct us_bpf_calls *b, const struct us_plan *plan,
				 const char *open_path, pid_t pid, int err)
{
	for (size_t i = 0; i < plan->count; i++) {
		const struct us_site *s = &plan->sites[i];
		struct us_bpf_links one = { 0 };
		uint64_t cookie = i;
		int one_err;

		if (!s->probeable || strcmp(s->open_path, open_path) != 0)
			continue;
		one_err = us_bpf_links_add_uprobes(&one, b->skel->progs.call_probe,
						   US_UPROBE_SESSION, s->open_path, &s->probe_offset,
						   &cookie, 1, pid);
		us_bpf_links_destroy(&one);
		if (one_err) {
			us_error("cannot attach a probe to %s in %s (offset 0x%llx): %s", s->function,
				 s->object, (unsigned long long)s->probe_offset, strerror(-one_err));
			return;
		}
	}
	us_error("cannot attach the probes in %s: %s", open_path, strerror(-err));
}

/* One session link for the probeable sites of one object. */
static int attach_object(struct us_bpf_calls *b, const struct us_plan *plan,
			 const char *open_path, pid_t pid)
{
	uint64_t *offsets = us_calloc(plan->count, sizeof(*offsets));
	uint64_t *cookies = us_calloc(plan->count, sizeof(*cookies));
	size_t n = 0;
	int err;

	for (size_t i = 0; i < plan->count; i++) {
		if (!plan->sites[i].probeable || strcmp(plan->sites[i].open_path, open_path) != 0)
			continue;
		offsets[n] = plan->sites[i].probe_offset;
		cookies[n++] = i | (plan->sites[i].loop_head ? US_COOKIE_LOOP_HEAD : 0);
	}
	err = us_bpf_links_add_uprobes(&b->links, b->skel->progs.call_probe, US_UPROBE_SESSION,
				       open_path, offsets, cookies, n, pid);
	if (err)
		explain_attach_error(b, plan, open_path, pid, err);
	free(offsets);
	free(cookies);
	return err;
}

static bool object_seen_before(const struct us_plan *plan, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(plan->sites[j].open_path, plan->sites[i].open_path) == 0)
			return true;
	return false;
}

static bool object_listed(const struct us_object_list *objects, const char *open_path)
{
	if (!objects)
		return true;
	for (size_t i = 0; i < objects->count; i++)
		if (strcmp(objects->items[i].open_path, open_path) == 0)
			return true;
	return false;
}

int us_bpf_calls_attach_for(struct us_bpf_calls *b, const struct us_plan *plan, pid_t pid,
			    const struct us_object_list *objects)
{
	for (size_t i = 0; i < plan->count; i++) {
		if (object_seen_before(plan, i) || !object_listed(objects, plan->sites[i].open_path))
			continue;
		if (attach_object(b, plan, plan->sites[i].open_path, pid))
			return -1;
	}
	return 0;
}

int us_bpf_calls_follow(struct us_bpf_calls *b)
{
	int err = us_bpf_links_add(&b->links, bpf_program__attach(b->skel->progs.task_made));

	if (!err && !b->exec_link) {
		b->exec_link = bpf_program__attach(b->skel->progs.stop_after_exec);
		err = b->exec_link ? 0 : -errno;
	}
	if (err)
		us_error("cannot follow the target's new processes (the sched_process_fork and "
			 "sched_process_exec tracepoints): %s", strerror(-err));
	return err ? -1 : 0;
}

int us_bpf_calls_attach(struct us_bpf_calls *b, const struct us_plan *plan, pid_t pid)
{
	if (us_bpf_calls_attach_for(b, plan, pid, NULL)) {
		us_bpf_calls_detach(b);
		return -1;
	}
	us_debug("attached %zu probe sites (%zu links)", plan->count, us_bpf_links_count(&b->links));
	return 0;
}

int us_bpf_calls_guard_unwinders(struct us_bpf_calls *b,
				 const struct us_unwinder_entries *entries, pid_t pid)
{
	const struct bpf_program *prog = b->unwinder_guard == US_UNWINDER_STOPPED ?
		b->skel->progs.stop_for_unwinder : b->skel->progs.restore_return_addresses;

	for (size_t i = 0; i < entries->count; i++) {
		uint64_t offsets[8], cookies[8];
		size_t n = 0;
		int err;

		if (i && strcmp(entries->items[i - 1].open_path, entries->items[i].open_path) == 0)
			continue;	/* one link per object, made at its first entry */
		for (size_t j = i; j < entries->count && n < 8; j++)
			if (strcmp(entries->items[j].open_path, entries->items[i].open_path) == 0) {
				offsets[n] = entries->items[j].file_offset;
				cookies[n++] = entries->items[j].cookie;
			}
		err = us_bpf_links_add_uprobes(&b->unwinder_links, prog, US_UPROBE_ENTRY,
					       entries->items[i].open_path, offsets, cookies, n, pid);
		if (err) {
			us_error("cannot attach to the stack unwinder in %s: %s",
				 entries->items[i].open_path, strerror(-err));
			return -1;
		}
	}
	return 0;
}

int us_bpf_calls_stop_at_exec(struct us_bpf_calls *b, bool stop)
{
	if (!stop) {
		bpf_link__destroy(b->exec_link);
		b->exec_link = NULL;
		return 0;
	}
	b->exec_link = bpf_program__attach(b->skel->progs.stop_after_exec);
	if (!b->exec_link) {
		us_error("cannot attach to the sched_process_exec tracepoint: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int us_bpf_calls_open_ring(struct us_bpf_calls *b, ring_buffer_sample_fn on_event, void *ctx)
{
	b->ring = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_event, ctx, NULL);
	if (!b->ring) {
		us_error("cannot open the ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int us_bpf_calls_drain(struct us_bpf_calls *b, int timeout_ms)
{
	int n = ring_buffer__poll(b->ring, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	/* poll only consumes rings that woke it; events sent without a wakeup
	 * wait until consumed explicitly */
	n = ring_buffer__consume(b->ring);
	return n < 0 ? n : 0;
}

uint64_t us_bpf_calls_lost(const struct us_bpf_calls *b)
{
	if (!b->skel)
		return 0;
	return __atomic_load_n(&b->skel->data_shared->shared.lost_events, __ATOMIC_RELAXED);
}

void us_bpf_calls_stop(struct us_bpf_calls *b)
{
	if (b->skel)
		__atomic_store_n(&b->skel->data_shared->shared.tracing_stopped, 1, __ATOMIC_SEQ_CST);
}

size_t us_bpf_calls_link_count(const struct us_bpf_calls *b)
{
	return us_bpf_links_count(&b->links) + us_bpf_links_count(&b->unwinder_links) +
	       (b->exec_link ? 1 : 0);
}

void us_bpf_calls_detach(struct us_bpf_calls *b)
{
	us_bpf_calls_stop(b);
	bpf_link__destroy(b->exec_link);
	b->exec_link = NULL;
	us_bpf_links_destroy(&b->links);
	us_bpf_links_destroy(&b->unwinder_links);
}

void us_bpf_calls_destroy(struct us_bpf_calls *b)
{
	us_bpf_calls_detach(b);
	ring_buffer__free(b->ring);
	calls_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}

int us_bpf_calls_read_stats(const struct us_bpf_calls *b, uint32_t site,
			    struct us_call_stats *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct us_call_stats *per_cpu;
	int err;

	if (ncpus <= 0)
		return -1;
	per_cpu = us_calloc((size_t)ncpus, sizeof(*per_cpu));
	err = bpf_map_lookup_elem(site < b->skel->rodata->dense_sites ?
				  bpf_map__fd(b->skel->maps.dense_site_stats) :
				  bpf_map__fd(b->skel->maps.site_stats), &site, per_cpu);
	if (!err)
		us_call_stats_merge(per_cpu, (size_t)ncpus, out);
	free(per_cpu);
	return err ? -1 : 0;
}

void us_bpf_calls_continue_followed(const struct us_bpf_calls *b)
{
	uint32_t key, next;
	bool first = true;
	int fd;

	if (!b->skel)
		return;
	fd = bpf_map__fd(b->skel->maps.followed);
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		kill((pid_t)key, SIGCONT);
	}
}
