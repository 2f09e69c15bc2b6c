/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Messages to the user: one clear line on stderr, prefixed "uscope: ". */
#ifndef USCOPE_LOG_H
#define USCOPE_LOG_H

#include <stdbool.h>

/* -q: -1, default 0, -v: 1, -vv: 2. */
int us_log_verbosity(void);
void us_log_set_verbosity(int level);

void us_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void us_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void us_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void us_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
