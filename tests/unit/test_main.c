// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "unit.h"

static struct unit_test tests[256];
static int n_tests, current_failed;

void unit_register(const char *name, void (*fn)(void))
{
	if (n_tests < 256)
		tests[n_tests++] = (struct unit_test){ name, fn };
}

void unit_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "    %s:%d: CHECK failed: %s\n", file, line, expr);
	current_failed = 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < n_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failed = 0;
		tests[i].fn();
		printf("%s %s\n", current_failed ? "FAIL" : "ok  ", tests[i].name);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
