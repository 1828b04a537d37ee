/*
 * decode.h - LRC events (protocol v1 and v2) as the updates one invocation
 * delivers: the protocol logic of section 2.3, pure and unit-tested.
 *
 * One Tango event of an LRC attribute is decoded for ONE command ID into
 * zero, one or two callbacks plus the log lines the Python client would
 * write. Nothing here locks, logs or calls out: the caller routes the result.
 */
#ifndef LRC_DECODE_H
#define LRC_DECODE_H

#include "lrc/client.h"
#include "tango/tango_shim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t; /* jansson's json_t */

/* The LRC attributes a client listens to. */
typedef enum lrc_stream_kind {
    LRC_STREAM_LRC_EVENT = 0, /* "_lrcEvent" (v2): [id, json object]       */
    LRC_STREAM_V1_STATUS,     /* "longRunningCommandStatus": [id, NAME, ...] */
    LRC_STREAM_V1_PROGRESS,   /* "longRunningCommandProgress": [id, "N", ...] */
    LRC_STREAM_V1_RESULT,     /* "longRunningCommandResult": [id, json]    */
    LRC_STREAM_OTHER          /* any other attribute (plain callbacks)      */
} lrc_stream_kind;

/* The Tango attribute name of a kind (NULL for LRC_STREAM_OTHER). */
const char *lrc_stream_attr(lrc_stream_kind kind);

/* The kind of an attribute name (case-insensitive, as Tango lower-cases
 * names in events); a full name such as
 * "tango://host:10000/test/lrc/1/_lrcevent#dbase=no" is recognised by its
 * last "/" component (without a "#..." suffix). LRC_STREAM_OTHER for any
 * other name. */
lrc_stream_kind lrc_stream_kind_of(const char *attr);

/* The data behind one lrc_update, owned (malloc'd) by this struct. */
typedef struct lrc_decoded {
    unsigned has;          /* LRC_HAS_* */
    lrc_status status;
    int64_t progress;
    char *result_json;     /* Python json.dumps style (lrc_json_dumps)     */
    int result_code;
    char *result_message;
    lrc_error *error;
    char *extra_json;      /* a JSON object, Python json.dumps style        */
    char *status_raw;      /* JSON text of an unknown status value          */
    lrc_end end;           /* LRC_HAS_END                                   */
    lrc_status last_status; /* LRC_HAS_LAST_STATUS                          */
} lrc_decoded;

/* Frees what d owns and zeroes it. */
void lrc_decoded_clear(lrc_decoded *d);

/* One log line the caller emits (level: LRC_LOG_*). */
typedef struct lrc_log_line {
    int level;
    char *text; /* malloc'd */
} lrc_log_line;

#define LRC_DECODE_MAX_UPDATES 2
#define LRC_DECODE_MAX_LOGS 2

/* The outcome of decoding one event for one command. n == 0: the event is
 * not about this command (or an exact v1 repeat): deliver nothing. */
typedef struct lrc_decode_out {
    size_t n;                                   /* updates, in delivery order */
    lrc_decoded upd[LRC_DECODE_MAX_UPDATES];
    size_t nlogs;                               /* emitted BEFORE the updates */
    lrc_log_line logs[LRC_DECODE_MAX_LOGS];
    bool terminal; /* upd[n-1] carries a terminal status: the invocation ends */
    bool unreadable; /* an event of this command could not be read and told
                        no status: it may have been the terminal one, so
                        the device must be asked */
} lrc_decode_out;

/* Frees everything out owns and zeroes it. */
void lrc_decode_out_clear(lrc_decode_out *out);

/* True when out holds nothing but progress: the only updates an
 * overflowing callback queue may drop. A status or result (v1 sends the
 * result as its own update, just before the final status), an error or a
 * log line must be kept like the final update. */
bool lrc_decode_out_only_progress(const lrc_decode_out *out);

/* Per-invocation memory of the decoder (v1 repeat suppression). Zero it
 * before the first event; free it with lrc_decode_state_clear. */
typedef struct lrc_decode_state {
    char *v1_last_status; /* the last v1 status text delivered, or NULL */
} lrc_decode_state;

void lrc_decode_state_clear(lrc_decode_state *st);

/* Decodes a value event of `kind` for command_id into *out (zeroed first:
 * it must not own anything on entry). A value that is not a string spectrum
 * or does not hold command_id where the protocol puts it gives n == 0; an
 * empty command_id matches nothing. Malformed values give an error update
 * (code LRC_EJSON) and an error log line. st may be NULL (no v1 repeat
 * suppression). Returns LRC_OK (possibly with out->n == 0), LRC_ENOMEM
 * (out left empty) or LRC_EINVAL (out NULL). */
int lrc_decode_value(lrc_stream_kind kind, const char *command_id, const lrc_tg_value *v,
                     lrc_decode_state *st, lrc_decode_out *out);

/* Decodes a Tango error event (its DevError stack in `error`) for command_id:
 * one update with LRC_HAS_ERROR (a copy of the error) and the error log
 * line "'<id>' command encountered error(s): <errors>", <errors> being
 * "<reason>: <desc>" of each DevError joined by "; " in stack order (or the
 * error's message when the stack is empty). Never terminal. Returns LRC_OK,
 * LRC_ENOMEM (out left empty) or LRC_EINVAL (an argument is NULL). */
int lrc_decode_error(const char *command_id, const lrc_error *error, lrc_decode_out *out);

/* The same for an error event that concerns no single command (a watch of
 * every command of a device): the log line is "'<source>' encountered
 * error(s): <errors>", source naming the stream (e.g.
 * "test/lrc/1/_lrcEvent"). */
int lrc_decode_stream_error(const char *source, const lrc_error *error, lrc_decode_out *out);

/* Sets d's result from a decoded result value, as the decoders do: its
 * JSON text (LRC_HAS_RESULT) and, for the usual [ResultCode, "message"]
 * shape, the typed code and message (LRC_HAS_RESULT_CODE). d's result
 * fields must be empty. LRC_OK or LRC_ENOMEM. */
int lrc_decoded_set_result(lrc_decoded *d, const struct json_t *result);

/* Python's int(text), as the v1 progress list is read: optional sign,
 * decimal digits, surrounding blanks; false for anything else or a value
 * beyond int64_t. */
bool lrc_decode_v1_int(const char *text, int64_t *value);

#endif /* LRC_DECODE_H */
