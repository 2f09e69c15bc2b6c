/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A minimal test harness: TEST(name) registers, CHECK records failures. */
#ifndef USCOPE_UNIT_H
#define USCOPE_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *expr);

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void register_##name(void)      \
	{                                                                   \
		unit_register(#name, test_##name);                          \
	}                                                                   \
	static void test_##name(void)

#define CHECK(expr)                                                         \
	do {                                                                \
		if (!(expr))                                                \
			unit_fail(__FILE__, __LINE__, #expr);               \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		unsigned long long a_ = (unsigned long long)(a);            \
		unsigned long long b_ = (unsigned long long)(b);            \
		if (a_ != b_) {                                             \
			fprintf(stderr, "    %s = %llu, expected %llu\n", #a, a_, b_); \
			unit_fail(__FILE__, __LINE__, #a " == " #b);        \
		}                                                           \
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

#endif
