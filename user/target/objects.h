/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* target: the ELF objects a process has, or will have, mapped. */
#ifndef USCOPE_OBJECTS_H
#define USCOPE_OBJECTS_H

#include <stddef.h>

/* An ELF object the target has or will have mapped. */
struct us_object {
	char *path;		/* the path as the target sees it (shown to users) */
	char *open_path;	/* the path uscope opens (through /proc/PID/root) */
};

struct us_object_list {
	struct us_object *items;
	size_t count, cap;
	size_t main_index;	/* the main executable */
};

void us_objects_add(struct us_object_list *list, const char *path, const char *open_path);
void us_objects_free(struct us_object_list *list);
/* Finds the object a pattern's OBJECT part names; NULL with `err` filled. */
const struct us_object *us_objects_find(const struct us_object_list *list, const char *name,
					char *err, size_t errlen);

#endif
