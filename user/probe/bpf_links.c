// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_links.h"
#include "log.h"
#include "util.h"

/* enum bpf_attach_type values of kernel 6.13+ (vmlinux/x86/vmlinux.h),
 * which Debian 12's <linux/bpf.h> predates. */
#define US_BPF_TRACE_UPROBE_MULTI 48
#define US_BPF_TRACE_UPROBE_SESSION 57

/* union bpf_attr's link_create for uprobe_multi, as the kernel lays it out
 * (checked against vmlinux.h in bpf/calls.bpf.c). */
struct uprobe_multi_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
};

static uint32_t attach_type_of(enum us_uprobe_kind kind)
{
	return kind == US_UPROBE_SESSION ? US_BPF_TRACE_UPROBE_SESSION : US_BPF_TRACE_UPROBE_MULTI;
}

void us_bpf_prog_set_uprobe_kind(struct bpf_program *prog, enum us_uprobe_kind kind)
{
	bpf_program__set_expected_attach_type(prog, (enum bpf_attach_type)attach_type_of(kind));
}

int us_bpf_links_add(struct us_bpf_links *l, struct bpf_link *link)
{
	if (!link)
		return errno ? -errno : -EINVAL;
	us_grow(&l->items, &l->cap, l->count + 1, sizeof(*l->items));
	l->items[l->count++] = link;
	return 0;
}

int us_bpf_links_add_uprobes(struct us_bpf_links *l, const struct bpf_program *prog,
			     enum us_uprobe_kind kind, const char *path, const uint64_t *offsets,
			     const uint64_t *cookies, size_t n, pid_t pid)
{
	union bpf_attr attr;
	struct uprobe_multi_attr *um = (struct uprobe_multi_attr *)&attr.link_create;
	int fd;

	_Static_assert(sizeof(struct uprobe_multi_attr) <= sizeof(attr), "bpf_attr too small");
	if (n == 0)
		return 0;
	memset(&attr, 0, sizeof(attr));
	um->prog_fd = (uint32_t)bpf_program__fd(prog);
	um->attach_type = attach_type_of(kind);
	um->path = (uint64_t)(uintptr_t)path;
	um->offsets = (uint64_t)(uintptr_t)offsets;
	um->cookies = (uint64_t)(uintptr_t)cookies;
	um->cnt = (uint32_t)n;
	um->pid = (uint32_t)pid;
	fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	us_grow(&l->fds, &l->fds_cap, l->n_fds + 1, sizeof(*l->fds));
	l->fds[l->n_fds++] = fd;
	return 0;
}

int us_bpf_share_maps(struct bpf_object *obj, const struct us_bpf_shared_maps *shared)
{
	static const char *const names[] = { "events", ".data.shared", "thread_losses",
					     "aggregate_threads", "followed" };
	const int fds[] = { shared->events_fd, shared->state_fd, shared->thread_losses_fd,
			    shared->aggregate_threads_fd, shared->followed_fd };

	for (size_t i = 0; i < US_ARRAY_SIZE(names); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, names[i]);
		int err = map ? bpf_map__reuse_fd(map, fds[i]) : -ENOENT;

		if (err) {
			us_error("cannot share the %s map between BPF objects: %s", names[i],
				 strerror(-err));
			return err;
		}
	}
	return 0;
}

int us_bpf_load_sharing(struct bpf_object_skeleton *skeleton,
			const struct us_bpf_shared_maps *shared, const char *what)
{
	int err = us_bpf_share_maps(*skeleton->obj, shared);

	if (!err)
		err = bpf_object__load_skeleton(skeleton);
	if (err)
		us_error("loading %s failed: %s (run with -vv for the verifier log)", what,
			 strerror(-err));
	return err;
}

size_t us_bpf_links_count(const struct us_bpf_links *l)
{
	return l->n_fds + l->count;
}

void us_bpf_links_destroy(struct us_bpf_links *l)
{
	for (size_t i = 0; i < l->n_fds; i++)
		close(l->fds[i]);
	for (size_t i = 0; i < l->count; i++)
		bpf_link__destroy(l->items[i]);
	free(l->fds);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
