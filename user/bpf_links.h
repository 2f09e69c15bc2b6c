/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf: the links a probe family holds, removed together. */
#ifndef USCOPE_BPF_LINKS_H
#define USCOPE_BPF_LINKS_H

#include <stddef.h>

struct bpf_link;

struct us_bpf_links {
	struct bpf_link **items;
	size_t count, cap;
};

/* Keeps `link`. A NULL link (a failed attach) returns -errno, else 0. */
int us_bpf_links_add(struct us_bpf_links *l, struct bpf_link *link);
/* Removes every probe the links hold. */
void us_bpf_links_destroy(struct us_bpf_links *l);

#endif
