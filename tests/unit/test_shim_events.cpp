// test_shim_events.cpp - the shim's conversion of change-event values
// (src/tango/values.cpp event_value), without a device: DeviceAttributes
// built by hand, as cppTango hands them to push_event.
//
// Issue 10 item 7: an event whose value no longer has the type the
// attribute had at subscription (the device changed it) made the
// extraction throw, and push_event swallowed the exception: the event was
// lost, though tango_shim.h promises an error event. It must become an
// error.
#include "tango/shim_internal.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static int failures = 0;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)

static void type_changed_scalar()
{
    std::string name = "counter";
    Tango::DeviceAttribute da(name, static_cast<Tango::DevLong>(5));
    lrc_tg_value v{};
    lrc_error *e = nullptr;
    /* subscribed when it was a DevString scalar; now a DevLong comes */
    int rc = lrcshim::event_value(da, "test/x/1/counter", Tango::DEV_STRING, Tango::SCALAR, &v,
                                  &e);
    CHECK(rc == LRC_ETANGO);
    CHECK(e != nullptr);
    CHECK(v.type == LRC_TG_VOID);
    if (e) {
        CHECK(lrc_error_code(e) == LRC_ETANGO);
        CHECK(std::strstr(lrc_error_message(e), "test/x/1/counter: the event value cannot be "
                                                "read as DevString") != nullptr);
        CHECK(lrc_error_count(e) >= 1); /* cppTango's stack kept */
        std::printf("error: %s\n", lrc_error_message(e));
    }
    lrc_error_free(e);
    lrc_tg_value_clear(&v);

    /* what push_event called before: the plain conversion throws, and the
     * exception was swallowed there (the event lost) */
    bool threw = false;
    try {
        e = nullptr;
        lrcshim::attribute_to_value(da, Tango::DEV_STRING, Tango::SCALAR, &v, &e);
    } catch (const Tango::DevFailed &) {
        threw = true;
    }
    CHECK(threw);
    lrc_error_free(e);
    lrc_tg_value_clear(&v);
}

static void type_changed_spectrum()
{
    std::string name = "_lrcevent";
    std::vector<std::string> sv{"id", "{}"};
    Tango::DeviceAttribute da(name, sv);
    lrc_tg_value v{};
    lrc_error *e = nullptr;
    int rc = lrcshim::event_value(da, "_lrcevent", Tango::DEV_LONG64, Tango::SPECTRUM, &v, &e);
    CHECK(rc == LRC_ETANGO);
    CHECK(e != nullptr);
    lrc_error_free(e);
    lrc_tg_value_clear(&v);
}

static void same_type_converts()
{
    std::string name = "counter";
    Tango::DeviceAttribute da(name, static_cast<Tango::DevLong>(5));
    lrc_tg_value v{};
    lrc_error *e = nullptr;
    int rc = lrcshim::event_value(da, "counter", Tango::DEV_LONG, Tango::SCALAR, &v, &e);
    CHECK(rc == LRC_OK);
    CHECK(e == nullptr);
    CHECK(v.type == LRC_TG_LONG && v.i == 5);
    lrc_error_free(e);
    lrc_tg_value_clear(&v);

    std::string name2 = "_lrcevent";
    std::vector<std::string> sv{"id", "{\"status\": 0}"};
    Tango::DeviceAttribute da2(name2, sv);
    rc = lrcshim::event_value(da2, "_lrcevent", Tango::DEV_STRING, Tango::SPECTRUM, &v, &e);
    CHECK(rc == LRC_OK);
    CHECK(v.type == LRC_TG_STRING_ARRAY && v.ns == 2);
    if (v.ns == 2)
        CHECK(std::strcmp(v.sv[1], "{\"status\": 0}") == 0);
    lrc_error_free(e);
    lrc_tg_value_clear(&v);
}

int main()
{
    type_changed_scalar();
    type_changed_spectrum();
    same_type_converts();
    if (failures)
        std::fprintf(stderr, "%d check(s) failed\n", failures);
    else
        std::printf("test_shim_events: all passed\n");
    return failures ? 1 : 0;
}
