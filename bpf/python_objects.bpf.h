/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading CPython objects from BPF, for bpf/python.bpf.c only (it declares
 * `layout` and `load_delta` before including this): ints, strings, type
 * names, a returned value's summary, and the exception a frame raised.
 * Offsets: python_layout.h, docs/cpython.md.
 */
#ifndef USCOPE_PYTHON_OBJECTS_BPF_H
#define USCOPE_PYTHON_OBJECTS_BPF_H

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __s32 read_s32(__u64 addr)
{
	__s32 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* Copies a str object's characters (ASCII, or its cached UTF-8) into buf,
 * NUL-terminated. Returns the bytes copied without the NUL, or 0. */
static __noinline int read_str(__u64 str, char *buf, __u32 len)
{
	__u8 state = 0;
	__u64 utf8;
	long n;

	bpf_probe_read_user(&state, 1, (void *)(str + US_PY_STR_STATE));
	if ((state & 0x60) == 0x60) {			/* compact ASCII */
		n = bpf_probe_read_user_str(buf, len, (void *)(str + layout.unicode_ascii_data));
	} else if (state & 0x20) {			/* compact, with a UTF-8 copy? */
		utf8 = read_u64(str + layout.unicode_utf8);
		if (!utf8)
			return 0;
		n = bpf_probe_read_user_str(buf, len, (void *)utf8);
	} else {
		return 0;
	}
	return n > 0 ? (int)n - 1 : 0;
}

static __always_inline int read_type_name(__u64 type, char *buf)
{
	return (int)bpf_probe_read_user_str(buf, US_PY_TYPE_LEN, (void *)read_u64(type + US_PY_TYPE_NAME));
}

static __always_inline void summarise_int(__u64 obj, struct us_py_value *v)
{
	__s64 size = (__s64)read_u64(obj + US_PY_OB_SIZE);
	__u32 digits[2] = {};
	__u64 ndigits;
	bool negative;

	if (layout.long_tagged) {	/* lv_tag: ndigits << 3 | sign (0 +, 1 zero, 2 -) */
		ndigits = (__u64)size >> 3;
		negative = (size & 3) == 2;
	} else {
		negative = size < 0;
		ndigits = negative ? -size : size;
	}
	if (ndigits > 2) {
		v->kind = US_PY_VALUE_BIG_INT;
		return;
	}
	bpf_probe_read_user(digits, ndigits * 4 & 0xf, (void *)(obj + US_PY_LONG_DIGITS));
	v->kind = US_PY_VALUE_INT;
	v->number = (__s64)(digits[0] | (__u64)digits[1] << 30);
	if (negative)
		v->number = -v->number;
}

static __always_inline void summarise_str(__u64 obj, struct us_py_value *v)
{
	__u64 length = read_u64(obj + US_PY_STR_LENGTH);
	int n = read_str(obj, v->text, sizeof(v->text));

	v->kind = US_PY_VALUE_STR;
	v->text_len = n;
	v->truncated = length > (__u64)n;
}

static const char type_list[] US_RODATA = "list";
static const char type_tuple[] US_RODATA = "tuple";
static const char type_dict[] US_RODATA = "dict";
static const char type_set[] US_RODATA = "set";
static const char type_frozenset[] US_RODATA = "frozenset";

static __always_inline bool type_name_is(const char *name, const char *want, int n)
{
	for (int i = 0; i < n; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* A list, tuple or dict keeps its length at 16 (ob_size, ma_used); a set
 * or frozenset at 24 (used). */
static __always_inline void summarise_sized(__u64 obj, struct us_py_value *v)
{
	const char *name = v->type_name;
	__s32 at = -1;

	if (type_name_is(name, type_list, sizeof(type_list)) ||
	    type_name_is(name, type_tuple, sizeof(type_tuple)) ||
	    type_name_is(name, type_dict, sizeof(type_dict)))
		at = 16;
	else if (type_name_is(name, type_set, sizeof(type_set)) ||
		 type_name_is(name, type_frozenset, sizeof(type_frozenset)))
		at = 24;
	if (at < 0)
		return;
	v->kind = US_PY_VALUE_SIZED;
	v->number = (__s64)read_u64(obj + at);
}

/* Summarises a live object: its type, and its value when it is simple. */
__noinline int summarise(__u64 obj, struct us_py_value *v)
{
	if (!v)
		return 0;
	__u64 delta = load_delta, type;

	if (!obj)
		return 0;
	if (obj == layout.none_vaddr + delta) {
		v->kind = US_PY_VALUE_NONE;
		return 0;
	}
	type = read_u64(obj + US_PY_OB_TYPE);
	if (type == layout.bool_type_vaddr + delta) {
		v->kind = US_PY_VALUE_BOOL;
		v->number = obj == layout.true_vaddr + delta;
	} else if (type == layout.long_type_vaddr + delta) {
		summarise_int(obj, v);
	} else if (type == layout.float_type_vaddr + delta) {
		v->kind = US_PY_VALUE_FLOAT;
		v->number = (__s64)read_u64(obj + US_PY_FLOAT_VALUE);
	} else if (type == layout.unicode_type_vaddr + delta) {
		summarise_str(obj, v);
	} else if (type) {
		v->kind = US_PY_VALUE_OBJECT;
		read_type_name(type, v->type_name);
		summarise_sized(obj, v);
	}
	return 0;
}

/* The thread returning from eval holds the GIL: find its thread state. */
static __always_inline __u64 gil_holder(void)
{
	__u64 runtime = layout.runtime_vaddr + load_delta;

	if (layout.runtime_tstate_current >= 0)
		return read_u64(runtime + layout.runtime_tstate_current);
	return read_u64(read_u64(runtime + layout.runtime_main_interp) +
			layout.interp_gil_last_holder);
}

/* The exception being raised (3.12+: the one normalised object). */
static __always_inline __u64 raised_value(void)
{
	return read_u64(gil_holder() + layout.tstate_exc_value);
}

/* The exception a frame raised: type, message (when a str), and where the
 * frame was when it passed (its traceback entry). */
static __noinline void summarise_exception(struct us_py_exit_event *e)
{
	__u64 tstate = gil_holder(), type, value, traceback, args, first_arg;

	if (layout.minor >= 12) {	/* one normalised exception object */
		value = read_u64(tstate + layout.tstate_exc_value);
		type = value ? read_u64(value + US_PY_OB_TYPE) : 0;
		traceback = value ? read_u64(value + layout.exception_traceback) : 0;
	} else {
		type = read_u64(tstate + layout.tstate_exc_type);
		value = read_u64(tstate + layout.tstate_exc_value);
		traceback = read_u64(tstate + layout.tstate_exc_traceback);
	}
	e->value.kind = US_PY_VALUE_EXCEPTION;
	e->exception = value ? value : type;
	if (type)
		read_type_name(type, e->value.type_name);
	if (value) {
		if (read_u64(value + US_PY_OB_TYPE) == layout.unicode_type_vaddr + load_delta) {
			first_arg = value;	/* not normalised yet: the message itself */
		} else {
			args = read_u64(value + layout.exception_args);
			first_arg = args && read_u64(args + US_PY_OB_SIZE) > 0 ? read_u64(args + US_PY_TUPLE_ITEMS) : 0;
		}
		if (first_arg && read_u64(first_arg + US_PY_OB_TYPE) == layout.unicode_type_vaddr + load_delta)
			e->value.text_len = read_str(first_arg, e->value.text, sizeof(e->value.text));
	}
	if (traceback) {
		e->offset = read_s32(traceback + layout.traceback_lasti);
		if (layout.traceback_lineno >= 0)
			e->line = read_s32(traceback + layout.traceback_lineno);
	}
}

/* Whether type is OSError or derives from it (FileNotFoundError, ...). */
static __always_inline bool is_os_error_type(__u64 type)
{
	__u64 os_error;

	if (!layout.oserror_pointer_vaddr || !type)
		return false;
	os_error = read_u64(layout.oserror_pointer_vaddr + load_delta);
	for (int i = 0; i < 8 && type; i++) {
		if (type == os_error)
			return true;
		type = read_u64(type + layout.type_base);
	}
	return false;
}

/* A small int's value (an OSError's errno), -1 when it is not one. */
static __always_inline __s64 small_int(__u64 obj)
{
	struct us_py_value v = {};

	if (!obj || read_u64(obj + US_PY_OB_TYPE) != layout.long_type_vaddr + load_delta)
		return -1;
	summarise_int(obj, &v);
	return v.kind == US_PY_VALUE_INT ? v.number : -1;
}

static __always_inline __u32 copy_str(__u64 str, char *buf, __u8 *truncated)
{
	int n;

	if (!str || read_u64(str + US_PY_OB_TYPE) != layout.unicode_type_vaddr + load_delta)
		return 0;
	n = read_str(str, buf, US_PY_MESSAGE_LEN);
	*truncated = read_u64(str + US_PY_STR_LENGTH) > (__u64)n;
	return (__u32)n;
}

/* The exception of the frame about to report its exit, at length. */
static __noinline void send_exception(__u32 tid, __u64 value)
{
	struct us_py_exception_event *e;
	__u64 type, args, message = 0;

	if (!value)
		return;
	e = reserve_event(US_EV_PY_EXCEPTION, sizeof(*e), tid);
	if (!e)
		return;
	__builtin_memset(&e->exception, 0, sizeof(*e) - sizeof(e->hdr));
	e->exception = value;
	e->os_errno = -1;
	type = read_u64(value + US_PY_OB_TYPE);
	if (type == layout.unicode_type_vaddr + load_delta) {
		message = value;	/* not normalised yet: the message itself */
	} else if (is_os_error_type(type)) {
		e->is_os_error = 1;
		e->os_errno = small_int(read_u64(value + layout.oserror_errno));
		message = read_u64(value + layout.oserror_errno + 8 /* strerror */);
		e->filename_len = copy_str(read_u64(value + layout.oserror_errno + 16 /* filename */), e->filename,
					   &e->filename_truncated);
	}
	if (!message && !e->is_os_error) {
		args = read_u64(value + layout.exception_args);
		message = args && read_u64(args + US_PY_OB_SIZE) > 0 ? read_u64(args + US_PY_TUPLE_ITEMS) : 0;
	}
	e->message_len = copy_str(message, e->message, &e->message_truncated);
	bpf_ringbuf_submit(e, submit_flags());
}

#endif
