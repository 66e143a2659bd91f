// Transport policy (issue 2, item 3): keep-alive, pipelining, header/body/idle timeouts against slow clients,
// the connection cap, the requests-per-connection cap. Same expectations for every transport.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <thread>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
using namespace std::chrono_literals;

namespace {

std::string patient_view_call() {
  return post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"))
      .serialize();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connection)

BOOST_AUTO_TEST_CASE(keep_alive_answers_two_requests_on_one_connection) {
  ServerProcess server;
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(get("/healthz").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 200);
  BOOST_REQUIRE(c.send(patient_view_call()));
  check_cards_response(c.read_response());
}

BOOST_AUTO_TEST_CASE(keep_alive_survives_an_error_response) {
  ServerProcess server;
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(get("/nope").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 404);
  BOOST_REQUIRE(c.send(post_json("/cds-services/nmosd-patient-view", "{").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 400);
  BOOST_REQUIRE(c.send(get("/healthz").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 200);
}

BOOST_AUTO_TEST_CASE(three_pipelined_requests_are_answered_in_order, *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerProcess server;
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(get("/cds-services").serialize() + get("/nope").serialize() + patient_view_call()));
  const auto discovery = c.read_response();
  const auto not_found = c.read_response();
  const auto cards = c.read_response();
  BOOST_CHECK_EQUAL(discovery.status, 200);
  BOOST_CHECK(parse_json(discovery.body).HasMember("services"));
  BOOST_CHECK_EQUAL(not_found.status, 404);
  check_cards_response(cards);
}

BOOST_AUTO_TEST_CASE(pipelined_requests_beyond_the_response_queue_are_all_answered_by_a_slow_reader,
                     *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerConfig config;
  config.max_pipelined = 2;  // the queue fills at once: reading must pause and resume, never drop the connection
  ServerProcess server(config);
  auto c = ClientConnection::open(server.port());
  std::string burst;
  for (int i = 0; i < 200; ++i) burst += get("/cds-services").serialize();
  BOOST_REQUIRE(c.send(burst));
  std::this_thread::sleep_for(500ms);  // the client reads late: the server's writes back up
  for (int i = 0; i < 200; ++i) {
    BOOST_TEST_CONTEXT("response " << i) {
      const auto r = c.try_read_response(10s);
      BOOST_REQUIRE(r.has_value());
      BOOST_CHECK_EQUAL(r->status, 200);
    }
  }
}

BOOST_AUTO_TEST_CASE(expect_100_continue_behind_pipelined_requests_is_answered_in_order,
                     *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerProcess server;
  auto c = ClientConnection::open(server.port());
  auto call = post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  call.headers.emplace_back("Expect", "100-continue");
  std::string burst;
  for (int i = 0; i < 12; ++i) burst += get("/cds-services").serialize();
  BOOST_REQUIRE(c.send(burst + call.serialize()));
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 12; ++i) BOOST_CHECK_EQUAL(c.read_response().status, 200);
  check_cards_response(c.read_response());  // an interim 100, if sent, is skipped by the client
}

BOOST_AUTO_TEST_CASE(connection_close_is_honoured) {
  ServerProcess server;
  auto c = ClientConnection::open(server.port());
  auto r = get("/healthz");
  r.headers.emplace_back("Connection", "close");
  BOOST_REQUIRE(c.send(r.serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 200);
  BOOST_CHECK(c.wait_closed(5s));
}

BOOST_AUTO_TEST_CASE(chunked_request_body_is_accepted) {
  ServerProcess server;
  const std::string body = read_fixture("requests/patient-view-empty-chart.json");
  auto r = post_json("/cds-services/nmosd-patient-view", "");
  r.add_content_length = false;
  r.headers.emplace_back("Transfer-Encoding", "chunked");
  const std::size_t half = body.size() / 2;
  auto chunk = [](std::string_view s) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", s.size());
    return std::string(size) + std::string(s) + "\r\n";
  };
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(r.serialize_head() + chunk(std::string_view(body).substr(0, half)) +
                       chunk(std::string_view(body).substr(half)) + "0\r\n\r\n"));
  check_cards_response(c.read_response());
}

BOOST_AUTO_TEST_CASE(a_client_stalling_in_its_headers_is_cut_off, *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerConfig config;
  config.header_timeout_ms = 500;
  ServerProcess server(config);
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send("GET /healthz HTTP/1.1\r\n"));
  BOOST_CHECK_MESSAGE(c.wait_closed(3500ms), "connection still open 3.5 s after a 500 ms header timeout");
}

BOOST_AUTO_TEST_CASE(a_client_that_connects_and_sends_nothing_is_cut_off, *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerConfig config;
  config.header_timeout_ms = 500;
  config.idle_timeout_ms = 500;
  ServerProcess server(config);
  auto c = ClientConnection::open(server.port());
  BOOST_CHECK_MESSAGE(c.wait_closed(3500ms), "silent connection still open 3.5 s after 500 ms timeouts");
}

BOOST_AUTO_TEST_CASE(a_client_stalling_in_its_body_is_cut_off) {
  ServerConfig config;
  config.body_timeout_ms = 500;
  ServerProcess server(config);
  auto r = post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(r.serialize_head() + r.body.substr(0, 10)));
  // A 408 before the close is allowed; a 200 is not possible without the rest of the body.
  BOOST_CHECK_MESSAGE(c.wait_closed(3500ms), "connection still open 3.5 s after a 500 ms body timeout");
}

BOOST_AUTO_TEST_CASE(an_idle_keep_alive_connection_is_closed_after_idle_timeout, *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerConfig config;
  config.idle_timeout_ms = 500;
  ServerProcess server(config);
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(get("/healthz").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 200);
  BOOST_CHECK_MESSAGE(c.wait_closed(3500ms), "keep-alive connection still open 3.5 s after a 500 ms idle timeout");
}

BOOST_AUTO_TEST_CASE(a_slow_client_does_not_block_others) {
  ServerConfig config;
  config.threads = 1;
  config.header_timeout_ms = 10000;
  ServerProcess server(config);
  auto slow = ClientConnection::open(server.port());
  BOOST_REQUIRE(slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  check_cards_response(exchange(
      server.port(),
      post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json")), 5s));
}

BOOST_AUTO_TEST_CASE(the_connection_closes_after_max_requests_per_connection, *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerConfig config;
  config.max_requests_per_connection = 2;
  ServerProcess server(config);
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(get("/healthz").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 200);
  BOOST_REQUIRE(c.send(get("/healthz").serialize()));
  BOOST_CHECK_EQUAL(c.read_response().status, 200);
  BOOST_CHECK_MESSAGE(c.wait_closed(3s), "connection still open after max_requests_per_connection responses");
}

BOOST_AUTO_TEST_CASE(oversized_headers_are_rejected_without_a_200) {
  ServerConfig config;
  config.max_header_bytes = 8192;
  ServerProcess server(config);
  auto r = get("/healthz");
  r.headers.emplace_back("X-Padding", std::string(32768, 'a'));
  auto c = ClientConnection::open(server.port());
  c.send(r.serialize());
  const auto response = c.try_read_response(5s);
  if (response) {
    BOOST_TEST_CONTEXT("got " << response->status << " " << response->body.substr(0, 200)) {
      BOOST_CHECK(response->status == 431 || response->status == 400 || response->status == 413);
    }
  }
  // The server must still serve.
  BOOST_CHECK_EQUAL(exchange(server.port(), get("/healthz")).status, 200);
}

// Connection cap (limits.max_connections): the connection over the cap is refused, closed, or answered 503.
BOOST_AUTO_TEST_CASE(the_connection_over_max_connections_is_refused_closed_or_503, *boost::unit_test::enable_if<nmo::test::kHasConnectionPolicy>()) {
  ServerConfig config;
  config.max_connections = 4;
  config.header_timeout_ms = 20000;
  config.idle_timeout_ms = 20000;
  ServerProcess server(config);
  std::vector<ClientConnection> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(ClientConnection::open(server.port()));
    BOOST_REQUIRE(held.back().send(get("/healthz").serialize()));
    BOOST_REQUIRE_EQUAL(held.back().read_response().status, 200);  // accepted and now idle
  }
  auto fifth = ClientConnection::try_open(server.port(), 2s);
  if (fifth) {
    fifth->send(get("/healthz").serialize());
    std::optional<HttpResponse> response;
    bool closed = false;
    try {
      response = fifth->read_response(5s);
    } catch (const std::runtime_error& e) {
      closed = std::string(e.what()).find("closed") != std::string::npos;
      BOOST_CHECK_MESSAGE(closed, "5th connection neither refused, closed nor answered: " << e.what());
    }
    if (response) {
      BOOST_CHECK_MESSAGE(response->status == 503, "5th connection over a cap of 4 was answered "
                                                       << response->status << " " << response->body.substr(0, 200));
      if (response->status == 503) check_operation_outcome(*response, 503);
    }
  }
  // A slot freed is usable again.
  held.pop_back();
  bool served = false;
  for (int attempt = 0; attempt < 30 && !served; ++attempt) {
    std::this_thread::sleep_for(100ms);
    auto c = ClientConnection::try_open(server.port(), 1s);
    if (!c || !c->send(get("/healthz").serialize())) continue;
    const auto r = c->try_read_response(2s);
    served = r && r->status == 200;
  }
  BOOST_CHECK_MESSAGE(served, "no connection served within 3 s after one of the 4 closed");
}

BOOST_AUTO_TEST_CASE(many_concurrent_clients_are_all_answered) {
  ServerProcess server;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  const std::string call = patient_view_call();
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto c = ClientConnection::try_open(server.port());
        if (!c || !c->send(call)) continue;
        const auto r = c->try_read_response(10s);
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  BOOST_CHECK_EQUAL(ok.load(), 160);
}

BOOST_AUTO_TEST_SUITE_END()
