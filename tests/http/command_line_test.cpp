// The command line and start-up configuration (issue 2, item 8): --help, check-config, evaluate, and serve
// refusing a bad configuration with a message naming the key; NMO_* environment overrides.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
using namespace std::chrono_literals;

namespace {

std::string both(const CommandResult& r) { return "stdout:\n" + r.out + "\nstderr:\n" + r.err; }

/// A valid test configuration with `key_json` (`"name":value`) spliced into the top-level object.
std::string config_with(const std::string& key_json) {
  std::string json = ServerConfig{}.to_json();
  json.insert(1, key_json + ",");
  return json;
}

std::string config_with_limit(const std::string& limit_json) {
  std::string json = ServerConfig{}.to_json();
  json.insert(json.find("\"limits\":{") + 10, limit_json + ",");
  return json;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(help_lists_the_commands_and_exits_zero) {
  const auto r = run_command({"--help"});
  BOOST_TEST_CONTEXT(both(r)) {
    BOOST_CHECK(r.exited_with(0));
    const std::string text = r.out + r.err;
    for (const char* command : {"serve", "check-config", "evaluate"}) {
      BOOST_CHECK_MESSAGE(text.find(command) != std::string::npos, "--help does not mention " << command);
    }
  }
}

BOOST_AUTO_TEST_CASE(check_config_accepts_the_test_configuration) {
  TempDir dir;
  const auto r = run_command({"check-config", dir.write("service.json", ServerConfig{}.to_json())});
  BOOST_TEST_CONTEXT(both(r)) { BOOST_CHECK(r.exited_with(0)); }
}

BOOST_AUTO_TEST_CASE(check_config_accepts_the_bundled_service_json) {
  const auto r = run_command({"check-config", source_dir() + "/config/service.json"});
  BOOST_TEST_CONTEXT(both(r)) { BOOST_CHECK(r.exited_with(0)); }
}

BOOST_AUTO_TEST_CASE(check_config_rejects_an_unknown_key_naming_it) {
  TempDir dir;
  const auto r = run_command({"check-config", dir.write("service.json", config_with_limit("\"max_bodybytes\":5"))});
  BOOST_TEST_CONTEXT(both(r)) {
    BOOST_CHECK(!r.timed_out && !r.exited_with(0));
    BOOST_CHECK((r.out + r.err).find("max_bodybytes") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(check_config_rejects_a_wrong_type_naming_the_key) {
  TempDir dir;
  std::string json = config_with("\"shutdown_grace_ms\":\"soon\"");
  json.erase(json.rfind(",\"shutdown_grace_ms\":5000"), std::string(",\"shutdown_grace_ms\":5000").size());
  const auto r = run_command({"check-config", dir.write("service.json", json)});
  BOOST_TEST_CONTEXT(both(r) << "\nconfig: " << json) {
    BOOST_CHECK(!r.timed_out && !r.exited_with(0));
    BOOST_CHECK((r.out + r.err).find("shutdown_grace_ms") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(serve_refuses_to_start_on_an_unknown_key_and_names_it) {
  TempDir dir;
  const auto r = run_command({"serve", "--config", dir.write("service.json", config_with("\"lissen\":{}"))}, {}, 10s);
  BOOST_TEST_CONTEXT(both(r)) {
    BOOST_CHECK(!r.timed_out && !r.exited_with(0));
    BOOST_CHECK((r.out + r.err).find("lissen") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(serve_refuses_an_unknown_nmo_environment_variable_and_names_it) {
  TempDir dir;
  const auto r = run_command({"serve", "--config", dir.write("service.json", ServerConfig{}.to_json())},
                             {"NMO_LIMITS_MAX_BODYBYTES=5"}, 10s);
  BOOST_TEST_CONTEXT(both(r)) {
    BOOST_CHECK(!r.timed_out && !r.exited_with(0));
    BOOST_CHECK((r.out + r.err).find("NMO_LIMITS_MAX_BODYBYTES") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(an_environment_override_changes_the_body_limit) {
  ServerProcess server({}, {"NMO_LIMITS_MAX_BODY_BYTES=2048"});  // the file says 65536
  auto body = read_fixture("requests/patient-view-empty-chart.json");
  body.insert(body.find('{') + 1, "\"padding\":\"" + std::string(4000, 'x') + "\",");
  const auto r = post_json("/cds-services/nmosd-patient-view", body);
  auto c = ClientConnection::open(server.port());
  c.send(r.serialize_head());
  if (!c.readable(1s)) c.send(r.body);
  check_operation_outcome(c.read_response(), 413);
}

BOOST_AUTO_TEST_CASE(evaluate_prints_the_response_for_a_request_file) {
  const auto r = run_command({"evaluate", std::string(NMO_FIXTURES_DIR) + "/requests/patient-view-empty-chart.json",
                              "--config", source_dir() + "/config/service.json"});
  BOOST_TEST_CONTEXT(both(r)) {
    BOOST_REQUIRE(r.exited_with(0));
    BOOST_CHECK(parse_json(r.out) == parse_json(R"({"cards":[]})"));
  }
}

BOOST_AUTO_TEST_CASE(evaluate_of_an_invalid_request_fails_naming_the_path) {
  TempDir dir;
  const auto file =
      dir.write("bad.json", edit_json(read_fixture("requests/patient-view-empty-chart.json"),
                                      [](rapidjson::Document& d) { d["context"].RemoveMember("userId"); }));
  const auto r = run_command({"evaluate", file, "--config", source_dir() + "/config/service.json"});
  BOOST_TEST_CONTEXT(both(r)) {
    BOOST_CHECK(!r.timed_out && !r.exited_with(0));
    BOOST_CHECK((r.out + r.err).find("context.userId") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
