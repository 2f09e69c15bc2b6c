// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --condition: a small expression language on one call (condition.h),
 * parsed by recursive descent into a tree kept in one array. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "condition.h"
#include "util.h"

static const char *const field_names[US_COND_FIELDS] = {
	[US_COND_DURATION_MS] = "duration_ms", [US_COND_SELF_MS] = "self_ms",
	[US_COND_CALLS] = "calls", [US_COND_DEPTH] = "depth",
	[US_COND_ALLOC_BYTES] = "alloc_bytes", [US_COND_FUNCTION] = "function",
	[US_COND_MODULE] = "module", [US_COND_FILE] = "file",
	[US_COND_EXCEPTION] = "exception", [US_COND_RETURN] = "return",
};

enum op { OP_OR, OP_AND, OP_NOT, OP_TRUE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MATCH,
	  OP_NO_MATCH };

struct node {
	enum op op;
	int left, right;		/* or, and: operands; not: left */
	enum us_condition_field field;	/* comparisons, true */
	double number;
	char *text;
};

struct us_condition {
	char *source;
	struct node *nodes;
	size_t n, cap;
	int root;
};

/* ---- tokens ---------------------------------------------------------- */

enum token_kind { T_END, T_WORD, T_NUMBER, T_STRING, T_OP, T_LPAREN, T_RPAREN };

struct parser {
	struct us_condition *c;
	const char *text, *at;
	enum token_kind kind;
	const char *start;	/* the current token */
	size_t len;
	char *err;
	size_t err_len;
	bool failed;
};

static void fail(struct parser *p, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct parser *p, const char *where, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_len, "--condition \"%s\": column %d: %s", p->text,
		 (int)(where - p->text) + 1, what);
}

static void next_token(struct parser *p)
{
	const char *s = p->at;

	while (isspace((unsigned char)*s))
		s++;
	p->start = s;
	if (!*s) {
		p->kind = T_END;
	} else if (*s == '(' || *s == ')') {
		p->kind = *s == '(' ? T_LPAREN : T_RPAREN;
		s++;
	} else if (*s == '\'' || *s == '"') {
		const char *close = strchr(s + 1, *s);

		if (!close) {
			fail(p, s, "this string has no closing %c", *s);
			p->kind = T_END;
			return;
		}
		p->kind = T_STRING;
		s = close + 1;
	} else if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1])) ||
		   (*s == '-' && (isdigit((unsigned char)s[1]) || s[1] == '.'))) {
		char *end;

		strtod(s, &end);
		p->kind = T_NUMBER;
		s = end;
	} else if (isalpha((unsigned char)*s) || *s == '_') {
		p->kind = T_WORD;
		while (isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '*' || *s == '?')
			s++;
	} else if (strchr("=!<>~&|", *s)) {
		p->kind = T_OP;
		s++;
		if (*s && strchr("=~&|", *s) && !(s[-1] == '~'))
			s++;
	} else {
		fail(p, s, "unexpected '%c'", *s);
		p->kind = T_END;
		return;
	}
	p->len = (size_t)(s - p->start);
	p->at = s;
}

static bool token_is(const struct parser *p, const char *text)
{
	return (p->kind == T_WORD || p->kind == T_OP) && strlen(text) == p->len &&
	       strncmp(p->start, text, p->len) == 0;
}

/* ---- the tree -------------------------------------------------------- */

static int add_node(struct parser *p, struct node n)
{
	struct us_condition *c = p->c;

	us_grow(&c->nodes, &c->cap, c->n + 1, sizeof(*c->nodes));
	c->nodes[c->n] = n;
	return (int)c->n++;
}

static int parse_or(struct parser *p);

static bool is_text_field(enum us_condition_field f)
{
	return f >= US_COND_FUNCTION;
}

static void suggest_field(struct parser *p, const char *where, const char *word, size_t len)
{
	char name[64];
	const char *best = NULL;
	size_t best_distance = 4;

	snprintf(name, sizeof(name), "%.*s", (int)len, word);
	for (int f = 0; f < US_COND_FIELDS; f++) {
		size_t d = us_edit_distance(name, field_names[f]);

		if (d < best_distance) {
			best_distance = d;
			best = field_names[f];
		}
	}
	if (best)
		fail(p, where, "no field '%s' (did you mean %s?)", name, best);
	else
		fail(p, where, "no field '%s': fields are duration_ms, self_ms, calls, depth, "
		     "alloc_bytes, function, module, file, exception, return", name);
}

static bool parse_field(struct parser *p, enum us_condition_field *out)
{
	if (p->kind != T_WORD) {
		fail(p, p->start, p->kind == T_END ? "the expression ends where a field was expected"
		     : "expected a field (duration_ms, function, ...) here");
		return false;
	}
	for (int f = 0; f < US_COND_FIELDS; f++) {
		if (strlen(field_names[f]) == p->len && strncmp(p->start, field_names[f], p->len) == 0) {
			*out = (enum us_condition_field)f;
			next_token(p);
			return true;
		}
	}
	suggest_field(p, p->start, p->start, p->len);
	return false;
}

static bool parse_operator(struct parser *p, enum op *op)
{
	static const struct { const char *text; enum op op; } ops[] = {
		{ "==", OP_EQ }, { "=", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT }, { "<=", OP_LE },
		{ ">", OP_GT }, { ">=", OP_GE }, { "~", OP_MATCH }, { "!~", OP_NO_MATCH },
	};

	for (size_t i = 0; i < US_ARRAY_SIZE(ops); i++) {
		if (p->kind == T_OP && token_is(p, ops[i].text)) {
			*op = ops[i].op;
			next_token(p);
			return true;
		}
	}
	return false;
}

/* The value after a comparison of `field`. */
static bool parse_value(struct parser *p, enum us_condition_field field, enum op op,
			struct node *n)
{
	const char *where = p->start;

	if (is_text_field(field)) {
		if (op != OP_EQ && op != OP_NE && op != OP_MATCH && op != OP_NO_MATCH) {
			fail(p, where, "%s is text: compare it with ==, !=, ~ or !~",
			     field_names[field]);
			return false;
		}
		if (p->kind == T_STRING)
			n->text = us_asprintf("%.*s", (int)p->len - 2, p->start + 1);
		else if (p->kind == T_WORD || p->kind == T_NUMBER)
			n->text = us_asprintf("%.*s", (int)p->len, p->start);
		else {
			fail(p, where, "expected a string ('...') after the comparison");
			return false;
		}
	} else {
		char *end;

		if (op == OP_MATCH || op == OP_NO_MATCH) {
			fail(p, where, "%s is a number: ~ and !~ match text", field_names[field]);
			return false;
		}
		if (p->kind != T_NUMBER) {
			fail(p, where, "%s is a number: expected a number here", field_names[field]);
			return false;
		}
		n->number = strtod(p->start, &end);
	}
	next_token(p);
	return true;
}

static int parse_comparison(struct parser *p)
{
	struct node n = { .op = OP_TRUE, .left = -1, .right = -1 };

	if (!parse_field(p, &n.field))
		return -1;
	if (parse_operator(p, &n.op) && !parse_value(p, n.field, n.op, &n))
		return -1;
	if (p->kind == T_OP && !token_is(p, "&&") && !token_is(p, "||")) {
		fail(p, p->start, "'%.*s' is not a comparison: use ==, !=, <, <=, >, >=, ~ or !~",
		     (int)p->len, p->start);
		return -1;
	}
	return add_node(p, n);
}

static int parse_unary(struct parser *p)
{
	if (token_is(p, "not") || token_is(p, "!")) {
		int operand;

		next_token(p);
		operand = parse_unary(p);
		if (operand < 0)
			return -1;
		return add_node(p, (struct node){ .op = OP_NOT, .left = operand, .right = -1 });
	}
	if (p->kind == T_LPAREN) {
		const char *open = p->start;
		int inner;

		next_token(p);
		inner = parse_or(p);
		if (inner < 0)
			return -1;
		if (p->kind != T_RPAREN) {
			fail(p, p->kind == T_END ? open : p->start, p->kind == T_END
			     ? "this parenthesis is never closed" : "expected ')' here");
			return -1;
		}
		next_token(p);
		return inner;
	}
	return parse_comparison(p);
}

static int parse_binary(struct parser *p, int (*operand)(struct parser *), const char *word,
			const char *symbol, enum op op)
{
	int left = operand(p);

	while (left >= 0 && !p->failed && (token_is(p, word) || token_is(p, symbol))) {
		int right;

		next_token(p);
		right = operand(p);
		if (right < 0)
			return -1;
		left = add_node(p, (struct node){ .op = op, .left = left, .right = right });
	}
	return p->failed ? -1 : left;
}

static int parse_and(struct parser *p)
{
	return parse_binary(p, parse_unary, "and", "&&", OP_AND);
}

static int parse_or(struct parser *p)
{
	return parse_binary(p, parse_and, "or", "||", OP_OR);
}

struct us_condition *us_condition_parse(const char *text, char *err, size_t err_len)
{
	struct us_condition *c = us_calloc(1, sizeof(*c));
	struct parser p = { .c = c, .text = text, .at = text, .err = err, .err_len = err_len };

	c->source = us_strdup(text);
	next_token(&p);
	if (p.kind == T_END && !p.failed)
		fail(&p, p.start, "the condition is empty");
	if (!p.failed)
		c->root = parse_or(&p);
	if (!p.failed && p.kind != T_END)
		fail(&p, p.start, "expected 'and', 'or' or the end here");
	if (p.failed) {
		us_condition_free(c);
		return NULL;
	}
	return c;
}

/* ---- evaluation ------------------------------------------------------ */

static bool text_equal(const char *a, const char *b)
{
	return strcmp(a ? a : "", b) == 0;
}

static bool compare(const struct node *n, const struct us_condition_values *v)
{
	const char *text;
	double x;

	if (is_text_field(n->field)) {
		text = v->text[n->field - US_COND_FUNCTION];
		switch (n->op) {
		case OP_TRUE:
			return text && *text;
		case OP_EQ:
			return text_equal(text, n->text);
		case OP_NE:
			return !text_equal(text, n->text);
		case OP_MATCH:
			return us_glob_match(n->text, text ? text : "");
		default:	/* OP_NO_MATCH */
			return !us_glob_match(n->text, text ? text : "");
		}
	}
	x = v->number[n->field];
	switch (n->op) {
	case OP_TRUE:
		return x != 0;
	case OP_EQ:
		return x == n->number;
	case OP_NE:
		return x != n->number;
	case OP_LT:
		return x < n->number;
	case OP_LE:
		return x <= n->number;
	case OP_GT:
		return x > n->number;
	default:	/* OP_GE */
		return x >= n->number;
	}
}

static bool evaluate(const struct us_condition *c, int at, const struct us_condition_values *v)
{
	const struct node *n = &c->nodes[at];

	switch (n->op) {
	case OP_OR:
		return evaluate(c, n->left, v) || evaluate(c, n->right, v);
	case OP_AND:
		return evaluate(c, n->left, v) && evaluate(c, n->right, v);
	case OP_NOT:
		return !evaluate(c, n->left, v);
	default:
		return compare(n, v);
	}
}

bool us_condition_matches(const struct us_condition *c, const struct us_condition_values *v)
{
	return evaluate(c, c->root, v);
}

bool us_condition_uses(const struct us_condition *c, enum us_condition_field field)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->nodes[i].op >= OP_TRUE && c->nodes[i].field == field)
			return true;
	return false;
}

const char *us_condition_text(const struct us_condition *c)
{
	return c->source;
}

void us_condition_free(struct us_condition *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->nodes[i].text);
	free(c->nodes);
	free(c->source);
	free(c);
}
