/* json_text.h - JSON text exactly as Python's json.dumps writes it, so our
 * devices' payloads match ska-tango-base's byte for byte: ", " and ": "
 * separators, non-ASCII escaped as lower-case \uXXXX. */
#ifndef LRC_JSON_TEXT_H
#define LRC_JSON_TEXT_H

#include <jansson.h>

/* Serialises any JSON value; malloc'd text or NULL (out of memory). Does
 * not take ownership of j. */
char *lrc_json_dumps(const json_t *j);

/* Parses JSON text (any value) and re-serialises it with lrc_json_dumps:
 * NULL if the text is not valid JSON or out of memory. */
char *lrc_json_normalize(const char *text);

#endif
