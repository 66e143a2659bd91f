#include "config/issuers.hpp"

#include <boost/test/unit_test.hpp>

#include "config/service_config.hpp"

using nmo::config::parse_config;
using nmo::config::parse_issuers;

BOOST_AUTO_TEST_SUITE(issuers)

BOOST_AUTO_TEST_CASE(issuer_with_jwks_file_jku_allowlist_and_tenants_is_read) {
  auto list = parse_issuers(R"({"issuers":[{"iss":"https://ehr.test","jwks_file":"k.json",
      "jku":["https://ehr.test/jwks.json","http://127.0.0.1:9000/jwks"],"tenants":["t1"]}]})");
  BOOST_REQUIRE(list.ok());
  BOOST_TEST(list->at(0).iss == "https://ehr.test");
  BOOST_TEST(list->at(0).jku.size() == 2u);
  BOOST_TEST(list->at(0).tenants.at(0) == "t1");
}

BOOST_AUTO_TEST_CASE(plain_http_jku_off_loopback_is_refused_naming_the_element) {
  auto list = parse_issuers(R"({"issuers":[{"iss":"a","jku":["https://ok.test/j","http://ehr.test/jwks.json"]}]})");
  BOOST_REQUIRE(!list.ok());
  BOOST_TEST(list.problem().path == "issuers[0].jku[1]");
  BOOST_TEST(!parse_issuers(R"({"issuers":[{"iss":"a","jku":["http://localhost.evil.test/j"]}]})").ok());
}

BOOST_AUTO_TEST_CASE(issuer_without_keys_duplicate_or_unknown_member_is_refused) {
  BOOST_TEST(!parse_issuers(R"({"issuers":[{"iss":"a"}]})").ok());
  BOOST_TEST(!parse_issuers(R"({"issuers":[{"iss":"a","jwks_file":"k"},{"iss":"a","jwks_file":"k"}]})").ok());
  BOOST_TEST(!parse_issuers(R"({"issuers":[{"iss":"a","jwks_file":"k","sub":"x"}]})").ok());
  BOOST_TEST(!parse_issuers(R"({"issuers":[{"jwks_file":"k"}]})").ok());
  BOOST_TEST(parse_issuers(R"({"issuers":[]})").ok());
}

BOOST_AUTO_TEST_CASE(auth_defaults_are_required_mode_with_es384_and_rs384) {
  auto c = parse_config("");
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->auth.mode == "required");
  BOOST_TEST(c->auth.algorithms == (std::vector<std::string>{"ES384", "RS384"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(symmetric_or_unknown_algorithms_and_unknown_modes_are_refused) {
  BOOST_TEST(!parse_config(R"({"auth":{"algorithms":["ES384","HS256"]}})").ok());
  BOOST_TEST(!parse_config(R"({"auth":{"algorithms":["none"]}})").ok());
  BOOST_TEST(!parse_config(R"({"auth":{"mode":"off"}})").ok());
  BOOST_TEST(parse_config(R"({"auth":{"mode":"development","algorithms":["PS384"]}})").ok());
}

BOOST_AUTO_TEST_SUITE_END()
