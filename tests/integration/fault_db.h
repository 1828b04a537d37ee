/*
 * fault_db.h - a Tango database of the test's own, to restart at will
 * without disturbing anyone else: a DataBaseds on an address and port the
 * test chose, as server DataBaseds/<instance> (device sys/database/<instance>,
 * registered for the run and deleted again), backed by the machine's MariaDB
 * `tango` database like the shared one (scripts/tango-db), so both see the
 * same registrations.
 *
 * The process gets SIGKILL if the thread that started it exits
 * (PR_SET_PDEATHSIG): start it from the main thread. Main thread only.
 */
#ifndef LRCT_FAULT_DB_H
#define LRCT_FAULT_DB_H

#include <sys/types.h>

typedef struct fdb {
    char instance[32];   /* DataBaseds instance: "lrcf<pid>"            */
    char host[64];       /* "ADDR:PORT": the TANGO_HOST of this database */
    char shared[64];     /* the TANGO_HOST it was registered through     */
    char log[256];
    pid_t pid;           /* 0 when not running                           */
    int registered;
} fdb;

/* Registers DataBaseds/<instance> through the database TANGO_HOST names now
 * (the shared one, lrct_db_up), starts it on addr:port, waits until it
 * answers (at most 30 s) and sets TANGO_HOST to it in this process.
 * 0 or -1 (printed; nothing left running). */
int fdb_start(fdb *d, const char *addr, int port);

/* Stops the process (SIGTERM, then SIGKILL after 10 s) and reaps it; the
 * registration stays. 0 or -1. */
int fdb_stop(fdb *d);

/* Starts the process again on the same address; waits until it answers. */
int fdb_restart(fdb *d);

/* Stops it if running, deletes the registration, puts TANGO_HOST back to
 * the shared database. Idempotent. */
void fdb_remove(fdb *d);

#endif
