// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "elf_symbols.h"
#include "plan_python_hook.h"
#include "util.h"

#define CODE_SECTIONS_MAX 16
#define CALL_REL32 0xe8
#define MOV_ESI_IMM32 0xbe

static int32_t rel32_at(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The function loaded into esi/rsi by the instruction ending at `at` (the
 * call's first byte) in code loaded at `vaddr`; 0 if it is neither form. */
static uint64_t loaded_before(const uint8_t *code, uint64_t vaddr, size_t at)
{
	uint32_t imm;

	if (at >= 7 && code[at - 7] == 0x48 && code[at - 6] == 0x8d && code[at - 5] == 0x35)
		return vaddr + at + (uint64_t)(int64_t)rel32_at(code + at - 4);
	if (at >= 5 && code[at - 5] == MOV_ESI_IMM32) {
		memcpy(&imm, code + at - 4, sizeof(imm));
		return imm;
	}
	return 0;
}

static bool in_code(const struct us_elf_range *sections, size_t n, uint64_t vaddr)
{
	for (size_t i = 0; i < n; i++)
		if (vaddr >= sections[i].vaddr && vaddr < sections[i].vaddr + sections[i].size)
			return true;
	return false;
}

/* `cmp $imm32, %reg` (REX.W 81 /7): the register, or US_REG_NONE. */
static enum us_register compared_register(const uint8_t *p, uint64_t hook)
{
	static const enum us_register regs[16] = {
		US_REG_RAX, US_REG_RCX, US_REG_RDX, US_REG_RBX, US_REG_NONE, US_REG_RBP,
		US_REG_RSI, US_REG_RDI, US_REG_R8, US_REG_R9, US_REG_R10, US_REG_R11,
		US_REG_R12, US_REG_R13, US_REG_R14, US_REG_R15,
	};
	int32_t imm = rel32_at(p + 3);

	if ((p[0] != 0x48 && p[0] != 0x49) || p[1] != 0x81 || (p[2] & 0xf8) != 0xf8)
		return US_REG_NONE;
	if ((uint64_t)(int64_t)imm != hook)
		return US_REG_NONE;
	return regs[(p[0] & 1) << 3 | (p[2] & 7)];
}

/* jne/je, short or near. */
static bool is_conditional_jump(const uint8_t *p)
{
	return p[0] == 0x75 || p[0] == 0x74 || (p[0] == 0x0f && (p[1] == 0x85 || p[1] == 0x84));
}

size_t us_find_hook_sites(const char *path, uint64_t hook_vaddr, struct us_hook_site *out)
{
	struct us_elf_range sections[CODE_SECTIONS_MAX];
	size_t n = us_elf_sections(path, true, sections, CODE_SECTIONS_MAX), found = 0;

	if (n > CODE_SECTIONS_MAX)
		n = CODE_SECTIONS_MAX;
	for (size_t s = 0; s < n; s++) {
		uint8_t *code = us_calloc(sections[s].size + 16, 1);
		size_t len = us_elf_read_at(path, sections[s].vaddr, code, sections[s].size);

		for (size_t i = 0; i + 13 <= len; i++) {
			enum us_register reg = compared_register(code + i, hook_vaddr);
			uint64_t offset;

			if (reg == US_REG_NONE || !is_conditional_jump(code + i + 7) ||
			    !us_elf_code_offset(path, sections[s].vaddr + i + 7, &offset))
				continue;
			if (found < US_HOOK_SITES_MAX)
				out[found] = (struct us_hook_site){ offset, reg };
			found++;
		}
		free(code);
	}
	return found;
}

uint64_t us_find_trace_trampoline(const char *path, uint64_t set_trace_vaddr)
{
	struct us_elf_range sections[CODE_SECTIONS_MAX];
	size_t n = us_elf_sections(path, true, sections, CODE_SECTIONS_MAX);
	uint64_t found = 0;
	bool ambiguous = false;

	if (n > CODE_SECTIONS_MAX)
		n = CODE_SECTIONS_MAX;
	for (size_t s = 0; s < n && !ambiguous; s++) {
		uint8_t *code = us_calloc(sections[s].size + 1, 1);
		size_t len = us_elf_read_at(path, sections[s].vaddr, code, sections[s].size);

		for (size_t i = 0; i + 5 <= len; i++) {
			uint64_t target, function;

			if (code[i] != CALL_REL32)
				continue;
			target = sections[s].vaddr + i + 5 + (uint64_t)(int64_t)rel32_at(code + i + 1);
			if (target != set_trace_vaddr)
				continue;
			function = loaded_before(code, sections[s].vaddr, i);
			if (!function || !in_code(sections, n, function))
				continue;
			if (found && function != found)
				ambiguous = true;
			found = function;
		}
		free(code);
	}
	return ambiguous ? 0 : found;
}
