// Quieting through the real binary (issue 13): a card overridden on the feedback endpoint with a quieting reason
// is not shown at the next chart opening of that patient; a dismiss without a reason quiets nothing.
#include <boost/test/unit_test.hpp>

#include <thread>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

struct QuietServer {
  ServerProcess server;

  HttpResponse post(const std::string& target, const std::string& body) {
    return exchange(server.port(), post_json(target, body));
  }
  // The story, opened again under another hookInstance.
  HttpResponse open_chart(const std::string& story, int n) {
    std::string body = read_fixture("stories/" + story + ".json");
    const std::string key = "\"hookInstance\": \"";
    const auto at = body.find(key);
    BOOST_REQUIRE(at != std::string::npos);
    char instance[37];
    std::snprintf(instance, sizeof instance, "6a1b7c3d-0000-4e5f-8a9b-%012d", n);
    body.replace(at + key.size(), 36, instance);
    const HttpResponse r = post("/cds-services/nmosd-patient-view", body);
    BOOST_REQUIRE_EQUAL(r.status, 200);
    return r;
  }
  void feedback(const std::string& card, const std::string& reason) {
    const std::string override_reason =
        reason.empty() ? ""
                       : R"(,"overrideReason":{"reason":{"system":"https://nmo-cds.example.org/CodeSystem/override-reason",)"
                         R"("code":")" + reason + R"("}})";
    const HttpResponse r = post("/cds-services/nmosd-patient-view/feedback",
                                R"({"feedback":[{"card":")" + card + R"(","outcome":"overridden")" + override_reason +
                                    R"(,"outcomeTimestamp":"2026-11-30T10:00:00Z"}]})");
    BOOST_REQUIRE_EQUAL(r.status, 200);
  }
};

std::string first_uuid(const std::string& body) {
  const auto at = body.find("\"uuid\":\"");
  BOOST_REQUIRE(at != std::string::npos);
  return body.substr(at + 8, 36);
}

// Opens the chart until it is quiet (the replica reads the override back in the background, at once after
// feedback): true when it became quiet before the deadline.
bool becomes_quiet(QuietServer& s, const std::string& story, int& n) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (s.open_chart(story, ++n).body == R"({"cards":[]})") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(quiet, QuietServer)

BOOST_AUTO_TEST_CASE(an_override_with_stable_remission_quiets_the_card_at_the_next_chart_opening) {
  int n = 0;
  const HttpResponse first = open_chart("aqp4_positive_on_azathioprine", ++n);
  BOOST_REQUIRE(first.body.find("NMOSD-03") != std::string::npos);
  feedback(first_uuid(first.body), "stable-remission");
  BOOST_TEST(becomes_quiet(*this, "aqp4_positive_on_azathioprine", n));
  BOOST_TEST(server.wait_for_output(R"("quieted":"NMOSD-03")"));  // the request log line names what was quieted
  BOOST_TEST(exchange(server.admin_port(), [] {
               HttpRequest r;
               r.target = "/metrics";
               return r;
             }())
                 .body.find("nmo_cards_quieted_total{rule=\"NMOSD-03\"}") != std::string::npos);
  // Only that rule on those facts: the same patient's other chart still has its cards.
  BOOST_TEST(open_chart("seronegative_on_mycophenolate", ++n).body != R"({"cards":[]})");
}

BOOST_AUTO_TEST_CASE(a_dismiss_without_a_reason_quiets_nothing) {
  int n = 0;
  const HttpResponse first = open_chart("aqp4_positive_on_azathioprine", ++n);
  feedback(first_uuid(first.body), "");
  // Feedback of this replica is read back at once; a later override shows that reading happened.
  const HttpResponse second = open_chart("aqp4_positive_on_azathioprine", ++n);
  BOOST_TEST(second.body.find("NMOSD-03") != std::string::npos);
  const HttpResponse other = open_chart("aqp4_positive_untreated", ++n);
  feedback(first_uuid(other.body), "patient-preference");
  BOOST_REQUIRE(becomes_quiet(*this, "aqp4_positive_untreated", n));
  BOOST_TEST(open_chart("aqp4_positive_on_azathioprine", ++n).body.find("NMOSD-03") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
