// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "report_text.h"

struct us_time_unit us_time_unit_for(uint64_t max_ns)
{
	if (max_ns < 1000000ULL)
		return (struct us_time_unit){ "us", 1e3 };
	if (max_ns < 100000000000ULL)
		return (struct us_time_unit){ "ms", 1e6 };
	return (struct us_time_unit){ "s", 1e9 };
}

void us_print_time(FILE *out, struct us_time_unit unit, uint64_t ns, int width)
{
	fprintf(out, "%*.3f", width, (double)ns / unit.ns);
}

struct us_bytes_unit us_bytes_unit_for(uint64_t max_bytes)
{
	if (max_bytes < 10ULL << 10)
		return (struct us_bytes_unit){ "B", 1 };
	if (max_bytes < 10ULL << 20)
		return (struct us_bytes_unit){ "KiB", 1024.0 };
	if (max_bytes < 10ULL << 30)
		return (struct us_bytes_unit){ "MiB", 1024.0 * 1024 };
	return (struct us_bytes_unit){ "GiB", 1024.0 * 1024 * 1024 };
}

void us_print_bytes(FILE *out, struct us_bytes_unit unit, uint64_t bytes, int width)
{
	if (unit.bytes == 1)
		fprintf(out, "%*llu", width, (unsigned long long)bytes);
	else
		fprintf(out, "%*.1f", width, (double)bytes / unit.bytes);
}

const char *us_color(const struct us_report_options *ro, enum us_color c)
{
	static const char *const codes[] = {
		[US_COLOR_BOLD] = "\033[1m", [US_COLOR_RED] = "\033[31m",
		[US_COLOR_YELLOW] = "\033[33m", [US_COLOR_DIM] = "\033[2m",
		[US_COLOR_RESET] = "\033[0m",
	};

	return ro && ro->color ? codes[c] : "";
}

const char *us_heat_color(const struct us_report_options *ro, double percent)
{
	if (percent >= 50)
		return us_color(ro, US_COLOR_RED);
	if (percent >= 10)
		return us_color(ro, US_COLOR_YELLOW);
	return "";
}

/* UTF-8: a byte that starts a character. */
static bool starts_character(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

/* Display columns of the first `len` bytes of UTF-8 `text`. */
static int columns_of(const char *text, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len && text[i]; i++)
		n += starts_character((unsigned char)text[i]);
	return n;
}

/* Writes the first `columns` display columns of text's first `len` bytes. */
static void print_columns(FILE *out, const char *text, size_t len, int columns)
{
	size_t i = 0;
	int shown = 0;

	for (; i < len && text[i]; i++) {
		if (starts_character((unsigned char)text[i]) && ++shown > columns)
			break;
	}
	fwrite(text, 1, i, out);
}

void us_print_cut_keeping(FILE *out, const char *text, int columns, size_t name_start,
			  size_t keep_start, size_t keep_len)
{
	enum { MIN_NAME_COLUMNS = 12 };
	int keep_cols = columns_of(text + keep_start, keep_len);
	int head_cols = columns - 1 - keep_cols;

	if (columns <= 0 || !keep_len || columns_of(text, strlen(text)) <= columns ||
	    columns_of(text, keep_start + keep_len) <= columns - 1 ||
	    head_cols - columns_of(text, name_start) < MIN_NAME_COLUMNS) {
		us_print_cut(out, text, columns);	/* the place fits, or nothing to keep */
		return;
	}
	print_columns(out, text, keep_start, head_cols);
	fputs("…", out);
	fwrite(text + keep_start, 1, keep_len, out);
}

void us_label_place(const char *label, size_t *keep_start, size_t *keep_len)
{
	const char *open = strrchr(label, '(');
	size_t n = strlen(label);

	*keep_start = *keep_len = 0;
	if (!open || open == label || open[-1] != ' ' || label[n - 1] != ')' ||
	    !strchr(open, ':'))
		return;
	*keep_start = (size_t)(open - 1 - label);
	*keep_len = n - *keep_start;
}

void us_print_cut(FILE *out, const char *text, int columns)
{
	int shown = 0;
	size_t i, cut = 0;

	if (columns <= 0) {
		fputs(text, out);
		return;
	}
	for (i = 0; text[i]; i++) {
		if (!starts_character((unsigned char)text[i]))
			continue;
		if (shown == columns - 1)
			cut = i;
		if (++shown > columns)
			break;
	}
	if (shown <= columns) {
		fputs(text, out);
		return;
	}
	fwrite(text, 1, cut, out);
	fputs("…", out);
}
