// build_context(): serostatus, medication matching, conditions and pregnancy.
#include "cards/patient_context.hpp"

#include <boost/test/unit_test.hpp>

#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;

namespace {

PatientContext context_of(const nmo::fhir::PatientRecord& r, Hook hook = Hook::patient_view) {
  return build_context(hook_input(hook), r, knowledge());
}

std::string agents_in(const std::string& text) {
  nmo::fhir::Concept c;
  c.text = text;
  std::string out;
  for (const Agent* a : detail::match_agents(c, knowledge())) out += (out.empty() ? "" : ",") + a->id;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(patient_context)

BOOST_AUTO_TEST_CASE(any_earlier_positive_aqp4_makes_the_patient_positive) {
  nmo::fhir::PatientRecord r;
  r.observations.push_back(aqp4_result("neg", "Negative", utc(2024, 1, 1)));
  r.observations.push_back(aqp4_result("pos", "Positive", utc(2019, 1, 1)));
  const auto ctx = context_of(r);
  BOOST_TEST((ctx.aqp4 == Serostatus::positive));
  BOOST_TEST(ctx.aqp4_evidence.size() == 2u);
}

BOOST_AUTO_TEST_CASE(aqp4_result_forms_titer_quantity_interpretation_and_local_code) {
  nmo::fhir::PatientRecord r;
  auto titer = aqp4_result("t", "1:100", utc(2020, 1, 1));
  r.observations.push_back(titer);
  BOOST_TEST((context_of(r).aqp4 == Serostatus::positive));

  r.observations.clear();
  auto below = aqp4_result("q", "", utc(2020, 1, 1));
  below.value_string.reset();
  below.value_quantity = 1.5;
  below.value_comparator = "<";
  r.observations.push_back(below);
  BOOST_TEST((context_of(r).aqp4 == Serostatus::negative));

  r.observations.clear();
  nmo::fhir::Observation local;
  local.id = "local";
  local.status = "final";
  local.code.codings.push_back({"urn:oid:1.2.3.4", "NMOAB", "NMO-IgG antibody"});
  local.value_quantity = 12;
  local.interpretation.push_back(
      nmo::fhir::Concept{{{"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "POS", ""}}, ""});
  r.observations.push_back(local);
  BOOST_TEST((context_of(r).aqp4 == Serostatus::positive));

  r.observations.clear();
  r.observations.push_back(aqp4_result("nd", "Not detected", utc(2020, 1, 1)));
  BOOST_TEST((context_of(r).aqp4 == Serostatus::negative));
}

BOOST_AUTO_TEST_CASE(medication_names_match_on_word_boundaries) {
  BOOST_TEST(agents_in("Methylprednisolone 1 g IV") == "methylprednisolone");
  BOOST_TEST(agents_in("prednisolone 5 MG Oral Tablet") == "prednisolone");
  BOOST_TEST(agents_in("Rituxan Hycela injection") == "rituximab");
  BOOST_TEST(agents_in("peginterferon beta-1a") == "peginterferon_beta_1a");
  BOOST_TEST(agents_in("Myfortic 360 MG") == "mycophenolate");
  BOOST_TEST(agents_in("Imuranol syrup").empty());
  BOOST_TEST(agents_in("lisinopril").empty());
}

BOOST_AUTO_TEST_CASE(medication_codes_win_over_text) {
  nmo::fhir::Concept c;
  c.codings.push_back({"http://www.whocc.no/atc", "L04AJ02", ""});
  c.text = "azathioprine (wrong text)";
  const auto agents = detail::match_agents(c, knowledge());
  BOOST_REQUIRE(agents.size() == 1u);
  BOOST_TEST(agents[0]->id == "ravulizumab");
}

BOOST_AUTO_TEST_CASE(pregnancy_comes_from_condition_text_only) {
  nmo::fhir::PatientRecord r;
  nmo::fhir::Condition c;
  c.id = "p";
  c.code.codings.push_back({"http://snomed.info/sct", "00000", "Pregnancy, second trimester"});
  r.conditions.push_back(c);
  BOOST_TEST(context_of(r).pregnant);
  r.conditions[0].code.codings[0].display = "Not pregnant";
  BOOST_TEST(!context_of(r).pregnant);
}

BOOST_AUTO_TEST_CASE(dates_are_formatted_in_utc) {
  BOOST_TEST(detail::format_date(utc(2024, 2, 29)) == "2024-02-29");
  BOOST_TEST(detail::format_date(0) == "1970-01-01");
  BOOST_TEST(detail::amount_mg_in_text("methylprednisolone 1 g in 250 mL").value_or(0) == 1000.0);
  BOOST_TEST(!detail::amount_mg_in_text("40 mg/mL").has_value());
}

BOOST_AUTO_TEST_CASE(mog_status_is_read_like_aqp4) {
  nmo::fhir::PatientRecord r;
  r.observations.push_back(lab_result("mog", "90248-6", utc(2024, 1, 1)));  // "Negative"
  auto ctx = build_context(hook_input(Hook::patient_view), r, knowledge());
  BOOST_TEST(ctx.mog_tested);
  BOOST_TEST((ctx.mog == Serostatus::negative));
  BOOST_TEST((ctx.aqp4 == Serostatus::unknown));
}

BOOST_AUTO_TEST_CASE(record_text_is_escaped_in_markdown) {
  BOOST_TEST(detail::markdown_text("a*b [x](y)\nz") == "a\\*b \\[x\\]\\(y\\) z");
}

BOOST_AUTO_TEST_SUITE_END()
