// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A small program to trace: builds shapes, measures them, sorts them, and
 * prints a summary. `uscope run -- build/examples/shapes` shows its call tree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct shape {
	char kind;	/* 'c'ircle, 'r'ectangle, 't'riangle */
	double a, b, c;
};

static double circle_area(const struct shape *s)
{
	return M_PI * s->a * s->a;
}

static double rectangle_area(const struct shape *s)
{
	return s->a * s->b;
}

static double triangle_area(const struct shape *s)
{
	double p = (s->a + s->b + s->c) / 2;

	return sqrt(p * (p - s->a) * (p - s->b) * (p - s->c));
}

static double area(const struct shape *s)
{
	switch (s->kind) {
	case 'c': return circle_area(s);
	case 'r': return rectangle_area(s);
	default: return triangle_area(s);
	}
}

static int by_area(const void *x, const void *y)
{
	double ax = area(x), ay = area(y);

	return (ax > ay) - (ax < ay);
}

static void make_shapes(struct shape *shapes, int n)
{
	for (int i = 0; i < n; i++) {
		shapes[i].kind = "crt"[i % 3];
		shapes[i].a = 3 + i % 7;
		shapes[i].b = 4 + i % 5;
		shapes[i].c = 5 + i % 3;
	}
}

static void slow_report(double total)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };	/* 5 ms: shows up as self time */

	nanosleep(&pause, NULL);
	printf("total area %.2f\n", total);
}

int main(void)
{
	struct shape shapes[30];
	double total = 0;

	make_shapes(shapes, 30);
	qsort(shapes, 30, sizeof(shapes[0]), by_area);
	for (int i = 0; i < 30; i++)
		total += area(&shapes[i]);
	slow_report(total);
	return 0;
}
