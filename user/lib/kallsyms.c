// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"
#include "util.h"

struct kernel_symbol {
	uint64_t address;
	char *name;
	char *module;
};

struct us_kallsyms {
	struct kernel_symbol *symbols;
	size_t count, cap;
};

static int by_address(const void *a, const void *b)
{
	const struct kernel_symbol *x = a, *y = b;

	return (x->address > y->address) - (x->address < y->address);
}

struct us_kallsyms *us_kallsyms_load(const char *path)
{
	FILE *f = fopen(path ? path : "/proc/kallsyms", "re");
	struct us_kallsyms *k;
	char line[512];

	if (!f)
		return NULL;
	k = us_calloc(1, sizeof(*k));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long address;
		char type, name[256], module[128] = "";

		if (sscanf(line, "%llx %c %255s [%127[^]]]", &address, &type, name, module) < 3)
			continue;
		if (!address || (type != 't' && type != 'T' && type != 'w' && type != 'W'))
			continue;	/* functions only */
		us_grow(&k->symbols, &k->cap, k->count + 1, sizeof(*k->symbols));
		k->symbols[k->count++] = (struct kernel_symbol){ address, us_strdup(name),
								 us_strdup(module) };
	}
	fclose(f);
	if (!k->count) {	/* all zero: not root, or kptr_restrict */
		us_kallsyms_free(k);
		return NULL;
	}
	qsort(k->symbols, k->count, sizeof(*k->symbols), by_address);
	return k;
}

bool us_kallsyms_name(const struct us_kallsyms *k, uint64_t address, const char **function,
		      const char **module)
{
	size_t lo = 0, hi = k ? k->count : 0;

	while (lo < hi) {	/* the last symbol at or below the address */
		size_t mid = lo + (hi - lo) / 2;

		if (k->symbols[mid].address <= address)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	*function = k->symbols[lo - 1].name;
	*module = k->symbols[lo - 1].module;
	return true;
}

void us_kallsyms_free(struct us_kallsyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->count; i++) {
		free(k->symbols[i].name);
		free(k->symbols[i].module);
	}
	free(k->symbols);
	free(k);
}
