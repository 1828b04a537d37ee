/*
 * command_list.h - the command list of lrc/device.h, built from what a
 * device says: the JSON items of lrcQueue / lrcExecuting / lrcFinished
 * (protocol section 1.3), or the v1 lists of a pre-1.2 device (section
 * 1.5). Pure: no transport, no lock, no log; unit-tested on its own.
 * list_commands.c reads the attributes and feeds them in.
 *
 * Building: lrc_command_list_new, then any number of add_* calls, then
 * lrc_command_list_finish once; the public accessors of lrc/device.h read
 * the result. A list is used by one thread at a time while it is built.
 */
#ifndef LRC_COMMAND_LIST_H
#define LRC_COMMAND_LIST_H

#include "lrc/device.h"
#include "tango/tango_shim.h"

#include <jansson.h>
#include <stddef.h>

/* An empty list; NULL when out of memory. */
lrc_command_list *lrc_command_list_new(void);

/* Parses item `index` of the list attribute of `src` (LRC_SOURCE_QUEUE,
 * _EXECUTING or _FINISHED) and appends it. Keys: uid (a non-empty string,
 * required), name, submitted_time, started_time, finished_time (strings),
 * progress (an integer), result (any JSON), and in lrcFinished status (a
 * TaskStatus name, required). Every other key, and a known key whose value
 * has the wrong type, goes to extra_json, in the item's order. An item
 * that is not a JSON object with a string uid (or, in lrcFinished, with a
 * TaskStatus name as status) is not appended but counted as malformed.
 * LRC_OK (appended or counted), LRC_ENOMEM or LRC_EINVAL (l NULL or src
 * not one of the three). */
int lrc_command_list_add_item(lrc_command_list *l, lrc_command_source src, size_t index,
                              const char *text);

/* Appends the commands of a pre-1.2 device (source LRC_SOURCE_V1_STATUS),
 * in the order of the status list [id, NAME, id, NAME, ...]: status from
 * NAME, progress from the progress list [id, "N", ...] and the result from
 * the result attribute [id, json] where they name the command, name the
 * ID's last "_" field. Any of the three may be NULL (not read). Counted as
 * malformed: a value that is no string spectrum, an odd length, an empty
 * ID, a status that is no TaskStatus name, a progress that is no integer,
 * a result that is no JSON, a result value of neither 0 nor 2 elements.
 * The initial values [] and ["", ""] are empty, not malformed. Progress
 * and results of IDs that are not in the status list are ignored. LRC_OK or
 * LRC_ENOMEM. */
int lrc_command_list_add_v1(lrc_command_list *l, const lrc_tg_value *status,
                            const lrc_tg_value *progress, const lrc_tg_value *result);

/* Counts one malformed item; reason (malloc'd, taken; NULL: out of memory)
 * is kept if it is the first. LRC_OK, or LRC_ENOMEM when reason is NULL
 * and the list has no reason yet. */
int lrc_command_list_add_malformed(lrc_command_list *l, char *reason);

/* Puts the entries in their final order: finished (lrcFinished's order,
 * i.e. oldest first) and v1 entries, then executing, then queued, each in
 * the order added. A command ID listed by several sources is kept once, in
 * its latest state (finished over executing over queued: the attributes
 * are read one after the other while commands move on); one listed twice
 * by the same source is kept once and the repeat counted as malformed. */
void lrc_command_list_finish(lrc_command_list *l);

/* The result the v1 result attribute value v ([id, json]) holds for id:
 * LRC_OK with *result a new reference when v names id and holds JSON;
 * LRC_OK with *result NULL when it does not name id (or v is NULL or no
 * string spectrum); LRC_EJSON (*result NULL) when it names id but its
 * text is no JSON; LRC_ENOMEM. */
int lrc_v1_result_of(const lrc_tg_value *v, const char *id, json_t **result);

#endif /* LRC_COMMAND_LIST_H */
