// CDS Hooks 2.0 §Discovery and the health endpoints (issue 2, items 5 and 6).
#include <boost/test/unit_test.hpp>
#include <map>
#include <regex>
#include <set>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

struct DiscoveryServer {
  ServerProcess server;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(discovery, DiscoveryServer)

BOOST_AUTO_TEST_CASE(healthz_answers_200_json) {
  const auto response = exchange(server.port(), get("/healthz"));
  BOOST_CHECK_EQUAL(response.status, 200);
  BOOST_CHECK(response.header("content-type").find("application/json") != std::string::npos);
  BOOST_CHECK(parse_json(response.body).IsObject());
}

BOOST_AUTO_TEST_CASE(readyz_answers_200_json) {
  const auto response = exchange(server.port(), get("/readyz"));
  BOOST_CHECK_EQUAL(response.status, 200);
  BOOST_CHECK(response.header("content-type").find("application/json") != std::string::npos);
  BOOST_CHECK(parse_json(response.body).IsObject());
}

BOOST_AUTO_TEST_CASE(discovery_lists_exactly_the_three_nmosd_services_with_their_hooks) {
  const auto response = exchange(server.port(), get("/cds-services"));
  BOOST_REQUIRE_EQUAL(response.status, 200);
  BOOST_CHECK(response.header("content-type").find("application/json") != std::string::npos);
  const auto doc = parse_json(response.body);
  BOOST_REQUIRE(doc.IsObject() && doc.HasMember("services") && doc["services"].IsArray());
  std::map<std::string, std::string> hooks;
  for (const auto& s : doc["services"].GetArray()) {
    BOOST_REQUIRE(s.IsObject() && s.HasMember("id") && s["id"].IsString());
    BOOST_REQUIRE(s.HasMember("hook") && s["hook"].IsString());
    BOOST_CHECK_MESSAGE(hooks.emplace(s["id"].GetString(), s["hook"].GetString()).second,
                        "service id listed twice: " << s["id"].GetString());
  }
  const std::map<std::string, std::string> expected{{"nmosd-patient-view", "patient-view"},
                                                    {"nmosd-order-select", "order-select"},
                                                    {"nmosd-order-sign", "order-sign"}};
  BOOST_CHECK(hooks == expected);
}

BOOST_AUTO_TEST_CASE(discovery_services_have_title_description_and_prefetch) {
  const auto doc = parse_json(exchange(server.port(), get("/cds-services")).body);
  BOOST_REQUIRE(doc.HasMember("services") && doc["services"].IsArray() && !doc["services"].Empty());
  for (const auto& s : doc["services"].GetArray()) {
    BOOST_TEST_CONTEXT("service " << to_json(s)) {
      BOOST_CHECK(s.HasMember("title") && s["title"].IsString() && s["title"].GetStringLength() > 0);
      BOOST_CHECK(s.HasMember("description") && s["description"].IsString() && s["description"].GetStringLength() > 0);
      BOOST_REQUIRE(s.HasMember("prefetch") && s["prefetch"].IsObject() && s["prefetch"].MemberCount() > 0);
      for (const auto& m : s["prefetch"].GetObject()) BOOST_CHECK(m.value.IsString());
    }
  }
}

// CDS Hooks 2.0 §Prefetch tokens: only root-level primitive context fields and the user tokens;
// "{{context.draftOrders...}}" is 3.0-ballot only; userId is already Type/id (cds-hooks/docs#410, #520).
BOOST_AUTO_TEST_CASE(discovery_prefetch_templates_use_only_root_level_2_0_tokens) {
  const auto doc = parse_json(exchange(server.port(), get("/cds-services")).body);
  BOOST_REQUIRE(doc.HasMember("services") && doc["services"].IsArray());
  const std::set<std::string> allowed{"context.patientId",  "context.userId",         "context.encounterId",
                                      "userPractitionerId", "userPractitionerRoleId", "userPatientId",
                                      "userRelatedPersonId"};
  const std::regex token(R"(\{\{\s*([^}]*?)\s*\}\})");
  for (const auto& s : doc["services"].GetArray()) {
    if (!s.HasMember("prefetch") || !s["prefetch"].IsObject()) continue;
    for (const auto& m : s["prefetch"].GetObject()) {
      if (!m.value.IsString()) continue;
      const std::string tmpl = m.value.GetString();
      BOOST_TEST_CONTEXT(m.name.GetString() << ": " << tmpl) {
        BOOST_CHECK(tmpl.find("{{context.draftOrders") == std::string::npos);
        BOOST_CHECK(tmpl.find("Practitioner/{{context.userId}}") == std::string::npos);
        for (std::sregex_iterator it(tmpl.begin(), tmpl.end(), token), end; it != end; ++it) {
          BOOST_CHECK_MESSAGE(allowed.count((*it)[1].str()) == 1, "token not allowed in 2.0: " << (*it)[0].str());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(discovery_prefetch_keys_are_the_ones_the_fixtures_provide) {
  // The fixtures provide these keys so that no FHIR fetch is needed; a new key would make them incomplete.
  const std::set<std::string> provided{"patient",      "conditions",    "medications",
                                       "observations", "immunizations", "procedures"};
  const auto doc = parse_json(exchange(server.port(), get("/cds-services")).body);
  BOOST_REQUIRE(doc.HasMember("services") && doc["services"].IsArray());
  for (const auto& s : doc["services"].GetArray()) {
    if (!s.HasMember("prefetch") || !s["prefetch"].IsObject()) continue;
    for (const auto& m : s["prefetch"].GetObject()) {
      BOOST_CHECK_MESSAGE(provided.count(m.name.GetString()) == 1,
                          "prefetch key not in the fixtures: " << m.name.GetString());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
