// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "bpf_python.h"
#include "log.h"
#include "python.skel.h"
#include "util.h"

int us_bpf_python_load(struct us_bpf_python *p, const struct us_python *py, pid_t tgid,
		       int ring_fd, size_t ring_bytes, const struct us_python_options *opts)
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
	p->skel->rodata->stop_at_first_call = opts->stop_at_first_call;
	err = bpf_map__reuse_fd(p->skel->maps.events, ring_fd);
	if (!err)
		err = python_bpf__load(p->skel);
	if (err) {
		us_error("loading the Python BPF programs failed: %s (run with -vv for the "
			 "verifier log)", strerror(-err));
		python_bpf__destroy(p->skel);
		p->skel = NULL;
		return -1;
	}
	return 0;
}

static int add_link(struct us_bpf_python *p, struct bpf_link *link, const char *what)
{
	int err = us_bpf_links_add(&p->links, link);

	if (err)
		us_error("cannot attach the Python %s probe: %s", what, strerror(-err));
	return err;
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

/* Marks where the program ends and the interpreter's teardown begins. */
static void attach_finalize(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "Py_FinalizeEx");
	struct bpf_link *link = bpf_program__attach_uprobe_opts(p->skel->progs.python_finalize, pid,
								 py->open_path, 0, &opts);

	if (!link) {
		us_debug("no probe on Py_FinalizeEx in %s: %s", py->object, strerror(errno));
		return;
	}
	us_bpf_links_add(&p->links, link);
}

/* Collections, where there is no USDT: a probe on the collector itself. */
static void attach_gc_probes(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, entry_opts);
	LIBBPF_OPTS(bpf_uprobe_opts, return_opts, .retprobe = true);

	if (!py->gc_probe_offset) {
		us_debug("%s: no collector function to probe: no garbage collections in the report",
			 py->object);
		return;
	}
	if (us_bpf_links_add(&p->links, bpf_program__attach_uprobe_opts(
			p->skel->progs.gc_collect_enter, pid, py->open_path, py->gc_probe_offset,
			&entry_opts)) ||
	    us_bpf_links_add(&p->links, bpf_program__attach_uprobe_opts(
			p->skel->progs.gc_collect_return, pid, py->open_path, py->gc_probe_offset,
			&return_opts)))
		us_warn("cannot probe the garbage collector of %s: %s", py->object, strerror(errno));
}

int us_bpf_python_attach(struct us_bpf_python *p, const struct us_python *py, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, entry_opts);
	LIBBPF_OPTS(bpf_uprobe_opts, exit_opts, .retprobe = true);

	if (add_link(p, bpf_program__attach_uprobe_opts(p->skel->progs.python_entry, pid,
							py->open_path, py->eval_probe_offset,
							&entry_opts), "entry") ||
	    add_link(p, bpf_program__attach_uprobe_opts(p->skel->progs.python_exit, pid,
							py->open_path, py->eval_probe_offset,
							&exit_opts), "return")) {
		us_bpf_python_detach(p);
		return -1;
	}
	if (py->inline_init_probe_offset &&
	    add_link(p, bpf_program__attach_uprobe_opts(p->skel->progs.python_inline_init, pid,
							py->open_path, py->inline_init_probe_offset,
							&entry_opts), "inline __init__")) {
		us_bpf_python_detach(p);
		return -1;
	}
	if (py->layout.heap_type_init >= 0 && !py->inline_init_probe_offset)
		us_warn("%s has no symbol _PyType_NewManagedObject: calls of __init__ that CPython "
			"3.13 runs inline (a class called from Python) are not counted", py->object);
	attach_finalize(p, py, pid);
	if (py->has_usdt)
		attach_usdt(p, py, pid);
	else
		attach_gc_probes(p, py, pid);
	return 0;
}

uint64_t us_bpf_python_lost(const struct us_bpf_python *p)
{
	return p->skel ? __atomic_load_n(&p->skel->bss->lost_events, __ATOMIC_RELAXED) : 0;
}

void us_bpf_python_stop(struct us_bpf_python *p)
{
	if (p->skel)
		__atomic_store_n(&p->skel->bss->tracing_stopped, 1, __ATOMIC_SEQ_CST);
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
