// Issue 10 against the real binary: the log line of a refused call (400, 412) names its hookInstance, so that a
// client's report of a failed call can be found in the service's log.
#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

constexpr const char* kInstance = "65f9e6ab-a0bc-4337-8b1c-708557ff8f57";

// The log line of the answer with `status`, or "" when none was written in time.
std::string log_line(const ServerProcess& server, int status) {
  const std::string mark = "\"status\":" + std::to_string(status);
  if (!server.wait_for_output(mark)) return "";
  const std::string out = server.output();
  const auto at = out.find(mark);
  const auto begin = out.rfind('\n', at);
  return out.substr(begin == std::string::npos ? 0 : begin + 1, out.find('\n', at) - (begin + 1));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_path_safety)

BOOST_AUTO_TEST_CASE(the_log_line_of_a_400_carries_the_hook_instance) {
  ServerProcess server;
  const std::string body = edit_json(read_fixture("stories/aqp4_positive_untreated.json"),
                                     [](rapidjson::Document& doc) { doc["context"].RemoveMember("patientId"); });
  const auto response = exchange(server.port(), post_json("/cds-services/nmosd-patient-view", body));
  check_operation_outcome(response, 400, "context.patientId");
  const std::string line = log_line(server, 400);
  BOOST_TEST(line.find(std::string("\"hookInstance\":\"") + kInstance + "\"") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(the_log_line_of_a_412_carries_the_hook_instance) {
  ServerProcess server;
  const std::string body =
      edit_json(read_fixture("stories/aqp4_positive_untreated.json"), [](rapidjson::Document& doc) {
        doc.RemoveMember("prefetch");
        doc.RemoveMember("fhirServer");
        doc.RemoveMember("fhirAuthorization");
      });
  const auto response = exchange(server.port(), post_json("/cds-services/nmosd-patient-view", body));
  check_operation_outcome(response, 412, "prefetch");
  const std::string line = log_line(server, 412);
  BOOST_TEST(line.find(std::string("\"hookInstance\":\"") + kInstance + "\"") != std::string::npos, line);
}

BOOST_AUTO_TEST_SUITE_END()
