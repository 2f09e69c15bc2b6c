/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf: load python.bpf.c for one interpreter, writing into the ring buffer of
 * the calls programs so that Python and native events keep one order. */
#ifndef USCOPE_BPF_PYTHON_H
#define USCOPE_BPF_PYTHON_H

#include <stdbool.h>
#include "events.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpf_links.h"
#include "plan_python.h"

struct python_bpf;
struct bpf_link;

struct us_python_options {
	bool capture_args;		/* --args */
	bool stop_at_first_call;	/* run, 3.11+: deinline at the first call */
	bool aggregate;			/* --aggregate: counters per code object, no records */
	bool lines;			/* --lines: each line a frame starts */
	bool locals;			/* --locals: with each line (or each call and
					 * return, without --lines), the frame's locals */
	bool globals;			/* --globals: with the locals, the module's globals */
};

/* How the lines are seen (us_bpf_python_line_source). */
enum us_line_source {
	US_LINES_NONE,
	US_LINES_HOOK,		/* 3.8-3.11 with symbols: the C trace hook uscope puts in */
	US_LINES_MONITOR,	/* 3.12: sys.monitoring's LINE and JUMP events, uscope's tool */
};

/* How --lines would see the lines of `py`. */
enum us_line_source us_bpf_python_line_source(const struct us_python *py);

/* --aggregate: each code object's counters, all CPUs together. */
typedef void (*us_code_stats_fn)(void *ctx, uint64_t code, const struct us_call_stats *stats);

struct us_bpf_python {
	struct python_bpf *skel;
	struct us_bpf_links links;
	enum us_line_source lines;	/* --lines: how; US_LINES_NONE without */
	bool call_locals;		/* --locals without --lines */
};

/* --lines: no thread asks for the hook any more (before it is taken out). */
void us_bpf_python_close_line_hook(struct us_bpf_python *p);

/* Loads the programs for `py` in process `tgid`, sharing the calls object's
 * ring buffer and state. */
int us_bpf_python_load(struct us_bpf_python *p, const struct us_python *py, pid_t tgid,
		       const struct us_bpf_shared_maps *shared, size_t ring_bytes,
		       const struct us_python_options *opts);
/* Attaches the entry and return probes, and the USDT probes when present. */
int us_bpf_python_attach(struct us_bpf_python *p, const struct us_python *py, pid_t pid);
void us_bpf_python_detach(struct us_bpf_python *p);
void us_bpf_python_destroy(struct us_bpf_python *p);

void us_bpf_python_each_code_stats(const struct us_bpf_python *p, us_code_stats_fn fn, void *ctx);

#endif
