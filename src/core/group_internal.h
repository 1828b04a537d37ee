/*
 * group_internal.h - the pieces of lrc/group.h that need no Tango: argument
 * copies, the outcome of a final update, and a small parallel for.
 */
#ifndef LRC_GROUP_INTERNAL_H
#define LRC_GROUP_INTERNAL_H

#include "lrc/group.h"

#include <stddef.h>

/* Deep-copies a (NULL: none) into *out; the copy's memory is *mem (NULL or
 * one malloc'd block). LRC_OK, LRC_EINVAL (a NULL string), LRC_ENOMEM. */
int lrc_group_arg_copy(const lrc_arg *a, lrc_arg *out, void **mem);

/* The outcome a final update gives its invocation, from its has bits, end
 * and status: one mapping for the group summary and the proxy's metrics.
 * A final with neither LRC_HAS_END nor a terminal status (the library
 * makes none) counts as LOST: its outcome is unknowable. */
lrc_group_outcome lrc_final_outcome(unsigned has, lrc_end end, lrc_status status);

/* The outcome a member's update gives it: lrc_final_outcome for a final,
 * LRC_GROUP_RUNNING otherwise. */
lrc_group_outcome lrc_group_outcome_of(const lrc_update *u);

/* Adds one member's outcome to the counts of s. */
void lrc_group_summary_count(lrc_group_summary *s, lrc_group_outcome o);

/* Runs fn(ctx, i) for every i < n on up to max_threads threads (the calling
 * thread too when no thread can be created), and returns when all
 * returned. */
void lrc_group_parallel(size_t n, unsigned max_threads, void (*fn)(void *ctx, size_t i),
                        void *ctx);

#endif
