// Graceful stop (issue 2, items 3 and 9): on SIGTERM/SIGINT stop accepting, finish and answer in-flight requests,
// close idle connections, exit 0 within shutdown_grace_ms.
#include <signal.h>
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
using namespace std::chrono_literals;

namespace {

void check_exited_zero(ServerProcess& server, std::chrono::milliseconds within) {
  const auto status = server.wait_exit(within);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "nmo-cds still running " << within.count() << " ms after the signal");
  BOOST_CHECK_MESSAGE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0, "expected exit status 0, got "
                                                                           << describe_wait_status(*status) << "\n"
                                                                           << server.output());
}

/// "" when a new connection is refused, accepted and closed without a response, or answered 503 (a draining
/// server may say so; a load balancer then tries another replica); else what happened.
std::string new_connection_outcome(std::uint16_t port) {
  auto c = ClientConnection::try_open(port, 1s);
  if (!c) return {};
  c->send(get("/healthz").serialize());
  try {
    const auto r = c->read_response(2s);
    if (r.status == 503) return {};
    return "answered " + std::to_string(r.status) + " " + r.body.substr(0, 200);
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    return what.find("closed") != std::string::npos ? std::string() : "accepted and left waiting: " + what;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(graceful_stop)

BOOST_AUTO_TEST_CASE(sigterm_with_eight_requests_half_sent_answers_every_one_and_exits_zero) {
  ServerConfig config;
  config.shutdown_grace_ms = 10000;
  ServerProcess server(config);
  const auto request =
      post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  const std::string head = request.serialize_head();
  const std::size_t half = request.body.size() / 2;

  std::vector<ClientConnection> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(ClientConnection::open(server.port()));
    BOOST_REQUIRE(clients.back().send(head + request.body.substr(0, half)));
  }
  std::this_thread::sleep_for(300ms);  // the server has read the heads
  const auto signalled = std::chrono::steady_clock::now();
  server.send_signal(SIGTERM);
  std::this_thread::sleep_for(300ms);

  const std::string late = new_connection_outcome(server.port());
  BOOST_CHECK_MESSAGE(late.empty(), "a new connection after SIGTERM was not refused: " << late);

  for (auto& c : clients) BOOST_CHECK(c.send(request.body.substr(half)));
  for (std::size_t i = 0; i < clients.size(); ++i) {
    BOOST_TEST_CONTEXT("in-flight request " << i) {
      std::optional<HttpResponse> response;
      BOOST_CHECK_NO_THROW(response = clients[i].read_response(8s));
      if (response) check_cards_response(*response);
    }
  }
  check_exited_zero(
      server, std::chrono::milliseconds(config.shutdown_grace_ms) + 3s -
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled));
}

BOOST_AUTO_TEST_CASE(sigterm_during_a_second_request_on_a_keep_alive_connection_answers_it) {
  ServerProcess server;
  const auto call =
      post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(call.serialize()));
  check_cards_response(c.read_response());
  BOOST_REQUIRE(c.send(call.serialize_head() + call.body.substr(0, 20)));
  std::this_thread::sleep_for(200ms);
  server.send_signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  BOOST_CHECK(c.send(call.body.substr(20)));
  std::optional<HttpResponse> second;
  BOOST_CHECK_NO_THROW(second = c.read_response(8s));
  if (second) check_cards_response(*second);
  check_exited_zero(server, 8s);
}

BOOST_AUTO_TEST_CASE(sigterm_with_idle_keep_alive_connections_exits_zero_within_the_grace) {
  ServerConfig config;
  config.idle_timeout_ms = 60000;
  config.shutdown_grace_ms = 3000;
  ServerProcess server(config);
  std::vector<ClientConnection> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(ClientConnection::open(server.port()));
    BOOST_REQUIRE(idle.back().send(get("/healthz").serialize()));
    BOOST_REQUIRE_EQUAL(idle.back().read_response().status, 200);
  }
  server.send_signal(SIGTERM);
  check_exited_zero(server, 3000ms + 3s);
  for (auto& c : idle) BOOST_CHECK(c.wait_closed(1s));
}

BOOST_AUTO_TEST_CASE(sigterm_when_idle_exits_zero) {
  ServerProcess server;
  BOOST_REQUIRE_EQUAL(exchange(server.port(), get("/healthz")).status, 200);
  server.send_signal(SIGTERM);
  check_exited_zero(server, 8s);
  BOOST_CHECK(!ClientConnection::try_open(server.port(), 1s).has_value());
}

BOOST_AUTO_TEST_CASE(sigint_exits_zero) {
  ServerProcess server;
  BOOST_REQUIRE_EQUAL(exchange(server.port(), get("/healthz")).status, 200);
  server.send_signal(SIGINT);
  check_exited_zero(server, 8s);
}

BOOST_AUTO_TEST_CASE(a_client_that_never_finishes_its_body_does_not_hold_the_stop_past_the_grace) {
  ServerConfig config;
  config.shutdown_grace_ms = 1000;
  config.body_timeout_ms = 60000;
  ServerProcess server(config);
  const auto call =
      post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(call.serialize_head() + call.body.substr(0, 20)));
  std::this_thread::sleep_for(200ms);
  server.send_signal(SIGTERM);
  check_exited_zero(server, 1000ms + 4s);
}

BOOST_AUTO_TEST_SUITE_END()
