// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* flamegraph: one self-contained HTML file that works offline (the page,
 * its style and script are user/report/flamegraph.html, embedded at build):
 * the call-path tree as JSON inside it; zoom on click, search, tooltips with
 * samples (or time) and %. */
#include <stdlib.h>
#include <string.h>
#include "flamegraph_html.h"
#include "json_writer.h"
#include "profile_paths.h"
#include "report_profile.h"
#include "util.h"

#define DATA_MARK "/*USCOPE_PROFILE*/"

static const char *kind_class(const struct us_path_label *l)
{
	static const char *const names[] = { "native", "python", "kernel", "mark" };

	if (l->kind == US_LABEL_GROUP)
		return "group";
	return l->kind < 4 ? names[l->kind] : "native";
}

static void json_node(struct us_json *j, const struct us_profile_paths *p, uint32_t id)
{
	const struct us_path_node *n = &p->nodes[id];
	const struct us_path_label *l = &p->labels[n->label];
	uint32_t *children;
	size_t count;

	us_json_object_begin(j);
	us_json_kv_string(j, "n", l->text);
	us_json_kv_uint(j, "v", us_path_measure(p, n));
	us_json_kv_uint(j, "s", us_path_self_measure(p, n));
	us_json_kv_string(j, "k", kind_class(l));
	if (l->frame && *l->frame->file)
		us_json_kv_string(j, "f", l->frame->file);
	children = us_profile_paths_children(p, id, &count);
	if (count) {
		us_json_key(j, "c");
		us_json_array_begin(j);
		for (size_t i = 0; i < count; i++)
			json_node(j, p, children[i]);
		us_json_array_end(j);
	}
	free(children);
	us_json_object_end(j);
}

void us_report_profile_flamegraph(FILE *out, const struct us_recording *rec,
				  const struct us_model *m, const struct us_report_options *ro)
{
	unsigned kinds = us_profile_kinds(&m->profile);
	const char *mark = strstr(flamegraph_html, DATA_MARK);
	struct us_profile_paths paths;
	char *json = NULL, *title, *summary, *losses;
	size_t len = 0;
	FILE *mem = open_memstream(&json, &len);
	struct us_json j;

	if (!mark || !mem)
		return;
	us_profile_paths_build(&paths, &m->profile, kinds);
	title = us_asprintf("uscope: %s", rec->argc ? rec->argv[0] : "profile");
	summary = us_profile_summary_line(rec, m, &paths, kinds);
	losses = us_profile_losses_line(m);
	us_json_init(&j, mem, 0);
	us_json_object_begin(&j);
	us_json_kv_string(&j, "title", title);
	us_json_kv_string(&j, "summary", summary);
	us_json_kv_string(&j, "losses", losses);
	us_json_kv_string(&j, "unit", paths.weight_is_time ? "ns" : "samples");
	us_json_key(&j, "root");
	json_node(&j, &paths, US_PATH_ROOT);
	us_json_object_end(&j);
	us_json_finish(&j);
	fclose(mem);
	fwrite(flamegraph_html, 1, (size_t)(mark - flamegraph_html), out);
	us_write_script_safe(out, json, len);
	fputs(mark + strlen(DATA_MARK), out);
	free(json);
	free(title);
	free(summary);
	free(losses);
	us_profile_paths_free(&paths);
}
