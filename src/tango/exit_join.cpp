// exit_join.cpp - joins cppTango's event consumer thread at process exit.
//
// Why (cppTango 9.3.4): a client's first subscribe_event starts the
// ZmqEventConsumer thread (a joinable omni_thread) and installs libtango's
// atexit handler leavefunc. At exit, leavefunc joins the keep-alive thread
// but only *asks* the consumer thread to stop (ZmqEventConsumer::
// cleanup_EventChannel_map sends ZMQ_END over an inproc socket and waits for
// the reply); nothing ever joins it. The thread then leaves its loop, frees
// its sockets and returns, possibly while exit() already runs libtango's
// static destructors - among them EventConsumer::env_var_fqdn_prefix, the
// vector<string> of Tango host prefixes the thread reads (multi_tango_host,
// for one, when it connects or disconnects a socket for a control request). The only ordering between its last reads
// and those destructors is the ZeroMQ reply, which ThreadSanitizer cannot
// see (libzmq is uninstrumented and excluded), so TSan reported a race at
// the exit of client programs, intermittently: when the thread's last reads
// came after its last synchronisation with the exiting thread that TSan could
// see (an event callback taking our locks, for instance).
//
// The fix: at exit, after leavefunc and before libtango's static
// destructors, join the thread leavefunc told to stop, so that everything it
// did happens-before those destructors (a pthread join is an edge TSan sees,
// and a real one: libtango is no longer torn down under a thread still
// running in it). The hook is the destructor of a static object of liblrc,
// i.e. registered with __cxa_atexit under liblrc's DSO handle, like
// libtango's statics under libtango's:
// - leavefunc (atexit, at the first subscribe_event, while main runs) runs
//   before every destructor of a library loaded at start-up: those run
//   later, from _dl_fini, one library at a time, dependents first - liblrc's
//   (ours) before libtango's, as liblrc depends on libtango.
// - a liblrc loaded later (dlopen) registered its statics after libtango's
//   and before leavefunc: reverse registration order gives the same order.
// A plain atexit() from the library's constructor would NOT do: registered
// without a DSO handle (as ThreadSanitizer's interceptor does) it runs after
// _dl_fini, i.e. after libtango's destructors (seen: it then locked libtango's
// destroyed ApiUtil::inst_mutex).
//
// The wait is bounded (k_join_wait_ms): if the thread does not end (leavefunc
// could not reach it), the exit goes on as before instead of hanging.

// omnithread's documented switch to make the implementation members of its
// classes accessible (see client_exit.cpp): we need omni_thread::
// posix_thread. Must come before the first omniORB header.
#define OMNI_THREAD_EXPOSE public

#include <tango.h>

#if TANGO_VERSION_MAJOR == 9
/* EventConsumer and ZmqEventConsumer (not part of tango.h). */
#include <eventconsumer.h>

#include <pthread.h>
#include <time.h>
#endif

namespace lrcshim {

#if TANGO_VERSION_MAJOR == 9

namespace {

/* The consumer thread, once told to stop, only closes two sockets before
 * returning: microseconds. A second is for a loaded machine. */
constexpr long k_join_wait_ms = 1000;

/* Runs at exit after leavefunc, on the thread that called exit(). Never
 * throws: exceptions cannot leave an exit handler. */
void join_event_consumer() noexcept
{
    try {
        /* Never create the ApiUtil (and an ORB) here: no Tango use, or the
         * application destroyed it itself (ApiUtil::cleanup). */
        if (Tango::ApiUtil::_is_instance_null())
            return;
        Tango::ZmqEventConsumer *ec = Tango::ApiUtil::instance()->get_zmq_event_consumer();
        if (ec == nullptr)
            return;
        /* The consumer's creation started the keep-alive thread, and only
         * EventConsumer::shutdown() (leavefunc's) resets this pointer, right
         * before sending the consumer thread ZMQ_END and waiting for its
         * reply. Still set: the thread was not told to stop (e.g. liblrc was
         * loaded after the consumer existed, so this ran before leavefunc;
         * or a device server process) and joining would only time out. */
        if (Tango::EventConsumer::keep_alive_thread != nullptr)
            return;
        omni_thread *th = ec; /* ZmqEventConsumer is an omni_thread */
        /* exit() from an event callback (on that very thread). */
        if (pthread_equal(th->posix_thread, pthread_self()))
            return;
        /* pthread_join itself, not omni_thread::join: the latter deletes
         * the thread object, i.e. the ZmqEventConsumer, whose zmq context
         * destructor would wait forever for the event socket the thread
         * leaves open. The thread is joinable (start_undetached) and nothing
         * else in cppTango 9.3.4 joins it. */
        struct timespec deadline;
        if (clock_gettime(CLOCK_REALTIME, &deadline) != 0)
            return;
        deadline.tv_sec += k_join_wait_ms / 1000;
        deadline.tv_nsec += (k_join_wait_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        /* ETIMEDOUT: the thread stays running and unjoined, as before. */
        (void)pthread_timedjoin_np(th->posix_thread, nullptr, &deadline);
    } catch (...) {
    }
}

/* Its destructor is the hook (see the top of the file for why a static
 * object's destructor). Constant-initialised: nothing runs at load time but
 * the registration of the destructor. */
struct ConsumerJoiner {
    constexpr ConsumerJoiner() noexcept = default;
    ~ConsumerJoiner() { join_event_consumer(); }
};
ConsumerJoiner g_joiner;

} // namespace

#endif

} // namespace lrcshim
