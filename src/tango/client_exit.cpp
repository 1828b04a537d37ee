// client_exit.cpp - lets a client process that used events exit at once.
//
// Why a client used to need ~2 s to exit (cppTango 9.3.4): the process's
// first subscribe_event creates the event consumer and with it the
// keep-alive thread (EventConsumerKeepAliveThread), whose run_undetached
// starts with `::sleep(2)` (then `::sleep(time_left)` if interrupted) before
// it ever looks at its exit command. At exit, libtango's atexit handler
// leavefunc (also called by ~ApiUtil, hence ApiUtil::cleanup() does not help)
// posts that command and joins the thread: omni_thread::join waits out the
// rest of the 2 s. The omniORB scavenger is not involved (ORB shutdown wakes
// it at once).
//
// The fix: an exit handler of our own, registered after leavefunc (so it runs
// before it), posts the exit command itself and interrupts the sleep with a
// thread-directed signal whose handler does nothing, until the thread has
// returned. leavefunc's join then returns at once and does everything else
// as before (channels, ORB shutdown).

// omnithread's documented switch to make the implementation members of its
// classes accessible (omnithread.h: "useful for debugging ... works without
// recompiling the library"): it changes access only, not layout. We need
// omni_thread::posix_thread. Must come before the first omniORB header.
#define OMNI_THREAD_EXPOSE public

#include "tango/client_internal.hpp"

#if TANGO_VERSION_MAJOR == 9
/* EventConsumer (not part of tango.h): its keep-alive thread and command. */
#include <eventconsumer.h>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#endif

namespace lrcshim {

#if TANGO_VERSION_MAJOR == 9

namespace {

using Clock = std::chrono::steady_clock;

/* Ignored by default (so a late delivery after we restore the default
 * disposition is harmless); Tango, omniORB and ZeroMQ install no handler
 * for it (strace of a client: SIG_DFL when the hook runs). */
constexpr int k_wake_signal = SIGURG;

std::mutex g_mu;
bool g_hooked = false; /* once per process; guarded by g_mu */
/* After this the keep-alive thread is surely past its start-up sleep.
 * Guarded by g_mu. */
Clock::time_point g_sleep_over;

extern "C" void wake_handler(int)
{
    /* Nothing: being delivered is the point (nanosleep returns EINTR). */
}

/* Runs at exit before libtango's leavefunc (atexit order is reverse
 * registration order). Never throws: exceptions cannot leave an atexit
 * handler. */
extern "C" void cut_keep_alive_sleep()
{
    try {
        Tango::EventConsumerKeepAliveThread *th = Tango::EventConsumer::keep_alive_thread;
        /* Already shut down, or exit() called on that very thread. */
        if (!th || omni_thread::self() == th)
            return;
        /* Past the sleep the thread waits on cmd.cond, which leavefunc
         * signals: nothing to cut short, and no signal should land in its
         * network calls. (exit() may run on another thread than the one
         * that set the deadline: read it under the lock.) */
        Clock::time_point sleep_over;
        {
            std::lock_guard<std::mutex> g(g_mu);
            sleep_over = g_sleep_over;
        }
        if (Clock::now() >= sleep_over)
            return;

        /* The command leavefunc would post; the thread checks it right after
         * its sleep and returns. */
        {
            omni_mutex_lock l(Tango::EventConsumer::cmd);
            Tango::EventConsumer::cmd.cmd_pending = true;
            Tango::EventConsumer::cmd.cmd_code = Tango::EXIT_TH;
            Tango::EventConsumer::cmd.cond.signal();
        }

        /* Borrow the signal only if nobody handles it: an application
         * handler would run on Tango's thread. Then the exit is just slow,
         * as before. */
        struct sigaction old {};
        if (sigaction(k_wake_signal, nullptr, &old) != 0)
            return;
        if ((old.sa_flags & SA_SIGINFO) || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
            return;
        struct sigaction sa {};
        sa.sa_handler = wake_handler;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART; /* only sleeps return early (they ignore it) */
        if (sigaction(k_wake_signal, &sa, nullptr) != 0)
            return;
        /* ::sleep(2) and then ::sleep(time_left): one signal per sleep, so
         * repeat until the thread has returned (it stays joinable, so its
         * pthread_t stays valid until leavefunc joins it). */
        while (th->state() != omni_thread::STATE_TERMINATED && Clock::now() < sleep_over) {
            pthread_kill(th->posix_thread, k_wake_signal);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        /* A signal still pending is discarded with the thread or, as the
         * default disposition of SIGURG is "ignore", ignored. */
        sigaction(k_wake_signal, &old, nullptr);
    } catch (...) {
    }
}

} // namespace

void note_event_consumer() noexcept
{
    try {
        std::lock_guard<std::mutex> g(g_mu);
        if (g_hooked || !Tango::EventConsumer::keep_alive_thread)
            return;
        /* leavefunc is only installed in clients; a device server process
         * stops its event consumer its own way. */
        if (Tango::ApiUtil::instance()->in_server()) {
            g_hooked = true;
            return;
        }
        /* The thread was started before now (by the subscribe_event that
         * just returned, or earlier), so its 2 s sleep ends before this,
         * give or take scheduling delays (then the exit is slower, never
         * wrong). */
        g_sleep_over = Clock::now() + std::chrono::milliseconds(2500);
        /* Registered after leavefunc (installed when the consumer was
         * created), so it runs first. */
        if (std::atexit(cut_keep_alive_sleep) == 0)
            g_hooked = true;
    } catch (...) {
    }
}

#else

/* Other cppTango versions: their keep-alive internals were not checked, so
 * the exit stays as cppTango makes it. */
void note_event_consumer() noexcept {}

#endif

} // namespace lrcshim
