// client.cpp - device proxies, commands and attribute reads.
#include "tango/client_internal.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

using lrcshim::fail_current;

namespace lrcshim {

static std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

void attr_info(lrc_tg_proxy *p, const std::string &attr, int *type, int *format)
{
    std::string key = lower(attr);
    {
        std::lock_guard<std::mutex> g(p->mu);
        auto it = p->attr_info.find(key);
        if (it != p->attr_info.end()) {
            *type = it->second.first;
            *format = it->second.second;
            return;
        }
    }
    Tango::AttributeInfoEx ai = p->dp->attribute_query(attr);
    *type = ai.data_type;
    *format = static_cast<int>(ai.data_format);
    std::lock_guard<std::mutex> g(p->mu);
    p->attr_info[key] = std::make_pair(*type, *format);
}

/* A malloc'd array of malloc'd strings; throws std::bad_alloc. */
static char **make_strv(const std::vector<std::string> &v)
{
    char **out = static_cast<char **>(calloc(v.size() + 1, sizeof *out));
    if (!out)
        throw std::bad_alloc();
    for (size_t i = 0; i < v.size(); i++) {
        out[i] = strdup(v[i].c_str());
        if (!out[i]) {
            lrc_tg_strv_free(out, i);
            throw std::bad_alloc();
        }
    }
    return out;
}

/* cppTango's set_timeout_millis on a proxy that is not connected (its
 * device was down when the proxy was made) first tries to connect, and
 * swallows the failure. The caller's first real call then tries again
 * within a second and gets only "The connection request was delayed"
 * instead of the device's actual state (not exported, not running). So a
 * proxy that is not connected only records the timeout: cppTango applies
 * it itself when the connection is made (Connection::connect). */
class timed_proxy : public Tango::DeviceProxy {
  public:
    explicit timed_proxy(std::string &name) : Tango::DeviceProxy(name) {}
    void preset_timeout(int ms)
    {
        if (connection_state == CONNECTION_OK)
            set_timeout_millis(ms);
        else
            timeout = ms; /* no other thread knows this proxy yet */
    }
};

} // namespace lrcshim

static void zero_value(lrc_tg_value *v)
{
    std::memset(v, 0, sizeof *v);
    v->type = LRC_TG_VOID;
}

extern "C" int lrc_tg_proxy_open(const char *name, int64_t timeout_ms, lrc_tg_proxy **out,
                                 lrc_error **err)
{
    if (!out)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_proxy_open: NULL out");
    *out = nullptr;
    if (!name || !*name)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_proxy_open: empty device name");
    try {
        std::unique_ptr<lrc_tg_proxy> p(new lrc_tg_proxy());
        p->name = name;
        std::string n(name);
        lrcshim::timed_proxy *dp = new lrcshim::timed_proxy(n);
        p->dp.reset(dp);
        if (timeout_ms > 0)
            dp->preset_timeout(static_cast<int>(std::min<int64_t>(timeout_ms, INT_MAX)));
        *out = p.release();
        return LRC_OK;
    } catch (const Tango::DevFailed &e) {
        bool unknown = lrcshim::has_reason(e.errors, "API_DeviceNotDefined") ||
                       lrcshim::has_reason(e.errors, "DB_DeviceNotDefined");
        return lrc_error_give(err, lrcshim::error_from_devfailed(
                                       e, unknown ? LRC_ENOTFOUND : LRC_ETANGO));
    } catch (...) {
        return fail_current(err, "lrc_tg_proxy_open");
    }
}

extern "C" void lrc_tg_proxy_close(lrc_tg_proxy *p)
{
    if (!p)
        return;
    lrcshim::end_all_subscriptions(p);
    try {
        p->dp.reset();
    } catch (...) {
        /* a destructor that throws: nothing sensible to do */
    }
    lrcshim::free_subscriptions(p);
    delete p;
}

extern "C" const char *lrc_tg_proxy_name(const lrc_tg_proxy *p)
{
    return p ? p->name.c_str() : "";
}

extern "C" int64_t lrc_tg_proxy_timeout_ms(const lrc_tg_proxy *p)
{
    if (!p || !p->dp)
        return 0;
    try {
        return p->dp->get_timeout_millis();
    } catch (...) {
        return 0;
    }
}

extern "C" int lrc_tg_command_inout(lrc_tg_proxy *p, const char *cmd, const lrc_tg_value *in,
                                    lrc_tg_value *out, lrc_error **err)
{
    if (out)
        zero_value(out);
    if (!p || !cmd || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_command_inout: NULL argument");
    lrcshim::pace_connection(p);
    try {
        std::string c(cmd);
        Tango::DeviceData dout;
        if (in && in->type != LRC_TG_VOID) {
            Tango::DeviceData din;
            int rc = lrcshim::value_to_devicedata(in, din, err);
            if (rc != LRC_OK)
                return rc;
            dout = p->dp->command_inout(c, din);
        } else {
            dout = p->dp->command_inout(c);
        }
        return lrcshim::devicedata_to_value(dout, out, err);
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_command_inout");
    }
}

extern "C" int lrc_tg_command_query(lrc_tg_proxy *p, const char *cmd, lrc_tg_type *in_type,
                                    lrc_tg_type *out_type, lrc_error **err)
{
    if (!p || !cmd)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_command_query: NULL argument");
    lrcshim::pace_connection(p);
    try {
        Tango::CommandInfo ci = p->dp->command_query(std::string(cmd));
        if (in_type)
            *in_type = static_cast<lrc_tg_type>(ci.in_type);
        if (out_type)
            *out_type = static_cast<lrc_tg_type>(ci.out_type);
        return LRC_OK;
    } catch (const Tango::DevFailed &e) {
        if (!lrcshim::has_reason(e.errors, "API_CommandNotFound"))
            return lrcshim::fail_call(p, err, "lrc_tg_command_query");
        return lrc_error_give(err, lrcshim::error_from_devfailed(e, LRC_ENOTFOUND));
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_command_query");
    }
}

extern "C" int lrc_tg_attribute_query(lrc_tg_proxy *p, const char *attr, lrc_tg_attr_info *info,
                                      lrc_error **err)
{
    if (!p || !attr || !info)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_attribute_query: NULL argument");
    lrcshim::pace_connection(p);
    try {
        Tango::AttributeInfoEx ai = p->dp->get_attribute_config(std::string(attr));
        info->data_type = static_cast<lrc_tg_type>(ai.data_type);
        info->format = static_cast<int>(ai.data_format);
        info->max_dim_x = ai.max_dim_x;
        info->max_dim_y = ai.max_dim_y;
        info->writable = ai.writable != Tango::READ;
        return LRC_OK;
    } catch (const Tango::DevFailed &e) {
        if (!lrcshim::has_reason(e.errors, "API_AttrNotFound") &&
            !lrcshim::has_reason(e.errors, "API_AttributeNotFound"))
            return lrcshim::fail_call(p, err, "lrc_tg_attribute_query");
        return lrc_error_give(err, lrcshim::error_from_devfailed(e, LRC_ENOTFOUND));
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_attribute_query");
    }
}

extern "C" int lrc_tg_command_list(lrc_tg_proxy *p, char ***names, size_t *count, lrc_error **err)
{
    if (!p || !names || !count)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_command_list: NULL argument");
    *names = nullptr;
    *count = 0;
    lrcshim::pace_connection(p);
    try {
        std::unique_ptr<Tango::CommandInfoList> l(p->dp->command_list_query());
        std::vector<std::string> v;
        if (l)
            for (const Tango::CommandInfo &ci : *l)
                v.push_back(ci.cmd_name);
        *names = lrcshim::make_strv(v);
        *count = v.size();
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_command_list");
    }
}

extern "C" int lrc_tg_attribute_list(lrc_tg_proxy *p, char ***names, size_t *count,
                                     lrc_error **err)
{
    if (!p || !names || !count)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_attribute_list: NULL argument");
    *names = nullptr;
    *count = 0;
    lrcshim::pace_connection(p);
    try {
        /* cppTango names "all attributes" by the device's IDL version
         * before it connects: a proxy that has never reached its device
         * (made while the device was down) asks an IDL 5 device for "All
         * attributes", which it does not know (API_AttrNotFound), instead
         * of "All attributes_3". Connect first (ping), so the proxy works
         * once the device comes up; a device still down fails here with
         * its real error. */
        if (p->dp->get_idl_version() == 0)
            p->dp->ping();
        std::unique_ptr<std::vector<std::string>> l(p->dp->get_attribute_list());
        std::vector<std::string> empty;
        const std::vector<std::string> &v = l ? *l : empty;
        *names = lrcshim::make_strv(v);
        *count = v.size();
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_attribute_list");
    }
}

extern "C" void lrc_tg_strv_free(char **v, size_t count)
{
    if (!v)
        return;
    for (size_t i = 0; i < count; i++)
        free(v[i]);
    free(v);
}

extern "C" int lrc_tg_read_attribute(lrc_tg_proxy *p, const char *attr, lrc_tg_value *out,
                                     lrc_error **err)
{
    if (out)
        zero_value(out);
    if (!p || !attr || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_read_attribute: NULL argument");
    lrcshim::pace_connection(p);
    try {
        std::string a(attr);
        Tango::DeviceAttribute da = p->dp->read_attribute(a);
        int rc = lrcshim::attribute_to_value(da, -1, -1, out, err);
        if (rc == lrcshim::NEED_HINT) {
            /* Empty value: the data type comes from the attribute config. */
            int type = -1, format = -1;
            lrcshim::attr_info(p, a, &type, &format);
            rc = lrcshim::attribute_to_value(da, type, format, out, err);
            if (rc == lrcshim::NEED_HINT)
                rc = lrc_fail(err, LRC_ETANGO, "attribute %s: unknown data type", attr);
        }
        return rc;
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_read_attribute");
    }
}

extern "C" int lrc_tg_ping(lrc_tg_proxy *p, lrc_error **err)
{
    if (!p)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_ping: NULL proxy");
    lrcshim::pace_connection(p);
    try {
        p->dp->ping();
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_ping");
    }
}
