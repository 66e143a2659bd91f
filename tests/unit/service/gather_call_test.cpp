#include "service/hook_call.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <future>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "service/fetch/fhir_client.hpp"
#include "service/fetch/gather.hpp"
#include "service/services.hpp"
#include "tests/unit/service/fetch/fake_fhir_server.hpp"

using namespace nmo::service;
using nmo::service::fetch::fhir_server_allowed;
using nmo::fhir::ProblemKind;
using nmo::test::condition_bundle;
using nmo::test::FakeFhirServer;
using nmo::test::FakeReply;
using nmo::test::FakeRequest;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "s3cr3t-access-token-7f1e";

// A patient-view request without prefetch, pointing at `server` with a bearer token.
std::string request_without_prefetch(const std::string& server) {
  return R"({"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","fhirServer":")" + server +
         R"(","fhirAuthorization":{"access_token":")" + kToken +
         R"(","token_type":"Bearer","expires_in":300,"scope":"user/*.read","subject":"cds"},)" +
         R"("context":{"userId":"Practitioner/1","patientId":"pat"}})";
}

struct Fixture {
  Runtime runtime;
  explicit Fixture(std::vector<std::string> allowed = {}) {
    runtime.config.fhir.allowed_servers = std::move(allowed);
    runtime.config.fhir.request_deadline_ms = 2000;
    runtime.config.fhir.call_timeout_ms = 2000;
    runtime.fhir_client = std::make_shared<fetch::FhirClient>(fetch::fhir_client_options(runtime.config));
  }
  nmo::fhir::Result<PendingCall> run(const std::string& body) {
    auto call = begin_hook(*find_service("nmosd-patient-view"), body, runtime, 1700000000);
    BOOST_REQUIRE(call.ok());
    std::promise<nmo::fhir::Result<PendingCall>> promise;
    auto future = promise.get_future();
    gather_call(std::move(*call), runtime, [&promise](nmo::fhir::Result<PendingCall> r) { promise.set_value(std::move(r)); });
    BOOST_REQUIRE(future.wait_for(30s) == std::future_status::ready);
    return future.get();
  }
};

FakeReply reply(std::string body, int status = 200) {
  FakeReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

const std::string kEmpty = R"({"resourceType":"Bundle","type":"searchset"})";

// A chart server: conditions answered, every other search empty, the Patient read answered.
FakeReply chart(const FakeRequest& r) {
  if (r.target.rfind("/fhir/Patient/pat", 0) == 0) {
    return reply(R"({"resourceType":"Patient","id":"pat","gender":"female","birthDate":"1980-01-01"})");
  }
  if (r.target.rfind("/fhir/Condition?", 0) == 0) return reply(condition_bundle(2, "c"));
  return reply(kEmpty);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gather_prefetch)

BOOST_AUTO_TEST_CASE(allowlist_matches_scheme_host_port_and_path_ignoring_a_trailing_slash) {
  const std::vector<std::string> allowed{"https://fhir.example.org/r4/", "http://127.0.0.1:9000/fhir"};
  BOOST_TEST(fhir_server_allowed("https://FHIR.example.org/r4", allowed));
  BOOST_TEST(fhir_server_allowed("https://fhir.example.org:443/r4/", allowed));
  BOOST_TEST(fhir_server_allowed("http://127.0.0.1:9000/fhir", allowed));
  BOOST_TEST(!fhir_server_allowed("https://fhir.example.org/r4/other", allowed));
  BOOST_TEST(!fhir_server_allowed("https://fhir.example.org.evil.test/r4", allowed));
  BOOST_TEST(!fhir_server_allowed("http://127.0.0.1:9001/fhir", allowed));
  BOOST_TEST(!fhir_server_allowed("https://fhir.example.org/r4", {}));
}

BOOST_AUTO_TEST_CASE(every_missing_key_is_fetched_with_the_rendered_prefetch_query) {
  FakeFhirServer server(chart);
  Fixture f({server.base() + "/fhir"});
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.problem().message));
  BOOST_TEST(result->missing.empty());
  BOOST_TEST(result->record.conditions.size() == 2u);
  std::vector<std::string> targets;
  for (const auto& r : server.requests()) targets.push_back(r.target);
  std::sort(targets.begin(), targets.end());
  const std::vector<std::string> expected{"/fhir/Condition?patient=pat", "/fhir/Immunization?patient=pat",
                                          "/fhir/MedicationRequest?patient=pat",
                                          "/fhir/Observation?patient=pat&category=laboratory", "/fhir/Patient/pat",
                                          "/fhir/Procedure?patient=pat"};
  BOOST_TEST(targets == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_server_not_on_the_allowlist_is_never_contacted) {
  FakeFhirServer server(chart);
  Fixture f({"https://fhir.example.org/r4"});
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(static_cast<int>(result.problem().kind) == static_cast<int>(ProblemKind::missing_data));
  BOOST_TEST(result.problem().message.find("allowlist") != std::string::npos);
  BOOST_TEST(server.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(an_empty_allowlist_fetches_nothing) {
  FakeFhirServer server(chart);
  Fixture f;
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(static_cast<int>(result.problem().kind) == static_cast<int>(ProblemKind::missing_data));
  BOOST_TEST(server.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(a_rejected_token_gives_upstream_failure_that_never_repeats_the_token) {
  FakeFhirServer server([](const FakeRequest& r) {
    // A careless server that echoes the credentials it was given.
    return reply(R"({"resourceType":"OperationOutcome","issue":[{"diagnostics":"bad token )" + r.authorization + "\"}]}",
                 401);
  });
  Fixture f({server.base() + "/fhir"});
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(static_cast<int>(result.problem().kind) == static_cast<int>(ProblemKind::upstream));
  BOOST_TEST(result.problem().message.find("401") != std::string::npos);
  BOOST_TEST(result.problem().message.find(kToken) == std::string::npos);
  BOOST_TEST(result.problem().detail.find(kToken) == std::string::npos);
  BOOST_TEST(server.requests().at(0).authorization == std::string("Bearer ") + kToken);
}

BOOST_AUTO_TEST_CASE(one_deadline_bounds_the_whole_gather_when_the_server_stalls) {
  FakeFhirServer server([](const FakeRequest&) {
    FakeReply r = reply(kEmpty);
    r.delay = 10s;
    return r;
  });
  Fixture f({server.base() + "/fhir"});
  f.runtime.config.fhir.request_deadline_ms = 200;
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(static_cast<int>(result.problem().kind) == static_cast<int>(ProblemKind::upstream));
  BOOST_TEST(result.problem().message.find("in time") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_fetched_data_is_an_upstream_failure_naming_its_path) {
  FakeFhirServer server([](const FakeRequest& r) {
    if (r.target.rfind("/fhir/Condition?", 0) == 0) {
      return reply(R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","code":42}}]})");
    }
    return chart(r);
  });
  Fixture f({server.base() + "/fhir"});
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(static_cast<int>(result.problem().kind) == static_cast<int>(ProblemKind::upstream));
  BOOST_TEST(result.problem().path.rfind("fetched.conditions", 0) == 0u);
}

// DSTU2 (the public sandbox's default server) has MedicationOrder, not MedicationRequest.
BOOST_AUTO_TEST_CASE(a_server_without_medication_request_is_asked_for_dstu2_medication_orders) {
  FakeFhirServer server([](const FakeRequest& r) {
    if (r.target.rfind("/fhir/MedicationRequest?", 0) == 0) {
      return reply(R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported"}]})",
                   404);
    }
    if (r.target == "/fhir/MedicationOrder?patient=pat") {
      return reply(R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"MedicationOrder",
        "id":"mo1","status":"active","patient":{"reference":"Patient/pat"},"dateWritten":"2020-01-01",
        "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1256"}]}}}]})");
    }
    return chart(r);
  });
  Fixture f({server.base() + "/fhir"});
  auto result = f.run(request_without_prefetch(server.base() + "/fhir"));
  BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.problem().message));
  BOOST_TEST(result->record.medications.size() == 1u);
}

BOOST_AUTO_TEST_CASE(prefetched_keys_are_not_fetched_again) {
  FakeFhirServer server(chart);
  Fixture f({server.base() + "/fhir"});
  std::string body = request_without_prefetch(server.base() + "/fhir");
  body.insert(body.size() - 1, R"(,"prefetch":{"conditions":null,"medications":{"resourceType":"OperationOutcome"}})");
  auto result = f.run(body);
  BOOST_REQUIRE(result.ok());
  bool conditions = false, medications = false;
  for (const auto& r : server.requests()) {
    conditions = conditions || r.target.find("Condition?") != std::string::npos;
    medications = medications || r.target.find("MedicationRequest?") != std::string::npos;
  }
  BOOST_TEST(!conditions);    // null: the client looked, there is nothing
  BOOST_TEST(medications);    // OperationOutcome: the client's fetch failed, so fetch it
  BOOST_TEST(server.requests().size() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
