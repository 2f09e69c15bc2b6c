// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report of a profile: the same page as a trace's (report.html),
 * its data from the samples: the summary, the call-path tree (samples and
 * time per path), its flame graph, the flat profile and the bottlenecks. A
 * profile holds no calls, so no timeline, patterns or exceptions.
 */
#include <stdlib.h>
#include "json_writer.h"
#include "log.h"
#include "profile_paths.h"
#include "report.h"
#include "report_profile.h"
#include "util.h"

static const char *kind_name(const struct us_path_label *l)
{
	return l->kind == US_LABEL_GROUP ? "root" : l->kind == US_FRAME_PYTHON ? "python"
										: "native";
}

/* "functions": the paths' labels: [text, text, file, kind]. */
static void write_labels(struct us_json *j, const struct us_profile_paths *p)
{
	us_json_key(j, "functions");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_labels; i++) {
		const struct us_path_label *l = &p->labels[i];

		us_json_array_begin(j);
		us_json_string(j, l->text);
		us_json_string(j, l->text);
		us_json_string(j, l->frame && l->frame->file ? l->frame->file : "");
		us_json_string(j, kind_name(l));
		us_json_array_end(j);
	}
	us_json_array_end(j);
}

/* A node and its subtree, depth first: [parent, label, samples, ns, self ns]. */
static void write_path(struct us_json *j, const struct us_profile_paths *p, uint32_t id,
		       int64_t parent, size_t *index)
{
	const struct us_path_node *n = &p->nodes[id];
	int64_t me = (int64_t)(*index)++;
	uint32_t *children;
	size_t count;

	us_json_array_begin(j);
	us_json_int(j, parent);
	us_json_int(j, id == US_PATH_ROOT ? -1 : (int64_t)n->label);
	us_json_uint(j, n->count);
	us_json_uint(j, n->weight_ns);
	us_json_uint(j, n->self_weight_ns);
	if (id == US_PATH_ROOT) {
		us_json_string(j, "all samples");
		us_json_string(j, "program");
	}
	us_json_array_end(j);
	children = us_profile_paths_children(p, id, &count);
	for (size_t i = 0; i < count; i++)
		write_path(j, p, children[i], me, index);
	free(children);
}

static void write_summary(struct us_json *j, const struct us_recording *rec,
			  const struct us_model *m, const struct us_profile_paths *p, unsigned kinds)
{
	char *line = us_profile_summary_line(rec, m, p, kinds), *losses = us_profile_losses_line(m);

	us_json_key(j, "summary");
	us_json_object_begin(j);
	us_json_command(j, rec);
	us_json_kv_string(j, "mode", "profile");
	us_json_kv_double(j, "duration_ms", (double)(rec->end_ns > rec->start_ns
						    ? rec->end_ns - rec->start_ns : 0) / 1e6);
	us_json_kv_uint(j, "calls", p->nodes[US_PATH_ROOT].count);
	us_json_kv_uint(j, "threads", p->n_threads ? p->n_threads : 1);
	us_json_kv_uint(j, "lost_events", rec->lost_events);
	us_json_kv_uint(j, "inferred_exits", 0);
	us_json_kv_uint(j, "unfinished_calls", 0);
	us_json_key(j, "exit_status");
	if (rec->exited)
		us_json_int(j, rec->exit_status);
	else
		us_json_null(j);
	us_json_kv_string(j, "profile", line);
	us_json_kv_string(j, "losses", losses);
	us_json_object_end(j);
	free(line);
	free(losses);
}

static void empty(struct us_json *j, const char *key)
{
	us_json_key(j, key);
	us_json_array_begin(j);
	us_json_array_end(j);
}

static void write_data(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	unsigned kinds = us_profile_kinds(&m->profile);
	struct us_profile_paths p;
	struct us_json j;
	size_t index = 0;

	us_profile_paths_build(&p, &m->profile, kinds);
	us_json_init(&j, out, 0);
	us_json_object_begin(&j);
	us_json_kv_string(&j, "title", "uscope profile");
	us_json_kv_bool(&j, "profile", true);
	write_summary(&j, rec, m, &p, kinds);
	us_json_key(&j, "decimation");
	us_json_object_begin(&j);
	us_json_kv_double(&j, "threshold_us", 0);
	us_json_kv_uint(&j, "marks_dropped", 0);
	us_json_object_end(&j);
	write_labels(&j, &p);
	empty(&j, "threads");
	empty(&j, "marks");
	empty(&j, "spans");
	empty(&j, "counters");
	us_json_key(&j, "nodes");
	us_json_array_begin(&j);
	write_path(&j, &p, US_PATH_ROOT, -1, &index);
	us_json_array_end(&j);
	us_json_profile_flat(&j, &p);
	empty(&j, "patterns");
	empty(&j, "exceptions");
	us_json_profile_bottlenecks(&j, m);
	us_json_object_end(&j);
	us_json_finish(&j);
	us_profile_paths_free(&p);
}

void us_report_profile_html(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro)
{
	char *json = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&json, &len);

	if (!mem) {
		us_warn("cannot write the HTML report: out of memory");
		return;
	}
	write_data(mem, rec, m);
	fclose(mem);
	us_write_html_report_page(out, json, len);
	free(json);
}
