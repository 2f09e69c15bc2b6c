// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"

static void out_of_memory(void)
{
	fputs("uscope: error: out of memory\n", stderr);
	abort();
}

void us_sort(void *items, size_t n, size_t elem_size,
	     int (*compare)(const void *, const void *))
{
	if (n > 1)
		qsort(items, n, elem_size, compare);
}

void us_sort_with(void *items, size_t n, size_t elem_size,
		  int (*compare)(const void *, const void *, void *), void *ctx)
{
	if (n > 1)
		qsort_r(items, n, elem_size, compare, ctx);
}

void us_grow(void *items_ptr, size_t *cap, size_t need, size_t elem_size)
{
	void **items = items_ptr;
	size_t new_cap;
	void *grown;

	if (need <= *cap)
		return;
	new_cap = *cap ? *cap * 2 : 16;
	while (new_cap < need)
		new_cap *= 2;
	grown = realloc(*items, new_cap * elem_size);
	if (!grown)
		out_of_memory();
	*items = grown;
	*cap = new_cap;
}

void *us_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

char *us_strdup(const char *s)
{
	char *copy = strdup(s ? s : "");

	if (!copy)
		out_of_memory();
	return copy;
}

char *us_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory();
	return s;
}

bool us_parse_duration_ns(const char *text, uint64_t *out_ns)
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
	};
	char *end;
	double value;

	if (!text || !*text)
		return false;
	errno = 0;
	value = strtod(text, &end);
	if (errno || end == text || value < 0 || !isfinite(value))
		return false;
	for (size_t i = 0; i < US_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			double ns = value * units[i].scale;

			if (ns > 1.8e19)
				return false;
			*out_ns = (uint64_t)(ns + 0.5);
			return true;
		}
	}
	return false;
}

bool us_parse_uint(const char *text, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!text || !*text || *text == '-' || *text == '+')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

size_t us_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = us_calloc(lb + 1, sizeof(*row));
	size_t result;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	result = row[lb];
	free(row);
	return result;
}

uint64_t us_hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t us_hash_u64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

bool us_read_text_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

bool us_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!path || strncmp(path, dir, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/' || (n == 1 && dir[0] == '/');
}

bool us_parse_bytes(const char *text, uint64_t *out)
{
	static const char units[] = "KMG";
	char *end;
	unsigned long long v;
	const char *unit;

	if (!text || !*text || *text == '-')
		return false;
	v = strtoull(text, &end, 10);
	if (end == text)
		return false;
	if (*end == '\0') {
		*out = v;
		return true;
	}
	unit = strchr(units, *end);
	if (!unit || (end[1] != '\0' && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0))
		return false;
	*out = (uint64_t)v << (10 * (unit - units + 1));
	return true;
}

bool us_glob_match(const char *glob, const char *name)
{
	return fnmatch(glob, name, 0) == 0;
}

const char *us_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

char *us_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t cap = 0, n = 0;
	int saved;

	if (!f)
		return NULL;
	for (;;) {
		us_grow(&text, &cap, n + 4097, 1);
		size_t got = fread(text + n, 1, 4096, f);

		n += got;
		if (got < 4096)
			break;
	}
	saved = ferror(f) ? EIO : 0;
	fclose(f);
	if (saved) {
		free(text);
		errno = saved;
		return NULL;
	}
	text[n] = '\0';
	*len = n;
	return text;
}
