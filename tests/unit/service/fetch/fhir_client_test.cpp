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

// `base`: where next links may go; empty: the URL's origin.
FetchResult fetch(FhirClient& client, const std::string& url, std::chrono::milliseconds timeout = 2000ms,
                  const std::string& token = "tok", std::string base = {}) {
  std::promise<FetchResult> promise;
  auto future = promise.get_future();
  if (base.empty()) base = parse_url(url) ? parse_url(url)->origin() : url;
  client.get(url, base, token, timeout, std::chrono::steady_clock::now() + timeout,
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

// The id of the first entry of the first page ("" when there is none).
std::string first_id(const FetchResult& r) {
  if (r.pages.empty()) return "";
  const auto& page = *r.pages.front();
  if (!page.HasMember("entry") || page["entry"].Empty()) return "";
  return page["entry"][0]["resource"]["id"].GetString();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_client)

// RFC 9110 §15.2: a 1xx is interim; the final answer follows it. Taken as the answer, it left the real answer on
// the pooled connection for the next exchange (another patient's data).
BOOST_AUTO_TEST_CASE(interim_103_and_100_responses_are_skipped_and_never_taken_for_the_answer) {
  FakeFhirServer server([](const FakeRequest& r) {
    FakeReply reply = json(condition_bundle(1, r.target.substr(1)));
    if (r.target == "/a") reply.before = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n";
    if (r.target == "/b") reply.before = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n";
    return reply;
  });
  FhirClient client({});
  for (const std::string name : {"a", "b", "c"}) {
    BOOST_TEST_CONTEXT(name) {
      auto r = fetch(client, server.base() + "/" + name);
      BOOST_TEST(r.ok(), r.message);
      BOOST_TEST(r.http_status == 200);
      BOOST_TEST(first_id(r) == name + "-0");
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unsolicited_extra_response_closes_the_connection_and_is_never_read_as_a_later_answer) {
  FakeFhirServer server([](const FakeRequest& r) {
    FakeReply reply = json(condition_bundle(1, r.target.substr(1)));
    if (r.target == "/a") reply.after = nmo::test::raw_response(200, condition_bundle(1, "intruder"));
    return reply;
  });
  FhirClient client({});
  BOOST_TEST(first_id(fetch(client, server.base() + "/a")) == "a-0");
  BOOST_TEST(client.idle_connections() == 0u);
  BOOST_TEST(first_id(fetch(client, server.base() + "/b")) == "b-0");
  BOOST_TEST(first_id(fetch(client, server.base() + "/c")) == "c-0");
  BOOST_TEST(server.connections() == 2u);  // a's connection was closed, b and c shared a new one
}

BOOST_AUTO_TEST_CASE(a_late_answer_to_a_timed_out_exchange_is_never_read_as_the_next_answer) {
  FakeFhirServer server([](const FakeRequest& r) {
    FakeReply reply = json(condition_bundle(1, r.target.substr(1)));
    if (r.target == "/slow") reply.delay = 600ms;
    return reply;
  });
  FhirClient client({});
  auto slow = fetch(client, server.base() + "/slow", 100ms);
  BOOST_TEST(static_cast<int>(slow.error) == static_cast<int>(Error::timeout));
  BOOST_TEST(client.idle_connections() == 0u);
  for (const std::string name : {"fast", "faster"})
    BOOST_TEST(first_id(fetch(client, server.base() + "/" + name)) == name + "-0");
}

BOOST_AUTO_TEST_CASE(only_a_complete_2xx_returns_its_connection_to_the_pool) {
  FakeFhirServer server([](const FakeRequest& r) {
    return r.target == "/401" ? json(R"({"resourceType":"OperationOutcome"})", 401) : json(condition_bundle(1, "ok"));
  });
  FhirClient client({});
  BOOST_TEST(fetch(client, server.base() + "/401").http_status == 401);
  BOOST_TEST(client.idle_connections() == 0u);
  BOOST_TEST(fetch(client, server.base() + "/ok").ok());
  BOOST_TEST(client.idle_connections() == 1u);
  BOOST_TEST(server.connections() == 2u);
}

BOOST_AUTO_TEST_CASE(a_next_link_outside_the_base_path_is_not_followed_and_gets_no_token) {
  FakeFhirServer* self = nullptr;
  std::string next;
  FakeFhirServer server([&](const FakeRequest& r) {
    return r.target == "/fhir/Condition" ? json(condition_bundle(1, "a", self->base() + next))
                                         : json(condition_bundle(1, "x"));
  });
  self = &server;
  FhirClient client({});
  for (const std::string outside : {"/admin/Patient", "/fhirx/Condition", "/fhir/../admin", "/fhir/%2e%2e/admin",
                                    "/fhir/%2E./admin", "/fhir%2f..%2fadmin", "/fhir/.."}) {
    BOOST_TEST_CONTEXT(outside) {
      next = outside;
      const auto before = server.requests().size();
      auto r = fetch(client, server.base() + "/fhir/Condition", 2000ms, "tok", server.base() + "/fhir");
      BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::refused));
      BOOST_TEST(server.requests().size() == before + 1);
    }
  }
  next = "/fhir/p2";  // under the base: followed
  auto r = fetch(client, server.base() + "/fhir/Condition", 2000ms, "tok", server.base() + "/fhir/");
  BOOST_TEST(r.ok(), r.message);
  BOOST_TEST(r.pages.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_token_or_url_with_control_characters_is_refused_and_nothing_is_sent) {
  FakeFhirServer* self = nullptr;
  FakeFhirServer server([&](const FakeRequest& r) {
    if (r.target == "/fhir/Condition") return json(condition_bundle(1, "a", self->base() + "/fhir/p2\\r\\nX-Evil: 1"));
    return json(condition_bundle(1, "x"));
  });
  self = &server;
  FhirClient client({});
  const std::string smuggled = "tok\r\n\r\nDELETE /fhir/Patient/pat HTTP/1.1\r\nAuthorization: Bearer evil";
  for (const std::string& token :
       {smuggled, std::string("tok\nX: 1"), std::string("t o k"), std::string("tok\0x", 5)}) {
    auto r = fetch(client, server.base() + "/fhir/Condition", 2000ms, token);
    BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::refused));
  }
  for (const std::string& target :
       {std::string("/fhir/Condition?patient=a\r\nX-Evil:%201"), std::string("/fhir/Condition?patient=a b"),
        std::string("/fhir/Condition?patient=a\x7f")}) {
    auto r = fetch(client, server.base() + target);
    BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::refused));
  }
  BOOST_TEST(server.connections() == 0u);
  BOOST_TEST(server.received().empty());
  // A next link with CR LF from the server: refused, never written.
  auto r = fetch(client, server.base() + "/fhir/Condition");
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::refused));
  BOOST_TEST(server.requests().size() == 1u);
  BOOST_TEST(server.received().find("X-Evil") == std::string::npos);
  BOOST_TEST(server.received() == server.requests().at(0).raw);
}

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
