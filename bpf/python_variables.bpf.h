/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --locals and --globals: a frame's variables and its module's globals,
 * summarised into records (docs/cpython.md, "--locals and --globals").
 * Part of bpf/python.bpf.c, included where the helpers it uses (layout,
 * read_u64, summarise, reserve_event, read_str) are defined.
 */
#ifndef USCOPE_PYTHON_VARIABLES_BPF_H
#define USCOPE_PYTHON_VARIABLES_BPF_H

/* Code objects whose slot names were sent. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u32);
} varnames_sent SEC(".maps");

/* How many slots a frame of `code` has (<= 3.10: locals, cells, free
 * variables; 3.11: co_nlocalsplus). */
static __always_inline __u32 slot_count(__u64 code)
{
	__u64 cells, frees;
	__s32 n = read_s32(code + layout.code_nlocals);

	if (layout.code_cellvars >= 0) {
		cells = read_u64(code + layout.code_cellvars);
		frees = read_u64(code + layout.code_freevars);
		n += (cells ? (__s32)read_u64(cells + US_PY_OB_SIZE) : 0) +
		     (frees ? (__s32)read_u64(frees + US_PY_OB_SIZE) : 0);
	}
	return n < 0 ? 0 : (__u32)n;
}

/* The tuple of names slot i is in, and its index there. */
static __always_inline __u64 slot_name(__u64 code, __u32 i)
{
	__u64 tuple = read_u64(code + layout.code_varnames), size;

	if (layout.code_cellvars >= 0) {
		size = tuple ? read_u64(tuple + US_PY_OB_SIZE) : 0;
		if (i >= size) {
			i -= size;
			tuple = read_u64(code + layout.code_cellvars);
			size = tuple ? read_u64(tuple + US_PY_OB_SIZE) : 0;
			if (i >= size) {
				i -= size;
				tuple = read_u64(code + layout.code_freevars);
			}
		}
	}
	return tuple ? read_u64(tuple + US_PY_TUPLE_ITEMS + 8 * (__u64)(i & 0xff)) : 0;
}

static __always_inline void send_varnames(__u32 tid, __u64 code, __u32 count)
{
	struct us_py_varnames_event *e;
	__u32 one = 1;

	if (bpf_map_lookup_elem(&varnames_sent, &code))
		return;
	e = reserve_event(US_EV_PY_VARNAMES, sizeof(*e), tid);
	if (!e)
		return;
	e->code = code;
	e->count = count;
	e->pad = 0;
	for (__u32 i = 0; i < US_PY_LOCALS_MAX; i++) {
		e->names[i][0] = 0;
		if (i < count)
			read_str(slot_name(code, i), e->names[i], US_PY_VARNAME_LEN);
	}
	bpf_ringbuf_submit(e, submit_flags());
	bpf_map_update_elem(&varnames_sent, &code, &one, BPF_ANY);
}

/* A slot's object: a cell's content for a cell variable. */
static __always_inline __u64 slot_value(__u64 obj)
{
	if (obj && layout.cell_type_vaddr &&
	    read_u64(obj + US_PY_OB_TYPE) == layout.cell_type_vaddr + load_delta)
		return read_u64(obj + 16);
	return obj;
}

/* Slot `index` at `slots` summarised into v; an empty slot from `first_free`
 * on is read from the closure's items (`free_items`: its first free
 * variable's), when given. Global: checked once, not per slot. */
__noinline int summarise_slot(__u64 slots, __u64 free_items, __u32 first_free, __u32 index,
			      struct us_py_value *v)
{
	__u64 obj = read_u64(slots + 8 * (__u64)(index & 0xff));

	if (!obj && free_items && index >= first_free)
		obj = read_u64(free_items + 8 * (__u64)((index - first_free) & 0xff));
	return summarise(slot_value(obj), v);
}

/* A frame's function's closure, at its entry: 3.11+ copies the free
 * variables in with the frame's first instruction. */
static __always_inline __u64 entry_closure(__u64 frame)
{
	__u64 function;

	if (layout.frame_function < 0 || layout.function_closure < 0)
		return 0;
	function = read_u64(frame + layout.frame_function);
	return function ? read_u64(function + layout.function_closure) : 0;
}

/* --globals: where a dict's entries are, and how they are laid out. */
struct dict_entries {
	__u64 first;		/* the first entry */
	__u32 count;		/* entries used so far, deleted ones included */
	__u32 stride;		/* bytes an entry */
	__u32 key_at;		/* where in an entry its key is; the value follows */
};

/* A combined dict's entries (3.8-3.10: after dk_size indices of 1-8 bytes,
 * 24 bytes each; 3.11+: after 2^dk_log2_index_bytes bytes, 16 bytes each
 * when all keys are str); false for a split table (not a module's). */
static __always_inline bool dict_entries_of(__u64 dict, struct dict_entries *d)
{
	__u64 keys = dict ? read_u64(dict + US_PY_DICT_KEYS) : 0, size;
	__u8 sizes[3] = {};	/* dk_log2_size, dk_log2_index_bytes, dk_kind */

	if (!keys || read_u64(dict + US_PY_DICT_VALUES))
		return false;
	if (layout.minor <= 10) {
		size = read_u64(keys + 8);
		d->count = (__u32)read_u64(keys + 32);
		d->first = keys + 40 + size * (size <= 0xff ? 1 : size <= 0xffff ? 2
					      : size <= 0xffffffff ? 4 : 8);
		d->stride = 24;
		d->key_at = 8;
		return true;
	}
	bpf_probe_read_user(sizes, sizeof(sizes), (void *)(keys + 8));
	d->count = (__u32)read_u64(keys + 24);
	d->first = keys + 32 + (1ull << (sizes[1] & 31));
	d->stride = sizes[2] ? 16 : 24;
	d->key_at = sizes[2] ? 0 : 8;
	return true;
}

/* A global a reader wants: not "__dunder__", not a module, a function or a
 * class (what a module's dict holds besides its variables). */
static __always_inline bool is_variable(__u64 key, __u64 value)
{
	__u64 type = read_u64(value + US_PY_OB_TYPE), delta = load_delta;
	char start[2] = {};

	bpf_probe_read_user(start, sizeof(start), (void *)(key + layout.unicode_ascii_data));
	if (start[0] == '_' && start[1] == '_')
		return false;
	if (!type || type == layout.module_type_vaddr + delta ||
	    type == layout.function_type_vaddr + delta ||
	    type == layout.cfunction_type_vaddr + delta)
		return false;
	return !(read_u64(type + US_PY_TYPE_FLAGS) & US_PY_TPFLAGS_TYPE_SUBCLASS);
}

/* What the scan of a module's dict found so far (bpf_loop's context). */
struct globals_scan {
	struct dict_entries d;
	__u32 total;		/* entries kept */
	__u32 scanned;		/* entries looked at */
	__u8 shown[US_PY_GLOBALS_MAX];	/* the kept entries' indexes */
};

/* Entry i of the dict: kept if it is a variable. 1 stops the loop. */
static long scan_global(__u64 i, void *ctx)
{
	struct globals_scan *scan = ctx;
	__u64 entry, key, value;

	if (i >= scan->d.count || scan->total >= US_PY_GLOBALS_MAX)
		return 1;
	scan->scanned = (__u32)i + 1;
	entry = scan->d.first + i * scan->d.stride + scan->d.key_at;
	key = read_u64(entry);
	value = read_u64(entry + 8);
	if (key && value && is_variable(key, value))
		scan->shown[scan->total++ & (US_PY_GLOBALS_MAX - 1)] = (__u8)i;
	return 0;
}

/* The globals of `frame`'s module, in records of 6 (global: checked once;
 * the dict is scanned by bpf_loop, whose callback is checked once too). */
__noinline int send_globals(__u32 tid, __u64 frame, __u64 code, __u16 moment)
{
	__u64 dict = read_u64(frame + layout.frame_globals), entry;
	struct us_py_globals_event *e;
	struct globals_scan scan = {};
	__u32 total;

	if (!dict_entries_of(dict, &scan.d))
		return 0;
	bpf_loop(US_PY_GLOBALS_SCANNED, scan_global, &scan, 0);
	total = scan.total < US_PY_GLOBALS_MAX ? scan.total : US_PY_GLOBALS_MAX;
	for (__u32 first = 0; first < US_PY_GLOBALS_MAX; first += US_PY_GLOBALS_PER_RECORD) {
		if (first && first >= total)
			break;
		e = reserve_event(US_EV_PY_GLOBALS, sizeof(*e), tid);
		if (!e)
			return 0;
		__builtin_memset(&e->code, 0, sizeof(*e) - sizeof(e->hdr));
		e->code = code;
		e->dict = dict;
		e->first = first;
		e->total = total;
		e->moment = moment;
		e->scanned = scan.scanned;
		e->entries = scan.d.count;
		for (__u32 j = 0; j < US_PY_GLOBALS_PER_RECORD; j++) {
			if (first + j >= total)
				break;
			entry = scan.d.first +
				(__u64)scan.shown[(first + j) & (US_PY_GLOBALS_MAX - 1)] * scan.d.stride +
				scan.d.key_at;
			read_str(read_u64(entry), e->vars[j].name, sizeof(e->vars[j].name));
			summarise(read_u64(entry + 8), &e->vars[j].value);
			e->count = j + 1;
		}
		bpf_ringbuf_submit(e, submit_flags());
	}
	return 0;
}

/* The slots of `frame` (running `code`), 8 a record, read at `moment`;
 * `fresh`: it has run no instruction yet (a call), its free variables
 * (3.11+) are still in its function's closure. A global function: the
 * verifier checks it once, not again on each path of each program
 * calling it. */
__noinline int send_locals(__u32 tid, __u64 code, __u64 frame, __u16 moment, bool fresh)
{
	__u32 count = slot_count(code), total = count < US_PY_LOCALS_MAX ? count : US_PY_LOCALS_MAX;
	__u32 first_free = count;
	__u64 slots = frame + layout.frame_localsplus, closure = fresh ? entry_closure(frame) : 0;
	__u64 free_items = closure ? closure + US_PY_TUPLE_ITEMS : 0;
	struct us_py_locals_event *e;
	__s32 frees;

	if (free_items && layout.code_nfreevars >= 0) {
		frees = read_s32(code + layout.code_nfreevars);
		first_free = frees > 0 && (__u32)frees <= count ? count - (__u32)frees : count;
	}

	send_varnames(tid, code, count);
	for (__u32 first = 0; first < US_PY_LOCALS_MAX; first += US_PY_LOCALS_PER_RECORD) {
		if (first >= total)
			break;
		e = reserve_event(US_EV_PY_LOCALS, sizeof(*e), tid);
		if (!e)
			return 0;
		__builtin_memset(&e->code, 0, sizeof(*e) - sizeof(e->hdr));
		e->code = code;
		e->first = first;
		e->total = total;
		e->moment = moment;
		for (__u32 i = 0; i < US_PY_LOCALS_PER_RECORD; i++) {
			if (first + i >= total)
				break;
			summarise_slot(slots, free_items, first_free, first + i, &e->values[i]);
			e->count = i + 1;
		}
		bpf_ringbuf_submit(e, submit_flags());
	}
	if (capture_globals)
		send_globals(tid, frame, code, moment);
	return 0;
}

#endif /* USCOPE_PYTHON_VARIABLES_BPF_H */
