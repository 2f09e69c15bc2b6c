// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPython 3.11.0-3.11.3 (gh-104405, fixed in 3.11.4): the specialised
 * subscript BINARY_SUBSCR_GETITEM pushes a Python __getitem__'s frame inside
 * the running C call of the eval loop, whatever eval_frame says, so no probe
 * on _PyEval_EvalFrameDefault sees those calls. Where it does is found in
 * the interpreter's machine code (docs/cpython.md):
 *
 * - the eval loop's computed-goto table, opcode_targets[256]: 256 addresses
 *   in code, most of them inside _PyEval_EvalFrameDefault, among the file's
 *   data (the file holds them when the interpreter is not
 *   position-independent, as Debian's python3.11);
 * - its entry for BINARY_SUBSCR_GETITEM is that instruction's code. Its two
 *   deoptimisation checks (the type's version, the function's version) jump
 *   to one place outside it; right after the second the frame is certain to
 *   be pushed, and the register loaded from the type's _spec_cache.getitem
 *   holds the function.
 *
 * Anything else found there (another shape of code, a position-independent
 * build) places no probe, and uscope says which calls it misses.
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>
#include "elf_symbols.h"
#include "plan_python_inline.h"
#include "plan_site.h"

#define OPCODE_TARGETS 256
#define BINARY_SUBSCR_GETITEM_3_11 19	/* dis._all_opmap, every 3.11 */
#define MAX_SECTIONS 64
#define MAX_DATA_SECTION (64u << 20)
#define HANDLER_BYTES 256
#define HANDLER_INSNS 48

static bool in_ranges(const struct us_elf_range *r, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (v >= r[i].vaddr && v - r[i].vaddr < r[i].size)
			return true;
	return false;
}

/* Whether the 256 addresses at `table` are the eval loop's: all in code,
 * at least half inside the eval function (the rest: its cold parts). */
static bool is_opcode_table(const uint64_t *table, const struct us_elf_range *code, size_t n_code,
			    uint64_t eval_vaddr, uint64_t eval_size)
{
	size_t inside = 0;

	for (size_t i = 0; i < OPCODE_TARGETS; i++) {
		if (!in_ranges(code, n_code, table[i]))
			return false;
		inside += table[i] >= eval_vaddr && table[i] - eval_vaddr < eval_size;
	}
	return inside >= OPCODE_TARGETS / 2;
}

/* Searches one data section; counts the tables found, keeps the first's
 * entry `opcode` in *handler. */
static size_t search_section(const char *path, const struct us_elf_range *data,
			     const struct us_elf_range *code, size_t n_code, uint64_t eval_vaddr,
			     uint64_t eval_size, unsigned opcode, uint64_t *handler)
{
	size_t n = data->size / 8, found = 0, run = 0;
	uint64_t *words;

	if (data->size > MAX_DATA_SECTION || n < OPCODE_TARGETS)
		return 0;
	words = malloc(n * 8);
	if (!words || us_elf_read_at(path, data->vaddr, words, n * 8) != n * 8) {
		free(words);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		run = in_ranges(code, n_code, words[i]) ? run + 1 : 0;
		if (run < OPCODE_TARGETS)
			continue;
		if (is_opcode_table(&words[i + 1 - OPCODE_TARGETS], code, n_code, eval_vaddr,
				    eval_size)) {
			if (!found++)
				*handler = words[i + 1 - OPCODE_TARGETS + opcode];
			run = 0;
		}
	}
	free(words);
	return found;
}

/* The code of bytecode `opcode`, from the one opcode table; 0 if none or
 * several were found. */
static uint64_t opcode_handler(const char *path, uint64_t eval_vaddr, uint64_t eval_size,
			       unsigned opcode)
{
	struct us_elf_range code[MAX_SECTIONS], data[MAX_SECTIONS];
	size_t n_code = us_elf_sections(path, true, code, MAX_SECTIONS);
	size_t n_data = us_elf_sections(path, false, data, MAX_SECTIONS);
	size_t found = 0;
	uint64_t handler = 0;

	if (n_code > MAX_SECTIONS || n_data > MAX_SECTIONS)
		return 0;
	for (size_t i = 0; i < n_data; i++)
		found += search_section(path, &data[i], code, n_code, eval_vaddr, eval_size, opcode,
					found ? &(uint64_t){ 0 } : &handler);
	return found == 1 ? handler : 0;
}

static enum us_register register_of(unsigned reg)
{
	static const struct {
		unsigned capstone;
		enum us_register ours;
	} regs[] = {
		{ X86_REG_RAX, US_REG_RAX }, { X86_REG_RBX, US_REG_RBX }, { X86_REG_RCX, US_REG_RCX },
		{ X86_REG_RDX, US_REG_RDX }, { X86_REG_RSI, US_REG_RSI }, { X86_REG_RDI, US_REG_RDI },
		{ X86_REG_RBP, US_REG_RBP }, { X86_REG_R8, US_REG_R8 },   { X86_REG_R9, US_REG_R9 },
		{ X86_REG_R10, US_REG_R10 }, { X86_REG_R11, US_REG_R11 }, { X86_REG_R12, US_REG_R12 },
		{ X86_REG_R13, US_REG_R13 }, { X86_REG_R14, US_REG_R14 }, { X86_REG_R15, US_REG_R15 },
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i].capstone == reg)
			return regs[i].ours;
	return US_REG_NONE;
}

/* `mov disp(%base), %reg64` with that displacement: the register, or 0. */
static unsigned load_from(const cs_insn *insn, int64_t displacement)
{
	const cs_x86 *x86 = &insn->detail->x86;

	if (insn->id != X86_INS_MOV || x86->op_count != 2 || x86->operands[0].type != X86_OP_REG ||
	    x86->operands[0].size != 8 || x86->operands[1].type != X86_OP_MEM ||
	    x86->operands[1].mem.disp != displacement)
		return 0;
	return x86->operands[0].reg;
}

static bool writes_register(csh h, const cs_insn *insn, unsigned reg)
{
	cs_regs read, written;
	uint8_t n_read = 0, n_written = 0;

	if (cs_regs_access(h, insn, read, &n_read, written, &n_written) != CS_ERR_OK)
		return true;
	for (uint8_t i = 0; i < n_written; i++)
		if (written[i] == reg)
			return true;
	return false;
}

struct handler_scan {
	uint64_t deopt;		/* where the checks jump */
	unsigned checks;	/* jumps there seen */
	unsigned function;	/* capstone register holding the function */
	uint64_t site;		/* the instruction after the second check */
};

/* One instruction of the handler; false when the scan ends (done or not). */
static bool scan_insn(csh h, const cs_insn *insn, uint64_t handler, int64_t getitem_offset,
		      struct handler_scan *s)
{
	const cs_x86 *x86 = &insn->detail->x86;
	unsigned loaded = load_from(insn, getitem_offset);
	uint64_t target;

	if (loaded) {
		s->function = loaded;
		return true;
	}
	if (s->function && writes_register(h, insn, s->function))
		s->function = 0;
	if (!cs_insn_group(h, insn, CS_GRP_JUMP) || insn->id == X86_INS_JMP)
		return !cs_insn_group(h, insn, CS_GRP_CALL) && !cs_insn_group(h, insn, CS_GRP_RET) &&
		       insn->id != X86_INS_JMP;
	if (x86->op_count != 1 || x86->operands[0].type != X86_OP_IMM)
		return false;
	target = (uint64_t)x86->operands[0].imm;
	if (target >= handler && target - handler < HANDLER_BYTES)
		return true;	/* a branch inside the handler */
	if (s->checks && target != s->deopt)
		return false;	/* another way out: not the shape looked for */
	s->deopt = target;
	s->checks++;
	s->site = insn->address + insn->size;
	return s->checks < 2;
}

static bool scan_handler(const char *path, uint64_t handler, int64_t getitem_offset,
			 struct handler_scan *s)
{
	uint8_t code[HANDLER_BYTES];
	const uint8_t *at = code;
	uint64_t offset, address = handler;
	size_t left;
	cs_insn *insn;
	csh h;
	bool going = true;

	if (!us_elf_code_offset(path, handler, &offset))
		return false;
	left = us_read_code(path, offset, code, sizeof(code));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return false;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(h);
	for (int n = 0; going && n < HANDLER_INSNS && cs_disasm_iter(h, &at, &left, &address, insn);
	     n++)
		going = scan_insn(h, insn, handler, getitem_offset, s);
	cs_free(insn, 1);
	cs_close(&h);
	return s->checks == 2 && s->function;
}

bool us_find_inline_getitem(const char *path, uint64_t eval_vaddr, uint64_t eval_size,
			    int32_t getitem_offset, struct us_inline_getitem_site *out)
{
	uint64_t handler, offset;
	struct handler_scan scan = { 0 };
	struct us_placement place;
	uint8_t code[16];

	handler = opcode_handler(path, eval_vaddr, eval_size, BINARY_SUBSCR_GETITEM_3_11);
	if (!handler || !scan_handler(path, handler, getitem_offset, &scan) ||
	    !us_elf_code_offset(path, scan.site, &offset))
		return false;
	place = us_place_probe(code, us_read_code(path, offset, code, sizeof(code)));
	if (!place.probeable || place.skip || register_of(scan.function) == US_REG_NONE)
		return false;
	out->file_offset = offset;
	out->function_register = register_of(scan.function);
	return true;
}
