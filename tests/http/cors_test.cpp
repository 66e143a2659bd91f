// CORS (issue 2, item 5): headers on every response, errors included; preflight answered without
// authentication; Chrome's private-network preflight. CDS Hooks 2.0 §Security: the sandbox's reference services
// send "Access-Control-Allow-Origin: *", "...-Methods: GET, POST, OPTIONS", "...-Headers: Content-Type, Authorization".
#include <boost/test/unit_test.hpp>
#include <cctype>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
using namespace std::chrono_literals;

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// True when the comma-separated header value lists `item` (any case).
bool lists(const std::string& value, const std::string& item) {
  const std::string v = upper(value);
  const std::string want = upper(item);
  std::size_t start = 0;
  for (;;) {
    const auto comma = v.find(',', start);
    std::string token = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    token.erase(0, token.find_first_not_of(" \t"));
    token.erase(token.find_last_not_of(" \t") + 1);
    if (token == want || token == "*") return true;
    if (comma == std::string::npos) return false;
    start = comma + 1;
  }
}

HttpRequest method(std::string m, std::string target) {
  HttpRequest r;
  r.method = std::move(m);
  r.target = std::move(target);
  return r;
}

HttpRequest preflight(std::string target) {
  auto r = with_origin(method("OPTIONS", std::move(target)));
  r.headers.emplace_back("Access-Control-Request-Method", "POST");
  r.headers.emplace_back("Access-Control-Request-Headers", "authorization, content-type");
  return r;
}

/// Every kind of response the server gives, each asked for from the sandbox's origin.
std::vector<std::pair<std::string, HttpResponse>> every_kind_of_response(std::uint16_t port) {
  std::vector<std::pair<std::string, HttpResponse>> out;
  auto add = [&](std::string what, const HttpRequest& r) { out.emplace_back(std::move(what), exchange(port, r)); };
  const auto pv = read_fixture("requests/patient-view-empty-chart.json");
  add("200 healthz", with_origin(get("/healthz")));
  add("200 discovery", with_origin(get("/cds-services")));
  add("200 hook call", with_origin(post_json("/cds-services/nmosd-patient-view", pv)));
  add("200 feedback", with_origin(post_json("/cds-services/nmosd-patient-view/feedback",
                                            R"({"feedback":[{"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d",
                                               "outcome":"overridden","outcomeTimestamp":"2026-11-24T10:00:00Z"}]})")));
  add("400 invalid json", with_origin(post_json("/cds-services/nmosd-patient-view", "{")));
  add("404 unknown service", with_origin(post_json("/cds-services/nope", pv)));
  add("404 unknown path", with_origin(get("/nope")));
  add("405 wrong method", with_origin(method("DELETE", "/cds-services")));
  auto text = with_origin(post_json("/cds-services/nmosd-patient-view", pv));
  text.headers = {{"Origin", std::string(kSandboxOrigin)}, {"Content-Type", "text/plain"}};
  add("415 text/plain", text);
  {
    const auto big = with_origin(post_json("/cds-services/nmosd-patient-view", std::string(70000, 'x')));
    auto c = ClientConnection::open(port);
    c.send(big.serialize_head());
    if (!c.readable(1s)) c.send(big.body);
    out.emplace_back("413 too large", c.read_response());
  }
  return out;
}

ServerConfig only_sandbox() {
  ServerConfig c;
  c.allowed_origins = {std::string(kSandboxOrigin)};
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cors)

BOOST_AUTO_TEST_CASE(every_response_and_every_error_carries_allow_origin_star) {
  ServerProcess server;
  for (const auto& [what, response] : every_kind_of_response(server.port())) {
    BOOST_TEST_CONTEXT(what << " (got " << response.status << ")") {
      BOOST_CHECK_EQUAL(response.header("access-control-allow-origin"), "*");
    }
  }
}

BOOST_AUTO_TEST_CASE(an_allowed_origin_is_echoed_with_vary_origin_on_every_response) {
  ServerProcess server(only_sandbox());
  for (const auto& [what, response] : every_kind_of_response(server.port())) {
    BOOST_TEST_CONTEXT(what << " (got " << response.status << ")") {
      BOOST_CHECK_EQUAL(response.header("access-control-allow-origin"), std::string(kSandboxOrigin));
      BOOST_CHECK_MESSAGE(lists(response.header("vary"), "Origin"), "Vary: \"" << response.header("vary") << "\"");
    }
  }
}

BOOST_AUTO_TEST_CASE(an_origin_not_allowed_gets_no_allow_origin) {
  ServerProcess server(only_sandbox());
  for (const auto& target : {"/healthz", "/cds-services", "/nope"}) {
    const auto response = exchange(server.port(), with_origin(get(target), "https://evil.example"));
    BOOST_TEST_CONTEXT(target) { BOOST_CHECK(!response.has_header("access-control-allow-origin")); }
  }
  auto pre = preflight("/cds-services/nmosd-order-sign");
  pre.headers[0].second = "https://evil.example";  // Origin is the first header
  const auto response = exchange(server.port(), pre);
  BOOST_CHECK_MESSAGE(!response.has_header("access-control-allow-origin"),
                      "preflight from a disallowed origin got Access-Control-Allow-Origin: "
                          << response.header("access-control-allow-origin"));
}

BOOST_AUTO_TEST_CASE(preflight_is_answered_without_authorization_on_every_cds_route) {
  ServerProcess server;
  for (const auto& target :
       {"/cds-services", "/cds-services/nmosd-order-sign", "/cds-services/nmosd-order-sign/feedback",
        "/cds-services/nmosd-patient-view", "/cds-services/nmosd-order-select/feedback"}) {
    const auto response = exchange(server.port(), preflight(target));
    BOOST_TEST_CONTEXT(target << " (got " << response.status << " " << response.body.substr(0, 200) << ")") {
      BOOST_CHECK(response.status == 204 || response.status == 200);
      BOOST_CHECK_EQUAL(response.header("access-control-allow-origin"), "*");
      const auto methods = response.header("access-control-allow-methods");
      for (const auto* m : {"GET", "POST", "OPTIONS"}) {
        BOOST_CHECK_MESSAGE(lists(methods, m), "Access-Control-Allow-Methods \"" << methods << "\" lacks " << m);
      }
      const auto headers = response.header("access-control-allow-headers");
      for (const auto* h : {"Authorization", "Content-Type"}) {
        BOOST_CHECK_MESSAGE(lists(headers, h), "Access-Control-Allow-Headers \"" << headers << "\" lacks " << h);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(preflight_from_an_allowed_origin_echoes_it) {
  ServerProcess server(only_sandbox());
  const auto response = exchange(server.port(), preflight("/cds-services/nmosd-order-sign"));
  BOOST_CHECK(response.status == 204 || response.status == 200);
  BOOST_CHECK_EQUAL(response.header("access-control-allow-origin"), std::string(kSandboxOrigin));
  BOOST_CHECK(lists(response.header("vary"), "Origin"));
}

BOOST_AUTO_TEST_CASE(private_network_preflight_is_allowed) {
  ServerProcess server;
  for (const auto& target :
       {"/cds-services", "/cds-services/nmosd-order-sign", "/cds-services/nmosd-order-sign/feedback"}) {
    auto r = preflight(target);
    r.headers.emplace_back("Access-Control-Request-Private-Network", "true");
    const auto response = exchange(server.port(), r);
    BOOST_TEST_CONTEXT(target << " (got " << response.status << ")") {
      BOOST_CHECK(response.status == 204 || response.status == 200);
      BOOST_CHECK_EQUAL(response.header("access-control-allow-private-network"), "true");
    }
  }
}

BOOST_AUTO_TEST_CASE(preflight_on_an_unknown_path_is_not_a_success) {
  ServerProcess server;
  const auto response = exchange(server.port(), preflight("/nope"));
  BOOST_CHECK_EQUAL(response.status, 404);
}

BOOST_AUTO_TEST_SUITE_END()
