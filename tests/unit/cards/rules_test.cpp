// The rules of nmosd-knowledge.md §3 on records built in code: each rule both ways, with the edge cases the
// stories do not cover.
#include "cards/rules.hpp"

#include <boost/test/unit_test.hpp>

#include "cards/engine.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;
using nmo::fhir::PatientRecord;

namespace {

constexpr const char* kAza = "1256";
constexpr const char* kRituximab = "121191";
constexpr const char* kEculizumab = "591781";
constexpr const char* kMethylpred = "6902";

PatientRecord nmosd_patient(const std::string& aqp4 = "Positive") {
  PatientRecord r;
  r.version = nmo::fhir::FhirVersion::r4;
  r.patient = nmo::fhir::Patient{"pat", utc(1980, 1, 1), "female"};
  r.conditions.push_back(nmosd_condition());
  if (!aqp4.empty()) r.observations.push_back(aqp4_result("aqp4-1", aqp4, utc(2021, 3, 12)));
  return r;
}

std::vector<Card> eval(const HookInput& in, const PatientRecord& r) { return evaluate(in, r, knowledge()); }

nmo::fhir::MedicationUse ivmp(std::string id, std::int64_t start, double mg, const std::string& route) {
  auto m = medication(std::move(id), kMethylpred, "methylprednisolone", "completed", start);
  m.dose_mg = mg;
  m.route.text = route;
  m.end = start + 4 * 86400;
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rules)

BOOST_AUTO_TEST_CASE(nmosd_01_preliminary_or_entered_in_error_aqp4_is_not_a_result) {
  auto r = nmosd_patient("");
  r.observations.push_back(aqp4_result("p", "Positive", utc(2025, 1, 1), "preliminary"));
  r.observations.push_back(aqp4_result("e", "Negative", utc(2025, 1, 2), "entered-in-error"));
  BOOST_TEST(fired(eval(hook_input(Hook::patient_view), r), "NMOSD-01"));
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), nmosd_patient("Negative")), "NMOSD-01"));
}

BOOST_AUTO_TEST_CASE(nmosd_01_refuted_nmosd_condition_gets_no_card) {
  auto r = nmosd_patient("");
  r.conditions[0].verification_status = "refuted";
  BOOST_TEST(eval(hook_input(Hook::patient_view), r).empty());
  r.conditions[0].verification_status = "confirmed";
  r.conditions[0].clinical_status = "resolved";
  BOOST_TEST(eval(hook_input(Hook::patient_view), r).empty());
}

BOOST_AUTO_TEST_CASE(nmosd_02_active_rituximab_is_maintenance_but_ended_azathioprine_is_not) {
  auto r = nmosd_patient();
  r.medications.push_back(medication("rtx", kRituximab, "rituximab", "active", utc(2026, 6, 1)));
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-02"));
  r = nmosd_patient();
  auto aza = medication("aza", kAza, "azathioprine", "completed", utc(2021, 4, 1));
  aza.end = utc(2023, 1, 1);
  r.medications.push_back(aza);
  BOOST_TEST(fired(eval(hook_input(Hook::patient_view), r), "NMOSD-02"));
}

BOOST_AUTO_TEST_CASE(nmosd_03_order_for_another_condition_is_not_judged) {
  auto r = nmosd_patient();
  auto d = draft_order("request-123", kAza, "azathioprine");
  d.reasons.push_back(nmo::fhir::Concept{{}, "Autoimmune hepatitis"});
  r.draft_medications.push_back(d);
  BOOST_TEST(!fired(eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r), "NMOSD-03"));
  r.draft_medications[0].reasons[0].text = "Neuromyelitis optica";
  BOOST_TEST(fired(eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r), "NMOSD-03"));
}

BOOST_AUTO_TEST_CASE(nmosd_03_order_select_judges_only_selected_drafts_and_order_sign_all) {
  auto r = nmosd_patient();
  r.draft_medications.push_back(draft_order("request-123", kAza, "azathioprine"));
  r.draft_medications.push_back(draft_order("other", "", "Paracetamol 500 MG Oral Tablet"));
  BOOST_TEST(!fired(eval(hook_input(Hook::order_select, {"MedicationRequest/other"}), r), "NMOSD-03"));
  BOOST_TEST(fired(eval(hook_input(Hook::order_sign), r), "NMOSD-03"));
}

BOOST_AUTO_TEST_CASE(nmosd_03_silent_when_no_newer_agent_is_on_the_formulary) {
  auto files = knowledge_files();
  for (auto& f : files)
    if (f.name == "formulary.json") f.text = R"({"available": []})";
  auto kb = load_knowledge(files);
  BOOST_REQUIRE(kb.ok());
  auto r = nmosd_patient();
  r.medications.push_back(medication("aza", kAza, "azathioprine", "active", utc(2021, 4, 1)));
  BOOST_TEST(!fired(evaluate(hook_input(Hook::patient_view), r, **kb), "NMOSD-03"));
  BOOST_TEST(fired(evaluate(hook_input(Hook::patient_view), r, knowledge()), "NMOSD-03"));
}

BOOST_AUTO_TEST_CASE(nmosd_04_relapse_soon_after_starting_azathioprine_is_not_failure) {
  auto r = nmosd_patient();
  r.medications.push_back(medication("aza", kAza, "azathioprine", "active", utc(2026, 9, 1)));
  r.medications.push_back(ivmp("ivmp", utc(2026, 11, 15), 1000, "Intravenous"));
  const auto cards = eval(hook_input(Hook::patient_view), r);
  BOOST_TEST(!fired(cards, "NMOSD-04"));
  BOOST_TEST(fired(cards, "NMOSD-03"));  // not suppressed then
}

BOOST_AUTO_TEST_CASE(nmosd_04_condition_in_relapse_counts_and_seronegative_gets_off_label_options_only) {
  auto r = nmosd_patient("Negative");
  r.conditions[0].clinical_status = "relapse";
  r.conditions[0].onset = utc(2026, 11, 1);
  r.conditions.push_back(nmosd_condition("nmosd-0", utc(2020, 1, 1)));
  r.medications.push_back(medication("aza", kAza, "azathioprine", "active", utc(2022, 1, 1)));
  const auto cards = eval(hook_input(Hook::patient_view), r);
  BOOST_REQUIRE(fired(cards, "NMOSD-04"));
  BOOST_TEST(card_of(cards, "NMOSD-04").suggestions.size() == 1u);  // rituximab only
}

BOOST_AUTO_TEST_CASE(nmosd_05_aqp4_positive_without_nmosd_condition_and_patient_view_active_fingolimod) {
  PatientRecord r;
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  r.draft_medications.push_back(draft_order("request-123", "354770", "natalizumab"));
  const auto cards = eval(hook_input(Hook::order_sign), r);
  BOOST_TEST(rule_ids(cards) == std::vector<std::string>{"NMOSD-05"});
  auto p = nmosd_patient();
  p.medications.push_back(medication("fty", "", "Fingolimod 0.5 MG Oral Capsule", "active", utc(2025, 1, 1)));
  BOOST_TEST(fired(eval(hook_input(Hook::patient_view), p), "NMOSD-05"));
}

BOOST_AUTO_TEST_CASE(nmosd_06_recent_or_partial_vaccination_is_not_enough) {
  auto r = nmosd_patient();
  r.draft_medications.push_back(draft_order("request-123", kEculizumab, "eculizumab"));
  nmo::fhir::Immunization acwy;
  acwy.id = "acwy";
  acwy.status = "completed";
  acwy.vaccine.codings.push_back({"http://hl7.org/fhir/sid/cvx", "203", ""});
  acwy.occurrence = utc(2025, 11, 1);
  r.immunizations.push_back(acwy);
  acwy.id = "acwy-2";
  acwy.occurrence = utc(2026, 1, 1);  // 2-dose primary series >= 8 weeks apart (ACIP, issue 12 item 4)
  r.immunizations.push_back(acwy);
  nmo::fhir::Immunization menb = acwy;
  menb.id = "menb";
  menb.vaccine.codings[0].code = "163";  // MenB-4C: 2 doses >= 1 month apart
  menb.occurrence = utc(2026, 9, 1);
  r.immunizations.push_back(menb);
  menb.id = "menb-2";
  menb.occurrence = utc(2026, 11, 20);  // 4 days ago: does not count yet
  r.immunizations.push_back(menb);
  auto cards = eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r);
  BOOST_REQUIRE(fired(cards, "NMOSD-06"));
  BOOST_TEST(card_of(cards, "NMOSD-06").suggestions.size() == 1u);  // MenB only
  r.immunizations[3].occurrence = utc(2026, 10, 1);
  BOOST_TEST(!fired(eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r), "NMOSD-06"));
}

BOOST_AUTO_TEST_CASE(nmosd_07_recent_hbv_screen_satisfies_rituximab_but_old_one_does_not) {
  auto r = nmosd_patient();
  r.draft_medications.push_back(draft_order("request-123", "2105827", "Truxima"));
  r.observations.push_back(lab_result("hbs", "5196-1", utc(2026, 6, 1)));
  r.observations.push_back(lab_result("hbc", "13952-7", utc(2026, 6, 1)));
  BOOST_TEST(!fired(eval(hook_input(Hook::order_sign), r), "NMOSD-07"));
  r.observations[2].effective = utc(2024, 6, 1);
  const auto cards = eval(hook_input(Hook::order_sign), r);
  BOOST_REQUIRE(fired(cards, "NMOSD-07"));
  BOOST_TEST(card_of(cards, "NMOSD-07").suggestions.size() == 1u);
}

BOOST_AUTO_TEST_CASE(nmosd_08_low_igg_warns_and_normal_igg_is_silent) {
  auto r = nmosd_patient();
  r.medications.push_back(medication("rtx", kRituximab, "rituximab", "active", utc(2022, 1, 1)));
  auto igg = lab_result("igg", "2465-3", utc(2026, 9, 1));
  igg.value_string.reset();
  igg.value_quantity = 4.2;
  igg.value_unit = "g/L";
  r.observations.push_back(igg);
  auto cards = eval(hook_input(Hook::patient_view), r);
  BOOST_REQUIRE(fired(cards, "NMOSD-08"));
  const Card& c = card_of(cards, "NMOSD-08");
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.summary == detail::fill(knowledge().rule("NMOSD-08").summary_low, "{agent}", "Rituximab"));
  r.observations[1].value_quantity = 9.5;
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-08"));
}

BOOST_AUTO_TEST_CASE(nmosd_09_oral_low_dose_steroid_and_order_sign_are_silent) {
  auto r = nmosd_patient();
  auto oral = draft_order("request-123", kMethylpred, "methylprednisolone");
  oral.dose_mg = 32;
  oral.route.text = "Oral";
  r.draft_medications.push_back(oral);
  BOOST_TEST(!fired(eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r), "NMOSD-09"));
  r.draft_medications[0].dose_mg = 1000;
  r.draft_medications[0].route.text = "Intravenous";
  BOOST_TEST(fired(eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r), "NMOSD-09"));
  BOOST_TEST(!fired(eval(hook_input(Hook::order_sign), r), "NMOSD-09"));  // table: order-select only
}

BOOST_AUTO_TEST_CASE(nmosd_09_dose_read_from_product_text_when_dosage_is_missing) {
  auto r = nmosd_patient();
  r.draft_medications.push_back(
      draft_order("request-123", "", "methylprednisolone sodium succinate 1000 MG Injection"));
  BOOST_TEST(fired(eval(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r), "NMOSD-09"));
}

BOOST_AUTO_TEST_CASE(nmosd_10_plasma_exchange_after_steroids_is_silent) {
  auto r = nmosd_patient();
  r.medications.push_back(medication("rtx", kRituximab, "rituximab", "active", utc(2026, 6, 1)));
  r.medications.push_back(ivmp("ivmp", utc(2026, 11, 15), 1000, "IV"));
  BOOST_TEST(fired(eval(hook_input(Hook::patient_view), r), "NMOSD-10"));
  nmo::fhir::Procedure plex;
  plex.id = "plex";
  plex.status = "completed";
  plex.code.text = "Therapeutic plasma exchange";
  plex.performed = utc(2026, 11, 20);
  r.procedures.push_back(plex);
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-10"));
}

BOOST_AUTO_TEST_CASE(nmosd_11_relapse_on_one_high_efficacy_agent_is_not_refractory) {
  auto r = nmosd_patient();
  r.conditions[0].onset = utc(2018, 1, 1);
  r.medications.push_back(medication("rtx", kRituximab, "rituximab", "active", utc(2019, 1, 1)));
  r.medications.push_back(ivmp("ivmp1", utc(2022, 5, 1), 1000, "Intravenous"));
  r.medications.push_back(ivmp("ivmp2", utc(2024, 5, 1), 1000, "Intravenous"));
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-11"));
}

BOOST_AUTO_TEST_CASE(nmosd_12_mog_tested_but_no_cell_based_aqp4_suggests_only_the_retest) {
  auto r = nmosd_patient("Negative");
  r.observations[0].code.codings[0].code = "61430-5";  // an ELISA
  r.observations.push_back(lab_result("mog", "91545-4", utc(2021, 3, 12)));
  const auto cards = eval(hook_input(Hook::patient_view), r);
  BOOST_REQUIRE(fired(cards, "NMOSD-12"));
  BOOST_TEST(card_of(cards, "NMOSD-12").suggestions.size() == 1u);
  r.observations[0].code.codings[0].code = "63439-4";  // a cell-based assay (issue 12 item 3): nothing to reorder
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-12"));
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), nmosd_patient("Positive")), "NMOSD-12"));
}

BOOST_AUTO_TEST_CASE(nmosd_13_aqp4_positive_patient_may_get_an_approved_agent) {
  auto r = nmosd_patient("Positive");
  r.draft_medications.push_back(draft_order("request-123", "2391541", "satralizumab"));
  BOOST_TEST(!fired(eval(hook_input(Hook::order_sign), r), "NMOSD-13"));
  r.observations.clear();
  BOOST_TEST(fired(eval(hook_input(Hook::order_sign), r), "NMOSD-13"));
}

BOOST_AUTO_TEST_CASE(nmosd_14_drafted_methotrexate_in_pregnancy_is_deleted_and_refuted_pregnancy_is_silent) {
  auto r = nmosd_patient("Negative");
  nmo::fhir::Condition preg;
  preg.id = "preg";
  preg.code.text = "Pregnant";
  preg.clinical_status = "active";
  r.conditions.push_back(preg);
  r.draft_medications.push_back(draft_order("request-123", "6851", "methotrexate"));
  auto cards = eval(hook_input(Hook::order_sign), r);
  BOOST_REQUIRE(fired(cards, "NMOSD-14"));
  BOOST_TEST(indicator_name(cards.front().indicator) == "critical");
  BOOST_TEST(card_of(cards, "NMOSD-14").suggestions.at(0).actions.at(0).type == "delete");
  r.conditions[1].verification_status = "refuted";
  BOOST_TEST(!fired(eval(hook_input(Hook::order_sign), r), "NMOSD-14"));
}

BOOST_AUTO_TEST_CASE(nmosd_15_not_for_men_or_women_past_the_age_range) {
  auto r = nmosd_patient("Negative");
  r.medications.push_back(medication("mmf", "68149", "mycophenolate mofetil", "active", utc(2022, 1, 1)));
  BOOST_TEST(fired(eval(hook_input(Hook::patient_view), r), "NMOSD-15"));
  r.patient->birth_date = utc(1960, 1, 1);
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-15"));
  r.patient->birth_date = utc(1990, 1, 1);
  r.patient->gender = "male";
  BOOST_TEST(!fired(eval(hook_input(Hook::patient_view), r), "NMOSD-15"));
}

BOOST_AUTO_TEST_CASE(suggested_resources_follow_the_request_fhir_version) {
  auto r = nmosd_patient("");
  for (auto [version, type] : {std::pair{nmo::fhir::FhirVersion::dstu2, "DiagnosticOrder"},
                               std::pair{nmo::fhir::FhirVersion::stu3, "ProcedureRequest"},
                               std::pair{nmo::fhir::FhirVersion::r4, "ServiceRequest"},
                               std::pair{nmo::fhir::FhirVersion::r5, "ServiceRequest"}}) {
    HookInput in = hook_input(Hook::patient_view);
    in.fhir_version = version;
    const auto cards = eval(in, r);
    BOOST_REQUIRE(fired(cards, "NMOSD-01"));
    const std::string& json = card_of(cards, "NMOSD-01").suggestions.at(0).actions.at(0).resource_json;
    BOOST_TEST(json.find(std::string("\"resourceType\":\"") + type + "\"") != std::string::npos, json);
    if (version == nmo::fhir::FhirVersion::r5)
      BOOST_TEST(json.find("\"code\":{\"concept\":") != std::string::npos, json);
  }
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  HookInput in = hook_input(Hook::patient_view);
  in.fhir_version = nmo::fhir::FhirVersion::r5;
  const auto cards = eval(in, r);
  const std::string& json = card_of(cards, "NMOSD-02").suggestions.at(0).actions.at(0).resource_json;
  BOOST_TEST(json.find("\"medication\":{\"concept\":{\"coding\"") != std::string::npos, json);
  BOOST_TEST(json.find("\"intent\":\"order\"") != std::string::npos, json);
}

BOOST_AUTO_TEST_SUITE_END()
