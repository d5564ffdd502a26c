#include "kube/watch_decoder.hpp"

#include <simdjson.h>


namespace ghost::kube {

namespace od = simdjson::ondemand;

struct watch_decoder::state {
    od::parser parser;
    std::string padded;     // the current line followed by SIMDJSON_PADDING bytes
    std::string error_msg;  // backs watch_event::message for malformed lines
};

watch_decoder::watch_decoder() : state_(std::make_unique<state>()) {}
watch_decoder::~watch_decoder() = default;
watch_decoder::watch_decoder(watch_decoder&&) noexcept = default;
watch_decoder& watch_decoder::operator=(watch_decoder&&) noexcept = default;

std::string_view to_string(watch_event_type t) noexcept {
    switch (t) {
    case watch_event_type::added: return "ADDED";
    case watch_event_type::modified: return "MODIFIED";
    case watch_event_type::deleted: return "DELETED";
    case watch_event_type::bookmark: return "BOOKMARK";
    case watch_event_type::error: return "ERROR";
    }
    return "?";
}

namespace {

bool parse_type(std::string_view s, watch_event_type& t) {
    if (s == "ADDED") t = watch_event_type::added;
    else if (s == "MODIFIED") t = watch_event_type::modified;
    else if (s == "DELETED") t = watch_event_type::deleted;
    else if (s == "BOOKMARK") t = watch_event_type::bookmark;
    else if (s == "ERROR") t = watch_event_type::error;
    else return false;
    return true;
}

// Optional string field of an on-demand object; missing or null = empty.
simdjson::error_code opt_string(od::object& o, std::string_view key, std::string_view& out) {
    auto f = o.find_field_unordered(key);
    if (f.error() == simdjson::NO_SUCH_FIELD) return simdjson::SUCCESS;
    if (f.error()) return f.error();
    bool null = false;  // get(): converting the result to bool would throw on a broken value
    if (auto err = f.is_null().get(null)) return err;
    if (null) return simdjson::SUCCESS;
    return f.get_string().get(out);
}

}  // namespace

bool watch_decoder::decode(std::string_view line, watch_event& ev) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return false;
    line.remove_prefix(first);

    auto& st = *state_;
    st.padded.assign(line);
    st.padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
    auto malformed = [&](std::string_view why) {
        ev = watch_event{};
        ev.malformed = true;
        st.error_msg.assign("malformed watch event: ");
        st.error_msg.append(why);
        ev.message = st.error_msg;
        return true;
    };

    od::document doc;
    if (auto err = st.parser.iterate(st.padded.data(), line.size(), st.padded.size()).get(doc))
        return malformed(simdjson::error_message(err));
    od::object root;
    if (auto err = doc.get_object().get(root)) return malformed(simdjson::error_message(err));
    std::string_view type_text;
    if (auto err = root.find_field_unordered("type").get_string().get(type_text))
        return malformed(std::string("\"type\": ") + simdjson::error_message(err));
    if (!parse_type(type_text, ev.type))
        return malformed("unknown type '" + std::string(type_text) + "'");
    od::object obj;
    if (auto err = root.find_field_unordered("object").get_object().get(obj))
        return malformed(std::string("\"object\": ") + simdjson::error_message(err));

    if (ev.type == watch_event_type::error) {
        // The object is a Status.
        int64_t code = 0;
        // After any error the on-demand document must not be read further (found by
        // fuzz/watch_decoder_fuzz: a bad "code" then a read of "reason" dereferenced null).
        auto c = obj.find_field_unordered("code");
        if (c.error() != simdjson::NO_SUCH_FIELD) {
            if (auto err = c.get_int64().get(code))
                return malformed(std::string("Status code: ") + simdjson::error_message(err));
            ev.code = int(code);
        }
        if (auto err = opt_string(obj, "reason", ev.reason))
            return malformed(std::string("Status reason: ") + simdjson::error_message(err));
        if (auto err = opt_string(obj, "message", ev.message))
            return malformed(std::string("Status message: ") + simdjson::error_message(err));
    } else {
        auto m = obj.find_field_unordered("metadata");
        od::object meta;
        if (m.error() != simdjson::NO_SUCH_FIELD) {
            if (auto err = m.get_object().get(meta))
                return malformed(std::string("metadata: ") + simdjson::error_message(err));
            if (auto err = opt_string(meta, "resourceVersion", ev.resource_version))
                return malformed(std::string("resourceVersion: ") + simdjson::error_message(err));
            if (auto err = opt_string(meta, "name", ev.name))
                return malformed(std::string("name: ") + simdjson::error_message(err));
            if (auto err = opt_string(meta, "namespace", ev.namespace_))
                return malformed(std::string("namespace: ") + simdjson::error_message(err));
        }
    }
    if (auto err = obj.reset().error()) return malformed(simdjson::error_message(err));
    if (auto err = obj.raw_json().get(ev.object)) return malformed(simdjson::error_message(err));
    return true;
}

}  // namespace ghost::kube
