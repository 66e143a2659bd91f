#include "fhir/record_reader.hpp"

#include <boost/test/unit_test.hpp>

#include "fixtures.hpp"

namespace nmo::fhir {
namespace {

using test::by_id;
using test::fixture_json;
using test::has_coding;
using test::record_from;

constexpr const char* kRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kLoinc = "http://loinc.org";

}  // namespace

BOOST_AUTO_TEST_SUITE(record_reader)

BOOST_AUTO_TEST_CASE(dstu2_sandbox_medication_order_reads_drug_dates_dose_and_reason) {
  const PatientRecord r = record_from("dstu2_sandbox_medication_orders.json", "prefetch.medications");
  BOOST_TEST((r.version == FhirVersion::dstu2));
  BOOST_REQUIRE(r.medications.size() == 2u);
  const MedicationUse& aza = by_id(r.medications, "aza-1");
  BOOST_TEST((aza.source == MedicationUse::Source::order));
  BOOST_TEST(aza.resource_type == "MedicationOrder");
  BOOST_TEST(aza.path == "prefetch.medications.entry[0].resource");
  BOOST_TEST(has_coding(aza.medication, kRxNorm, "197388"));
  BOOST_TEST(aza.status == "active");
  BOOST_TEST(aza.authored.value() == 1456790400);  // 2016-03-01
  BOOST_TEST(aza.start.value() == 1456790400);     // dispenseRequest.validityPeriod.start
  BOOST_TEST(aza.end.value() == 1488326400);       // 2017-03-01
  BOOST_TEST(aza.dose_mg.value() == 100.0);
  BOOST_TEST(aza.dosage_text == "100 mg by mouth daily");
  BOOST_TEST(has_coding(aza.route, kSnomed, "26643006"));
  BOOST_REQUIRE(aza.reasons.size() == 1u);
  BOOST_TEST(has_coding(aza.reasons[0], kSnomed, "25044007"));
}

BOOST_AUTO_TEST_CASE(dstu2_medication_order_resolves_contained_medication_and_grams) {
  const PatientRecord r = record_from("dstu2_sandbox_medication_orders.json");
  const MedicationUse& rtx = by_id(r.medications, "rtx-1");
  BOOST_TEST(has_coding(rtx.medication, kRxNorm, "121191"));
  BOOST_TEST(rtx.medication.text == "Rituximab");  // the reference's display fills the empty text
  BOOST_TEST(rtx.medication_reference.empty());
  BOOST_TEST(rtx.status == "stopped");
  BOOST_TEST(rtx.authored.value() == 1433946600);  // 2015-06-10T09:30:00-05:00
  BOOST_TEST(rtx.end.value() == 1455494400);       // dateEnded 2016-02-15
  BOOST_TEST(rtx.dose_mg.value() == 1000.0);       // 1 g
}

BOOST_AUTO_TEST_CASE(dstu2_sandbox_draft_order_becomes_a_draft_medication) {
  const auto doc = fixture_json("dstu2_sandbox_draft_order.json");
  PatientRecord r;
  BOOST_REQUIRE(!read_draft_orders(doc, "context.draftOrders", r));
  BOOST_TEST((r.version == FhirVersion::dstu2));
  BOOST_TEST(r.medications.empty());
  BOOST_REQUIRE(r.draft_medications.size() == 1u);
  const MedicationUse& d = r.draft_medications[0];
  BOOST_TEST(d.id == "request-123");
  BOOST_TEST(d.status == "draft");
  BOOST_TEST(d.path == "context.draftOrders.entry[0].resource");
  BOOST_TEST(has_coding(d.medication, kRxNorm, "197388"));
  BOOST_TEST(d.dose_mg.value() == 50.0);  // UCUM code without unit
  BOOST_TEST(d.route.text == "oral");
}

BOOST_AUTO_TEST_CASE(dstu2_condition_status_codes_are_kept_refuted_and_entered_in_error_included) {
  const PatientRecord r = record_from("dstu2_conditions_with_status_codes.json", "prefetch.conditions");
  BOOST_TEST((r.version == FhirVersion::dstu2));
  BOOST_REQUIRE(r.conditions.size() == 3u);
  const Condition& nmosd = by_id(r.conditions, "nmosd");
  BOOST_TEST(nmosd.clinical_status == "active");
  BOOST_TEST(nmosd.verification_status == "confirmed");
  BOOST_TEST(has_coding(nmosd.code, kSnomed, "25044007"));
  BOOST_TEST(nmosd.code.text == "NMOSD");
  BOOST_REQUIRE(nmosd.categories.size() == 1u);  // single-object category
  BOOST_TEST(nmosd.categories[0].codings[0].code == "diagnosis");
  BOOST_TEST(nmosd.onset.value() == 1414972800);     // 2014-11-03
  BOOST_TEST(nmosd.recorded.value() == 1416441600);  // dateRecorded 2014-11-20
  BOOST_TEST(by_id(r.conditions, "ms-refuted").verification_status == "refuted");
  BOOST_TEST(by_id(r.conditions, "ms-error").verification_status == "entered-in-error");
  BOOST_TEST(by_id(r.conditions, "ms-error").clinical_status.empty());
}

BOOST_AUTO_TEST_CASE(dstu2_statement_not_taken_immunization_and_procedure_not_performed) {
  const PatientRecord r = record_from("dstu2_statement_immunization_procedure.json");
  BOOST_TEST((r.version == FhirVersion::dstu2));
  BOOST_REQUIRE(r.medications.size() == 1u);
  const MedicationUse& s = r.medications[0];
  BOOST_TEST((s.source == MedicationUse::Source::statement));
  BOOST_TEST(s.not_taken);
  BOOST_TEST(s.status == "completed");
  BOOST_TEST(s.start.value() == 1672876800);  // 2023-01-05
  BOOST_TEST(s.end.value() == 1673222400);    // 2023-01-09
  BOOST_TEST(s.dose_mg.value() == 1000.0);    // quantityQuantity 1 "G"
  BOOST_REQUIRE(s.reasons.size() == 1u);
  BOOST_TEST(s.reasons[0].text == "optic neuritis");
  BOOST_REQUIRE(r.immunizations.size() == 1u);
  BOOST_TEST(!r.immunizations[0].not_given);
  BOOST_TEST(r.immunizations[0].occurrence.value() == 1378771200);  // date 2013-09-10
  BOOST_REQUIRE(r.procedures.size() == 1u);
  BOOST_TEST(r.procedures[0].not_done);
  BOOST_TEST(r.procedures[0].performed.value() == 1673337600);  // 2023-01-10T08:00:00Z
}

BOOST_AUTO_TEST_CASE(stu3_chart_reads_code_statuses_direct_dose_and_not_given_flags) {
  const PatientRecord r = record_from("stu3_chart.json");
  BOOST_TEST((r.version == FhirVersion::stu3));
  const Condition& c = by_id(r.conditions, "nmosd");
  BOOST_TEST(c.clinical_status == "active");
  BOOST_TEST(c.verification_status == "confirmed");
  BOOST_TEST(c.recorded.value() == 1554076800);  // assertedDate 2019-04-01
  const MedicationUse& mmf = by_id(r.medications, "mmf");
  BOOST_TEST(mmf.intent == "order");
  BOOST_TEST(mmf.dose_mg.value() == 500.0);
  BOOST_TEST(mmf.authored.value() == 1556704800);  // 2019-05-01T12:00:00+02:00
  BOOST_REQUIRE(mmf.reasons.size() == 1u);
  BOOST_TEST(by_id(r.medications, "ifn").not_taken);  // taken = "n"
  BOOST_TEST(by_id(r.immunizations, "flu").not_given);
  const Procedure& plex = by_id(r.procedures, "plex");
  BOOST_TEST(!plex.not_done);
  BOOST_TEST(plex.performed.value() == 1553040000);  // performedPeriod.start 2019-03-20
}

BOOST_AUTO_TEST_CASE(r4_nmosd_chart_reads_every_resource_and_skips_unused_types) {
  const PatientRecord r = record_from("r4_nmosd_aqp4_positive_chart.json");
  BOOST_TEST((r.version == FhirVersion::r4));
  BOOST_REQUIRE(r.patient.has_value());
  BOOST_TEST(r.patient->id == "p-nmosd-1");
  BOOST_TEST(r.patient->gender == "female");
  BOOST_TEST(r.patient->birth_date.value() == 458438400);  // 1984-07-12
  const Condition& c = by_id(r.conditions, "nmosd");
  BOOST_TEST(c.clinical_status == "active");
  BOOST_TEST(c.verification_status == "confirmed");
  BOOST_TEST(has_coding(c.code, "http://hl7.org/fhir/sid/icd-10-cm", "G36.0"));
  BOOST_TEST(c.onset.value() == 1580515200);     // onsetPeriod.start 2020-02-01
  BOOST_TEST(c.recorded.value() == 1583056800);  // 2020-03-01T10:00:00Z
  const MedicationUse& rtx = by_id(r.medications, "rtx");
  BOOST_TEST(rtx.dose_mg.value() == 1000.0);  // doseAndRate[0].doseQuantity 1 g
  BOOST_TEST(rtx.intent == "order");
  BOOST_REQUIRE(rtx.reason_refs.size() == 1u);
  BOOST_TEST(rtx.reason_refs[0] == "Condition/nmosd");
  const Observation& aqp4 = by_id(r.observations, "aqp4");
  BOOST_TEST(aqp4.status == "final");
  BOOST_TEST(has_coding(aqp4.code, kLoinc, "43638-6"));
  BOOST_REQUIRE(aqp4.value_concept.has_value());
  BOOST_TEST(has_coding(*aqp4.value_concept, kSnomed, "10828004"));
  BOOST_TEST(aqp4.effective.value() == 1581319800);
  BOOST_REQUIRE(aqp4.interpretation.size() == 1u);
  BOOST_TEST(aqp4.interpretation[0].codings[0].code == "POS");
  BOOST_TEST(by_id(r.immunizations, "mening").occurrence.value() == 1609718400);  // 2021-01-04
  BOOST_TEST(by_id(r.procedures, "plex").performed.value() == 1581465600);        // 2020-02-12
}

BOOST_AUTO_TEST_CASE(r4_refuted_and_entered_in_error_conditions_are_kept_with_their_status) {
  const PatientRecord r = record_from("r4_condition_status_semantics.json");
  BOOST_REQUIRE(r.conditions.size() == 5u);
  BOOST_TEST(by_id(r.conditions, "active-confirmed").verification_status == "confirmed");
  BOOST_TEST(by_id(r.conditions, "refuted").verification_status == "refuted");
  BOOST_TEST(by_id(r.conditions, "refuted").clinical_status == "inactive");
  BOOST_TEST(by_id(r.conditions, "entered-in-error").verification_status == "entered-in-error");
  BOOST_TEST(by_id(r.conditions, "local-coding-first").clinical_status == "relapse");  // the HL7 coding, lower case
  BOOST_TEST(by_id(r.conditions, "no-status").clinical_status.empty());
  BOOST_TEST(by_id(r.conditions, "no-status").verification_status.empty());
}

BOOST_AUTO_TEST_CASE(observation_every_value_form_is_read) {
  const PatientRecord r = record_from("r4_observation_value_forms.json");
  BOOST_REQUIRE(r.observations.size() == 9u);
  const Observation& concept_value = by_id(r.observations, "concept");
  BOOST_TEST(has_coding(concept_value.value_concept.value(), kSnomed, "260385009"));
  BOOST_TEST(!concept_value.value_string.has_value());
  BOOST_TEST(concept_value.effective.value() == 1640995200);

  const Observation& s = by_id(r.observations, "string");
  BOOST_TEST(s.value_string.value() == "Detected");
  BOOST_TEST(s.status == "amended");
  BOOST_TEST(s.effective.value() == 1641081600);  // effectivePeriod.start

  const Observation& q = by_id(r.observations, "quantity");
  BOOST_TEST(q.value_quantity.value() == 2.5);
  BOOST_TEST(q.value_unit == "U/mL");
  BOOST_TEST(q.value_comparator == ">=");
  BOOST_TEST(q.status == "corrected");
  BOOST_TEST(q.effective.value() == 1641211200);  // issued
  BOOST_REQUIRE(q.interpretation.size() == 1u);   // single-object interpretation
  BOOST_TEST(q.interpretation[0].codings[0].code == "H");
  BOOST_TEST(q.reference_low.value() == 0.0);  // the first referenceRange
  BOOST_TEST(q.reference_high.value() == 3.0);
  BOOST_TEST(q.reference_text == "<3.0 U/mL");
  BOOST_TEST(!s.reference_high.has_value());

  BOOST_TEST(by_id(r.observations, "quantity-code-only").value_unit == "mg/dL");
  BOOST_TEST(by_id(r.observations, "boolean").value_boolean.value() == true);
  BOOST_TEST(by_id(r.observations, "ratio").value_ratio_denominator.value() == 100.0);
  BOOST_TEST(by_id(r.observations, "integer").value_quantity.value() == 4.0);

  const Observation& prelim = by_id(r.observations, "preliminary");
  BOOST_TEST(prelim.status == "preliminary");
  BOOST_TEST((!prelim.value_concept && !prelim.value_string && !prelim.value_quantity && !prelim.value_boolean));
  BOOST_TEST(prelim.interpretation.size() == 2u);
  BOOST_TEST(by_id(r.observations, "in-error").status == "entered-in-error");
}

BOOST_AUTO_TEST_CASE(medication_references_resolve_contained_bundle_relative_absolute_and_full_url) {
  const PatientRecord r = record_from("r4_medication_references.json");
  BOOST_REQUIRE(r.medications.size() == 5u);
  BOOST_TEST(has_coding(by_id(r.medications, "by-contained").medication, kRxNorm, "1876394"));
  const MedicationUse& relative = by_id(r.medications, "by-relative");
  BOOST_TEST(has_coding(relative.medication, kRxNorm, "2387293"));  // Medication later in the Bundle
  BOOST_TEST(relative.medication.text == "Inebilizumab");
  BOOST_TEST(relative.medication_reference == "Medication/med-2");
  BOOST_TEST(has_coding(by_id(r.medications, "by-absolute").medication, kRxNorm, "2387293"));
  BOOST_TEST(has_coding(by_id(r.medications, "by-full-url").medication, kRxNorm, "2268023"));
  const MedicationUse& unresolved = by_id(r.medications, "unresolved");
  BOOST_TEST(unresolved.medication.codings.empty());
  BOOST_TEST(unresolved.medication.text == "Satralizumab 120 mg");
  BOOST_TEST(unresolved.medication_reference == "Medication/elsewhere");
  BOOST_TEST(r.medication_catalog.size() == 2u);
}

BOOST_AUTO_TEST_CASE(medication_in_another_prefetch_key_resolves_whatever_the_order) {
  const auto requests = test::fixture_json("r4_medication_references.json");
  auto medication = parse_json(R"({"resourceType":"Medication","id":"elsewhere",
      "code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2268023"}]}})");
  BOOST_REQUIRE(medication.ok());
  PatientRecord r;
  BOOST_REQUIRE(!read_resources(requests, "prefetch.medications", r));
  BOOST_REQUIRE(!read_resources(*medication, "prefetch.medication", r));
  BOOST_TEST(has_coding(by_id(r.medications, "unresolved").medication, kRxNorm, "2268023"));
}

BOOST_AUTO_TEST_CASE(sandbox_draft_orders_with_single_object_category_and_reason_code) {
  const auto doc = fixture_json("r4_sandbox_draft_orders_single_object_shapes.json");
  PatientRecord r;
  BOOST_REQUIRE(!read_draft_orders(doc, "context.draftOrders", r));
  BOOST_REQUIRE(r.draft_medications.size() == 1u);
  const MedicationUse& d = r.draft_medications[0];
  BOOST_TEST(d.id == "request-123");
  BOOST_REQUIRE(d.reasons.size() == 1u);
  BOOST_TEST(has_coding(d.reasons[0], kSnomed, "25044007"));
  BOOST_TEST(!d.dose_mg.has_value());  // mg/kg is not a dose in mg
  BOOST_TEST((r.version == FhirVersion::r4));
  BOOST_REQUIRE(r.draft_other.size() == 1u);
  BOOST_TEST(r.draft_other[0].resource_type == "ServiceRequest");
  BOOST_TEST(r.draft_other[0].id == "lab-hbv");
  BOOST_TEST(r.draft_other[0].status == "draft");
  BOOST_TEST(has_coding(r.draft_other[0].code, kLoinc, "5196-1"));
  BOOST_TEST(r.draft_other[0].path == "context.draftOrders.entry[1].resource");
}

BOOST_AUTO_TEST_CASE(r5_medication_concept_reference_and_reason_codeable_reference) {
  const PatientRecord r = record_from("r5_medication_concept.json");
  BOOST_TEST((r.version == FhirVersion::r5));
  const MedicationUse& ecu = by_id(r.medications, "ecu");
  BOOST_TEST(has_coding(ecu.medication, kRxNorm, "1876394"));
  BOOST_TEST(ecu.dose_mg.value() == 900.0);
  BOOST_REQUIRE(ecu.reasons.size() == 1u);
  BOOST_TEST(has_coding(ecu.reasons[0], kSnomed, "25044007"));
  BOOST_REQUIRE(ecu.reason_refs.size() == 1u);
  BOOST_TEST(ecu.reason_refs[0] == "Condition/nmosd");
  BOOST_TEST(has_coding(by_id(r.medications, "ravu").medication, kRxNorm, "2179710"));
  BOOST_TEST(by_id(r.procedures, "plex").performed.value() == 1705708800);  // occurrenceDateTime 2024-01-20
}

BOOST_AUTO_TEST_CASE(bundle_without_type_is_read) {
  const PatientRecord r = record_from("bundle_without_type.json");
  BOOST_REQUIRE(r.conditions.size() == 1u);
  BOOST_TEST(r.conditions[0].id == "c1");
}

BOOST_AUTO_TEST_CASE(single_resource_outside_a_bundle_is_read) {
  auto doc = parse_json(R"({"resourceType":"Patient","id":"p1","birthDate":"1990","gender":"male"})");
  BOOST_REQUIRE(doc.ok());
  PatientRecord r;
  BOOST_REQUIRE(!read_resources(*doc, "prefetch.patient", r));
  BOOST_REQUIRE(r.patient.has_value());
  BOOST_TEST(r.patient->birth_date.value() == 631152000);
}

BOOST_AUTO_TEST_CASE(operation_outcome_empty_bundle_and_null_add_nothing) {
  PatientRecord r;
  BOOST_TEST(!read_resources(fixture_json("operation_outcome.json"), "prefetch.a", r));
  BOOST_TEST(!read_resources(fixture_json("empty_searchset.json"), "prefetch.b", r));
  rapidjson::Value null_value;
  BOOST_TEST(!read_resources(null_value, "prefetch.c", r));
  BOOST_TEST(r.conditions.empty());
  BOOST_TEST((r.version == FhirVersion::unknown));
}

BOOST_AUTO_TEST_CASE(unknown_members_and_extensions_are_ignored) {
  auto doc = parse_json(R"({"resourceType":"Condition","id":"c","extension":[{"url":"u","valueInteger":1}],
      "modifierExtension":[],"_id":{"extension":[]},"futureMember":{"nested":[1,2,3]},"code":{"text":"NMOSD",
      "extension":[{"url":"x"}]}})");
  BOOST_REQUIRE(doc.ok());
  PatientRecord r;
  BOOST_REQUIRE(!read_resources(*doc, "prefetch.conditions", r));
  BOOST_TEST(r.conditions.at(0).code.text == "NMOSD");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace nmo::fhir
