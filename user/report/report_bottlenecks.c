// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bottlenecks with reasons: the few places that cost most, each with the
 * rule that found it, its evidence (numbers from the recording), and a
 * suggestion. The rules (docs/reports.md, "Bottlenecks"); a rule with no
 * evidence in the recording does not fire:
 *
 *   call_overhead  >= 10,000 calls, under 20 us each on average, >= 5 % of
 *                  the program's time
 *   slow_call      one call >= 10 % of the program and >= half of all the
 *                  function's time, spent in the function itself
 *   exceptions     one exception path raised and caught >= 100 times
 *   allocation_churn  >= 1,000 temporary blocks (freed by the call that
 *                  made them), half or more of the function's allocations
 *   gc             garbage collections >= 5 % of the program's time
 *   deep_recursion a function >= 100 levels deep in itself
 *   imports        a Python program's own imports (importlib's
 *                  _find_and_load, outermost calls) >= 5 % of its time
 */
#include <stdlib.h>
#include <string.h>
#include "bottleneck_list.h"
#include "hashmap.h"
#include "json_writer.h"
#include "model_program.h"
#include "model_walk.h"
#include "report.h"
#include "report_formats.h"
#include "util.h"

#define CALL_OVERHEAD_MIN_CALLS 10000
#define CALL_OVERHEAD_MAX_MEAN_NS 20000
#define SHARE_OF_PROGRAM 0.05
#define SLOW_CALL_SHARE 0.10
#define EXCEPTIONS_MIN 100
#define CHURN_MIN_TEMPORARY 1000
#define RECURSION_MIN_DEPTH 100

/* The program's own time: a Python program's main phase, else the trace. */
static uint64_t program_ns(const struct us_model *m)
{
	const struct us_thread *t = us_model_program_thread(m);

	if (t && t->phase_end_ns[US_PHASE_PROGRAM] > t->phase_start_ns[US_PHASE_PROGRAM])
		return t->phase_end_ns[US_PHASE_PROGRAM] - t->phase_start_ns[US_PHASE_PROGRAM];
	return m->last_ns > m->first_ns ? m->last_ns - m->first_ns : 1;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void function_rules(struct us_bottleneck_list *f, const struct us_model *m, uint64_t program)
{
	for (uint32_t id = 0; id < m->n_functions; id++) {
		const struct us_func_stats *s = &m->funcs[id];
		const char *label = us_function_label(m, id);
		uint64_t runs = s->count + s->resumes;	/* a generator's resumes cost as calls */
		char resumes[64] = "";

		if (s->resumes)
			snprintf(resumes, sizeof(resumes), " and %llu resumes",
				 (unsigned long long)s->resumes);
		if (runs >= CALL_OVERHEAD_MIN_CALLS && s->sum_ns / runs < CALL_OVERHEAD_MAX_MEAN_NS &&
		    (double)s->total_ns >= SHARE_OF_PROGRAM * (double)program)
			us_bottleneck_add(f, "call_overhead", us_strdup(label),
			    "many calls with a tiny average: the cost of calling dominates",
			    us_asprintf("%llu calls%s, %.2f us each on average, %.1f ms in all (%.0f%% "
					"of %s)", (unsigned long long)s->count, resumes,
					(double)s->sum_ns / (double)runs / 1e3, ms(s->total_ns),
					percent(s->total_ns, program), f->whole),
			    "do the work in fewer calls: batch or vectorise it, or inline the function "
			    "in its caller", s->total_ns);
		if (s->count && (double)s->max_ns >= SLOW_CALL_SHARE * (double)program &&
		    2 * s->max_ns >= s->sum_ns && 2 * s->self_ns >= s->sum_ns)
			us_bottleneck_add(f, "slow_call", us_strdup(label),
			    "one call takes most of the time, in the function itself (computing or "
			    "blocked: a trace does not tell which; uscope profile --off-cpu does)",
			    us_asprintf("its slowest call took %.1f ms (%.0f%% of %s), of %.1f ms "
					"over %llu call%s", ms(s->max_ns), percent(s->max_ns, program),
					f->whole,
					ms(s->sum_ns), (unsigned long long)s->count,
					s->count == 1 ? "" : "s"),
			    "look at that call's input and at what it waits for (I/O, a lock, a sleep)",
			    s->max_ns);
		if (s->mem.temporary >= CHURN_MIN_TEMPORARY && 2 * s->mem.temporary >= s->mem.allocs)
			us_bottleneck_add(f, "allocation_churn", us_strdup(label),
			    "allocation churn: blocks freed right after being made",
			    us_asprintf("%llu of its %llu allocations were freed by the call that made "
					"them", (unsigned long long)s->mem.temporary,
					(unsigned long long)s->mem.allocs),
			    "reuse a buffer, or allocate once outside the loop", s->self_ns);
	}
}

static void exception_rules(struct us_bottleneck_list *f, const struct us_model *m)
{
	for (size_t i = 0; i < m->n_chains; i++) {
		const struct us_exception_chain *c = &m->chains[i];
		uint32_t raiser;

		if (!c->caught || c->count < EXCEPTIONS_MIN || !c->n_frames)
			continue;
		raiser = c->fn_ids[0];
		us_bottleneck_add(f, "exceptions", us_strdup(us_function_label(m, raiser)),
		    "the same exception raised and caught again and again",
		    us_asprintf("%s raised %llu times here, caught after leaving %u frame%s",
				c->type, (unsigned long long)c->count, (unsigned)c->n_frames,
				c->n_frames == 1 ? "" : "s"),
		    "check before acting instead of catching, or keep the raise out of the loop",
		    m->funcs[raiser].total_ns);
	}
}

static void gc_rule(struct us_bottleneck_list *f, const struct us_model *m, uint64_t program)
{
	if (!m->gc.collections || (double)m->gc.total_ns < SHARE_OF_PROGRAM * (double)program)
		return;
	us_bottleneck_add(f, "gc", us_strdup("garbage collection"), "garbage collections take a noticeable part",
	    us_asprintf("%llu collections, %.1f ms (%.0f%% of %s)",
			(unsigned long long)m->gc.collections, ms(m->gc.total_ns),
			percent(m->gc.total_ns, program), f->whole),
	    "make fewer objects that hold reference cycles, or tune gc.set_threshold / call "
	    "gc.freeze() after start-up", m->gc.total_ns);
}

/* How deep each function is in itself at most, from the call-path trees. */
static void recursion_rule(struct us_bottleneck_list *f, const struct us_model *m)
{
	uint32_t *deepest = us_calloc(m->n_functions + 1, sizeof(*deepest));
	struct us_open_functions open = { 0 };

	for (size_t i = 0; i < m->n_threads; i++) {
		for (int phase = 0; phase < US_PHASES; phase++) {
			uint32_t root = m->threads[i].roots[phase], node;
			struct us_walk w;
			size_t depth;

			if (root == US_NO_NODE)
				continue;
			us_open_functions_reset(&open);
			us_walk_init(&w, m, root, US_SORT_FIRST, false);
			while (us_walk_next(&w, &node, &depth, NULL)) {
				uint32_t fn = m->nodes[node].fn_id;
				uint32_t n = us_open_functions_enter(&open, depth, fn);

				if (fn < m->n_functions && n > deepest[fn])
					deepest[fn] = n;
			}
			us_walk_free(&w);
		}
	}
	for (uint32_t fn = 0; fn < m->n_functions; fn++)
		if (deepest[fn] >= RECURSION_MIN_DEPTH)
			us_bottleneck_add(f, "deep_recursion", us_strdup(us_function_label(m, fn)), "deep recursion",
			    us_asprintf("%u levels deep in itself", deepest[fn]),
			    "turn it into a loop with an explicit stack (the recursion limit only "
			    "moves the failure)", m->funcs[fn].total_ns);
	us_open_functions_free(&open);
	free(deepest);
}

static bool is_find_and_load(const struct us_function *fn)
{
	return fn->kind == US_FN_PYTHON && strcmp(fn->name, "_find_and_load") == 0 &&
	       us_model_is_import_machinery(fn);
}

/* The time the program's own imports took: importlib's _find_and_load,
 * outermost calls only (an import inside an import is in its total), and
 * the slowest module body run by one. */
static void import_rule(struct us_bottleneck_list *f, const struct us_model *m, uint64_t program)
{
	const struct us_thread *t = us_model_program_thread(m);
	uint64_t total = 0, imports = 0, slowest_ns = 0;
	char slowest_text[300] = "";
	uint32_t slowest = US_NO_NODE, root, node;
	size_t depth, outer_depth = 0;
	struct us_walk w;

	if (!t || (root = t->roots[US_PHASE_PROGRAM]) == US_NO_NODE)
		return;
	us_walk_init(&w, m, root, US_SORT_FIRST, false);
	while (us_walk_next(&w, &node, &depth, NULL)) {
		const struct us_node *n = &m->nodes[node];
		const struct us_function *fn = &m->functions[n->fn_id];

		if (outer_depth && depth <= outer_depth)
			outer_depth = 0;	/* left the outermost import */
		if (!outer_depth && is_find_and_load(fn)) {
			outer_depth = depth;
			total += n->total_ns;
			imports += n->count;
		} else if (outer_depth && strcmp(fn->name, "<module>") == 0 &&
			   n->total_ns > slowest_ns) {
			slowest_ns = n->total_ns;
			slowest = node;
		}
	}
	us_walk_free(&w);
	if (!imports || (double)total < SHARE_OF_PROGRAM * (double)program)
		return;
	if (slowest != US_NO_NODE)
		snprintf(slowest_text, sizeof(slowest_text), "; the slowest module to run: %s, %.1f ms",
			 us_function_label(m, m->nodes[slowest].fn_id), ms(slowest_ns));
	us_bottleneck_add(f, "imports", us_strdup("imports"), "importing modules takes a noticeable part",
	    us_asprintf("%llu imports took %.1f ms (%.0f%% of %s)%s",
			(unsigned long long)imports, ms(total), percent(total, program), f->whole,
			slowest_text),
	    "import what is needed only where it is used (inside the function), or trim what "
	    "the slow module imports; python -X importtime shows the chain", total);
}

/* `program`: the time shares are of; a call (uscope call --profile) has no
 * garbage collections of its own (the model counts the process's). */
static void find(const struct us_model *m, struct us_bottleneck_list *f, uint64_t program, bool call)
{
	f->whole = call ? "the call" : "the program";
	function_rules(f, m, program);
	exception_rules(f, m);
	if (!call)
		gc_rule(f, m, program);
	recursion_rule(f, m);
	import_rule(f, m, program);
	us_bottleneck_sort(f);
}

void us_report_bottlenecks(FILE *out, const struct us_recording *rec, const struct us_model *m,
			   const struct us_report_options *ro)
{
	struct us_bottleneck_list f = { 0 };

	find(m, &f, program_ns(m), false);
	us_bottleneck_print(out, &f);
	us_bottleneck_list_free(&f);
}

static void json_findings(struct us_json *j, const struct us_model *m, uint64_t program,
			  bool call)
{
	struct us_bottleneck_list f = { 0 };

	find(m, &f, program, call);
	us_bottleneck_json(j, &f, call);
	us_bottleneck_list_free(&f);
}

void us_json_bottlenecks(struct us_json *j, const struct us_model *m)
{
	json_findings(j, m, program_ns(m), false);
}

void us_json_call_bottlenecks(struct us_json *j, const struct us_model *m, uint64_t within_ns)
{
	json_findings(j, m, within_ns ? within_ns : 1, true);
}
