#include "fhir/record_reader.hpp"

#include <boost/test/unit_test.hpp>

#include "fixtures.hpp"

namespace nmo::fhir {

BOOST_AUTO_TEST_SUITE(prefetch_state)

// CDS Hooks 2.0 §Prefetch: missing key, null, empty Bundle and OperationOutcome are four different answers.
BOOST_AUTO_TEST_CASE(absent_key_is_absent) { BOOST_TEST((classify_prefetch(nullptr) == PrefetchState::absent)); }

BOOST_AUTO_TEST_CASE(null_value_means_no_data) {
  rapidjson::Value null_value;
  BOOST_TEST((classify_prefetch(&null_value) == PrefetchState::null_value));
}

BOOST_AUTO_TEST_CASE(searchset_without_entries_is_empty) {
  const auto doc = test::fixture_json("empty_searchset.json");
  BOOST_TEST((classify_prefetch(&doc) == PrefetchState::empty));
  auto empty_entries = parse_json(R"({"resourceType":"Bundle","type":"searchset","entry":[]})");
  BOOST_REQUIRE(empty_entries.ok());
  BOOST_TEST((classify_prefetch(&*empty_entries) == PrefetchState::empty));
}

BOOST_AUTO_TEST_CASE(operation_outcome_is_told_apart_to_be_fetched) {
  const auto doc = test::fixture_json("operation_outcome.json");
  BOOST_TEST((classify_prefetch(&doc) == PrefetchState::operation_outcome));
}

BOOST_AUTO_TEST_CASE(bundle_with_entries_and_single_resources_are_data) {
  const auto bundle = test::fixture_json("bundle_without_type.json");
  BOOST_TEST((classify_prefetch(&bundle) == PrefetchState::data));
  auto patient = parse_json(R"({"resourceType":"Patient","id":"1"})");
  BOOST_REQUIRE(patient.ok());
  BOOST_TEST((classify_prefetch(&*patient) == PrefetchState::data));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace nmo::fhir
