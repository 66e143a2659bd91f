// The route table (issue 2, items 3 and 5): unknown paths and services 404, wrong methods 405 with Allow,
// unsupported media types 415, bodies over the limit 413 — all OperationOutcomes.
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <set>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
using namespace std::chrono_literals;

namespace {

struct RoutingServer {
  ServerProcess server;  // limits.max_body_bytes 65536

  HttpResponse send(const HttpRequest& request) { return exchange(server.port(), request); }
};

HttpRequest request(std::string method, std::string target) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

/// The methods listed in an Allow header, upper case.
std::set<std::string> allowed_methods(const std::string& allow) {
  std::set<std::string> out;
  std::string current;
  for (const char c : allow + ",") {
    if (c == ',') {
      if (!current.empty()) out.insert(current);
      current.clear();
    } else if (c != ' ' && c != '\t') {
      current += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

void check_405(const HttpResponse& response, const std::set<std::string>& must_allow, const std::string& method) {
  check_operation_outcome(response, 405);
  BOOST_REQUIRE_MESSAGE(response.has_header("allow"), "405 without an Allow header");
  const auto allowed = allowed_methods(response.header("allow"));
  for (const auto& m : must_allow) {
    BOOST_CHECK_MESSAGE(allowed.count(m) == 1, "Allow \"" << response.header("allow") << "\" lacks " << m);
  }
  BOOST_CHECK_MESSAGE(allowed.count(method) == 0, "Allow \"" << response.header("allow") << "\" lists " << method);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(routing, RoutingServer)

BOOST_AUTO_TEST_CASE(unknown_service_id_is_404) {
  check_operation_outcome(send(post_json("/cds-services/nope", read_fixture("requests/patient-view-empty-chart.json"))),
                          404);
}

BOOST_AUTO_TEST_CASE(feedback_for_an_unknown_service_is_404) {
  check_operation_outcome(send(post_json("/cds-services/nope/feedback", R"({"feedback":[]})")), 404);
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404) {
  check_operation_outcome(send(get("/nope")), 404);
  check_operation_outcome(send(get("/cds-services/nmosd-patient-view/feedback/extra")), 404);
  check_operation_outcome(send(get("/")), 404);
}

BOOST_AUTO_TEST_CASE(discovery_with_a_query_string_is_still_discovery) {
  const auto response = send(get("/cds-services?client=sandbox"));
  BOOST_CHECK_EQUAL(response.status, 200);
  BOOST_CHECK(parse_json(response.body).HasMember("services"));
}

BOOST_AUTO_TEST_CASE(delete_on_discovery_is_405_allowing_get_and_options) {
  check_405(send(request("DELETE", "/cds-services")), {"GET", "OPTIONS"}, "DELETE");
}

BOOST_AUTO_TEST_CASE(get_on_a_service_is_405_allowing_post_and_options) {
  check_405(send(get("/cds-services/nmosd-patient-view")), {"POST", "OPTIONS"}, "GET");
}

BOOST_AUTO_TEST_CASE(get_on_feedback_is_405_allowing_post_and_options) {
  check_405(send(get("/cds-services/nmosd-order-sign/feedback")), {"POST", "OPTIONS"}, "GET");
}

BOOST_AUTO_TEST_CASE(put_on_healthz_is_405_allowing_get) {
  check_405(send(request("PUT", "/healthz")), {"GET"}, "PUT");
}

BOOST_AUTO_TEST_CASE(post_with_text_plain_is_415) {
  auto r = post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  r.headers = {{"Content-Type", "text/plain"}};
  check_operation_outcome(send(r), 415);
}

BOOST_AUTO_TEST_CASE(post_without_content_type_is_415) {
  auto r = post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  r.headers.clear();
  check_operation_outcome(send(r), 415);
}

BOOST_AUTO_TEST_CASE(feedback_with_text_plain_is_415) {
  auto r = post_json("/cds-services/nmosd-patient-view/feedback", R"({"feedback":[]})");
  r.headers = {{"Content-Type", "text/plain"}};
  check_operation_outcome(send(r), 415);
}

BOOST_AUTO_TEST_CASE(body_over_max_body_bytes_is_413) {
  const auto r = post_json("/cds-services/nmosd-patient-view", std::string(70000, 'x'));
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(r.serialize_head()));
  // The server may answer as soon as it sees Content-Length; otherwise it reads the body and then answers.
  if (!c.readable(1s)) c.send(r.body);  // a reset here is allowed: the answer is read next
  check_operation_outcome(c.read_response(), 413);
}

BOOST_AUTO_TEST_CASE(chunked_body_over_max_body_bytes_is_413) {
  auto r = post_json("/cds-services/nmosd-patient-view", "");
  r.add_content_length = false;
  r.headers.emplace_back("Transfer-Encoding", "chunked");
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(r.serialize_head()));
  // 8 KiB chunks until the server answers or stops reading; 80 KiB in all against a 64 KiB limit.
  const std::string chunk = "2000\r\n" + std::string(8192, 'x') + "\r\n";
  for (int i = 0; i < 10 && !c.readable(50ms); ++i) {
    if (!c.send(chunk)) break;
  }
  if (!c.readable(0ms)) c.send("0\r\n\r\n");
  check_operation_outcome(c.read_response(), 413);
}

BOOST_AUTO_TEST_CASE(server_still_serves_after_a_413) {
  {
    const auto r = post_json("/cds-services/nmosd-patient-view", std::string(70000, 'x'));
    auto c = ClientConnection::open(server.port());
    c.send(r.serialize());
    c.try_read_response(5s);
  }
  check_cards_response(
      send(post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"))));
}

BOOST_AUTO_TEST_CASE(body_just_under_max_body_bytes_is_not_413) {
  // 65000 bytes of valid JSON: the limit is on size alone; the padding is an unknown member.
  auto body = read_fixture("requests/patient-view-empty-chart.json");
  const std::string pad = "\"padding\":\"" + std::string(65000 - body.size() - 14, 'x') + "\",";
  body.insert(body.find('{') + 1, pad);
  BOOST_REQUIRE_LT(body.size(), 65536u);
  check_cards_response(send(post_json("/cds-services/nmosd-patient-view", body)));
}

BOOST_AUTO_TEST_SUITE_END()
