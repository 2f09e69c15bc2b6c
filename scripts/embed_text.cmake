# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Writes a C header holding a text file as one string: -DIN=file -DOUT=header
# -DNAME=identifier. Used to embed user/cli/call_driver.py in uscope.
file(READ ${IN} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\t\"" text "${text}")
file(WRITE ${OUT} "/* Generated from ${IN} by scripts/embed_text.cmake. */\n"
	"static const char ${NAME}[] =\n\t\"${text}\";\n")
