# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Writes a C header holding a text file as one string: -DIN=file -DOUT=header
# -DNAME=identifier. Used to embed user/cli/call_driver.py and the HTML pages
# in uscope. With -DINLINE_MARK=text -DINLINE_FILE=file, the mark in the text
# is first replaced by that file's contents (a JavaScript library from npm,
# inlined so the page works offline).
file(READ ${IN} text)
if(DEFINED INLINE_MARK)
	if(NOT EXISTS ${INLINE_FILE})
		message(FATAL_ERROR "${INLINE_FILE} is missing: run scripts/setup.sh "
			"(it runs npm ci in user/report/web)")
	endif()
	file(READ ${INLINE_FILE} library)
	string(FIND "${library}" "</script" closes)
	if(NOT closes EQUAL -1)
		message(FATAL_ERROR "${INLINE_FILE} holds </script: it cannot be inlined as is")
	endif()
	string(REPLACE "${INLINE_MARK}" "${library}" text "${text}")
endif()
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
# "\?" for every "?": no "??=" in JavaScript becomes a C trigraph
string(REPLACE "?" "\\?" text "${text}")
string(REPLACE "\n" "\\n\"\n\t\"" text "${text}")
file(WRITE ${OUT} "/* Generated from ${IN} by scripts/embed_text.cmake. */\n"
	"static const char ${NAME}[] =\n\t\"${text}\";\n")
