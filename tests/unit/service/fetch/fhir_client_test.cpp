#include "service/fetch/fhir_client.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

#include "tests/unit/service/fetch/fake_fhir_server.hpp"

using nmo::service::fetch::FetchResult;
using nmo::service::fetch::FhirClient;
using nmo::service::fetch::FhirClientOptions;
using nmo::service::fetch::parse_url;
using nmo::test::condition_bundle;
using nmo::test::FakeFhirServer;
using nmo::test::FakeReply;
using nmo::test::FakeRequest;
using Error = FetchResult::Error;
using namespace std::chrono_literals;

namespace {

FetchResult fetch(FhirClient& client, const std::string& url, std::chrono::milliseconds timeout = 2000ms,
                  const std::string& token = "tok") {
  std::promise<FetchResult> promise;
  auto future = promise.get_future();
  client.get(url, token, timeout, std::chrono::steady_clock::now() + timeout,
             [&promise](FetchResult r) { promise.set_value(std::move(r)); });
  // Bounded: the client's own deadline ends every call; this wait only guards the test against a hang.
  BOOST_REQUIRE(future.wait_for(30s) == std::future_status::ready);
  return future.get();
}

FakeReply json(std::string body, int status = 200) {
  FakeReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_client)

BOOST_AUTO_TEST_CASE(parse_url_splits_origin_and_target_and_rejects_userinfo_and_other_schemes) {
  auto u = parse_url("HTTPS://Fhir.Example.org/r4/Condition?patient=1#frag");
  BOOST_REQUIRE(u.has_value());
  BOOST_TEST(u->origin() == "https://fhir.example.org:443");
  BOOST_TEST(u->target == "/r4/Condition?patient=1");
  BOOST_TEST(parse_url("http://[::1]:8080")->origin() == "http://[::1]:8080");
  BOOST_TEST(parse_url("http://[::1]:8080")->target == "/");
  BOOST_TEST(!parse_url("https://user:pw@fhir.example.org/").has_value());
  BOOST_TEST(!parse_url("ftp://fhir.example.org/").has_value());
  BOOST_TEST(!parse_url("fhir.example.org/r4").has_value());
  BOOST_TEST(!parse_url("http://h:99999/").has_value());
}

BOOST_AUTO_TEST_CASE(sends_bearer_token_and_fhir_accept_and_follows_next_pages_on_one_kept_alive_connection) {
  FakeFhirServer* self = nullptr;
  FakeFhirServer server([&self](const FakeRequest& r) {
    if (r.target == "/fhir/Condition?patient=pat") return json(condition_bundle(2, "a", self->base() + "/fhir/p2"));
    if (r.target == "/fhir/p2") return json(condition_bundle(2, "b", self->base() + "/fhir/p3"));
    if (r.target == "/fhir/p3") return json(condition_bundle(1, "c"));
    return json(R"({"resourceType":"OperationOutcome"})", 404);
  });
  self = &server;
  FhirClient client({});
  auto r = fetch(client, server.base() + "/fhir/Condition?patient=pat");
  BOOST_TEST(r.ok(), r.message);
  BOOST_TEST(r.pages.size() == 3u);
  const auto seen = server.requests();
  BOOST_REQUIRE(seen.size() == 3u);
  for (const auto& s : seen) {
    BOOST_TEST(s.authorization == "Bearer tok");
    BOOST_TEST(s.accept == "application/fhir+json");
  }
  BOOST_TEST(server.connections() == 1u);
  BOOST_TEST(client.idle_connections() == 1u);
  // The next call reuses the pooled connection.
  BOOST_TEST(fetch(client, server.base() + "/fhir/p3").ok());
  BOOST_TEST(server.connections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_ends_in_a_timeout) {
  FakeFhirServer server([](const FakeRequest&) {
    FakeReply r = json(condition_bundle(1, "a"));
    r.delay = 5s;
    return r;
  });
  FhirClient client({});
  auto r = fetch(client, server.base() + "/Condition", 150ms);
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::timeout));
  BOOST_TEST(r.pages.empty());
}

BOOST_AUTO_TEST_CASE(unauthorized_and_server_errors_end_in_their_status) {
  FakeFhirServer server([](const FakeRequest& r) {
    return r.target == "/401" ? json(R"({"resourceType":"OperationOutcome"})", 401)
                              : json("<html>oops</html>", 500);
  });
  FhirClient client({});
  auto unauthorized = fetch(client, server.base() + "/401");
  BOOST_TEST(static_cast<int>(unauthorized.error) == static_cast<int>(Error::http_status));
  BOOST_TEST(unauthorized.http_status == 401);
  auto broken = fetch(client, server.base() + "/500");
  BOOST_TEST(broken.http_status == 500);
  BOOST_TEST(broken.message.find("500") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_json_or_json_that_is_no_resource_is_refused) {
  FakeFhirServer server([](const FakeRequest& r) {
    return r.target == "/a" ? json(R"({"resourceType":"Bundle","entry":[)") : json(R"({"hello":"world"})");
  });
  FhirClient client({});
  BOOST_TEST(static_cast<int>(fetch(client, server.base() + "/a").error) == static_cast<int>(Error::invalid_json));
  BOOST_TEST(static_cast<int>(fetch(client, server.base() + "/b").error) == static_cast<int>(Error::invalid_json));
}

BOOST_AUTO_TEST_CASE(endless_next_links_stop_at_the_page_limit) {
  FakeFhirServer* self = nullptr;
  int n = 0;
  FakeFhirServer server([&](const FakeRequest&) {
    return json(condition_bundle(1, "p", self->base() + "/page/" + std::to_string(++n)));
  });
  self = &server;
  FhirClientOptions options;
  options.max_pages = 5;
  FhirClient client(options);
  auto r = fetch(client, server.base() + "/Condition");
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::too_many_pages));
  BOOST_TEST(server.requests().size() == 5u);
}

BOOST_AUTO_TEST_CASE(entries_over_the_limit_are_refused) {
  FakeFhirServer server([](const FakeRequest&) { return json(condition_bundle(20, "e")); });
  FhirClientOptions options;
  options.max_entries = 10;
  FhirClient client(options);
  BOOST_TEST(static_cast<int>(fetch(client, server.base() + "/Condition").error) ==
             static_cast<int>(Error::too_many_entries));
}

BOOST_AUTO_TEST_CASE(a_huge_body_is_cut_off_at_the_response_limit) {
  FakeFhirServer server([](const FakeRequest&) {
    return json(R"({"resourceType":"Bundle","type":"searchset","padding":")" + std::string(4u << 20, 'x') + "\"}");
  });
  FhirClientOptions options;
  options.max_response_bytes = 64u << 10;
  FhirClient client(options);
  auto r = fetch(client, server.base() + "/Condition", 5000ms);
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::too_large));
}

BOOST_AUTO_TEST_CASE(a_redirect_to_another_host_is_not_followed) {
  FakeFhirServer elsewhere([](const FakeRequest&) { return json(condition_bundle(1, "x")); });
  FakeFhirServer server([&elsewhere](const FakeRequest&) {
    FakeReply r = json("", 302);
    r.headers.emplace_back("Location", "http://localhost:" + std::to_string(elsewhere.port()) + "/Condition");
    return r;
  });
  FhirClient client({});
  auto r = fetch(client, server.base() + "/Condition");
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::redirect));
  BOOST_TEST(elsewhere.requests().empty());
}

BOOST_AUTO_TEST_CASE(a_next_link_to_another_origin_is_not_followed_and_gets_no_token) {
  FakeFhirServer elsewhere([](const FakeRequest&) { return json(condition_bundle(1, "x")); });
  FakeFhirServer server([&elsewhere](const FakeRequest&) {
    return json(condition_bundle(1, "a", "http://localhost:" + std::to_string(elsewhere.port()) + "/next"));
  });
  FhirClient client({});
  auto r = fetch(client, server.base() + "/Condition");
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::refused));
  BOOST_TEST(elsewhere.requests().empty());
}

BOOST_AUTO_TEST_CASE(plain_http_to_a_non_loopback_host_is_refused_without_contact) {
  FhirClient client({});
  auto r = fetch(client, "http://192.0.2.1/fhir/Condition");  // TEST-NET-1: would hang if contacted
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::refused));
  BOOST_TEST(static_cast<int>(fetch(client, "not a url").error) == static_cast<int>(Error::refused));
}

BOOST_AUTO_TEST_CASE(https_to_a_server_that_does_not_speak_tls_never_yields_data) {
  FakeFhirServer server([](const FakeRequest&) { return json(condition_bundle(1, "a")); });
  FhirClient client({});
  // The plain server waits for the end of an HTTP header that a ClientHello never sends: the handshake ends in
  // the call timeout (or a TLS failure), never in data.
  auto r = fetch(client, "https://127.0.0.1:" + std::to_string(server.port()) + "/Condition", 300ms);
  BOOST_TEST((r.error == Error::tls || r.error == Error::timeout));
  BOOST_TEST(r.pages.empty());
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_while_idle_is_replaced_transparently) {
  FakeFhirServer server([](const FakeRequest&) {
    FakeReply r = json(condition_bundle(1, "a"));
    r.close = true;  // closes after answering, without telling the client in a header
    return r;
  });
  FhirClient client({});
  BOOST_TEST(fetch(client, server.base() + "/one").ok());
  BOOST_TEST(fetch(client, server.base() + "/two").ok());
  BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_unreadable_ca_file_stops_construction) {
  FhirClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  BOOST_CHECK_THROW(FhirClient client(options), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
