# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# One man page from `uscope [COMMAND] --help` (called by CMakeLists.txt):
# help2man writes it, named after the command (uscope-run), with the
# command's one-line summary from `uscope --help`.
# -DHELP2MAN= -DUSCOPE= -DHELP_OPTION= -DNAME= -DOUT=
execute_process(COMMAND ${USCOPE} --help OUTPUT_VARIABLE overview)
set(summary "an eBPF profiler and execution tracer")
if(NOT NAME STREQUAL "uscope")
	string(REPLACE "uscope-" "" command "${NAME}")
	string(REGEX MATCH "\n  uscope ${command} [^\n]*\n +([^\n]*)" found "${overview}")
	set(summary "${CMAKE_MATCH_1}")
endif()
execute_process(
	COMMAND ${HELP2MAN} --no-info --no-discard-stderr --help-option=${HELP_OPTION}
		--version-option=--version --name=${summary} ${USCOPE}
	OUTPUT_VARIABLE page
	RESULT_VARIABLE failed)
if(failed OR NOT summary)
	message(FATAL_ERROR "help2man failed for ${NAME}")
endif()
string(TOUPPER "${NAME}" title)
string(REGEX REPLACE "\\.TH USCOPE " ".TH ${title} " page "${page}")
string(REGEX REPLACE "\nuscope \\\\- " "\n${NAME} \\\\- " page "${page}")
file(WRITE ${OUT} "${page}")
