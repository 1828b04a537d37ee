// server_precheck.cpp - checks, before cppTango starts a device server,
// what cppTango would end the process for with _exit(-1) (status 255, no
// exception to catch): a database it cannot reach, an instance the database
// does not define, an instance already running. lrc_server_main promises
// status 0 or 1 and a message; this lets it keep the promise.
//
// The check runs in a forked child: a Tango client in this process would
// create the ORB before Util::init and swallow its ORB options
// (-ORBendPoint). The child reports one line through a pipe and _exits.
#include "tango/server_internal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace lrcshim {

enum { PRECHECK_OK = 0, PRECHECK_FAILED = 1 };

static std::string first_desc(const Tango::DevFailed &e)
{
    return e.errors.length() > 0 ? std::string(e.errors[0].desc.in()) : std::string("DevFailed");
}

/* The child: returns the exit status, and the reason in *why. */
static int check_in_child(const std::string &server, std::string *why)
{
    std::string admin = "dserver/" + server;
    Tango::Database *db = nullptr;
    try {
        db = new Tango::Database();
    } catch (const Tango::DevFailed &e) {
        *why = "cannot reach the Tango database: " + first_desc(e);
        return PRECHECK_FAILED;
    } catch (...) {
        *why = "cannot reach the Tango database";
        return PRECHECK_FAILED;
    }
    bool exported = false;
    try {
        Tango::DbDevImportInfo info = db->import_device(admin);
        exported = info.exported != 0;
    } catch (const Tango::DevFailed &e) {
        std::string reason = e.errors.length() > 0 ? e.errors[0].reason.in() : "";
        if (reason == "DB_DeviceNotDefined")
            *why = "the device server " + server +
                   " is not defined in the Tango database (register it first, e.g. "
                   "tango_admin --add-server " + server + " CLASS DEVICE)";
        else
            *why = "cannot query the Tango database: " + first_desc(e);
        return PRECHECK_FAILED;
    } catch (...) {
        *why = "cannot query the Tango database";
        return PRECHECK_FAILED;
    }
    if (exported) {
        try {
            Tango::DeviceProxy admin_dev(admin);
            admin_dev.set_timeout_millis(3000);
            admin_dev.ping();
            *why = "the device server " + server + " is already running";
            return PRECHECK_FAILED;
        } catch (...) {
            /* exported but not answering: a crashed run; cppTango takes over */
        }
    }
    return PRECHECK_OK;
}

/* Options with which cppTango uses no database: nothing to check. */
static bool uses_database(int argc, char **argv)
{
    if (argv[1][0] == '-')
        return false; /* -? and friends: cppTango's own listing */
    for (int i = 2; i < argc; i++)
        if (argv[i] && (std::strcmp(argv[i], "-nodb") == 0 || std::strncmp(argv[i], "-file=", 6) == 0))
            return false;
    return true;
}

int server_precheck(int argc, char **argv, lrc_error **err)
{
    if (!uses_database(argc, argv))
        return LRC_OK;
    const char *base = std::strrchr(argv[0], '/');
    std::string server = std::string(base ? base + 1 : argv[0]) + "/" + argv[1];

    int fds[2];
    if (pipe(fds) != 0)
        return LRC_OK; /* cannot check: cppTango will say it */
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return LRC_OK;
    }
    if (pid == 0) {
        close(fds[0]);
        std::string why;
        int status = check_in_child(server, &why);
        const char *p = why.c_str();
        size_t left = why.size();
        while (left > 0) {
            ssize_t w = write(fds[1], p, left);
            if (w <= 0 && errno != EINTR)
                break;
            if (w > 0) {
                p += w;
                left -= (size_t)w;
            }
        }
        _exit(status); /* no Tango clean-up in the child */
    }
    close(fds[1]);
    std::string why;
    char buf[512];
    for (;;) {
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r > 0)
            why.append(buf, (size_t)r);
        else if (r == 0 || errno != EINTR)
            break;
    }
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == PRECHECK_FAILED)
        return lrc_fail(err, LRC_ESTATE, "%s", why.c_str());
    return LRC_OK; /* the check itself went wrong: let cppTango decide */
}

} // namespace lrcshim
