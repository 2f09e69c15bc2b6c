// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "help.h"
#include "util.h"

#define TRACING (US_CMD_RUN | US_CMD_ATTACH)
#define SHOWING (US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT | US_CMD_PROFILE)
#define RECORDING (US_CMD_RUN | US_CMD_ATTACH | US_CMD_PROFILE)
#define SAMPLING (US_CMD_PROFILE | US_CMD_TOP)
#define FILTERING (US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT | US_CMD_CALL)
#define EVERY (US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT | US_CMD_PROBES | US_CMD_CALL | \
	       US_CMD_DUMP | US_CMD_PROFILE | US_CMD_TOP | US_CMD_DIFF)

struct command_doc {
	const char *name;
	unsigned bit;
	const char *usage;
	const char *summary;	/* one line, for `uscope --help` */
	const char *about;
	const char *examples;
};

static const struct command_doc commands[] = {
	{ "run", US_CMD_RUN, "uscope run [OPTIONS] -- COMMAND [ARG...]",
	  "trace a command from its first instruction",
	  "Trace a command from its first instruction: every function of its executable (or\n"
	  "those -f names) and, when it is CPython 3.8-3.13, every Python call. The command's\n"
	  "input and output pass through untouched; the report goes to stderr (or --report)\n"
	  "and uscope exits with the command's status (125: the recording failed).",
	  "  uscope run -- ./server --once\n"
	  "  uscope run -f 'parse_*' -f 'libc:malloc' --format flat -- ./batch-job\n"
	  "  uscope run -o trace.usc -- python3 app.py\n"
	  "  uscope run --memory --format memory -- python3 -m json.tool big.json" },
	{ "attach", US_CMD_ATTACH, "uscope attach -p PID [OPTIONS]",
	  "trace a running process until Ctrl-C, --duration, or its exit",
	  "Trace a running process until Ctrl-C, --duration, or its exit. It keeps running,\n"
	  "unchanged, when uscope detaches.",
	  "  uscope attach -p 4242 --duration 5\n"
	  "  uscope attach -p 4242 -f 'libz:inflate*' --format flat\n"
	  "  uscope attach -p \"$(pgrep -f http.server)\" --scope ./app -o web.usc" },
	{ "report", US_CMD_REPORT, "uscope report FILE [OPTIONS]",
	  "print any report of a recording",
	  "Print any report of a recording made with -o, to stdout (through a pager on a\n"
	  "terminal). A recording cut short by a killed uscope reads up to its last second.",
	  "  uscope report trace.usc\n"
	  "  uscope report trace.usc --format json > trace.json\n"
	  "  uscope report trace.usc --format chrome --min-duration 1ms --report trace.json\n"
	  "  uscope report trace.usc --focus parse_request --sort self" },
	{ "diff", US_CMD_DIFF, "uscope diff A B [--format json|html] [--report PATH]",
	  "compare two recordings: what got slower, what is new",
	  "Compare two recordings of a program (made with -o: two traces, or two profiles),\n"
	  "B against A: per function and\n"
	  "per call path, calls, total and self time in each, the change and the ratio, the\n"
	  "largest changes first and told as sentences; call paths new in B or gone from it.\n"
	  "Functions are matched by name and object, or name, file and first line.\n"
	  "--format html writes one page with a differential flame graph (red: grew in B,\n"
	  "blue: shrank) and the tables.",
	  "  uscope diff small.usc large.usc\n"
	  "  uscope diff before.usc after.usc --format json --report diff.json\n"
	  "  uscope diff before.usc after.usc --format html --report diff.html" },
	{ "probes", US_CMD_PROBES, "uscope probes [-p PID | --binary PATH] [PATTERN...]",
	  "dry run: what a pattern would trace, and at what cost",
	  "Dry run: which functions a pattern would trace, where each probe goes, and what a\n"
	  "hit costs (instructions the kernel single-steps cost ~13 us instead of ~1 us).\n"
	  "-v adds the CPython offsets uscope would use.",
	  "  uscope probes --binary ./server 'handle_*'\n"
	  "  uscope probes -p 4242 'libc:read*'\n"
	  "  uscope probes -v --binary /usr/bin/python3.11\n"
	  "  uscope probes --memory --binary ./server" },
	{ "call", US_CMD_CALL, "uscope call [OPTIONS] MODULE.FUNC [ARG...]",
	  "call one Python function, trace it, print it as JSON",
	  "Import MODULE in python3 (or --python), call FUNC with literal arguments\n"
	  "(ast.literal_eval; anything else is a string), trace the call and print it as\n"
	  "one JSON document: arguments, duration, return value or exception, its calls.",
	  "  uscope call json.dumps '{\"a\": 1}' --kwargs 'sort_keys=True'\n"
	  "  uscope call --python python3.12 difflib.unified_diff \"['a']\" \"['b']\"\n"
	  "  uscope call --memory statistics.mean '[1, 2, 3]'" },
	{ "profile", US_CMD_PROFILE,
	  "uscope profile [-F HZ] [-p PID | -a | -- COMMAND [ARG...]] [OPTIONS]",
	  "sample stacks of a command, a process or every process",
	  "Sample what runs, -F times a second on every CPU (default 99): each sample is a\n"
	  "thread's whole stack, native frames unwound with DWARF call-frame information\n"
	  "(code without frame pointers unwinds right) and, in CPython 3.8-3.13, the Python\n"
	  "functions in place of the interpreter frames that run them. A COMMAND is profiled\n"
	  "from its start with its children, and uscope exits with its status. Costs\n"
	  "about 1% at 99 Hz; nothing in the target changes.",
	  "  uscope profile -- python3 app.py\n"
	  "  uscope profile -p 4242 --duration 10 --format flat\n"
	  "  uscope profile -a --duration 5 --format folded --report host.folded\n"
	  "  uscope profile -o app.usp -- ./server --once; uscope report app.usp --format json" },
	{ "top", US_CMD_TOP, "uscope top [-F HZ] [-p PID | -a | -- COMMAND [ARG...]]",
	  "live view of the hottest functions, refreshed each second",
	  "Sample as `profile` does and show the functions that take the most time, self\n"
	  "and total, refreshed each second; q (or Ctrl-C) quits. Not on a terminal, each\n"
	  "second's table is printed in turn.",
	  "  uscope top -a\n"
	  "  uscope top -p 4242 -F 199\n"
	  "  uscope top --off-cpu -p \"$(pgrep -o nginx)\"" },
	{ "dump", US_CMD_DUMP, "uscope dump -p PID",
	  "print every thread's stack right now",
	  "Print every thread's native stack right now, unwound with the objects' DWARF\n"
	  "call-frame information (code without frame pointers unwinds right). Each thread\n"
	  "is stopped only while its registers and stack are copied (ptrace), then runs on.",
	  "  uscope dump -p 4242\n"
	  "  uscope dump -p \"$(pgrep -o nginx)\"" },
};

static const struct us_option_spec specs[] = {
	{ "func", 'f', required_argument, "[OBJECT:]GLOB", TRACING, false,
	  "functions to trace (repeatable); OBJECT is a path, a name prefix of a loaded\n"
	  "object (libc, libpython) or a glob; default: every function of the executable" },
	{ "pid", 'p', required_argument, "PID",
	  US_CMD_ATTACH | US_CMD_PROBES | US_CMD_DUMP | SAMPLING, false,
	  "the process to attach to (probes, dump: to look at; profile: to sample)" },
	{ "frequency", 'F', required_argument, "HZ", SAMPLING, false,
	  "samples a second on each CPU (default 99: not a multiple of the 10 ms and\n"
	  "100 Hz timers periodic work runs on, so samples do not beat in step with it)" },
	{ "off-cpu", OPT_OFF_CPU, no_argument, NULL, SAMPLING, false,
	  "sample the time threads spend blocked (sleeping S, uninterruptible D, waiting\n"
	  "for a CPU R), charged to the stack they blocked in, instead of running time" },
	{ "wall", OPT_WALL, no_argument, NULL, SAMPLING, false,
	  "running and blocked time in one wall-clock view: where a request handler\n"
	  "computes and where it waits" },
	{ "kernel", OPT_KERNEL, no_argument, NULL, SAMPLING, false,
	  "add the kernel's stack under the program's (where a system call spends its\n"
	  "time or blocks), and with -a the kernel threads' own work" },
	{ "all-processes", 'a', no_argument, NULL, SAMPLING, false,
	  "sample every process on the host (but uscope)" },
	{ "subprocesses", OPT_SUBPROCESSES, no_argument, NULL, SAMPLING, false,
	  "also sample the processes the target starts (default with a COMMAND)" },
	{ "no-subprocesses", OPT_NO_SUBPROCESSES, no_argument, NULL, SAMPLING, false,
	  "sample the COMMAND's own process only" },
	{ "push", OPT_PUSH, required_argument, "URL", US_CMD_PROFILE, false,
	  "send the profile in pprof form to a Pyroscope-compatible server every\n"
	  "--push-interval (http://host:4040; the path defaults to /ingest)" },
	{ "push-interval", OPT_PUSH_INTERVAL, required_argument, "SEC", US_CMD_PROFILE, false,
	  "how often --push sends (default 10 s)" },
	{ "output", 'o', required_argument, "FILE", RECORDING, false,
	  "keep the recording in FILE (read it with `uscope report`)" },
	{ "binary", OPT_BINARY, required_argument, "PATH", US_CMD_PROBES, false,
	  "the executable or library to look at" },
	{ "duration", OPT_DURATION, required_argument, "SEC", RECORDING | US_CMD_TOP, false,
	  "stop tracing (profile: sampling) after SEC seconds (2.5, 500ms)" },
	{ "format", OPT_FORMAT, required_argument, "F", SHOWING | US_CMD_DIFF, false,
	  "tree (default), flat, json, timeline, timeline-json, chrome, memory,\n"
	  "patterns, bottlenecks, html (one interactive page: use --report); of a "
	  "profile: tree, flat, folded, json, speedscope, pprof, flamegraph, bottlenecks, html" },
	{ "report", OPT_REPORT, required_argument, "PATH", SHOWING | US_CMD_DIFF, false,
	  "write the report to PATH (run, attach: instead of stderr; report, diff: of stdout)" },
	{ "min-duration", OPT_MIN_DURATION, required_argument, "DUR", FILTERING, false,
	  "hide calls shorter than DUR, with its unit (500us, 2ms, 1s)" },
	{ "max-depth", OPT_MAX_DEPTH, required_argument, "N", FILTERING, false,
	  "hide calls nested deeper than N" },
	{ "exclude", OPT_EXCLUDE, required_argument, "GLOB", FILTERING, false,
	  "hide functions matching GLOB (repeatable); while tracing they are not probed" },
	{ "include", OPT_INCLUDE, required_argument, "GLOB", FILTERING, false,
	  "show only functions matching GLOB (repeatable): a name, a file, FILE:LINE, or a\n"
	  "Python module" },
	{ "focus", OPT_FOCUS, required_argument, "NAME", FILTERING, false,
	  "show only what runs inside NAME (a function, FILE:LINE, module.qualname)" },
	{ "exception-only", OPT_EXCEPTION_ONLY, no_argument, NULL, FILTERING, false,
	  "show only calls on the path of an exception" },
	{ "condition", OPT_CONDITION, required_argument, "EXPR", FILTERING, false,
	  "show only calls EXPR matches, and their callers: duration_ms, self_ms, calls,\n"
	  "depth, alloc_bytes, function, module, file, exception, return; == != < <= > >=,\n"
	  "~ (glob), and, or, not: 'duration_ms > 10 and function ~ \"parse_*\"'" },
	{ "sort", OPT_SORT, required_argument, "KEY", SHOWING, false,
	  "children and rows by total (default), self, calls, name, or first (as they ran)" },
	{ "all", OPT_ALL, no_argument, NULL, SHOWING, false,
	  "a Python program's interpreter start-up and shutdown in full" },
	{ "color", OPT_COLOR, required_argument, "WHEN", SHOWING, false,
	  "auto (default: on a terminal, unless NO_COLOR), always, never" },
	{ "no-pager", OPT_NO_PAGER, no_argument, NULL, US_CMD_REPORT, false,
	  "no pager, even on a terminal" },
	{ "buffer-size", OPT_BUFFER_SIZE, required_argument, "MIB",
	  RECORDING | US_CMD_CALL | US_CMD_TOP, false,
	  "ring buffer size in MiB, a power of two (default 32); with a unit it may be\n"
	  "smaller (256K)" },
	{ "memory", OPT_MEMORY, optional_argument, "[=objects]",
	  TRACING | US_CMD_CALL | US_CMD_PROBES, false,
	  "record allocations, frees, resident size and (Python) collections; =objects\n"
	  "also follows CPython's object allocator (pymalloc)" },
	{ "memory-sample", OPT_MEMORY_SAMPLE, required_argument, "K", TRACING | US_CMD_CALL, false,
	  "keep one in K allocations smaller than --memory-sample-min, sizes scaled by K" },
	{ "memory-sample-min", OPT_MEMORY_SAMPLE_MIN, required_argument, "SIZE",
	  TRACING | US_CMD_CALL, false,
	  "allocations from SIZE up are always kept (default 64K)" },
	{ "lines", OPT_LINES, no_argument, NULL, TRACING, true,
	  "record each line Python code runs, as sys.settrace's 'line' events (3.8-3.13;\n"
	  "reports: --format lines, coverage, steps)" },
	{ "locals", OPT_LOCALS, optional_argument, "[=all|changed]",
	  US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT, true,
	  "each frame's local variables (the first 32; type and a short value) at each line\n"
	  "with --lines, else at each call and return; all of them or (=changed) what is new\n"
	  "or changed; --format steps" },
	{ "globals", OPT_GLOBALS, no_argument, NULL, US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT,
	  true,
	  "with --locals: the module's global variables too (the first 32 of its first 128\n"
	  "names; no modules, functions, classes or __names__), as --locals shows them" },
	{ "coverdir", OPT_COVERDIR, required_argument, "DIR", US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT,
	  true,
	  "--format coverage: write the annotated .cover files into DIR (default .)" },
	{ "await-threshold", OPT_AWAIT_THRESHOLD, required_argument, "MS",
	  US_CMD_RUN | US_CMD_ATTACH | US_CMD_REPORT, true,
	  "--format awaits and json: list only suspensions of coroutines lasting MS or\n"
	  "more (the totals count all)" },
	{ "args", OPT_ARGS, no_argument, NULL, TRACING, true,
	  "record the first arguments of each Python call" },
	{ "scope", OPT_SCOPE, required_argument, "DIR", FILTERING, true,
	  "only Python code under DIR; a call leaving it shows as one collapsed node, with\n"
	  "the code in scope it calls back under it" },
	{ "no-imports", OPT_NO_IMPORTS, no_argument, NULL, FILTERING, true,
	  "hide the import machinery (importlib)" },
	{ "follow", OPT_FOLLOW, no_argument, NULL, TRACING, true,
	  "trace the processes the target makes and the programs they exec too, each its\n"
	  "own section of the report (default for run; attach: only with --follow)" },
	{ "no-follow", OPT_NO_FOLLOW, no_argument, NULL, TRACING, true,
	  "trace the target's own process only" },
	{ "aggregate", OPT_AGGREGATE, no_argument, NULL, TRACING, true,
	  "count calls and add up their times in the kernel, per function (a log2 latency\n"
	  "histogram each): no record per call, for production; the report is flat" },
	{ "no-deinline", OPT_NO_DEINLINE, no_argument, NULL, TRACING | US_CMD_CALL, true,
	  "3.11+: leave the interpreter's eval_frame alone; calls it inlines (most\n"
	  "Python-to-Python calls) are then not seen" },
	{ "kwargs", OPT_KWARGS, required_argument, "'K=V, ...'", US_CMD_CALL, true,
	  "keyword arguments of the call" },
	{ "python", OPT_PYTHON, required_argument, "PATH", US_CMD_CALL, true,
	  "the interpreter to call the function in (default python3)" },
	{ "profile", OPT_CALL_PROFILE, no_argument, NULL, US_CMD_CALL, true,
	  "add a performance_profile: the call's time by operation (itself and each\n"
	  "function it called) and its bottlenecks with reasons" },
	{ "timeout", OPT_TIMEOUT, required_argument, "SEC", US_CMD_CALL, true,
	  "stop the call after SEC seconds (2.5, 500ms) and report what ran\n"
	  "(\"partial_execution\": true)" },
	{ "verbose", 'v', no_argument, NULL, EVERY, false,
	  "more detail: set-up and detach times (-vv: libbpf's log)" },
	{ "quiet", 'q', no_argument, NULL, EVERY, false, "no progress messages" },
	{ "help", 'h', no_argument, NULL, EVERY, false, "this help" },
};

unsigned us_command_bit(const char *command)
{
	for (size_t i = 0; i < US_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, command) == 0)
			return commands[i].bit;
	return 0;
}

const struct us_option_spec *us_option_spec_of(int key)
{
	for (size_t i = 0; i < US_ARRAY_SIZE(specs); i++)
		if (specs[i].key == key)
			return &specs[i];
	return NULL;
}

const struct option *us_long_options(void)
{
	static struct option table[US_ARRAY_SIZE(specs) + 1];

	if (!table[0].name)
		for (size_t i = 0; i < US_ARRAY_SIZE(specs); i++)
			table[i] = (struct option){ specs[i].name, specs[i].has_arg, NULL, specs[i].key };
	return table;
}

const char *us_option_commands(const struct us_option_spec *spec, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < US_ARRAY_SIZE(commands) && used < len; i++)
		if (spec->commands & commands[i].bit)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 commands[i].name);
	return buf;
}

enum { HELP_WIDTH = 80, HELP_COLUMN = 28 };

/* Prints `text` (its newlines are spaces) in lines of at most `width`
 * characters, every line after the first indented by `indent`. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
	int used = 0;

	while (*text) {
		int word = (int)strcspn(text, " \n");

		if (used && used + 1 + word > width) {
			fprintf(out, "\n%*s", indent, "");
			used = 0;
		} else if (used) {
			fputc(' ', out);
			used++;
		}
		fprintf(out, "%.*s", word, text);
		used += word;
		text += word;
		text += strspn(text, " \n");
	}
	fputc('\n', out);
}

/* "  -f, --func [OBJECT:]GLOB" padded to the help column, then the help. */
static void print_option(FILE *out, const struct us_option_spec *s)
{
	char head[64];
	int n;

	if (s->key < 128)
		n = snprintf(head, sizeof(head), "  -%c, --%s", s->key, s->name);
	else
		n = snprintf(head, sizeof(head), "  --%s", s->name);
	if (s->arg)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%s%s",
			      s->has_arg == optional_argument ? "" : " ", s->arg);
	fputs(head, out);
	if (n >= HELP_COLUMN - 1)
		fprintf(out, "\n%*s", HELP_COLUMN, "");
	else
		fprintf(out, "%*s", HELP_COLUMN - n, "");
	print_wrapped(out, s->help, HELP_COLUMN, HELP_WIDTH - HELP_COLUMN);
}

void us_print_command_help(FILE *out, const char *command)
{
	unsigned bit = us_command_bit(command);

	for (size_t i = 0; i < US_ARRAY_SIZE(commands); i++) {
		if (commands[i].bit != bit)
			continue;
		fprintf(out, "usage: %s\n\n", commands[i].usage);
		print_wrapped(out, commands[i].about, 0, HELP_WIDTH);
		fprintf(out, "\nExamples:\n%s\n\nOptions:\n", commands[i].examples);
	}
	for (int python = 0; python <= 1; python++) {
		bool heading = false;

		for (size_t i = 0; i < US_ARRAY_SIZE(specs); i++) {
			if (!(specs[i].commands & bit) || specs[i].python != python)
				continue;
			if (python && !heading)
				fputs("\nPython (CPython 3.8-3.13: its calls are traced with no -f):\n", out);
			heading = true;
			print_option(out, &specs[i]);
		}
	}
}

void us_print_usage(FILE *out)
{
	fputs("uscope: an eBPF profiler and execution tracer\n\nusage:\n", out);
	for (size_t i = 0; i < US_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %s\n      %s\n", commands[i].usage, commands[i].summary);
	fputs("\n'uscope COMMAND --help' lists a command's options with examples;\n"
	      "'uscope --version' prints the version.\n", out);
}
