// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model_awaits.h"
#include "model_program.h"
#include "model_tests.h"
#include "model_python.h"
#include "python_layout.h"
#include "util.h"

/* ---- names and filters -------------------------------------------------- */

/* ---- values --------------------------------------------------------------- */

static void format_text(const struct us_py_value *v, char *buf, size_t len, const char *prefix)
{
	uint32_t n = v->text_len < sizeof(v->text) ? v->text_len : sizeof(v->text);

	snprintf(buf, len, "%s'%.*s%s'", prefix, (int)n, v->text, v->truncated ? "..." : "");
}

void us_py_value_format(const struct us_py_value *v, char *buf, size_t len)
{
	double d;

	switch (v->kind) {
	case US_PY_VALUE_NONE:
		snprintf(buf, len, "None");
		break;
	case US_PY_VALUE_BOOL:
		snprintf(buf, len, "bool %s", v->number ? "True" : "False");
		break;
	case US_PY_VALUE_INT:
		snprintf(buf, len, "int %" PRId64, (int64_t)v->number);
		break;
	case US_PY_VALUE_BIG_INT:
		snprintf(buf, len, "int (more than 60 bits)");
		break;
	case US_PY_VALUE_FLOAT:
		memcpy(&d, &v->number, sizeof(d));
		snprintf(buf, len, "float %.17g", d);
		break;
	case US_PY_VALUE_STR:
		format_text(v, buf, len, "str ");
		break;
	case US_PY_VALUE_OBJECT:
		snprintf(buf, len, "%.*s", (int)sizeof(v->type_name), v->type_name);
		break;
	case US_PY_VALUE_SIZED:
		snprintf(buf, len, "%.*s len %" PRId64, (int)sizeof(v->type_name), v->type_name,
			 (int64_t)v->number);
		break;
	case US_PY_VALUE_EXCEPTION:
		snprintf(buf, len, "%.*s", (int)sizeof(v->type_name), v->type_name);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

void us_py_local_format(const struct us_py_value *v, char *type, size_t type_len, char *value,
			size_t value_len)
{
	static const char *const names[] = {
		[US_PY_VALUE_NONE] = "NoneType", [US_PY_VALUE_BOOL] = "bool",
		[US_PY_VALUE_INT] = "int", [US_PY_VALUE_BIG_INT] = "int",
		[US_PY_VALUE_FLOAT] = "float", [US_PY_VALUE_STR] = "str",
	};
	uint32_t n = v->text_len < sizeof(v->text) ? v->text_len : sizeof(v->text);
	double d;

	if (v->kind < US_ARRAY_SIZE(names) && names[v->kind])
		snprintf(type, type_len, "%s", names[v->kind]);
	else
		snprintf(type, type_len, "%.*s", (int)sizeof(v->type_name), v->type_name);
	switch (v->kind) {
	case US_PY_VALUE_NONE:
		snprintf(value, value_len, "None");
		break;
	case US_PY_VALUE_BOOL:
		snprintf(value, value_len, "%s", v->number ? "True" : "False");
		break;
	case US_PY_VALUE_INT:
		snprintf(value, value_len, "%" PRId64, (int64_t)v->number);
		break;
	case US_PY_VALUE_FLOAT:
		memcpy(&d, &v->number, sizeof(d));
		snprintf(value, value_len, "%.15g", d);
		break;
	case US_PY_VALUE_STR:
		snprintf(value, value_len, "'%.*s%s'", (int)n, v->text, v->truncated ? "..." : "");
		break;
	case US_PY_VALUE_SIZED:
		snprintf(value, value_len, "len %" PRId64, (int64_t)v->number);
		break;
	case US_PY_VALUE_BIG_INT:
		snprintf(value, value_len, "(more than 60 bits)");
		break;
	default:
		snprintf(value, value_len, "<%s>", type);
		break;
	}
}

static void set_string(char **slot, const char *value)
{
	if (*slot && strcmp(*slot, value) == 0)
		return;
	free(*slot);
	*slot = us_strdup(value);
}

/* ---- line numbers ------------------------------------------------------------- */

/* ---- code objects ----------------------------------------------------------- */

static char *bounded_strdup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *copy = us_calloc(n + 1, 1);

	memcpy(copy, s, n);
	return copy;
}

static bool is_function(const struct us_function *fn, const char *name, const char *file,
			uint32_t line)
{
	return fn->line == line && strcmp(fn->name, name) == 0 && strcmp(fn->file, file) == 0;
}

void us_model_on_py_code(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_code_event *ev = (const struct us_py_code_event *)hdr;
	char *name = bounded_strdup(ev->qualname, sizeof(ev->qualname));
	char *file = bounded_strdup(ev->file, sizeof(ev->file));
	uint64_t key = us_hash_str(name) ^ us_hash_u64(us_hash_str(file) + ev->first_line);
	uint32_t fn_id;

	/* distinct functions may share a key: the next one is tried */
	for (;; key = us_hash_u64(key)) {
		fn_id = us_map_get(&m->function_index, key);
		if (fn_id == US_MAP_NONE || is_function(&m->functions[fn_id], name, file,
							ev->first_line))
			break;
	}
	if (fn_id == US_MAP_NONE) {
		struct us_function fn = {
			.kind = US_FN_PYTHON, .name = name, .object = us_strdup(""), .file = file,
			.line = ev->first_line, .code_flags = ev->flags,
		};

		if (ev->linetable_len && ev->linetable_len <= sizeof(ev->linetable)) {
			fn.linetable = us_calloc(ev->linetable_len, 1);
			memcpy(fn.linetable, ev->linetable, ev->linetable_len);
			fn.linetable_len = ev->linetable_len;
		}
		fn_id = us_model_add_function(m, &fn);
		us_map_put(&m->function_index, key, fn_id);
	} else {
		free(name);
		free(file);
	}
	us_map_put(&m->code_index, ev->code, fn_id);
}

uint32_t us_model_function_of_code(struct us_model *m, uint64_t code)
{
	uint32_t fn_id = us_map_get(&m->code_index, code);
	struct us_function fn = { .kind = US_FN_PYTHON };

	if (fn_id != US_MAP_NONE)
		return fn_id;
	fn.object = us_strdup("");
	fn.file = us_strdup("?");
	fn.name = us_asprintf("<code 0x%" PRIx64 ">", code);
	fn_id = us_model_add_function(m, &fn);
	us_map_put(&m->code_index, code, fn_id);
	return fn_id;
}

/* ---- calls and returns -------------------------------------------------------- */

int32_t us_model_line_at(const struct us_model *m, uint32_t fn_id, int32_t offset)
{
	const struct us_function *fn = &m->functions[fn_id];

	if (offset < 0 || !fn->linetable_len || !m->program.python_minor)
		return -1;
	if (m->program.python_minor <= 9 && fn->linetable_len >= US_PY_LINETABLE_LEN) {
		int32_t covered = 0;	/* a cut co_lnotab: past its end the line is unknown */

		for (size_t i = 0; i + 1 < fn->linetable_len; i += 2)
			covered += fn->linetable[i];
		if (offset >= covered)
			return -1;
	}
	return us_py_line_for_version(m->program.python_minor, fn->linetable, fn->linetable_len,
				      fn->line, offset);
}

/* The line a call was made from: where its caller, the Python frame on top
 * of the thread's stack, was in its bytecode. A call site is met again and
 * again: its line is looked up in the table once. */
static int32_t call_site_line(struct us_model *m, const struct us_thread *t,
			      int32_t caller_offset)
{
	const struct us_frame *caller = t->depth ? &t->stack[t->depth - 1] : NULL;
	uint64_t key;
	uint32_t known;
	int32_t line;

	if (!caller || !caller->python || caller_offset < 0)
		return 0;
	key = (uint64_t)caller->fn_id << 32 | (uint32_t)caller_offset;
	known = us_map_get(&m->call_site_lines, key);
	if (known != US_MAP_NONE)
		return (int32_t)known - 1;
	line = us_model_line_at(m, caller->fn_id, caller_offset);
	line = line > 0 ? line : 0;
	us_map_put(&m->call_site_lines, key, (uint32_t)line + 1);
	return line;
}

void us_model_on_py_entry(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_entry_event *ev = (const struct us_py_entry_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_frame f = {
		.fn_id = us_model_function_of_code(m, ev->code), .python = true,
		.resume = ev->kind == US_PY_RESUME,
		/* a 3.11+ generator function's first C call only builds the generator */
		.counted = ev->kind != US_PY_GENERATOR_NEW,
		.sp = ev->sp, .start_ns = ev->hdr.ts_ns,
		.exit_expected = !(ev->flags & US_CALL_NO_RETURN),
		/* older records and plain calls end before the frame */
		.instance = ev->hdr.size >= sizeof(*ev) ? ev->frame : 0,
		.call_line = ev->hdr.size >= US_PY_ENTRY_SHORT_SIZE && ev->kind == US_PY_CALL
			     ? call_site_line(m, t, ev->caller_offset) : 0,
	};

	if (f.counted && !f.resume && us_model_is_main_code(m, t, f.fn_id)) {
		m->main_code_fn = f.fn_id;
		f.starts_phase = true;
		us_model_enter_phase(m, t, US_PHASE_PROGRAM, ev->hdr.ts_ns);
	}
	if (f.instance && ev->kind == US_PY_RESUME)
		us_model_run_resumed(m, f.instance, ev->hdr.ts_ns);
	else if (f.instance)
		us_model_run_first(m, f.instance);
	us_model_push(m, t, f, false);
	if (f.starts_phase)
		t->main_frame_depth = t->depth;
	if (ev->kind == US_PY_INLINE_CALL)	/* counted where it ran; its time stays the caller's */
		us_model_pop(m, t, ev->hdr.ts_ns, false, false);
}

/* A node keeps this many distinct (type, message) pairs; later messages of a
 * type count under one "other messages" entry of that type, so a function
 * raising a new message each call stays cheap to record. */
#define US_NODE_EXCEPTION_MESSAGES 8
#define US_OTHER_MESSAGES "(other messages)"

static void add_node_exception(struct us_model *m, uint32_t node, const char *type,
			       const char *message)
{
	uint32_t last = US_NO_NODE, id = (uint32_t)m->n_node_exceptions, kept = 0;

	for (uint32_t e = m->nodes[node].first_exception; e != US_NO_NODE;
	     e = m->node_exceptions[e].next) {
		struct us_node_exception *x = &m->node_exceptions[e];

		if (strcmp(x->type, type) == 0 &&
		    (strcmp(x->message, message) == 0 ||
		     (kept >= US_NODE_EXCEPTION_MESSAGES &&
		      strcmp(x->message, US_OTHER_MESSAGES) == 0))) {
			x->count++;
			return;
		}
		kept++;
		last = e;
	}
	if (kept >= US_NODE_EXCEPTION_MESSAGES)
		message = US_OTHER_MESSAGES;
	/* grow first: no pointer into the array survives it */
	us_grow(&m->node_exceptions, &m->node_exceptions_cap, m->n_node_exceptions + 1,
		sizeof(*m->node_exceptions));
	if (last == US_NO_NODE)
		m->nodes[node].first_exception = id;
	else
		m->node_exceptions[last].next = id;
	m->node_exceptions[m->n_node_exceptions++] = (struct us_node_exception){
		.node = node, .next = US_NO_NODE, .type = us_strdup(type),
		.message = us_strdup(message), .count = 1,
	};
}

static void chain_add_frame(struct us_exception_chain *c, uint32_t fn_id, int32_t line)
{
	size_t cap = c->n_frames;

	us_grow(&c->fn_ids, &cap, c->n_frames + 1, sizeof(*c->fn_ids));
	cap = c->n_frames;
	us_grow(&c->lines, &cap, c->n_frames + 1, sizeof(*c->lines));
	c->fn_ids[c->n_frames] = fn_id;
	c->lines[c->n_frames++] = line;
}

/* The frame fn_id (popped; t->depth frames remain) exited by raising. The
 * exception continues the chain whose last frame was its callee, or starts
 * a new one. */
static void chain_exception(struct us_model *m, struct us_thread *t, uint32_t fn_id,
			    const char *type, const char *message, int32_t line)
{
	struct us_exception_chain *c = t->open_chain;

	if (!c || t->open_chain_depth != t->depth + 1 || strcmp(c->type, type) != 0) {
		us_model_close_chain(m, t, true);
		c = us_calloc(1, sizeof(*c));
		*c = (struct us_exception_chain){
			.type = us_strdup(type), .message = us_strdup(message), .count = 1,
			.tid = t->tid, .first_ns = t->last_ns,
		};
		t->open_chain = c;
	}
	chain_add_frame(c, fn_id, line);
	t->open_chain_depth = t->depth;
	/* Out of every frame of the thread: out of the script's module, nothing
	 * catches it; out of anything else, C code that called it decides. */
	if (t->depth == 0)
		us_model_close_chain(m, t, strcmp(m->functions[fn_id].name, "<module>") != 0);
}

static bool same_chain(const struct us_exception_chain *a, const struct us_exception_chain *b)
{
	return a->caught == b->caught && a->n_frames == b->n_frames &&
	       strcmp(a->type, b->type) == 0 && strcmp(a->message, b->message) == 0 &&
	       memcmp(a->fn_ids, b->fn_ids, a->n_frames * sizeof(*a->fn_ids)) == 0 &&
	       memcmp(a->lines, b->lines, a->n_frames * sizeof(*a->lines)) == 0;
}

/* Where a chain went, its message aside. */
static uint64_t chain_path_hash(const struct us_exception_chain *c)
{
	uint64_t h = us_hash_u64(us_hash_str(c->type) + c->caught);

	for (size_t i = 0; i < c->n_frames; i++)
		h = us_hash_u64(h ^ ((uint64_t)c->fn_ids[i] << 32 | (uint32_t)c->lines[i]));
	return h;
}

static uint64_t chain_hash(const struct us_exception_chain *c)
{
	return us_hash_u64(chain_path_hash(c) ^ us_hash_str(c->message));
}

/* A path keeps this many distinct messages; the rest merge into one chain
 * whose message says so (a loop raising "bad 0", "bad 1", ... is one line). */
#define US_CHAIN_MESSAGES 8

static void fold_message_if_many(struct us_model *m, struct us_exception_chain *c)
{
	uint64_t path = chain_path_hash(c);
	uint32_t seen = us_map_get(&m->chain_messages, path);

	if (seen == US_MAP_NONE)
		seen = 0;
	if (seen >= US_CHAIN_MESSAGES) {
		free(c->message);
		c->message = us_strdup(US_OTHER_MESSAGES);
	}
}

static void count_message(struct us_model *m, const struct us_exception_chain *c)
{
	uint64_t path = chain_path_hash(c);
	uint32_t seen = us_map_get(&m->chain_messages, path);

	us_map_put(&m->chain_messages, path, seen == US_MAP_NONE ? 1 : seen + 1);
}

static void free_chain(struct us_exception_chain *c)
{
	free(c->type);
	free(c->message);
	free(c->fn_ids);
	free(c->lines);
}

/* The thread's chain ends: merged into an identical closed one, or kept. */
void us_model_close_chain(struct us_model *m, struct us_thread *t, bool caught)
{
	struct us_exception_chain *c = t->open_chain;
	uint64_t key;
	uint32_t idx;

	if (!c)
		return;
	t->open_chain = NULL;
	c->caught = caught;
	fold_message_if_many(m, c);
	/* identical chains share a key; a different chain on the same key moves on */
	for (key = chain_hash(c);; key = us_hash_u64(key)) {
		idx = us_map_get(&m->chain_index, key);
		if (idx == US_MAP_NONE || same_chain(&m->chains[idx], c))
			break;
	}
	if (idx != US_MAP_NONE) {
		m->chains[idx].count++;
		free_chain(c);
		free(c);
		return;
	}
	us_grow(&m->chains, &m->chains_cap, m->n_chains + 1, sizeof(*m->chains));
	m->chains[m->n_chains] = *c;
	us_map_put(&m->chain_index, key, (uint32_t)m->n_chains++);
	count_message(m, c);
	free(c);
}

/* Where the frame was when the exception left it. */
static int32_t exception_line(const struct us_model *m, uint32_t fn_id,
			      const struct us_py_exit_event *ev)
{
	const struct us_function *fn = &m->functions[fn_id];

	if (ev->line >= 0)
		return ev->line;	/* <= 3.10: the traceback has it */
	return us_model_line_at(m, (uint32_t)(fn - m->functions), ev->offset);
}

/* How Python would print it: str(e), or "[Errno 2] No such file or
 * directory: 'x'" for an OSError. */
static char *exception_message(const struct us_py_exception_event *ev)
{
	uint32_t n = ev->message_len < US_PY_MESSAGE_LEN ? ev->message_len : US_PY_MESSAGE_LEN;
	uint32_t f = ev->filename_len < US_PY_MESSAGE_LEN ? ev->filename_len : US_PY_MESSAGE_LEN;
	const char *more = ev->message_truncated ? "..." : "";

	if (!ev->is_os_error || ev->os_errno < 0)
		return us_asprintf("%.*s%s", (int)n, ev->message, more);
	if (!f)
		return us_asprintf("[Errno %lld] %.*s%s", (long long)ev->os_errno, (int)n, ev->message,
				   more);
	return us_asprintf("[Errno %lld] %.*s%s: '%.*s%s'", (long long)ev->os_errno, (int)n,
			   ev->message, more, (int)f, ev->filename,
			   ev->filename_truncated ? "..." : "");
}

void us_model_on_py_exception(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_exception_event *ev = (const struct us_py_exception_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);

	free(t->raised_message);
	t->raised_message = exception_message(ev);
}

/* A generator or coroutine that ends by GeneratorExit (closed) or
 * StopIteration returned normally: that is how they end. */
static bool is_normal_end(const struct us_function *fn, const char *type)
{
	return (fn->code_flags & US_CO_SUSPENDABLE) &&
	       (strcmp(type, "GeneratorExit") == 0 || strcmp(type, "StopIteration") == 0 ||
		strcmp(type, "StopAsyncIteration") == 0);
}

/* What a generator's or coroutine's run yielded, as a type: "Future". */
static void yielded_type(const struct us_py_value *v, char *buf, size_t len)
{
	static const char *const kinds[] = {
		[US_PY_VALUE_NONE] = "None", [US_PY_VALUE_BOOL] = "bool", [US_PY_VALUE_INT] = "int",
		[US_PY_VALUE_BIG_INT] = "int", [US_PY_VALUE_FLOAT] = "float",
		[US_PY_VALUE_STR] = "str",
	};

	if (v->kind == US_PY_VALUE_OBJECT)
		snprintf(buf, len, "%.*s", (int)sizeof(v->type_name), v->type_name);
	else
		snprintf(buf, len, "%s", v->kind < US_ARRAY_SIZE(kinds) && kinds[v->kind]
					 ? kinds[v->kind] : "?");
}

static void run_ended(struct us_model *m, struct us_thread *t, const struct us_frame *f,
		      const struct us_py_exit_event *ev)
{
	char yielded[US_PY_TYPE_LEN + 1];
	int32_t line = ev->line > 0 ? ev->line : us_model_line_at(m, f->fn_id, ev->offset);

	yielded_type(&ev->value, yielded, sizeof(yielded));
	us_model_run_ended(m, t, f, line, yielded, ev->hdr.ts_ns);
}

void us_model_on_py_exit(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_exit_event *ev = (const struct us_py_exit_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	uint64_t entry_sp = ev->sp - US_RETURN_SP_DELTA;
	bool raised = ev->value.kind == US_PY_VALUE_EXCEPTION;
	char type[US_PY_TYPE_LEN + 1], summary[160], *message = t->raised_message;
	struct us_frame *top;
	uint32_t node, fn_id;

	t->raised_message = NULL;
	snprintf(type, sizeof(type), "%.*s", (int)sizeof(ev->value.type_name), ev->value.type_name);
	if (!message)
		message = us_asprintf("%.*s", (int)(ev->value.text_len < US_PY_TEXT_LEN
						    ? ev->value.text_len : US_PY_TEXT_LEN),
				      ev->value.text);

	us_model_reconcile_for_exit(m, t, entry_sp, ev->hdr.ts_ns);
	top = t->depth ? &t->stack[t->depth - 1] : NULL;
	if (!top || top->sp != entry_sp || !top->python) {
		m->unmatched_exits++;	/* entered before tracing began */
		us_model_close_chain(m, t, true);
		free(message);
		return;
	}
	fn_id = top->fn_id;
	if (raised && is_normal_end(&m->functions[fn_id], type))
		raised = false;
	if (top->instance && !raised)	/* a run ends: suspended, or finished */
		run_ended(m, t, top, ev);
	/* for the sinks (chrome): what it raised, and whether it started there */
	t->exit_exception = raised ? type : NULL;
	t->exit_raised_here = raised && !(t->open_chain && t->open_chain_depth == t->depth &&
					  strcmp(t->open_chain->type, type) == 0);
	if (!raised) {
		if (ev->value.kind == US_PY_VALUE_EXCEPTION)
			snprintf(summary, sizeof(summary), "None (%s)", type);
		else
			us_py_value_format(&ev->value, summary, sizeof(summary));
		t->exit_return = summary;
		us_model_test_function_returned(m, t, &m->functions[fn_id], summary);
	}
	node = us_model_pop(m, t, ev->hdr.ts_ns, false, raised);
	t->exit_exception = NULL;
	t->exit_raised_here = false;
	t->exit_return = NULL;
	if (!raised) {
		us_model_close_chain(m, t, true);
		if (node != US_NO_NODE)
			set_string(&m->nodes[node].last_return, summary);
		free(message);
		return;
	}
	if (node != US_NO_NODE) {
		m->nodes[node].exception_exits++;
		add_node_exception(m, node, type, message);
	}
	chain_exception(m, t, fn_id, type, message, exception_line(m, fn_id, ev));
	free(message);
}

void us_model_on_py_args(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_args_event *ev = (const struct us_py_args_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	const struct us_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	char text[US_PY_MAX_ARGS * 96] = "", one[96];
	size_t used = 0;

	if (!top || !top->python || top->node == US_NO_NODE)
		return;
	for (uint32_t i = 0; i < ev->count && i < US_PY_MAX_ARGS; i++) {
		us_py_value_format(&ev->args[i], one, sizeof(one));
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", i ? ", " : "", one);
		if (used >= sizeof(text))
			break;
	}
	set_string(&m->nodes[top->node].last_args, text);
}

/* ---- garbage collections and imports -------------------------------------------- */

static void add_span(struct us_model *m, uint32_t tid, uint32_t depth, const char *module,
		     uint64_t start_ns, uint64_t end_ns, int32_t generation)
{
	struct us_span span = {
		.tid = tid, .depth = depth, .module = module, .start_ns = start_ns,
		.end_ns = end_ns, .generation = generation,
	};

	if (m->sink && m->sink->span)
		m->sink->span(m->sink->ctx, m, &span);
}

void us_model_on_py_gc(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_gc_event *ev = (const struct us_py_gc_event *)hdr;
	uint64_t dur = ev->hdr.ts_ns > ev->start_ns ? ev->hdr.ts_ns - ev->start_ns : 0;

	m->gc.collections++;
	m->gc.total_ns += dur;
	if (ev->generation >= 0 && ev->generation < 3)
		m->gc.by_generation[ev->generation]++;
	add_span(m, ev->hdr.tid, 0, NULL, ev->start_ns, ev->hdr.ts_ns, ev->generation);
}

void us_model_on_py_import(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_import_event *ev = (const struct us_py_import_event *)hdr;
	char module[US_PY_NAME_LEN + 1];

	snprintf(module, sizeof(module), "%.*s", (int)sizeof(ev->module), ev->module);
	m->imports++;
	add_span(m, ev->hdr.tid, ev->depth, module, ev->start_ns, ev->hdr.ts_ns, -1);
}

void us_model_free_python(struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		if (m->threads[i].open_chain) {
			free_chain(m->threads[i].open_chain);
			free(m->threads[i].open_chain);
		}
	}
	for (size_t i = 0; i < m->n_node_exceptions; i++) {
		free(m->node_exceptions[i].type);
		free(m->node_exceptions[i].message);
	}
	for (size_t i = 0; i < m->n_chains; i++)
		free_chain(&m->chains[i]);
	free(m->node_exceptions);
	free(m->chains);
	us_map_free(&m->chain_index);
	us_map_free(&m->chain_messages);
	us_map_free(&m->call_site_lines);
}

/* --aggregate: one function's counters since tracing began, as BPF added
 * them up; uscope writes them each second, so each record replaces the last
 * one of its site or code object: what it adds is the difference. Its total
 * counts a recursive function's nested calls again (funclatency's way). */
void us_model_on_func_stats(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_func_stats_event *ev = (const struct us_func_stats_event *)hdr;
	uint64_t key = ev->python ? ev->code | 1ull << 63 : ev->site_id;
	uint32_t slot = us_map_get(&m->aggregate_index, key);
	struct us_call_stats now = ev->stats, *before;
	struct us_func_stats *f;
	uint32_t fn_id;

	fn_id = ev->python ? us_model_function_of_code(m, ev->code) : us_model_site_function(m, ev->site_id);
	if (fn_id == US_ROOT_FN)
		return;
	if (slot == US_MAP_NONE) {
		slot = (uint32_t)m->n_aggregates;
		us_grow(&m->aggregates, &m->aggregates_cap, m->n_aggregates + 1,
			sizeof(*m->aggregates));
		memset(&m->aggregates[m->n_aggregates++], 0, sizeof(*m->aggregates));
		us_map_put(&m->aggregate_index, key, slot);
	}
	before = &m->aggregates[slot];
	f = &m->funcs[fn_id];
	if (now.timed && (!f->timed || now.min_ns < f->min_ns))
		f->min_ns = now.min_ns;
	if (now.max_ns > f->max_ns)
		f->max_ns = now.max_ns;
	f->seen += now.calls - before->calls;
	f->count += now.calls - before->calls;
	f->timed += now.timed - before->timed;
	f->sum_ns += now.total_ns - before->total_ns;
	f->total_ns += now.total_ns - before->total_ns;
	f->self_ns += now.self_ns - before->self_ns;
	f->unfinished = f->count > f->timed ? f->count - f->timed : 0;
	if (!f->latency)
		f->latency = us_calloc(US_LATENCY_BUCKETS, sizeof(*f->latency));
	for (size_t i = 0; i < US_LATENCY_BUCKETS; i++)
		f->latency[i] += now.latency[i] - before->latency[i];
	m->total_calls += now.calls - before->calls;
	m->python_calls += ev->python ? now.calls - before->calls : 0;
	m->aggregated = true;
	*before = now;
}
