// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "plan_site.h"

static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

static bool is_rex(uint8_t b)
{
	return (b & 0xf0) == 0x40;
}

/* Sets *name and returns whether the kernel emulates the instruction. */
static bool classify(const uint8_t *c, size_t len, const char **name)
{
	size_t i = 0;

	if (len == 0) {
		*name = "unknown";
		return false;
	}
	if (len > 1 && is_rex(c[0]) && !(c[0] & 0x08))	/* REX without W: push r8-r15 */
		i = 1;
	if (c[i] >= 0x50 && c[i] <= 0x57) {
		*name = "push";
		return true;
	}
	if (c[0] == 0x90 || (len > 1 && c[0] == 0x66 && c[1] == 0x90) ||
	    (len > 1 && c[0] == 0x0f && c[1] == 0x1f)) {
		*name = "nop";
		return true;
	}
	if (c[0] == 0xe8) {
		*name = "call";
		return true;
	}
	if (c[0] == 0xe9 || c[0] == 0xeb) {
		*name = "jmp";
		return true;
	}
	if ((c[0] >= 0x70 && c[0] <= 0x7f) || (len > 1 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f)) {
		*name = "jcc";
		return true;
	}
	if (is_rex(c[0]) && len > 1)
		i = 1;
	switch (c[i]) {
	case 0x89: case 0x8b: case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc:
	case 0xbd: case 0xbe: case 0xbf: case 0xc7: case 0x8a: case 0x88: case 0xc6:
		*name = "mov";
		break;
	case 0x8d:
		*name = "lea";
		break;
	case 0x83: case 0x81: case 0x29: case 0x2b: case 0x01: case 0x03:
		*name = "arith";
		break;
	case 0x31: case 0x33: case 0x85: case 0x39: case 0x3b: case 0x84: case 0x38:
		*name = "test/xor/cmp";
		break;
	case 0xc3:
		*name = "ret";
		break;
	case 0x5b: case 0x5d: case 0x58: case 0x59: case 0x5a: case 0x5e: case 0x5f:
		*name = "pop";
		break;
	case 0xf3:
		*name = len > 3 && memcmp(c, endbr64, 4) == 0 ? "endbr64" : "rep";
		break;
	default:
		*name = "other";
	}
	return false;
}

/* What the kernel's uprobe instruction decoder rejects (arch/x86/kernel/
 * uprobes.c: is_prefix_bad() and the good_insns_64 table), for the one-byte
 * opcodes a function can plausibly start with. */
static bool kernel_refuses(const uint8_t *c, size_t len, const char **why)
{
	static const uint8_t bad_opcodes[] = {
		0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61,
		0x62, 0x82, 0x9a, 0xcc, 0xcd, 0xce, 0xcf, 0xd4, 0xd5, 0xd6, 0xe4, 0xe5, 0xe6,
		0xe7, 0xea, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf4, 0xfa, 0xfb,
	};
	static const uint8_t allowed_prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0x64, 0x65 };
	size_t i = 0;

	if (len == 0) {
		*why = "unreadable code";
		return true;
	}
	for (; i < len && memchr(allowed_prefixes, c[i], sizeof(allowed_prefixes)); i++)
		;
	if (i < len && c[i] == 0xf0) {
		*why = "lock prefix";
		return true;
	}
	if (i < len && (c[i] == 0x26 || c[i] == 0x2e || c[i] == 0x36 || c[i] == 0x3e)) {
		*why = "segment prefix";
		return true;
	}
	if (i < len && is_rex(c[i]))
		i++;
	if (i < len && memchr(bad_opcodes, c[i], sizeof(bad_opcodes))) {
		*why = "privileged or invalid opcode";
		return true;
	}
	return false;
}

struct us_placement us_place_probe(const uint8_t *code, size_t len)
{
	struct us_placement p = { .probeable = true };
	bool has_endbr = len >= sizeof(endbr64) && memcmp(code, endbr64, sizeof(endbr64)) == 0;
	const char *why;

	if (!code || !len) {
		p.probeable = false;
		p.insn = "unreadable code";
		return p;
	}
	if (has_endbr)
		p.skip = sizeof(endbr64);
	if (kernel_refuses(code + p.skip, len - p.skip, &why)) {
		if (!has_endbr) {
			p.probeable = false;
			p.insn = why;
			return p;
		}
		p.skip = 0;	/* the endbr64 itself can be single-stepped */
	}
	p.emulated = classify(code + p.skip, len - p.skip, &p.insn);
	return p;
}
