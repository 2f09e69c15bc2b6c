// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_python.h"
#include "call_stats.h"
#include "log.h"
#include "events.h"
#include "python.skel.h"
#include "util.h"

enum us_line_source us_bpf_python_line_source(const struct us_python *py)
{
	if (py->line_hook_probe_offset && py->layout.line_hook_vaddr)
		return US_LINES_HOOK;
	if (py->line_monitor_probe_offset && py->jump_monitor_probe_offset)
		return US_LINES_MONITOR;
	return US_LINES_NONE;
}

int us_bpf_python_load(struct us_bpf_python *p, const struct us_python *py, pid_t tgid,
		       const struct us_bpf_shared_maps *shared, size_t ring_bytes,
		       const struct us_python_options *opts)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->skel = python_bpf__open();
	if (!p->skel) {
		us_error("opening the Python BPF object failed: %s", strerror(errno));
		return -1;
	}
	p->skel->rodata->target_tgid = (__u32)tgid;
	p->skel->rodata->wakeup_bytes = ring_bytes / 4;
	p->skel->rodata->layout = py->layout;
	p->skel->rodata->capture_args = opts->capture_args;
	p->skel->rodata->aggregate = opts->aggregate;
	p->skel->rodata->stop_at_first_call = opts->stop_at_first_call;
	p->lines = opts->lines ? us_bpf_python_line_source(py) : US_LINES_NONE;
	p->skel->rodata->line_hook = p->lines == US_LINES_HOOK;
	p->skel->rodata->capture_locals = opts->locals &&
					  (p->lines == US_LINES_HOOK || p->lines == US_LINES_MONITOR);
	p->skel->rodata->capture_call_locals = opts->locals && !opts->lines;
	p->skel->rodata->capture_globals = opts->locals && opts->globals;
	p->call_locals = opts->locals && !opts->lines;
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_line_hook, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_line_hook_site, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_line_monitor, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_jump_monitor, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_frame, US_UPROBE_SESSION);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.gc_collect, US_UPROBE_SESSION);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_inline_init, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_inline_getitem, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_code_freed, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_recursion_exhausted, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_finalize, US_UPROBE_ENTRY);
	us_bpf_prog_set_uprobe_kind(p->skel->progs.python_frame_cleared, US_UPROBE_ENTRY);
	err = us_bpf_load_sharing(p->skel->skeleton, shared, "the Python BPF programs");
	if (err) {
		python_bpf__destroy(p->skel);
		p->skel = NULL;
		return -1;
	}
	return 0;
}

/* One probe on the interpreter's object. */
static int attach_probe(struct us_bpf_python *p, const struct us_python *py, pid_t pid,
			const struct bpf_program *prog, enum us_uprobe_kind kind, uint64_t offset)
{
	uint64_t cookie = 0;

	return us_bpf_links_add_uprobes(&p->links, prog, kind, py->open_path, &offset, &cookie, 1,
					pid);
}

static int attach_usdt(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	static const char *const names[] = { "gc__start", "gc__done", "import__find__load__start",
					     "import__find__load__done" };
	struct bpf_program *progs[] = { p->skel->progs.gc_start, p->skel->progs.gc_done,
					p->skel->progs.import_start, p->skel->progs.import_done };

	for (size_t i = 0; i < US_ARRAY_SIZE(names); i++) {
		struct bpf_link *link = bpf_program__attach_usdt(progs[i], pid, py->open_path,
								 "python", names[i], NULL);

		if (!link) {
			us_warn("no USDT probe python:%s in %s (%s): no garbage collections or "
				"imports in the report", names[i], py->object, strerror(errno));
			return 0;
		}
		us_bpf_links_add(&p->links, link);
	}
	return 0;
}

/* --lines: the probes on the hook (and its inlined copies), or on sys.monitoring's calls. */
static int attach_lines(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err;

	if (p->lines == US_LINES_HOOK) {
		uint64_t offsets[US_HOOK_SITES_MAX], cookies[US_HOOK_SITES_MAX];

		err = attach_probe(p, py, pid, p->skel->progs.python_line_hook, US_UPROBE_ENTRY,
				   py->line_hook_probe_offset);
		for (size_t i = 0; i < py->n_hook_sites; i++) {
			offsets[i] = py->hook_sites[i].file_offset;
			cookies[i] = py->hook_sites[i].function_register;
		}
		if (!err && py->n_hook_sites)
			err = us_bpf_links_add_uprobes(&p->links, p->skel->progs.python_line_hook_site,
						       US_UPROBE_ENTRY, py->open_path, offsets,
						       cookies, py->n_hook_sites, pid);
		if (err)
			us_error("cannot probe trace_trampoline in %s for --lines: %s", py->object,
				 strerror(-err));
		return err ? -1 : 0;
	}
	err = attach_probe(p, py, pid, p->skel->progs.python_line_monitor, US_UPROBE_ENTRY,
			   py->line_monitor_probe_offset);
	if (!err)
		err = attach_probe(p, py, pid, p->skel->progs.python_jump_monitor, US_UPROBE_ENTRY,
				   py->jump_monitor_probe_offset);
	if (err)
		us_error("cannot probe sys.monitoring's calls in %s for --lines: %s", py->object,
			 strerror(-err));
	return err ? -1 : 0;
}

void us_bpf_python_close_line_hook(struct us_bpf_python *p)
{
	if (p->skel && p->skel->bss)
		p->skel->bss->line_hook_closed = 1;
}

/* --locals without --lines, 3.12+: the frames' slots at their returns. */
static int attach_frame_cleared(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err = -ENOENT;

	if (!p->call_locals || py->minor < 12)
		return 0;
	if (py->frame_cleared_probe_offset)
		err = attach_probe(p, py, pid, p->skel->progs.python_frame_cleared,
				   US_UPROBE_ENTRY, py->frame_cleared_probe_offset);
	if (err)
		us_error("cannot probe _PyFrame_ClearExceptCode in %s for --locals at returns (%s): "
			 "add --lines to see the locals at each line instead", py->object,
			 strerror(-err));
	return err ? -1 : 0;
}

/* Marks where the program ends and the interpreter's teardown begins. */
static void attach_finalize(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err;

	if (!py->finalize_probe_offset) {
		us_debug("%s: no Py_FinalizeEx to probe", py->object);
		return;
	}
	err = attach_probe(p, py, pid, p->skel->progs.python_finalize, US_UPROBE_ENTRY,
			   py->finalize_probe_offset);
	if (err)
		us_debug("no probe on Py_FinalizeEx in %s: %s", py->object, strerror(-err));
}

/* Without it, a code object made where a freed one was may go by the freed
 * one's names (its name and file strings may be at the same addresses too). */
static void attach_code_freed(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err = -ENOENT;

	if (py->code_freed_probe_offset)
		err = attach_probe(p, py, pid, p->skel->progs.python_code_freed, US_UPROBE_ENTRY,
				   py->code_freed_probe_offset);
	if (!err)
		p->skel->bss->code_frees_watched = 1;
	else
		us_warn("%s: no probe where code objects are freed (%s): a function made where "
			"a freed one was (exec, doctest) may be counted under the freed one's name",
			py->object, strerror(-err));
}

/* 3.12+: where the C recursion budget runs out (plan_python.c). */
static void attach_recursion(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err = -ENOENT;

	if (py->c_recursion_offset < 0)
		return;
	if (py->recursion_probe_offset)
		err = attach_probe(p, py, pid, p->skel->progs.python_recursion_exhausted,
				   US_UPROBE_ENTRY, py->recursion_probe_offset);
	if (err)
		us_warn("%s: no probe on _Py_CheckRecursiveCall (%s): traced, a Python program "
			"recurses less deep than untraced (each call spends C recursion budget)",
			py->object, strerror(-err));
}

/* Collections, where there is no USDT: a probe on the collector itself. */
static void attach_gc_probes(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err;

	if (!py->gc_probe_offset) {
		us_debug("%s: no collector function to probe: no garbage collections in the report",
			 py->object);
		return;
	}
	err = attach_probe(p, py, pid, p->skel->progs.gc_collect, US_UPROBE_SESSION,
			   py->gc_probe_offset);
	if (err)
		us_warn("cannot probe the garbage collector of %s: %s", py->object, strerror(-err));
}

int us_bpf_python_attach(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	int err;

	/* first: no code object named by the frame probe is freed unseen */
	attach_code_freed(p, py, pid);
	err = attach_probe(p, py, pid, p->skel->progs.python_frame, US_UPROBE_SESSION,
			   py->eval_probe_offset);
	if (err) {
		us_error("cannot attach the Python call probe to %s: %s", py->object, strerror(-err));
		return -1;
	}
	if (py->inline_init_probe_offset) {
		err = attach_probe(p, py, pid, p->skel->progs.python_inline_init, US_UPROBE_ENTRY,
				   py->inline_init_probe_offset);
		if (err) {
			us_error("cannot attach the Python inline __init__ probe to %s: %s",
				 py->object, strerror(-err));
			us_bpf_python_detach(p);
			return -1;
		}
	}
	if (py->inline_getitem_probe_offset) {
		err = attach_probe(p, py, pid, p->skel->progs.python_inline_getitem,
				   US_UPROBE_ENTRY, py->inline_getitem_probe_offset);
		if (err) {
			us_error("cannot attach the Python inline __getitem__ probe to %s: %s",
				 py->object, strerror(-err));
			us_bpf_python_detach(p);
			return -1;
		}
	}
	if (py->layout.heap_type_init >= 0 && !py->inline_init_probe_offset)
		us_warn("%s has no symbol _PyType_NewManagedObject: calls of __init__ that CPython "
			"3.13 runs inline (a class called from Python) are not counted", py->object);
	if ((p->lines && attach_lines(p, py, pid)) || attach_frame_cleared(p, py, pid)) {
		us_bpf_python_detach(p);
		return -1;
	}
	attach_finalize(p, py, pid);
	attach_recursion(p, py, pid);
	if (py->has_usdt)
		attach_usdt(p, py, pid);
	else
		attach_gc_probes(p, py, pid);
	return 0;
}

void us_bpf_python_detach(struct us_bpf_python *p)
{
	us_bpf_links_destroy(&p->links);
}

void us_bpf_python_destroy(struct us_bpf_python *p)
{
	us_bpf_python_detach(p);
	python_bpf__destroy(p->skel);
	memset(p, 0, sizeof(*p));
}

void us_bpf_python_each_code_stats(const struct us_bpf_python *p, us_code_stats_fn fn, void *ctx)
{
	int fd = bpf_map__fd(p->skel->maps.code_stats), ncpus = libbpf_num_possible_cpus();
	struct us_call_stats *per_cpu, merged;
	uint64_t key, next;
	bool first = true;

	if (ncpus <= 0)
		return;
	per_cpu = us_calloc((size_t)ncpus, sizeof(*per_cpu));
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, per_cpu))
			continue;
		us_call_stats_merge(per_cpu, (size_t)ncpus, &merged);
		fn(ctx, key, &merged);
	}
	free(per_cpu);
}
