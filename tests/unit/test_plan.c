// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* plan: probe placement, patterns, objects, symbols. */
#include <stdlib.h>
#include "plan.h"
#include "elf_symbols.h"
#include "plan_site.h"
#include "demangle.h"
#include "unit.h"
#include "util.h"

TEST(placement_skips_endbr64_before_push)
{
	const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5 };
	struct us_placement p = us_place_probe(code, sizeof(code));

	CHECK_EQ(p.skip, 4);
	CHECK(p.probeable);
	CHECK(p.emulated);
	CHECK_STR(p.insn, "push");
}

TEST(placement_push_r12_is_emulated)
{
	const uint8_t code[] = { 0x41, 0x54, 0x55 };
	struct us_placement p = us_place_probe(code, sizeof(code));

	CHECK_EQ(p.skip, 0);
	CHECK(p.emulated);
}

TEST(placement_mov_is_single_stepped)
{
	const uint8_t code[] = { 0x48, 0x8d, 0x47, 0x01, 0xc3 };	/* lea 0x1(%rdi),%rax */
	struct us_placement p = us_place_probe(code, sizeof(code));

	CHECK(p.probeable);
	CHECK(!p.emulated);
	CHECK_STR(p.insn, "lea");
}

TEST(placement_lock_after_endbr64_falls_back_to_endbr64)
{
	const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xf0, 0x48, 0x83, 0x05, 0, 0, 0, 0, 1 };
	struct us_placement p = us_place_probe(code, sizeof(code));

	CHECK(p.probeable);
	CHECK_EQ(p.skip, 0);
	CHECK(!p.emulated);
	CHECK_STR(p.insn, "endbr64");
}

TEST(placement_lock_without_endbr64_is_refused)
{
	const uint8_t code[] = { 0xf0, 0x48, 0x83, 0x05, 0, 0, 0, 0, 1 };
	struct us_placement p = us_place_probe(code, sizeof(code));

	CHECK(!p.probeable);
	CHECK_STR(p.insn, "lock prefix");
}

TEST(placement_moves_past_a_lock_prefix_to_an_emulated_instruction)
{
	/* lock addq $1,0(%rip); test %edi,%edi; jns +0; ret */
	const uint8_t code[] = { 0xf0, 0x48, 0x83, 0x05, 0, 0, 0, 0, 1, 0x85, 0xff,
				 0x79, 0x00, 0xc3 };
	struct us_placement p = us_place_call_probe(code, sizeof(code));

	CHECK(p.probeable);
	CHECK_EQ(p.skip, 11);
	CHECK(p.emulated);
	CHECK(!p.loop_head);
}

TEST(placement_stops_before_the_stack_moves)
{
	/* lock addq $1,0(%rip); sub $8,%rsp; push %rbx */
	const uint8_t code[] = { 0xf0, 0x48, 0x83, 0x05, 0, 0, 0, 0, 1, 0x48, 0x83, 0xec,
				 0x08, 0x53 };
	struct us_placement p = us_place_call_probe(code, sizeof(code));

	CHECK(p.probeable);
	CHECK_EQ(p.skip, 9);	/* the sub itself, not the push after it */
	CHECK(!p.emulated);
}

TEST(placement_never_past_a_loop_landing_after_endbr64)
{
	/* endbr64; test %rdi,%rdi; je +5; dec %rdi; jmp -12 (to +4); ret */
	const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x05, 0x48,
				 0xff, 0xcf, 0xeb, 0xf6, 0xc3 };
	struct us_placement p = us_place_call_probe(code, sizeof(code));

	CHECK(p.probeable);
	CHECK_EQ(p.skip, 0);
	CHECK_STR(p.insn, "endbr64");
	CHECK(!p.loop_head);
}

TEST(placement_for_arguments_stays_at_the_start)
{
	/* lock addq $1,0(%rip); test %edi,%edi; jns +0; ret */
	const uint8_t code[] = { 0xf0, 0x48, 0x83, 0x05, 0, 0, 0, 0, 1, 0x85, 0xff,
				 0x79, 0x00, 0xc3 };

	CHECK(!us_place_probe(code, sizeof(code)).probeable);
}

TEST(placement_marks_an_entry_that_is_a_loop_head)
{
	/* test %rdi,%rdi; je +5; dec %rdi; jmp -10 (to 0); ret */
	const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x05, 0x48, 0xff, 0xcf, 0xeb, 0xf6,
				 0xc3 };
	struct us_placement p = us_place_call_probe(code, sizeof(code));

	CHECK(p.probeable);
	CHECK(p.loop_head);
}

TEST(pattern_parse)
{
	struct us_pattern p;

	CHECK(us_pattern_parse("libc:malloc", &p));
	CHECK_STR(p.object, "libc");
	CHECK_STR(p.glob, "malloc");
	us_pattern_free(&p);
	CHECK(us_pattern_parse("fib*", &p));
	CHECK(p.object == NULL);
	CHECK_STR(p.glob, "fib*");
	us_pattern_free(&p);
	CHECK(!us_pattern_parse("libc:", &p));
	CHECK(!us_pattern_parse(":x", &p));
	CHECK(!us_pattern_parse("", &p));
}

TEST(objects_find_by_prefix_path_and_main)
{
	struct us_object_list list = { 0 };
	char err[256];

	us_objects_add(&list, "/usr/bin/prog", NULL);
	us_objects_add(&list, "/lib/x86_64-linux-gnu/libc.so.6", NULL);
	us_objects_add(&list, "/lib/x86_64-linux-gnu/libcap.so.2", NULL);
	us_objects_add(&list, "/lib/x86_64-linux-gnu/libz.so.1", NULL);
	CHECK_STR(us_objects_find(&list, NULL, err, sizeof(err))->path, "/usr/bin/prog");
	CHECK_STR(us_objects_find(&list, "libc", err, sizeof(err))->path,
		  "/lib/x86_64-linux-gnu/libc.so.6");
	CHECK_STR(us_objects_find(&list, "libz", err, sizeof(err))->path,
		  "/lib/x86_64-linux-gnu/libz.so.1");
	CHECK_STR(us_objects_find(&list, "libcap.so.2", err, sizeof(err))->path,
		  "/lib/x86_64-linux-gnu/libcap.so.2");
	CHECK(us_objects_find(&list, "libfoo", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no object 'libfoo'") != NULL);
	us_objects_free(&list);
}

__attribute__((noinline, used)) int unit_probe_target(int x)
{
	return x * 7 + 3;
}

/* The file offset the symbol table gives must hold the function's code, as
 * the running process has it mapped: an independent check of the offset. */
TEST(symtab_offsets_hold_the_code)
{
	struct us_symtab tab;
	char err[256];
	bool found = false;

	CHECK(us_symtab_load("/proc/self/exe", &tab, err, sizeof(err)) == 0);
	CHECK(tab.has_symtab);
	for (size_t i = 0; i < tab.count; i++) {
		uint8_t code[16];

		if (strcmp(tab.syms[i].name, "unit_probe_target"))
			continue;
		found = true;
		CHECK_EQ(us_read_code("/proc/self/exe", tab.syms[i].file_offset, code, 16), 16);
		CHECK(memcmp(code, (const void *)unit_probe_target, 16) == 0);
	}
	CHECK(found);
	us_symtab_free(&tab);
}

TEST(plan_pattern_and_exclude)
{
	struct us_object_list objects = { 0 };
	struct us_plan plan = { 0 };
	struct us_pattern pat;
	char *excludes[] = { "unit_probe_*" };
	char err[256];
	int n;

	us_objects_add(&objects, "/proc/self/exe", NULL);
	CHECK(us_pattern_parse("unit_probe_target", &pat));
	CHECK_EQ(us_plan_add_pattern(&plan, &pat, &objects, NULL, 0, err, sizeof(err)), 1);
	CHECK_STR(plan.sites[0].function, "unit_probe_target");
	/* the same function twice is one site */
	CHECK_EQ(us_plan_add_pattern(&plan, &pat, &objects, NULL, 0, err, sizeof(err)), 0);
	us_plan_free(&plan);
	n = us_plan_add_pattern(&plan, &pat, &objects, excludes, 1, err, sizeof(err));
	CHECK_EQ(n, 0);
	us_pattern_free(&pat);
	CHECK(us_pattern_parse("unit_probe_targte", &pat));
	us_plan_suggest(&pat, &objects, err, sizeof(err));
	CHECK(strstr(err, "unit_probe_target") != NULL);
	us_pattern_free(&pat);
	us_plan_free(&plan);
	us_objects_free(&objects);
}

TEST(parse_durations_and_numbers)
{
	uint64_t v;

	CHECK(us_parse_duration_ns("500us", &v) && v == 500000);
	CHECK(us_parse_duration_ns("2ms", &v) && v == 2000000);
	CHECK(us_parse_duration_ns("1.5s", &v) && v == 1500000000);
	CHECK(us_parse_duration_ns("3", &v) && v == 3000000000ULL);
	CHECK(!us_parse_duration_ns("2 ms", &v));
	CHECK(!us_parse_duration_ns("-1s", &v));
	CHECK(!us_parse_duration_ns("fast", &v));
	CHECK(us_parse_uint("42", 100, &v) && v == 42);
	CHECK(!us_parse_uint("101", 100, &v));
	CHECK(!us_parse_uint("-3", 100, &v));
	CHECK(!us_parse_uint("4x", 100, &v));
}

TEST(glob_and_edit_distance)
{
	CHECK(us_glob_match("fib*", "fibonacci"));
	CHECK(!us_glob_match("fib", "fibonacci"));
	CHECK_EQ(us_edit_distance("kitten", "sitting"), 3);
	CHECK_EQ(us_edit_distance("", "abc"), 3);
}

TEST(placement_refuses_prefixes_behind_allowed_ones_and_bad_opcodes)
{
	const uint8_t lock_after_66[] = { 0x66, 0xf0, 0x83, 0x05, 0, 0, 0, 0, 1 };
	const uint8_t segment[] = { 0x2e, 0x48, 0x8b, 0x05, 0, 0, 0, 0 };
	const uint8_t int3[] = { 0xcc, 0x90 };
	const uint8_t rep_movs[] = { 0xf3, 0x48, 0xa5 };	/* allowed prefix, fine */
	struct us_placement p;

	p = us_place_probe(lock_after_66, sizeof(lock_after_66));
	CHECK(!p.probeable);
	CHECK_STR(p.insn, "lock prefix");
	p = us_place_probe(segment, sizeof(segment));
	CHECK(!p.probeable);
	CHECK_STR(p.insn, "segment prefix");
	p = us_place_probe(int3, sizeof(int3));
	CHECK(!p.probeable);
	p = us_place_probe(rep_movs, sizeof(rep_movs));
	CHECK(p.probeable);
	CHECK(!us_place_probe(NULL, 0).probeable);
}

TEST(cpp_names_are_demangled_and_c_names_left_alone)
{
	char *readable = us_demangle("_Z6level1i");

	CHECK_STR(readable, "level1(int)");
	free(readable);
	CHECK(us_demangle("main") == NULL);
	CHECK(us_demangle("_Znot a name") == NULL);
}
