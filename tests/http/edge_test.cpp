// The service edge (issue 11) through the real binary: HTTP framing (RFC 9112), the admin listener, the
// per-address connection cap. Beast's policy: cpprestsdk refuses `auth.mode: required` instead (README).
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
using namespace std::chrono_literals;

namespace {

const auto kBeastOnly = boost::unit_test::enable_if<kHasConnectionPolicy>();

std::string chunk(std::string_view s) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", s.size());
  return std::string(size) + std::string(s) + "\r\n";
}

// A POST whose body is framed by `transfer_encoding`, carrying a second request (a smuggling attempt).
std::string smuggling_post(const std::string& transfer_encoding) {
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  return "POST /cds-services/nmosd-patient-view HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: " +
         transfer_encoding + "\r\n\r\n" + chunk(smuggled) + "0\r\n\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(edge_framing)

// Issue 11 item 8: a Transfer-Encoding other than exactly `chunked` ran its body as a second request.
BOOST_AUTO_TEST_CASE(a_transfer_encoding_other_than_chunked_is_400_and_nothing_smuggled_runs, *kBeastOnly) {
  ServerProcess server;
  for (const char* te : {"gzip", "chunked, gzip", "gzip, chunked", "xchunked", "chunked, chunked", "identity"}) {
    BOOST_TEST_CONTEXT("Transfer-Encoding: " << te) {
      auto c = ClientConnection::open(server.port());
      BOOST_REQUIRE(c.send(smuggling_post(te)));
      const auto r = c.read_response();
      BOOST_TEST(r.status == 400);
      check_operation_outcome(r, 400);
      // No second response (the smuggled GET /metrics): the connection closes after the 400.
      BOOST_TEST(c.wait_closed(5s));
    }
  }
}

BOOST_AUTO_TEST_CASE(two_transfer_encoding_fields_are_400, *kBeastOnly) {
  ServerProcess server;
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send("POST /cds-services/nmosd-patient-view HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "0\r\n\r\n"));
  BOOST_TEST(c.read_response().status == 400);
}

BOOST_AUTO_TEST_CASE(transfer_encoding_chunked_in_any_case_is_still_accepted, *kBeastOnly) {
  ServerProcess server;
  const std::string body = read_fixture("requests/patient-view-empty-chart.json");
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send("POST /cds-services/nmosd-patient-view HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n" +
                       chunk(body) + "0\r\n\r\n"));
  check_cards_response(c.read_response());
}

// Issue 11 item 8: an HTTP/1.1 request with no Host, or with two, is 400 (RFC 9112 §3.2).
BOOST_AUTO_TEST_CASE(an_http_1_1_request_without_host_or_with_two_is_400, *kBeastOnly) {
  ServerProcess server;
  {
    auto c = ClientConnection::open(server.port());
    BOOST_REQUIRE(c.send("GET /healthz HTTP/1.1\r\n\r\n"));
    BOOST_TEST(c.read_response().status == 400);
  }
  {
    auto c = ClientConnection::open(server.port());
    BOOST_REQUIRE(c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.test\r\n\r\n"));
    BOOST_TEST(c.read_response().status == 400);
  }
  {
    auto c = ClientConnection::open(server.port());
    BOOST_REQUIRE(c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    BOOST_TEST(c.read_response().status == 200);
  }
  {
    // HTTP/1.0 has no Host requirement.
    auto c = ClientConnection::open(server.port());
    BOOST_REQUIRE(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
    BOOST_TEST(c.read_response().status == 200);
  }
}

// Issue 11 item 8: chunked trailers are ignored for every purpose (here: they cannot turn keep-alive off, nor
// add a header the service reads; the auth case is in auth_test.cpp).
BOOST_AUTO_TEST_CASE(chunked_trailers_are_not_headers, *kBeastOnly) {
  ServerProcess server;
  const std::string body = read_fixture("requests/patient-view-empty-chart.json");
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send("POST /cds-services/nmosd-patient-view HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" +
                       chunk(body) + "0\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"));
  // Content-Type came only in the trailer: the request has none, so 415.
  const auto r = c.read_response();
  BOOST_TEST(r.status == 415);
  // Connection: close came only in the trailer: the connection stays open for the next request.
  BOOST_REQUIRE(c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  BOOST_TEST(c.read_response().status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(edge_admin_listener)

// Issue 11 item 7: an unauthenticated caller read nmo_auth_failures_total by reason on the public port.
BOOST_AUTO_TEST_CASE(metrics_are_served_on_the_admin_listener_only) {
  ServerProcess server;
  BOOST_REQUIRE(server.admin_port() != 0);
  BOOST_REQUIRE(server.admin_port() != server.port());
  BOOST_TEST(exchange(server.port(), get("/metrics")).status == 404);
  const auto metrics = exchange(server.admin_port(), get("/metrics"));
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body.find("nmo_auth_failures_total") != std::string::npos);
  BOOST_TEST(metrics.body.find("nmo_auth_replay_cache_entries") != std::string::npos);
  BOOST_TEST(exchange(server.admin_port(), get("/healthz")).status == 200);
  BOOST_TEST(exchange(server.admin_port(), get("/readyz")).status == 200);
  // Nothing of CDS Hooks on the admin listener.
  BOOST_TEST(exchange(server.admin_port(), get("/cds-services")).status == 404);
  BOOST_TEST(
      exchange(server.admin_port(), post_json("/cds-services/nmosd-patient-view",
                                              read_fixture("requests/patient-view-empty-chart.json")))
          .status == 404);
}

// Issue 11 item 6: slowloris connections filled max_connections and /healthz (the liveness probe) answered 503.
BOOST_AUTO_TEST_CASE(health_on_the_admin_listener_answers_while_the_public_connections_are_exhausted,
                     *kBeastOnly) {
  ServerConfig config;
  config.max_connections = 8;
  config.header_timeout_ms = 60000;
  ServerProcess server(config);
  std::vector<ClientConnection> stalled;
  for (int i = 0; i < 8; ++i) {
    stalled.push_back(ClientConnection::open(server.port()));
    BOOST_REQUIRE(stalled.back().send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));  // never finished
  }
  // The public port is full (its health endpoint with it)...
  bool public_full = false;
  for (int attempt = 0; attempt < 50 && !public_full; ++attempt) {
    auto c = ClientConnection::open(server.port());
    if (!c.send(get("/healthz").serialize())) {
      public_full = true;
      break;
    }
    const auto r = c.try_read_response(std::chrono::seconds(5));
    public_full = !r || r->status == 503;
  }
  BOOST_TEST(public_full);
  // ...and the admin listener is not.
  BOOST_TEST(exchange(server.admin_port(), get("/healthz")).status == 200);
  BOOST_TEST(exchange(server.admin_port(), get("/metrics")).status == 200);
}

// Issue 11 item 6: a per-client-address connection cap.
BOOST_AUTO_TEST_CASE(connections_over_the_per_address_cap_get_503, *kBeastOnly) {
  ServerConfig config;
  config.max_connections_per_address = 3;
  config.header_timeout_ms = 60000;
  ServerProcess server(config);
  std::vector<ClientConnection> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(ClientConnection::open(server.port()));
    BOOST_REQUIRE(open.back().send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  }
  bool refused = false;
  for (int attempt = 0; attempt < 50 && !refused; ++attempt) {
    auto c = ClientConnection::open(server.port());
    c.send(get("/healthz").serialize());
    const auto r = c.try_read_response(std::chrono::seconds(5));
    refused = r && r->status == 503;
  }
  BOOST_TEST(refused);
  open.pop_back();  // one closes: a new connection from the address is admitted again
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    auto c = ClientConnection::open(server.port());
    c.send(get("/healthz").serialize());
    const auto answer = c.try_read_response(std::chrono::seconds(5));
    admitted = answer && answer->status == 200;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(admitted);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(edge_development_host)

std::string with_host(const std::string& target, const std::string& host, const std::string& body = {}) {
  std::string r = (body.empty() ? "GET " : "POST ") + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (!body.empty()) r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

int status_for(std::uint16_t port, const std::string& raw) {
  auto c = ClientConnection::open(port);
  BOOST_REQUIRE(c.send(raw));
  return c.read_response().status;
}

// Issue 11 item 10: development mode trusts loopback callers; a page whose name rebinds to 127.0.0.1 must not be
// able to use that trust. Host must be localhost, 127.0.0.1 or [::1] with our port.
BOOST_AUTO_TEST_CASE(development_mode_answers_a_foreign_host_with_421) {
  ServerProcess server;  // development mode
  const std::string port = std::to_string(server.port());
  const std::string body = read_fixture("requests/patient-view-empty-chart.json");
  for (const std::string& host : std::vector<std::string>{"evil.example", "evil.example:" + port,
                                                          "127.0.0.1.nip.io:" + port, "localhost:1",
                                                          "127.0.0.2:" + port}) {
    BOOST_TEST_CONTEXT(host) {
      BOOST_TEST(status_for(server.port(), with_host("/cds-services", host)) == 421);
      BOOST_TEST(status_for(server.port(), with_host("/cds-services/nmosd-patient-view", host, body)) == 421);
    }
  }
  for (const std::string& host : std::vector<std::string>{"localhost:" + port, "LOCALHOST:" + port,
                                                          "127.0.0.1:" + port, "[::1]:" + port, "localhost"}) {
    BOOST_TEST_CONTEXT(host) {
      BOOST_TEST(status_for(server.port(), with_host("/cds-services", host)) == 200);
      BOOST_TEST(status_for(server.port(), with_host("/cds-services/nmosd-patient-view", host, body)) == 200);
    }
  }
}

// The public CDS Hooks sandbox, in a local browser, calls http://localhost:PORT with its Origin: still served.
BOOST_AUTO_TEST_CASE(the_sandbox_in_a_local_browser_keeps_working) {
  ServerProcess server;
  const std::string port = std::to_string(server.port());
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send("GET /cds-services HTTP/1.1\r\nHost: localhost:" + port +
                       "\r\nOrigin: https://sandbox.cds-hooks.org\r\n\r\n"));
  const auto r = c.read_response();
  BOOST_TEST(r.status == 200);
  BOOST_TEST(!r.header("access-control-allow-origin").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(edge_body_budget)

// Issue 11 item 2: a budget for all request bodies being read at once; over it, 503.
BOOST_AUTO_TEST_CASE(bodies_over_the_global_budget_get_503, *kBeastOnly) {
  ServerConfig config;
  config.max_body_bytes = 65536;
  config.max_buffered_body_bytes = 100000;
  ServerProcess server(config);
  const std::string head = "POST /cds-services/nmosd-patient-view HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n";
  // The first connection is made again on each attempt: when the server happened to read the second head first
  // (a slow sanitizer build on a busy machine), it refused the first instead and no stalled body was left.
  auto first = ClientConnection::open(server.port());
  bool refused = false;
  for (int attempt = 0; attempt < 20 && !refused; ++attempt) {
    first = ClientConnection::open(server.port());
    BOOST_REQUIRE(first.send(head + "{"));  // 60000 reserved, body stalled
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));  // its head read before the next
    auto second = ClientConnection::open(server.port());
    BOOST_REQUIRE(second.send(head));
    const auto r = second.try_read_response(std::chrono::seconds(3));
    refused = r && r->status == 503;
  }
  BOOST_TEST(refused);
  first.close();  // its reservation goes with it
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    served = exchange(server.port(), post_json("/cds-services/nmosd-patient-view",
                                               read_fixture("requests/patient-view-empty-chart.json")))
                 .status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(served);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(edge_json_amplification)

// Issue 11 item 3: 8 MiB of [{},{},...] peaked near 185 MiB. The parsed document is bounded while parsing.
BOOST_AUTO_TEST_CASE(a_body_of_empty_objects_is_400_while_a_realistic_one_of_the_same_size_is_served) {
  ServerProcess server;
  const std::string call = read_fixture("requests/patient-view-empty-chart.json");
  std::string amplifier = "[";
  for (int i = 0; amplifier.size() < 60000; ++i) amplifier += i ? ",{}" : "{}";
  amplifier += "]";
  const std::string body = call.substr(0, call.rfind('}')) + ",\"padding\":" + amplifier + "}";
  check_operation_outcome(exchange(server.port(), post_json("/cds-services/nmosd-patient-view", body)), 400);
  std::string realistic = "[";
  for (int i = 0; realistic.size() < 60000; ++i) realistic += i ? ",{\"code\":\"abcdef\"}" : "{\"code\":\"abcdef\"}";
  realistic += "]";
  const std::string ok_body = call.substr(0, call.rfind('}')) + ",\"padding\":" + realistic + "}";
  check_cards_response(exchange(server.port(), post_json("/cds-services/nmosd-patient-view", ok_body)));
}

BOOST_AUTO_TEST_SUITE_END()
