/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An open-addressing map from 64-bit keys to 32-bit indexes. */
#ifndef USCOPE_HASHMAP_H
#define USCOPE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define US_MAP_NONE UINT32_MAX

struct us_map {
	uint64_t *keys;
	uint32_t *values;	/* US_MAP_NONE marks an empty slot */
	size_t cap, count;
};

uint32_t us_map_get(const struct us_map *m, uint64_t key);	/* US_MAP_NONE if absent */
void us_map_put(struct us_map *m, uint64_t key, uint32_t value);
void us_map_remove(struct us_map *m, uint64_t key);
void us_map_free(struct us_map *m);

#endif
