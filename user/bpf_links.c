// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "bpf_links.h"
#include "util.h"

int us_bpf_links_add(struct us_bpf_links *l, struct bpf_link *link)
{
	if (!link)
		return errno ? -errno : -EINVAL;
	us_grow(&l->items, &l->cap, l->count + 1, sizeof(*l->items));
	l->items[l->count++] = link;
	return 0;
}

void us_bpf_links_destroy(struct us_bpf_links *l)
{
	for (size_t i = 0; i < l->count; i++)
		bpf_link__destroy(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
