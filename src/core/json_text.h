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

/* Parses text as Python's json.loads does (any value, key order kept).
 * LRC_OK with *j NULL when the text is not JSON (or NULL); LRC_ENOMEM.
 * jansson reports some of its allocation failures as syntax errors; those
 * show up as text that is not JSON, which is the best it allows. */
int lrc_json_parse(const char *text, json_t **j);

/* A JSON string of any C string from a value: the shim hands over UTF-8
 * (wire_text.h); bytes that are not UTF-8 anyway (a value built by hand)
 * are read as Latin-1 rather than lost. NULL only when out of memory (or s
 * is NULL). */
json_t *lrc_json_string_wire(const char *s);

#endif
