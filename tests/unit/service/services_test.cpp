#include "service/services.hpp"

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "fhir/prefetch.hpp"
#include "service/hook_call.hpp"

BOOST_AUTO_TEST_SUITE(services)

BOOST_AUTO_TEST_CASE(discovery_lists_the_three_services_with_their_hooks) {
  rapidjson::Document d;
  d.Parse(nmo::service::discovery_json().c_str());
  BOOST_REQUIRE(!d.HasParseError());
  const auto& list = d["services"];
  BOOST_REQUIRE(list.IsArray());
  BOOST_REQUIRE(list.Size() == 3u);
  BOOST_TEST(std::string(list[0]["id"].GetString()) == "nmosd-patient-view");
  BOOST_TEST(std::string(list[0]["hook"].GetString()) == "patient-view");
  BOOST_TEST(std::string(list[1]["hook"].GetString()) == "order-select");
  BOOST_TEST(std::string(list[2]["hook"].GetString()) == "order-sign");
  for (const auto& s : list.GetArray()) {
    BOOST_TEST(s["description"].GetStringLength() > 0u);
    BOOST_TEST(s["title"].GetStringLength() > 0u);
  }
}

BOOST_AUTO_TEST_CASE(every_prefetch_template_obeys_the_2_0_token_rules) {
  for (const auto& s : nmo::service::services()) {
    BOOST_TEST(!s.prefetch.empty());
    for (const auto& [key, tmpl] : s.prefetch) {
      BOOST_TEST_CONTEXT(s.id << " " << key) {
        BOOST_TEST(nmo::fhir::prefetch_template_valid(tmpl));
        BOOST_TEST(tmpl.find("Practitioner/{{context.userId}}") == std::string::npos);
        BOOST_TEST(tmpl.find("{{context.draftOrders") == std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(lookup_by_id_and_hook) {
  BOOST_TEST(nmo::service::find_service("nmosd-order-sign")->hook_name == "order-sign");
  BOOST_TEST(nmo::service::find_service("nope") == nullptr);
  BOOST_TEST(nmo::service::find_service_by_hook("order-select")->id == "nmosd-order-select");
}

BOOST_AUTO_TEST_CASE(uuid_shape_is_checked) {
  BOOST_TEST(nmo::service::is_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"));
  BOOST_TEST(nmo::service::is_uuid("D1577C69-DFBE-44AD-BA6D-3E05E953B2EA"));
  BOOST_TEST(!nmo::service::is_uuid("d1577c69dfbe44adba6d3e05e953b2ea"));
  BOOST_TEST(!nmo::service::is_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2eg"));
  BOOST_TEST(!nmo::service::is_uuid(""));
}

BOOST_AUTO_TEST_SUITE_END()
