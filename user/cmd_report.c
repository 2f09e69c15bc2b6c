// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope report FILE`: the same report a live run prints, from a recording. */
#include "commands.h"

int us_cmd_report(struct us_options *o)
{
	return us_print_report(o->rest[0], o, stdout) ? 1 : 0;
}
