// Issue 6: feedback is stored before the 200, so a kill -9 right after it loses nothing, in both stores; the
// rule is read from the card uuid; repeats after a restart are idempotent; `nmo-cds feedback-report` shows it.
#include <signal.h>

#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"
#include "tests/support/postgres_server.hpp"

using namespace nmo::test;

namespace {

// Calls order-select with the azathioprine story; the uuid of its NMOSD-03 card.
std::string issue_card(const ServerProcess& server) {
  const auto response = exchange(server.port(), post_json("/cds-services/nmosd-order-select",
                                                          read_fixture("stories/aqp4_positive_azathioprine_drafted.json")));
  BOOST_REQUIRE_EQUAL(response.status, 200);
  const auto doc = parse_json(response.body);
  BOOST_REQUIRE(doc["cards"].Size() >= 1u);
  BOOST_REQUIRE(std::string(doc["cards"][0]["source"]["topic"]["code"].GetString()) == "NMOSD-03");
  return doc["cards"][0]["uuid"].GetString();
}

std::string override_feedback(const std::string& card) {
  return R"({"feedback":[{"card":")" + card + R"J(","outcome":"overridden",
    "overrideReason":{"reason":{"system":"https://nmo-cds.example.org/CodeSystem/override-reason","code":"access",
    "display":"Newer agent not accessible (coverage or supply)"},"userComment":"not covered"},
    "outcomeTimestamp":"2026-11-24T10:00:00Z"}]})J";
}

// Issue a card on one server, post its feedback, SIGKILL the server at once; start another on the same store,
// post the same feedback again (idempotent), and read the report.
void check_survives_kill(const std::vector<std::string>& env) {
  TempDir dir;
  std::string card;
  {
    ServerProcess first(ServerConfig{}, env);
    card = issue_card(first);
    const auto response =
        exchange(first.port(), post_json("/cds-services/nmosd-order-select/feedback", override_feedback(card)));
    BOOST_REQUIRE_EQUAL(response.status, 200);
    first.send_signal(SIGKILL);
    const auto status = first.wait_exit(std::chrono::seconds(10));
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(WIFSIGNALED(*status));
  }
  {
    ServerProcess second(ServerConfig{}, env);  // another replica, as far as the store is concerned
    const auto response =
        exchange(second.port(), post_json("/cds-services/nmosd-order-select/feedback", override_feedback(card)));
    BOOST_CHECK_EQUAL(response.status, 200);
    BOOST_TEST(second.wait_for_output("NMOSD-03"));  // the feedback line names the rule
  }
  const std::string config = dir.write("service.json", ServerConfig{}.to_json());
  const auto report = run_command({"feedback-report", "--config", config}, env);
  BOOST_TEST_MESSAGE(report.out << report.err);
  BOOST_REQUIRE(report.exited_with(0));
  BOOST_TEST(report.out.find("1 entries") != std::string::npos);
  BOOST_TEST(report.out.find("NMOSD-03          1         0           1        0.0%    100.0%") != std::string::npos);
  BOOST_TEST(report.out.find("1  access (Newer agent not accessible (coverage or supply))") != std::string::npos);
  BOOST_TEST(report.out.find("not covered") == std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feedback_durability)

BOOST_AUTO_TEST_CASE(sqlite_feedback_survives_kill_9_and_restart) {
  TempDir store;
  check_survives_kill({"NMO_FEEDBACK_STORE=sqlite", "NMO_FEEDBACK_SQLITE_PATH=" + store.path() + "/feedback.db"});
}

BOOST_AUTO_TEST_CASE(postgres_feedback_survives_kill_9_and_restart) {
  PostgresServer* pg = shared_postgres();
  if (pg == nullptr) {
    BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin); "
                       "install Debian's postgresql package, or set CI=true to make this a failure");
    return;
  }
  const std::string url = pg->create_database("durability_test");
  check_survives_kill({"NMO_FEEDBACK_STORE=postgres", "NMO_FEEDBACK_POSTGRES_URL=" + url});
}

BOOST_AUTO_TEST_CASE(an_unreachable_store_refuses_to_start_without_naming_the_password) {
  TempDir dir;
  const std::string config = dir.write("service.json", ServerConfig{}.to_json());
  const auto result = run_command({"feedback-report", "--config", config},
                                  {"NMO_FEEDBACK_STORE=postgres",
                                   "NMO_FEEDBACK_POSTGRES_URL=postgresql://nmo:s3cret@127.0.0.1:1/nmo"});
  BOOST_TEST(result.exited_with(1));
  BOOST_TEST(result.err.find("127.0.0.1") != std::string::npos);
  BOOST_TEST(result.err.find("s3cret") == std::string::npos);
  BOOST_TEST(result.out.find("s3cret") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
