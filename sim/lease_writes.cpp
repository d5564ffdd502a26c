#include "sim/lease_writes.hpp"

#include "engine/log.hpp"
#include "kube/resource.hpp"
#include "kube/status.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ghost::sim {

namespace http = boost::beast::http;

engine::http_request lease_request(const kube::lease_fsm::action& act, std::string_view name) {
    using kind = kube::lease_fsm::action_kind;
    engine::http_request req;
    switch (act.kind) {
    case kind::get:
        req.method = http::verb::get;
        req.target = kube::node_lease_path(name);
        return req;
    case kind::create:
        req.method = http::verb::post;
        req.target = kube::node_lease_path();
        break;
    case kind::update:
    case kind::wait:
        req.method = http::verb::put;
        req.target = kube::node_lease_path(name);
        break;
    }
    req.content_type = "application/json";
    req.body = boost::json::serialize(act.body);
    return req;
}

bool apply_lease_reply(kube::lease_fsm& fsm, bool was_get,
                       const engine::result<engine::http_response>& r,
                       kube::wall_clock::time_point now, std::string_view name) {
    boost::system::error_code ec;
    std::optional<kube::lease_info> returned;
    if (!r) {
        ec = r.error();
    } else if (r->status >= 200 && r->status < 300) {
        boost::system::error_code pec;
        unsigned char first_block[4096];  // a Lease: read and dropped right here
        boost::json::monotonic_resource arena(first_block, sizeof first_block);
        auto doc = boost::json::parse(r->body, pec, &arena);
        if (!pec && doc.is_object()) returned = kube::read_lease(doc.get_object());
        else ec = engine::errc::parse_error;
    } else {
        ec = kube::errc_from_http(r->status);
    }
    if (was_get) {
        if (returned) fsm.observe(std::move(returned));
        else fsm.on_get_failed(ec, now);
        return false;
    }
    if (returned) {
        bool was_held = fsm.held();
        return fsm.on_write_done(*returned, now) || (!was_held && fsm.held());
    }
    if (ec != kube::errc::conflict && ec != kube::errc::already_exists) {
        GHOST_LOG_WARN("lease ", name, ": ", ec.message());
    }
    fsm.on_write_failed(ec, now);
    return false;
}

}  // namespace ghost::sim
