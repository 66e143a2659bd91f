#include "fhir/record_reader.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

#include "fixtures.hpp"

namespace nmo::fhir {
namespace {

/// Reads a malformed fixture as prefetch.conditions and returns its Problem (fails the test when there is none).
Problem problem_of(const std::string& name) {
  const auto doc = test::fixture_json("malformed/" + name);
  PatientRecord record;
  auto problem = read_resources(doc, "prefetch.conditions", record);
  BOOST_REQUIRE_MESSAGE(problem.has_value(), name + " should be rejected");
  BOOST_TEST((problem->kind == ProblemKind::invalid));
  BOOST_TEST(!problem->message.empty());
  return *problem;
}

Problem problem_of_json(const std::string& text) {
  auto doc = parse_json(text);
  BOOST_REQUIRE(doc.ok());
  PatientRecord record;
  auto problem = read_resources(*doc, "prefetch.x", record);
  BOOST_REQUIRE_MESSAGE(problem.has_value(), text + " should be rejected");
  return *problem;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_reader_malformed)

BOOST_AUTO_TEST_CASE(condition_code_that_is_a_number_names_the_exact_path) {
  BOOST_TEST(problem_of("condition_code_is_a_number.json").path == "prefetch.conditions.entry[3].resource.code");
}

BOOST_AUTO_TEST_CASE(bundle_entry_that_is_not_an_array_is_rejected) {
  BOOST_TEST(problem_of("entry_not_an_array.json").path == "prefetch.conditions.entry");
}

BOOST_AUTO_TEST_CASE(resource_without_resource_type_is_rejected) {
  BOOST_TEST(problem_of("resource_without_type.json").path == "prefetch.conditions.entry[1].resource.resourceType");
}

BOOST_AUTO_TEST_CASE(unparseable_onset_date_is_rejected_with_its_path) {
  BOOST_TEST(problem_of("onset_not_a_date.json").path == "prefetch.conditions.entry[0].resource.onsetDateTime");
}

BOOST_AUTO_TEST_CASE(resource_id_that_is_not_a_string_is_rejected) {
  BOOST_TEST(problem_of("id_is_a_number.json").path == "prefetch.conditions.entry[0].resource.id");
}

BOOST_AUTO_TEST_CASE(reference_to_a_missing_contained_medication_is_rejected) {
  BOOST_TEST(problem_of("contained_medication_missing.json").path ==
             "prefetch.conditions.entry[0].resource.medicationReference.reference");
}

BOOST_AUTO_TEST_CASE(observation_with_two_value_forms_is_rejected) {
  BOOST_TEST(problem_of("observation_with_two_values.json").path == "prefetch.conditions.entry[0].resource.value[x]");
}

BOOST_AUTO_TEST_CASE(reference_range_of_the_wrong_shape_is_rejected_with_its_path) {
  const std::string obs = R"({"resourceType":"Observation","id":"o","status":"final","valueQuantity":{"value":4},)";
  BOOST_TEST(problem_of_json(obs + R"("referenceRange":{"high":{"value":3}}})").path ==
             "prefetch.x.referenceRange");
  BOOST_TEST(problem_of_json(obs + R"("referenceRange":[{"high":3}]})").path == "prefetch.x.referenceRange[0].high");
  BOOST_TEST(problem_of_json(obs + R"("referenceRange":[{"high":{"value":"3"}}]})").path ==
             "prefetch.x.referenceRange[0].high.value");
}

BOOST_AUTO_TEST_CASE(dose_value_that_is_a_string_is_rejected) {
  BOOST_TEST(problem_of("dose_value_is_a_string.json").path ==
             "prefetch.conditions.entry[0].resource.dosageInstruction[0].doseAndRate[0].doseQuantity.value");
}

BOOST_AUTO_TEST_CASE(coding_that_is_a_string_is_rejected) {
  BOOST_TEST(problem_of("coding_is_a_string.json").path == "prefetch.conditions.entry[0].resource.code.coding[0]");
}

BOOST_AUTO_TEST_CASE(value_that_is_not_a_resource_is_rejected) {
  PatientRecord record;
  rapidjson::Value number(42);
  auto problem = read_resources(number, "prefetch.conditions", record);
  BOOST_REQUIRE(problem.has_value());
  BOOST_TEST(problem->path == "prefetch.conditions");
}

BOOST_AUTO_TEST_CASE(wrong_types_in_elements_the_reader_uses_are_rejected) {
  BOOST_TEST(problem_of_json(R"({"resourceType":7})").path == "prefetch.x.resourceType");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Bundle","entry":[3]})").path == "prefetch.x.entry[0]");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Condition","clinicalStatus":3})").path == "prefetch.x.clinicalStatus");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Condition","category":"x"})").path == "prefetch.x.category");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Observation","status":["final"]})").path == "prefetch.x.status");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Observation","valueQuantity":{"value":"1"}})").path ==
             "prefetch.x.valueQuantity.value");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Observation","valueBoolean":"true"})").path ==
             "prefetch.x.valueBoolean");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Observation","valueInteger":1.5})").path == "prefetch.x.valueInteger");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Observation","effectivePeriod":"2020"})").path ==
             "prefetch.x.effectivePeriod");
  BOOST_TEST(problem_of_json(R"({"resourceType":"MedicationRequest","medicationReference":"Medication/1"})").path ==
             "prefetch.x.medicationReference");
  BOOST_TEST(problem_of_json(R"({"resourceType":"MedicationRequest","medication":[]})").path ==
             "prefetch.x.medication");
  BOOST_TEST(problem_of_json(R"({"resourceType":"MedicationStatement","wasNotTaken":"no"})").path ==
             "prefetch.x.wasNotTaken");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Immunization","occurrenceDateTime":"2020-02-30"})").path ==
             "prefetch.x.occurrenceDateTime");
  BOOST_TEST(problem_of_json(R"({"resourceType":"Patient","birthDate":19840712})").path == "prefetch.x.birthDate");
}

BOOST_AUTO_TEST_CASE(problem_keeps_what_was_read_before_it) {
  const auto doc = test::fixture_json("malformed/condition_code_is_a_number.json");
  PatientRecord record;
  BOOST_REQUIRE(read_resources(doc, "prefetch.conditions", record).has_value());
  BOOST_TEST(record.conditions.size() == 2u);
}

BOOST_AUTO_TEST_CASE(types_the_engine_does_not_use_are_skipped_even_when_odd) {
  auto doc = parse_json(R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Encounter","code":3}},
      {"request":{"method":"GET"}},{"resource":{"resourceType":"OperationOutcome","issue":7}}]})");
  BOOST_REQUIRE(doc.ok());
  PatientRecord record;
  BOOST_TEST(!read_resources(*doc, "prefetch.x", record).has_value());
}

BOOST_AUTO_TEST_CASE(nested_bundles_are_bounded) {
  std::string text = R"({"resourceType":"Condition","id":"c"})";
  for (int i = 0; i < 6; ++i) text = R"({"resourceType":"Bundle","entry":[{"resource":)" + text + "}]}";
  auto doc = parse_json(text);
  BOOST_REQUIRE(doc.ok());
  PatientRecord record;
  BOOST_TEST(read_resources(*doc, "prefetch.x", record).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace nmo::fhir
