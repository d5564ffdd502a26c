#include "kube/watch_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using ghost::kube::watch_decoder;
using ghost::kube::watch_event;
using ghost::kube::watch_event_type;

namespace {

struct owned_event {
    watch_event_type type;
    std::string rv, name, ns, object, reason, message;
    int code;
    bool malformed;
    bool operator==(const owned_event&) const = default;
};

owned_event own(const watch_event& e) {
    return {e.type,          std::string(e.resource_version), std::string(e.name),
            std::string(e.namespace_), std::string(e.object), std::string(e.reason),
            std::string(e.message),    e.code,                 e.malformed};
}

const std::string pod_a =
    R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"ns1",)"
    R"("resourceVersion":"101","labels":{"x":"y\n"}},"spec":{"nodeName":"n1"}})";
const std::string pod_b =
    R"({"metadata":{"resourceVersion":"102","namespace":"ns1","name":"b"},"status":{}})";

std::string stream() {
    return R"({"type":"ADDED","object":)" + pod_a + "}\n" +
           R"({"object":)" + pod_b + R"(,"type":"MODIFIED"})" + "\r\n" +
           "\n" +
           R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"150"}}})" +
           "\n" +
           R"({"type":"DELETED","object":)" + pod_b + "}\n" +
           R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",)"
           R"x("message":"too old resource version: 1 (150)","reason":"Expired","code":410}})x" +
           "\n";
}

std::vector<owned_event> decode_all(const std::vector<std::string_view>& pieces) {
    watch_decoder d;
    std::vector<owned_event> out;
    auto sink = [&](const watch_event& e) { out.push_back(own(e)); };
    for (auto p : pieces) d.feed(p, sink);
    d.finish(sink);
    return out;
}

}  // namespace

TEST(watch_decoder, decodes_a_stream) {
    std::string s = stream();
    auto ev = decode_all({s});
    ASSERT_EQ(ev.size(), 5u);
    EXPECT_EQ(ev[0].type, watch_event_type::added);
    EXPECT_EQ(ev[0].rv, "101");
    EXPECT_EQ(ev[0].name, "a");
    EXPECT_EQ(ev[0].ns, "ns1");
    EXPECT_EQ(ev[0].object, pod_a);
    EXPECT_EQ(ev[1].type, watch_event_type::modified);
    EXPECT_EQ(ev[1].object, pod_b);
    EXPECT_EQ(ev[1].name, "b");
    EXPECT_EQ(ev[2].type, watch_event_type::bookmark);
    EXPECT_EQ(ev[2].rv, "150");
    EXPECT_EQ(ev[2].name, "");
    EXPECT_EQ(ev[3].type, watch_event_type::deleted);
    EXPECT_EQ(ev[3].rv, "102");
    EXPECT_EQ(ev[4].type, watch_event_type::error);
    EXPECT_EQ(ev[4].code, 410);
    EXPECT_EQ(ev[4].reason, "Expired");
    EXPECT_EQ(ev[4].message, "too old resource version: 1 (150)");
    EXPECT_FALSE(ev[4].malformed);
    for (auto& e : ev) EXPECT_FALSE(e.malformed);
}

TEST(watch_decoder, every_two_way_split_gives_the_same_events) {
    std::string s = stream();
    auto whole = decode_all({s});
    std::string_view v = s;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        auto split = decode_all({v.substr(0, i), v.substr(i)});
        ASSERT_EQ(split, whole) << "split at " << i;
    }
}

TEST(watch_decoder, byte_by_byte) {
    std::string s = stream();
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(std::string_view(s).substr(i, 1));
    EXPECT_EQ(decode_all(bytes), decode_all({s}));
}

TEST(watch_decoder, final_line_without_newline) {
    std::string s = R"({"type":"ADDED","object":)" + pod_a + "}";
    watch_decoder d;
    int n = 0;
    d.feed(s, [&](const watch_event&) { ++n; });
    EXPECT_EQ(n, 0);
    EXPECT_EQ(d.buffered(), s.size());
    d.finish([&](const watch_event& e) {
        ++n;
        EXPECT_EQ(e.name, "a");
    });
    EXPECT_EQ(n, 1);
    EXPECT_EQ(d.buffered(), 0u);
}

TEST(watch_decoder, malformed_lines_become_errors_and_decoding_continues) {
    std::string s = R"({"type":"ADDED","object":)" + pod_a + "}\n" +
                    "this is not json\n" +
                    R"({"type":"ADDED","object":)" + "\n" +          // truncated
                    R"({"type":"WHATEVER","object":{}})" + "\n" +
                    R"({"type":"ADDED"})" + "\n" +                    // no object
                    R"({"type":"ADDED","object":{"metadata":{"name":5}}})" + "\n" +
                    R"([1,2,3])" + "\n" +
                    R"({"type":"MODIFIED","object":)" + pod_b + "}\n";
    auto ev = decode_all({s});
    ASSERT_EQ(ev.size(), 8u);
    EXPECT_EQ(ev[0].type, watch_event_type::added);
    EXPECT_FALSE(ev[0].malformed);
    for (std::size_t i = 1; i < 7; ++i) {
        EXPECT_TRUE(ev[i].malformed) << i;
        EXPECT_EQ(ev[i].type, watch_event_type::error) << i;
        EXPECT_EQ(ev[i].code, 0);
        EXPECT_EQ(ev[i].message.rfind("malformed watch event: ", 0), 0u) << ev[i].message;
    }
    EXPECT_NE(ev[3].message.find("WHATEVER"), std::string::npos);
    EXPECT_EQ(ev[7].type, watch_event_type::modified);
    EXPECT_EQ(ev[7].name, "b");
    EXPECT_FALSE(ev[7].malformed);
}

TEST(watch_decoder, reset_drops_partial_line) {
    watch_decoder d;
    int n = 0;
    d.feed(R"({"type":"ADD)", [&](const watch_event&) { ++n; });
    d.reset();
    d.feed(R"({"type":"DELETED","object":)" + pod_b + "}\n", [&](const watch_event& e) {
        ++n;
        EXPECT_EQ(e.type, watch_event_type::deleted);
    });
    EXPECT_EQ(n, 1);
}

// Found by fuzz/watch_decoder_fuzz: a Status with an unreadable "code" followed by other fields
// crashed (the on-demand document was read after an error). Now it is one malformed event.
// fuzz/watch_decoder: `"reason":null"E...` made is_null() fail, and its result, used as a
// bool, threw out of decode (abort).
TEST(watch_decoder, a_broken_null_is_a_malformed_event) {
    watch_decoder d;
    std::vector<std::pair<bool, std::string>> seen;
    d.feed("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
           "\"reason\":null\"Eessage\":\"too old\"}}\n"
           "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":nulx,\"resourceVersion\":\"1\"}}}\n"
           "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"ok\",\"namespace\":null}}}\n",
           [&](const watch_event& e) { seen.emplace_back(e.malformed, std::string(e.name)); });
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_TRUE(seen[0].first);
    EXPECT_TRUE(seen[1].first);
    EXPECT_FALSE(seen[2].first);
    EXPECT_EQ(seen[2].second, "ok");
}

TEST(watch_decoder, an_unreadable_status_code_is_a_malformed_event) {
    watch_decoder d;
    std::vector<std::pair<bool, std::string>> seen;
    d.feed("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"co,e\":82cod\"message\":\"too old\"}}\n"
           "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":82cod0,\"reason\":\"x\"}}\n"
           "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"ok\",\"resourceVersion\":\"1\"}}}\n",
           [&](const watch_event& e) { seen.emplace_back(e.malformed, std::string(e.name)); });
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_TRUE(seen[0].first);
    EXPECT_TRUE(seen[1].first);
    EXPECT_FALSE(seen[2].first);
    EXPECT_EQ(seen[2].second, "ok") << "decoding goes on after malformed lines";
}
