// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf_profile.h"
#include "events.h"
#include "log.h"
#include "profile.skel.h"
#include "util.h"

int us_bpf_profile_load(struct us_bpf_profile *b, const struct us_bpf_shared_maps *shared,
			size_t ring_bytes, const struct us_profile_options *opts)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->skel = profile_bpf__open();
	if (!b->skel) {
		us_error("opening the profile BPF object failed: %s", strerror(errno));
		return -1;
	}
	b->skel->rodata->wakeup_bytes = ring_bytes / 4;
	b->skel->rodata->profile_all = opts->all_processes;
	b->skel->rodata->follow_children = opts->follow_children;
	b->skel->rodata->uscope_tgid = (__u32)getpid();
	b->skel->rodata->with_kernel = opts->kernel;
	if (opts->off_cpu)
		b->skel->rodata->off_cpu_period_ns = 1000000000ULL / opts->frequency_hz;
	bpf_program__set_autoload(b->skel->progs.on_switch, opts->off_cpu);
	bpf_program__set_autoload(b->skel->progs.on_sys_exit, opts->off_cpu);
	err = us_bpf_load_sharing(b->skel->skeleton, shared, "the profile BPF programs");
	if (err) {
		profile_bpf__destroy(b->skel);
		b->skel = NULL;
		return -1;
	}
	return 0;
}

int us_bpf_profile_add_process(struct us_bpf_profile *b, pid_t pid)
{
	__u32 key = (__u32)pid;
	__u8 yes = 1;
	int err = bpf_map__update_elem(b->skel->maps.profiled, &key, sizeof(key), &yes,
				       sizeof(yes), BPF_ANY);

	if (err)
		us_error("cannot profile PID %d: %s", (int)pid, strerror(-err));
	return err;
}

int us_bpf_profile_add_python(struct us_bpf_profile *b, pid_t pid,
			      const struct us_py_sampling *layout)
{
	__u32 key = (__u32)pid;

	return bpf_map__update_elem(b->skel->maps.python_processes, &key, sizeof(key), layout,
				    sizeof(*layout), BPF_ANY);
}

static int open_cpu_clock(int cpu, unsigned frequency_hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = frequency_hz,
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int attach_tracepoints(struct us_bpf_profile *b, const struct us_profile_options *opts)
{
	if (us_bpf_links_add(&b->links, bpf_program__attach(b->skel->progs.on_fork)) ||
	    us_bpf_links_add(&b->links, bpf_program__attach(b->skel->progs.on_exec))) {
		us_error("cannot attach the profiler's fork and exec tracepoints: %s",
			 strerror(errno));
		return -1;
	}
	if (opts->off_cpu &&
	    (us_bpf_links_add(&b->links, bpf_program__attach(b->skel->progs.on_switch)) ||
	     us_bpf_links_add(&b->links, bpf_program__attach(b->skel->progs.on_sys_exit)))) {
		us_error("cannot attach the off-CPU tracepoints (sched_switch, sys_exit): %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int us_bpf_profile_attach(struct us_bpf_profile *b, const struct us_profile_options *opts)
{
	int cpus = libbpf_num_possible_cpus();

	if (cpus <= 0) {
		us_error("cannot count the CPUs: %s", strerror(-cpus));
		return -1;
	}
	if (attach_tracepoints(b, opts))
		goto fail;
	b->perf_fds = us_calloc((size_t)cpus, sizeof(*b->perf_fds));
	for (int cpu = 0; cpu < cpus && opts->on_cpu; cpu++) {
		int fd = open_cpu_clock(cpu, opts->frequency_hz);
		struct bpf_link *link;

		if (fd < 0 && errno == ENODEV)
			continue;	/* a possible CPU that is not online */
		if (fd < 0) {
			us_error("cannot open a cpu-clock perf event on CPU %d: %s%s", cpu,
				 strerror(errno), errno == EINVAL ?
				 " (is -F above /proc/sys/kernel/perf_event_max_sample_rate?)" : "");
			goto fail;
		}
		b->perf_fds[b->n_perf_fds++] = fd;
		link = bpf_program__attach_perf_event(b->skel->progs.on_cpu_sample, fd);
		if (us_bpf_links_add(&b->links, link)) {
			us_error("cannot attach the sampler to CPU %d: %s", cpu, strerror(errno));
			goto fail;
		}
	}
	us_debug("sampling %zu CPUs at %u Hz", b->n_perf_fds, opts->frequency_hz);
	return 0;
fail:
	us_bpf_profile_detach(b);
	return -1;
}

uint64_t us_bpf_profile_samples_taken(const struct us_bpf_profile *b)
{
	return b->skel ? b->skel->bss->samples_taken + b->skel->bss->off_cpu_samples_taken : 0;
}

uint64_t us_bpf_profile_stacks_unreadable(const struct us_bpf_profile *b)
{
	return b->skel ? b->skel->bss->stacks_unreadable : 0;
}

void us_bpf_profile_detach(struct us_bpf_profile *b)
{
	us_bpf_links_destroy(&b->links);
	for (size_t i = 0; i < b->n_perf_fds; i++)
		close(b->perf_fds[i]);
	free(b->perf_fds);
	b->perf_fds = NULL;
	b->n_perf_fds = 0;
}

void us_bpf_profile_destroy(struct us_bpf_profile *b)
{
	us_bpf_profile_detach(b);
	profile_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}
