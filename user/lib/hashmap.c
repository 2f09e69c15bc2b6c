// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "util.h"

static size_t slot_of(const struct us_map *m, uint64_t key)
{
	size_t i = (size_t)us_hash_u64(key) & (m->cap - 1);

	while (m->values[i] != US_MAP_NONE && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

uint32_t us_map_get(const struct us_map *m, uint64_t key)
{
	return m->cap ? m->values[slot_of(m, key)] : US_MAP_NONE;
}

static void rehash(struct us_map *m, size_t new_cap)
{
	struct us_map bigger = {
		.keys = us_calloc(new_cap, sizeof(uint64_t)),
		.values = us_calloc(new_cap, sizeof(uint32_t)),
		.cap = new_cap,
	};

	memset(bigger.values, 0xff, new_cap * sizeof(uint32_t));
	for (size_t i = 0; i < m->cap; i++)
		if (m->values[i] != US_MAP_NONE)
			us_map_put(&bigger, m->keys[i], m->values[i]);
	free(m->keys);
	free(m->values);
	*m = bigger;
}

void us_map_put(struct us_map *m, uint64_t key, uint32_t value)
{
	size_t i;

	if ((m->count + 1) * 2 > m->cap)
		rehash(m, m->cap ? m->cap * 2 : 64);
	i = slot_of(m, key);
	if (m->values[i] == US_MAP_NONE)
		m->count++;
	m->keys[i] = key;
	m->values[i] = value;
}

/* Linear probing: later keys of the same run shift back into the hole. */
void us_map_remove(struct us_map *m, uint64_t key)
{
	size_t hole, i, home;

	if (!m->cap)
		return;
	hole = slot_of(m, key);
	if (m->values[hole] == US_MAP_NONE)
		return;
	m->values[hole] = US_MAP_NONE;
	m->count--;
	for (i = (hole + 1) & (m->cap - 1); m->values[i] != US_MAP_NONE; i = (i + 1) & (m->cap - 1)) {
		home = (size_t)us_hash_u64(m->keys[i]) & (m->cap - 1);
		/* the entry may move to the hole when its home is not in (hole, i] */
		if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
			m->keys[hole] = m->keys[i];
			m->values[hole] = m->values[i];
			m->values[i] = US_MAP_NONE;
			hole = i;
		}
	}
}

void us_map_free(struct us_map *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}
