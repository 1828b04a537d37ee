/*
 * command_id.h - command IDs in the ska-tango-base format.
 *
 * "<unix time as Python float repr>_<48-bit random number>_<CommandName>",
 * e.g. "1636437568.0723004_235210334802782_On". Consumers split on "_": the
 * first field is the submission time, the last the command name.
 */
#ifndef LRC_SERVER_COMMAND_ID_H
#define LRC_SERVER_COMMAND_ID_H

#include <stddef.h>
#include <stdint.h>

/* Shortest decimal text that reads back as exactly `seconds`, always with a
 * fraction ("1636437568.0"), like Python's repr(float). buf needs 32 bytes. */
void lrc_float_repr(double seconds, char *buf, size_t len);

/* A fresh ID for `name` submitted at `unix_seconds`, malloc'd (NULL if out
 * of memory). The random part comes from a per-thread generator seeded from
 * the OS. Thread-safe. */
char *lrc_command_id_new(const char *name, double unix_seconds);

/* The command name part of an ID (after the last "_"), or the whole ID if
 * it has no "_". Points into id. */
const char *lrc_command_id_name(const char *id);

#endif
