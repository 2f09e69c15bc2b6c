// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "objects.h"
#include "util.h"

void us_objects_add(struct us_object_list *list, const char *path, const char *open_path)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].path, path) == 0)
			return;
	us_grow(&list->items, &list->cap, list->count + 1, sizeof(*list->items));
	list->items[list->count++] = (struct us_object){
		.path = us_strdup(path), .open_path = us_strdup(open_path ? open_path : path),
	};
}

void us_objects_free(struct us_object_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].path);
		free(list->items[i].open_path);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* "libc" names libc.so.6 and libc-2.36.so, not libcap.so.2; "libpython"
 * names libpython3.11.so.1.0; "libpython3*" is a glob on the file name. */
static bool name_prefix_matches(const char *prefix, const char *path)
{
	const char *base = us_base_name(path);
	size_t n = strlen(prefix);

	if (strpbrk(prefix, "*?["))
		return us_glob_match(prefix, base);
	if (strncmp(base, prefix, n) != 0)
		return false;
	return base[n] == '\0' || base[n] == '.' || base[n] == '-' ||
	       (base[n] >= '0' && base[n] <= '9');
}

const struct us_object *us_objects_find(const struct us_object_list *list, const char *name,
					char *err, size_t errlen)
{
	const struct us_object *found = NULL;
	size_t matches = 0;

	if (!name)
		return list->count ? &list->items[list->main_index] : NULL;
	if (strchr(name, '/')) {
		char *real = realpath(name, NULL);

		for (size_t i = 0; real && i < list->count; i++) {
			if (strcmp(list->items[i].path, real) == 0) {
				free(real);
				return &list->items[i];
			}
		}
		free(real);
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct us_object *o = &list->items[i];

		if (strcmp(o->path, name) == 0 || strcmp(us_base_name(o->path), name) == 0)
			return o;
		if (name_prefix_matches(name, o->path)) {
			found = o;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1) {
		snprintf(err, errlen, "object '%s' is ambiguous; name it by path", name);
		return NULL;
	}
	size_t used = (size_t)snprintf(err, errlen, "no object '%s' is loaded in the target; loaded:",
				       name);
	for (size_t i = 0; i < list->count && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, " %s", us_base_name(list->items[i].path));
	return NULL;
}
