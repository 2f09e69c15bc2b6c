// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "plan_site.h"
#include "util.h"

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

/* The first instructions of a function, as far as a probe may move. */
#define SCAN_INSNS 8

struct prefix_insn {
	uint32_t offset, size;
	bool moves_stack;	/* writes rsp, or branches, calls or returns */
};

struct function_code {
	struct prefix_insn prefix[SCAN_INSNS];
	size_t n_prefix;
	uint8_t *targets;	/* bit per byte offset: a jump in the function lands there */
};

static csh disassembler(void)
{
	static csh handle;
	static bool opened;

	if (!opened) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
			return 0;
		cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
		opened = true;
	}
	return handle;
}

static bool is_branch(csh h, const cs_insn *insn)
{
	return cs_insn_group(h, insn, CS_GRP_JUMP) || cs_insn_group(h, insn, CS_GRP_CALL) ||
	       cs_insn_group(h, insn, CS_GRP_RET) || cs_insn_group(h, insn, CS_GRP_INT) ||
	       cs_insn_group(h, insn, CS_GRP_IRET);
}

static bool writes_stack_pointer(csh h, const cs_insn *insn)
{
	cs_regs read, written;
	uint8_t n_read = 0, n_written = 0;

	if (cs_regs_access(h, insn, read, &n_read, written, &n_written) != CS_ERR_OK)
		return true;
	for (uint8_t i = 0; i < n_written; i++)
		if (written[i] == X86_REG_RSP || written[i] == X86_REG_ESP || written[i] == X86_REG_SP)
			return true;
	return false;
}

/* A jump (not a call) to a fixed offset inside the function. */
static void note_jump_target(csh h, const cs_insn *insn, size_t len, uint8_t *targets)
{
	const cs_x86 *x86 = &insn->detail->x86;

	if (!cs_insn_group(h, insn, CS_GRP_JUMP) || x86->op_count != 1 ||
	    x86->operands[0].type != X86_OP_IMM)
		return;
	if (x86->operands[0].imm >= 0 && (uint64_t)x86->operands[0].imm < len)
		targets[x86->operands[0].imm / 8] |= (uint8_t)(1u << (x86->operands[0].imm % 8));
}

/* Decodes the function once, linearly (compilers put no data in .text):
 * its first instructions, and every offset a jump lands on. */
static bool decode_function(const uint8_t *code, size_t len, struct function_code *fc)
{
	csh h = disassembler();
	const uint8_t *at = code;
	size_t left = len;
	uint64_t address = 0;
	cs_insn *insn;

	if (!h)
		return false;
	fc->targets = us_calloc(len / 8 + 1, 1);
	insn = cs_malloc(h);
	while (cs_disasm_iter(h, &at, &left, &address, insn)) {
		if (fc->n_prefix < SCAN_INSNS)
			fc->prefix[fc->n_prefix++] = (struct prefix_insn){
				.offset = (uint32_t)insn->address, .size = insn->size,
				.moves_stack = is_branch(h, insn) || writes_stack_pointer(h, insn),
			};
		note_jump_target(h, insn, len, fc->targets);
	}
	cs_free(insn, 1);
	return fc->n_prefix > 0;
}

static bool is_jump_target(const struct function_code *fc, uint32_t offset)
{
	return fc->targets[offset / 8] & (1u << (offset % 8));
}

/*
 * The probe may go on any of the function's first instructions that the
 * kernel accepts, as long as nothing before it moves the stack pointer or
 * branches (the return address is still at [rsp] there), and none past the
 * landing of a jump in the function when an earlier one can be probed (a
 * loop there would count each pass as a call). Among those, the first the
 * kernel emulates; else the first after a leading endbr64; else the first
 * accepted. When a jump lands on the probed instruction or before it
 * anyway (the entry is a loop head), the site is marked: the BPF program
 * tells a pass from a call by the return address (bpf/calls.bpf.c).
 */
static struct us_placement choose_site(const uint8_t *code, size_t len,
				       const struct function_code *fc, bool may_move)
{
	struct us_placement first = { 0 }, after_endbr = { 0 };
	bool has_endbr = len >= sizeof(endbr64) && memcmp(code, endbr64, sizeof(endbr64)) == 0;
	const char *refused = NULL, *why;

	for (size_t i = 0; i < fc->n_prefix; i++) {
		const struct prefix_insn *in = &fc->prefix[i];
		struct us_placement p = { .skip = in->offset, .probeable = true };

		/* the arguments are read at the probe: only past an endbr64 */
		if (!may_move && in->offset > (has_endbr ? sizeof(endbr64) : 0))
			break;
		/* past a jump's landing, each pass of that loop would be counted:
		 * stop, unless nothing before it can be probed */
		if (in->offset && is_jump_target(fc, in->offset) && first.probeable) {
			if (in->offset == sizeof(endbr64) && has_endbr)
				first.why = "a loop jumps back to just after the endbr64: "
					    "probed at the endbr64 (single-stepped)";
			break;
		}
		if (kernel_refuses(code + in->offset, len - in->offset, &why)) {
			refused = refused ? refused : why;
		} else {
			p.emulated = classify(code + in->offset, len - in->offset, &p.insn);
			if (p.emulated) {
				p.why = in->offset ? "the first instruction the kernel emulates"
						   : "the function's first instruction";
				return p;
			}
			if (!first.probeable)
				first = (struct us_placement){ .skip = p.skip, .probeable = true,
							       .insn = p.insn, .why = first.why };
			if (has_endbr && in->offset == sizeof(endbr64))
				after_endbr = p;
		}
		if (in->moves_stack)
			break;
	}
	if (after_endbr.probeable) {
		after_endbr.why = "after the endbr64";
		return after_endbr;
	}
	if (!first.probeable) {
		first.insn = refused ? refused : "unreadable code";
		return first;
	}
	if (!first.why)
		first.why = first.skip ? "the first instruction the kernel accepts"
				       : "the function's first instruction";
	return first;
}

static struct us_placement place(const uint8_t *code, size_t len, bool may_move)
{
	struct function_code fc = { 0 };
	struct us_placement p = { .insn = "unreadable code" };

	if (!code || !len || !decode_function(code, len, &fc)) {
		free(fc.targets);
		return p;
	}
	p = choose_site(code, len, &fc, may_move);
	for (uint32_t at = 0; p.probeable && at <= p.skip; at++)
		p.loop_head |= is_jump_target(&fc, at);
	if (p.loop_head)
		p.why = "a loop comes back to the entry: its passes are told from calls by the "
			"return address";
	free(fc.targets);
	return p;
}

struct us_placement us_place_probe(const uint8_t *code, size_t len)
{
	return place(code, len, false);
}

struct us_placement us_place_call_probe(const uint8_t *code, size_t len)
{
	return place(code, len, true);
}
