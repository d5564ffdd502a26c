#include "kube/status.hpp"

#include "engine/error.hpp"

#include <gtest/gtest.h>

using ghost::kube::errc;
using ghost::kube::errc_from_http;

TEST(status, parses_status_body) {
    auto s = ghost::kube::parse_status(
        R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found",)"
        R"("reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->code, 404);
    EXPECT_EQ(s->reason, "NotFound");
    EXPECT_EQ(s->message, "pods \"x\" not found");
    EXPECT_FALSE(ghost::kube::parse_status("not json"));
    EXPECT_FALSE(ghost::kube::parse_status("[1]"));
}

TEST(status, maps_http_status) {
    EXPECT_EQ(errc_from_http(200), errc::ok);
    EXPECT_EQ(errc_from_http(201), errc::ok);
    EXPECT_EQ(errc_from_http(404), errc::not_found);
    EXPECT_EQ(errc_from_http(409, "Conflict"), errc::conflict);
    EXPECT_EQ(errc_from_http(409, "AlreadyExists"), errc::already_exists);
    EXPECT_EQ(errc_from_http(410, "Expired"), errc::gone);
    EXPECT_EQ(errc_from_http(422), errc::invalid);
    EXPECT_EQ(errc_from_http(429), errc::too_many_requests);
    EXPECT_EQ(errc_from_http(500), errc::server_error);
    EXPECT_EQ(errc_from_http(502), errc::server_error);
    EXPECT_EQ(errc_from_http(503), errc::service_unavailable);
    EXPECT_EQ(errc_from_http(500, "Timeout"), errc::server_timeout);
    EXPECT_EQ(errc_from_http(401), errc::unauthorized);
    EXPECT_EQ(errc_from_http(403), errc::forbidden);
    EXPECT_EQ(errc_from_http(418), errc::unexpected_status);
}

TEST(status, error_codes_and_transience) {
    boost::system::error_code ec = errc::not_found;
    EXPECT_EQ(ec.category().name(), std::string("ghost.kube"));
    EXPECT_EQ(ec.message(), "not found");
    EXPECT_FALSE(ghost::kube::is_transient(ec));
    EXPECT_FALSE(ghost::kube::is_transient(errc::conflict));
    EXPECT_TRUE(ghost::kube::is_transient(errc::too_many_requests));
    EXPECT_TRUE(ghost::kube::is_transient(errc::service_unavailable));
    EXPECT_TRUE(ghost::kube::is_transient(ghost::engine::errc::timeout));
    EXPECT_TRUE(ghost::kube::is_transient(ghost::engine::errc::connection_closed));
    EXPECT_FALSE(ghost::kube::is_transient(ghost::engine::errc::cancelled));
    EXPECT_FALSE(ghost::kube::is_transient({}));
}
