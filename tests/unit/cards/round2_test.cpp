// Issue 12 (clinical engine, round 2): each item as patient stories that fire and stories that stay silent.
#include <filesystem>
#include <tuple>

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include "cards/engine.hpp"
#include "cards/patient_context.hpp"
#include "cards/card_builder.hpp"
#include "cards/text_match.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;
using nmo::fhir::PatientRecord;

namespace {

std::vector<Card> run(const std::string& story_name) {
  const Story story = load_story(story_name);
  return evaluate(story.input, story.record, knowledge());
}

std::string ids(const std::vector<Card>& cards) {
  std::string out;
  for (const auto& id : rule_ids(cards)) out += (out.empty() ? "" : ",") + id;
  return out;
}

std::string agent_of_text(const std::string& text) {
  nmo::fhir::Concept c;
  c.text = text;
  std::string out;
  for (const Agent* a : detail::match_agents(c, knowledge())) out += (out.empty() ? "" : ",") + a->id;
  return out;
}

std::string agent_of_code(const std::string& rxcui) {
  nmo::fhir::Concept c;
  c.codings.push_back({"http://www.nlm.nih.gov/research/umls/rxnorm", rxcui, ""});
  std::string out;
  for (const Agent* a : detail::match_agents(c, knowledge())) out += (out.empty() ? "" : ",") + a->id;
  return out;
}

// A suggestion's resource, parsed (an empty object when it is not JSON).
rapidjson::Document resource_of(const Action& a) {
  rapidjson::Document d;
  d.Parse(a.resource_json.c_str());
  if (!d.IsObject()) d.SetObject();
  return d;
}

// A string member of `v`, "" when absent or not a string.
std::string str(const rapidjson::Value& v, const char* member) {
  if (!v.IsObject()) return "";
  const auto it = v.FindMember(member);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// The first code of a ServiceRequest's code, "" when none.
std::string order_code(const Action& a) {
  const rapidjson::Document d = resource_of(a);
  if (!d.HasMember("code") || !d["code"].IsObject() || !d["code"].HasMember("coding")) return "";
  const auto& coding = d["code"]["coding"];
  return coding.IsArray() && !coding.Empty() ? str(coding[0], "code") : "";
}

std::vector<KnowledgeFile> files_with(const std::string& name, const std::string& from, const std::string& to) {
  auto files = knowledge_files();
  for (auto& f : files) {
    if (f.name != name) continue;
    const auto pos = f.text.find(from);
    BOOST_REQUIRE_MESSAGE(pos != std::string::npos, "not in " << name << ": " << from);
    f.text.replace(pos, from.size(), to);
  }
  return files;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round2)

// Item 1: brand and ingredient names in any case.
BOOST_AUTO_TEST_CASE(item01_every_brand_name_in_any_case_names_its_agent) {
  const std::pair<const char*, const char*> brands[] = {
      {"TYSABRI 300 MG/15ML", "natalizumab"},         {"Gilenya 0.5 mg capsule", "fingolimod"},
      {"mayzent 2 mg", "siponimod"},                  {"ZEPOSIA 0.92 MG", "ozanimod"},
      {"Ponvory 20 mg", "ponesimod"},                 {"COPAXONE 40 mg/mL", "glatiramer"},
      {"Glatopa 20 MG/ML", "glatiramer"},             {"tecfidera 240 mg", "dimethyl_fumarate"},
      {"VUMERITY 231 MG", "diroximel_fumarate"},      {"Bafiertam 95 mg", "monomethyl_fumarate"},
      {"AVONEX PEN 30 MCG", "interferon_beta_1a"},    {"Rebif Rebidose 44 mcg", "interferon_beta_1a"},
      {"PLEGRIDY 125 mcg", "peginterferon_beta_1a"},  {"Betaseron 0.3 mg", "interferon_beta_1b"},
      {"EXTAVIA", "interferon_beta_1b"},              {"Lemtrada 12 mg", "alemtuzumab"},
      {"AUBAGIO 14 MG", "teriflunomide"},             {"Mavenclad 10 mg", "cladribine"},
      {"SOLIRIS 300 MG/30ML", "eculizumab"},          {"Bkemv", "eculizumab"},
      {"EPYSQLI", "eculizumab"},                      {"Ultomiris 100 mg/mL", "ravulizumab"},
      {"UPLIZNA 100 MG/10ML", "inebilizumab"},        {"enspryng 120 mg", "satralizumab"},
      {"RITUXAN 500 MG", "rituximab"},                {"Truxima", "rituximab"},
      {"RUXIENCE", "rituximab"},                      {"riabni 100 mg", "rituximab"},
      {"ACTEMRA 162 MG", "tocilizumab"},              {"IMURAN 50 MG Oral Tablet", "azathioprine"},
      {"Azasan 75 mg", "azathioprine"},               {"CELLCEPT 500 MG", "mycophenolate"},
      {"Myfortic 360 mg", "mycophenolate"},           {"TREXALL 2.5 MG", "methotrexate"},
      {"Otrexup 15 mg auto-injector", "methotrexate"}, {"RASUVO 10 MG", "methotrexate"},
      {"INTERFERON BETA-1A 30 MCG", "interferon_beta_1a"}, {"Interferon Beta-1b", "interferon_beta_1b"},
      {"NATALIZUMAB", "natalizumab"},                 {"Fingolimod Hydrochloride 0.5 MG", "fingolimod"},
  };
  for (const auto& [text, agent] : brands) BOOST_TEST(agent_of_text(text) == agent, text);
}

BOOST_AUTO_TEST_CASE(item01_a_name_inside_another_word_or_an_unrelated_drug_names_no_agent) {
  BOOST_TEST(agent_of_text("Acetaminophen 500 MG Oral Tablet") == "");
  BOOST_TEST(agent_of_text("Gilenyaxx") == "");
  BOOST_TEST(agent_of_text("Peginterferon beta-1a 125 mcg") == "peginterferon_beta_1a");  // not interferon beta-1a
}

BOOST_AUTO_TEST_CASE(item01_product_code_without_ingredient_coding_maps_through_its_ingredient) {
  BOOST_TEST(agent_of_code("1373483") == "dimethyl_fumarate");  // Tecfidera product (openFDA NDC 64406-005)
  BOOST_TEST(agent_of_code("727813") == "interferon_beta_1a");  // Avonex Pen product
  BOOST_TEST(agent_of_code("1012899") == "fingolimod");         // Gilenya product
  BOOST_TEST(agent_of_code("198440") == "");                    // a code the knowledge does not carry
  const KnowledgeBase& kb = knowledge();
  for (const auto& a : kb.agents())
    for (const auto& c : a.codes)
      if (c.kind == "product") BOOST_TEST(!c.ingredient.empty(), c.code);
}

BOOST_AUTO_TEST_CASE(item01_product_code_mapped_to_an_ingredient_of_another_agent_does_not_load) {
  auto kb = load_knowledge(
      files_with("agents.json", "\"kind\": \"product\",\n          \"ingredient\": \"1373478\"",
                 "\"kind\": \"product\",\n          \"ingredient\": \"75917\""));
  BOOST_REQUIRE(!kb.ok());
  BOOST_TEST(kb.problem().message.find("is not an ingredient code of agent 'dimethyl_fumarate'") != std::string::npos,
             kb.problem().message);
}

BOOST_AUTO_TEST_CASE(item01_nmosd_brand_name_only_order_is_the_ms_drug_hard_stop) {
  const auto cards = run("nmosd_tysabri_brand_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-05");
  BOOST_TEST(indicator_name(card_of(cards, "NMOSD-05").indicator) == "critical");
}

BOOST_AUTO_TEST_CASE(item01_nmosd_product_code_only_order_is_the_ms_drug_hard_stop) {
  const auto cards = run("nmosd_tecfidera_product_code_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-05");
  BOOST_TEST(card_of(cards, "NMOSD-05").detail.find("Dimethyl fumarate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(item01_ms_patient_drafting_tysabri_without_nmosd_stays_silent) {
  BOOST_TEST(run("ms_tysabri_drafted_without_nmosd").empty());
}

// Item 9: NMOSD-01 at order time only when the drafted order is an NMOSD-relevant agent.
BOOST_AUTO_TEST_CASE(item09_acetaminophen_order_does_not_ask_for_aqp4_serostatus) {
  BOOST_TEST(run("nmosd_aqp4_unknown_acetaminophen_drafted").empty());
}

BOOST_AUTO_TEST_CASE(item09_azathioprine_order_without_aqp4_result_asks_for_serostatus) {
  const auto cards = run("nmosd_aqp4_unknown_azathioprine_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-01");
  BOOST_TEST(indicator_name(card_of(cards, "NMOSD-01").indicator) == "warning");
}

// Item 11: no suggestion of an agent the patient already receives or relapsed on.
BOOST_AUTO_TEST_CASE(item11_eculizumab_patient_drafting_methotrexate_is_told_and_offered_to_cancel) {
  const auto cards = run("aqp4_positive_on_eculizumab_methotrexate_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-03");
  const Card& c = card_of(cards, "NMOSD-03");
  BOOST_TEST(c.detail.find("The patient already receives Eculizumab (MedicationRequest/ecu-1") != std::string::npos);
  BOOST_REQUIRE(c.suggestions.size() == 1u);
  BOOST_TEST(c.suggestions[0].label ==
             "Cancel the draft Methotrexate order: the patient already receives Eculizumab");
  BOOST_REQUIRE(c.suggestions[0].actions.size() == 1u);
  BOOST_TEST(c.suggestions[0].actions[0].type == "delete");
  BOOST_TEST(c.suggestions[0].actions[0].resource_id == "MedicationRequest/request-123");
}

BOOST_AUTO_TEST_CASE(item11_patient_on_nothing_newer_is_offered_every_formulary_agent) {
  const auto cards = run("aqp4_positive_azathioprine_drafted");
  BOOST_TEST(card_of(cards, "NMOSD-03").suggestions.size() == knowledge().formulary().size());
}

BOOST_AUTO_TEST_CASE(item11_agent_the_patient_relapsed_on_is_never_suggested) {
  PatientRecord r;
  r.patient = nmo::fhir::Patient{"pat", utc(1980, 1, 1), "male"};
  r.conditions.push_back(nmosd_condition("nmosd-1", utc(2019, 1, 1)));
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2019, 1, 2)));
  auto rtx = medication("rtx", "121191", "rituximab", "stopped", utc(2019, 3, 1));
  rtx.end = utc(2023, 1, 1);
  r.medications.push_back(rtx);
  auto ivmp = medication("ivmp", "6902", "methylprednisolone", "completed", utc(2022, 6, 1));
  ivmp.dose_mg = 1000;
  ivmp.route.text = "intravenous";
  r.medications.push_back(ivmp);
  const auto cards = evaluate(hook_input(Hook::patient_view), r, knowledge());
  BOOST_REQUIRE(fired(cards, "NMOSD-02"));
  const Card& c = card_of(cards, "NMOSD-02");
  for (const auto& s : c.suggestions) BOOST_TEST(s.label.find("Rituximab") == std::string::npos, s.label);
  BOOST_TEST(c.suggestions.size() == knowledge().formulary().size());  // 4 approved agents + referral
}

// Item 12: summaries name the drug, under 140 characters.
BOOST_AUTO_TEST_CASE(item12_summaries_name_the_drug) {
  BOOST_TEST(card_of(run("nmosd_interferon_beta_drafted"), "NMOSD-05").summary ==
             "Interferon beta-1a in NMOSD: may worsen the disease — stop it.");
  BOOST_TEST(card_of(run("aqp4_positive_azathioprine_drafted"), "NMOSD-03").summary ==
             "Azathioprine for AQP4+ NMOSD while newer approved agents are available.");
  BOOST_TEST(card_of(run("eculizumab_drafted_without_meningococcal_vaccination"), "NMOSD-06").summary.rfind(
                 "Eculizumab:", 0) == 0);
  BOOST_TEST(card_of(run("pregnant_on_mycophenolate"), "NMOSD-14").summary ==
             "Pregnancy with Mycophenolate (teratogenic): review NMOSD therapy now.");
}

BOOST_AUTO_TEST_CASE(item12_summary_too_long_with_the_longest_agent_name_does_not_load) {
  auto kb = load_knowledge(files_with("cards.json", "\"summary\": \"{agent} in NMOSD: may worsen the disease — stop it.\"",
                                      "\"summary\": \"{agent} in NMOSD: may worsen the disease — stop it. " +
                                          std::string(100, 'x') + "\""));
  BOOST_REQUIRE(!kb.ok());
  BOOST_TEST(kb.problem().message.find("under 140 characters") != std::string::npos);
}

// Item 16: real primary citations; no card cites an internal file.
BOOST_AUTO_TEST_CASE(item16_ms_drug_card_cites_palace_kleiter_and_min) {
  const auto cards = run("nmosd_interferon_beta_drafted");
  const Card& c = card_of(cards, "NMOSD-05");
  BOOST_TEST(c.detail.find("Palace J et al.") != std::string::npos);
  BOOST_TEST(c.detail.find("https://doi.org/10.1001/archneurol.2010.188") != std::string::npos);
  BOOST_TEST(c.detail.find("Kleiter I et al.") != std::string::npos);
  BOOST_TEST(c.detail.find("https://doi.org/10.1001/archneurol.2011.216") != std::string::npos);
  BOOST_TEST(c.detail.find("Min JH et al.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(item16_citation_of_an_internal_file_does_not_load) {
  auto kb = load_knowledge(files_with("citations.json", "\"label\": \"Palace J et al.",
                                      "\"label\": \"as cited in nmosd-knowledge.md §3; Palace J et al."));
  BOOST_REQUIRE(!kb.ok());
  BOOST_TEST(kb.problem().message.find("internal file") != std::string::npos);
}

// Items 12 and 16 on every story in tests/fixtures/stories: summaries filled in and short, no internal file cited.
BOOST_AUTO_TEST_CASE(item12_item16_every_story_card_has_a_filled_short_summary_and_no_internal_citation) {
  for (const auto& e : std::filesystem::directory_iterator(std::string(NMO_FIXTURES_DIR) + "/stories")) {
    if (e.path().extension() != ".json") continue;
    const std::string name = e.path().stem().string();
    BOOST_TEST_CONTEXT(name) {
      const auto cards = run(name);
      for (std::size_t i = 1; i < cards.size(); ++i)
        BOOST_TEST(static_cast<int>(cards[i - 1].indicator) >= static_cast<int>(cards[i].indicator));
      for (const Card& c : cards) {
        BOOST_TEST(c.suggestions.empty() == c.selection_behavior.empty());
        BOOST_TEST(rule_number_of_card_uuid(c.uuid) == rule_number(c.rule_id));
        BOOST_TEST(detail::utf8_length(c.summary) < 140u);
        BOOST_TEST(c.summary.find('{') == std::string::npos, c.summary);
        for (const std::string* text : {&c.summary, &c.detail, &c.source.url}) {
          BOOST_TEST(text->find("nmosd-knowledge") == std::string::npos);
          BOOST_TEST(text->find(".md") == std::string::npos);
        }
        for (const auto& l : c.links) BOOST_TEST(l.label.find(".md") == std::string::npos);
        for (const auto& sg : c.suggestions) BOOST_TEST(sg.label.find('{') == std::string::npos, sg.label);
      }
    }
  }
}

// Item 2: NMOSD recorded as text only, on word boundaries, not negated.
BOOST_AUTO_TEST_CASE(item02_nmosd_text_counts_on_word_boundaries_unless_negated) {
  auto nmosd_of = [](const std::string& text) {
    PatientRecord r;
    nmo::fhir::Condition c;
    c.id = "c";
    c.code.text = text;
    c.clinical_status = "active";
    r.conditions.push_back(c);
    return build_context(hook_input(Hook::patient_view), r, knowledge()).nmosd;
  };
  BOOST_TEST(nmosd_of("NMOSD"));
  BOOST_TEST(nmosd_of("Neuromyelitis optica"));
  BOOST_TEST(nmosd_of("neuromyelitis optica spectrum disorder, AQP4 positive"));
  BOOST_TEST(nmosd_of("NMO spectrum disorder"));
  BOOST_TEST(nmosd_of("Devic's disease"));
  BOOST_TEST(nmosd_of("NMOSD, no relapse since 2020"));  // the negation is in another clause
  BOOST_TEST(!nmosd_of("NMOSD ruled out"));
  BOOST_TEST(!nmosd_of("not NMOSD"));
  BOOST_TEST(!nmosd_of("No neuromyelitis optica"));
  BOOST_TEST(!nmosd_of("Neuromyelitis opticae-like lesion"));  // not on a word boundary
  BOOST_TEST(!nmosd_of("Multiple sclerosis"));
}

BOOST_AUTO_TEST_CASE(item02_text_only_nmosd_on_natalizumab_is_critical_and_says_the_match_was_textual) {
  const auto cards = run("nmosd_text_only_on_natalizumab");
  BOOST_TEST(ids(cards) == "NMOSD-05,NMOSD-01");
  const Card& c = card_of(cards, "NMOSD-05");
  BOOST_TEST(indicator_name(c.indicator) == "critical");
  BOOST_TEST(c.detail.find("NMOSD recorded as text only (Condition/dx-1 \"NMO spectrum disorder\"; matched by its text") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(item02_ms_patient_with_nmosd_ruled_out_stays_silent) {
  BOOST_TEST(run("ms_with_nmosd_ruled_out_on_natalizumab").empty());
}

// Item 3: quantitative AQP4 results, value strings, interpretation, method and sample per code.
BOOST_AUTO_TEST_CASE(item03_aqp4_quantity_is_read_against_its_reference_range_and_value_strings_are_read) {
  auto read = [](nmo::fhir::Observation o) {
    PatientRecord r;
    r.observations.push_back(std::move(o));
    const auto ctx = build_context(hook_input(Hook::patient_view), r, knowledge());
    if (ctx.labs.empty()) return std::string("not a lab");
    const LabResult& lab = ctx.labs.front();
    std::string v = lab.value == ResultValue::positive   ? "positive"
                    : lab.value == ResultValue::negative ? "negative"
                                                         : "indeterminate";
    return v + (lab.low_positive ? ",low" : "") + (lab.cell_based ? ",cba" : "");
  };
  auto elisa = [](double value, std::optional<double> high) {
    nmo::fhir::Observation o = aqp4_result("e", "", utc(2026, 1, 1));
    o.code.codings[0].code = "68548-7";
    o.value_string.reset();
    o.value_quantity = value;
    o.value_unit = "U/mL";
    o.reference_high = high;
    return o;
  };
  BOOST_TEST(read(elisa(48, 3.0)) == "positive");
  BOOST_TEST(read(elisa(4.1, 3.0)) == "positive,low");
  BOOST_TEST(read(elisa(1.2, 3.0)) == "negative");
  BOOST_TEST(read(elisa(4.1, std::nullopt)) == "indeterminate");  // a bare quantity
  auto with_h = elisa(4.1, std::nullopt);
  with_h.interpretation.push_back(nmo::fhir::Concept{{{"", "H", ""}}, ""});
  BOOST_TEST(read(with_h) == "positive");
  // 43638-6 has no method (review of issue 12, defect 11): neither cell-based nor a low-positive ELISA.
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"Positiv", "positive"}, {"Negativ", "negative"}, {"Positive", "positive"},
           {"1:320", "positive"}, {"<1:10", "negative"}, {"weakly positive", "positive"}}) {
    BOOST_TEST(read(aqp4_result("s", text, utc(2026, 1, 1))) == expected, text);
  }
  auto cba = aqp4_result("c", "Positive", utc(2026, 1, 1));
  cba.code.codings[0].code = "63439-4";
  BOOST_TEST(read(cba) == "positive,cba");
  auto weak_elisa = aqp4_result("w", "weakly positive", utc(2026, 1, 1));
  weak_elisa.code.codings[0].code = "61430-5";
  BOOST_TEST(read(weak_elisa) == "positive,low");
}

BOOST_AUTO_TEST_CASE(item03_every_aqp4_and_mog_code_carries_its_method_and_sample) {
  for (const char* id : {"aqp4", "mog"}) {
    for (const auto& c : knowledge().value_set(id).codes) {
      BOOST_TEST(!c.method.empty(), c.code);
      BOOST_TEST(!c.sample.empty(), c.code);
    }
  }
  const auto& aqp4 = knowledge().value_set("aqp4").codes;
  auto method_of = [&](const std::string& code) {
    for (const auto& c : aqp4)
      if (c.code == code) return c.method;
    return std::string();
  };
  BOOST_TEST(method_of("68548-7") == "elisa");
  BOOST_TEST(method_of("43638-6") == "unspecified");
  BOOST_TEST(method_of("63439-4") == "cell_based");
}

// Item 10: NMOSD-05 urgency.
BOOST_AUTO_TEST_CASE(item10_low_positive_elisa_in_ms_patient_is_a_warning_to_confirm_by_cell_based_assay) {
  const auto cards = run("ms_low_positive_elisa_on_natalizumab");
  BOOST_TEST(ids(cards) == "NMOSD-05");
  const Card& c = card_of(cards, "NMOSD-05");
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.summary.find("confirm by cell-based assay") != std::string::npos);
  BOOST_TEST(c.detail.find("low-positive, not by cell-based assay") != std::string::npos);
  bool orders_cba = false;
  for (const auto& s : c.suggestions)
    for (const auto& a : s.actions) orders_cba = orders_cba || order_code(a) == "63439-4";
  BOOST_TEST(orders_cba);
}

BOOST_AUTO_TEST_CASE(item10_cell_based_positive_or_clear_elisa_positive_stays_critical) {
  BOOST_TEST(indicator_name(card_of(run("ms_cell_based_aqp4_positive_on_natalizumab"), "NMOSD-05").indicator) ==
             "critical");
  BOOST_TEST(indicator_name(card_of(run("ms_high_positive_elisa_drafted_natalizumab"), "NMOSD-05").indicator) ==
             "critical");
}

// Item 14: patient-view NMOSD-05 offers to stop the MS therapy.
BOOST_AUTO_TEST_CASE(item14_patient_view_ms_therapy_in_nmosd_offers_to_stop_that_order) {
  const auto cards = run("ms_cell_based_aqp4_positive_on_natalizumab");
  const Card& c = card_of(cards, "NMOSD-05");
  BOOST_REQUIRE(!c.suggestions.empty());
  const Action& a = c.suggestions[0].actions.at(0);
  BOOST_TEST(a.type == "update");
  const rapidjson::Document stop = resource_of(a);
  BOOST_TEST(str(stop, "resourceType") == "MedicationRequest");
  BOOST_TEST(str(stop, "id") == "nat-1");
  BOOST_TEST(str(stop, "status") == "stopped");
  BOOST_TEST(c.suggestions[0].label == "Stop Natalizumab (set the order to stopped)");
  BOOST_TEST(!c.override_reasons.empty());
}

// Item 6: pregnancy by codes, a positive hCG or a pregnancy-status Observation; planning, negative tests, history and
// the postpartum state are not pregnancy.
namespace {
nmo::fhir::Condition condition_text(const std::string& id, const std::string& text) { return text_condition(id, text); }
nmo::fhir::Observation observation(const std::string& id, const std::string& loinc, std::int64_t when) {
  auto o = lab_result(id, loinc, when);
  o.value_string.reset();
  return o;
}
bool teratogen_alert(const PatientRecord& r) {
  return fired(evaluate(hook_input(Hook::patient_view), r, knowledge()), "NMOSD-14");
}
}  // namespace

BOOST_AUTO_TEST_CASE(item06_pregnancy_code_hcg_and_status_observation_each_give_the_teratogen_alert) {
  const auto coded = run("pregnant_by_icd10_code_on_mycophenolate");
  BOOST_TEST(ids(coded) == "NMOSD-14");
  BOOST_TEST(indicator_name(card_of(coded, "NMOSD-14").indicator) == "critical");
  const auto hcg = run("pregnant_by_positive_hcg_on_mycophenolate");
  BOOST_TEST(ids(hcg) == "NMOSD-14");
  BOOST_TEST(card_of(hcg, "NMOSD-14").detail.find("hCG positive (Observation/hcg-1, 2026-11-10)") != std::string::npos);

  auto r = on_mycophenolate();
  auto status = observation("st", "82810-3", utc(2026, 11, 1));
  status.value_concept = nmo::fhir::Concept{{{"http://snomed.info/sct", "77386006", "Patient currently pregnant"}}, ""};
  r.observations.push_back(status);
  BOOST_TEST(teratogen_alert(r));
  r.observations[0].value_concept = nmo::fhir::Concept{{{"http://snomed.info/sct", "60001007", "Not pregnant"}}, ""};
  BOOST_TEST(!teratogen_alert(r));

  r = on_mycophenolate();
  auto obstetric = condition_text("o", "");
  obstetric.code.codings.push_back({"http://hl7.org/fhir/sid/icd-10-cm", "O26.891", "Other specified pregnancy related conditions, first trimester"});
  r.conditions.push_back(obstetric);
  BOOST_TEST(teratogen_alert(r));
}

BOOST_AUTO_TEST_CASE(item06_planning_negative_test_history_and_postpartum_are_not_pregnancy) {
  for (const char* text : {"Planning pregnancy", "Pregnancy test negative", "History of pregnancy", "Postpartum state",
                           "Not pregnant"}) {
    auto r = on_mycophenolate();
    r.conditions.push_back(condition_text("c", text));
    BOOST_TEST(!teratogen_alert(r), text);
  }
  auto r = on_mycophenolate();
  auto puerperal = condition_text("p", "");
  puerperal.code.codings.push_back({"http://hl7.org/fhir/sid/icd-10-cm", "O90.89", "Other complications of the puerperium"});
  r.conditions.push_back(puerperal);
  BOOST_TEST(!teratogen_alert(r));

  r = on_mycophenolate();  // a positive hCG two years ago, or followed by a negative one
  auto old_positive = observation("h1", "2106-3", utc(2024, 6, 1));
  old_positive.value_string = "Positive";
  r.observations.push_back(old_positive);
  BOOST_TEST(!teratogen_alert(r));
  r.observations[0].effective = utc(2026, 10, 1);
  BOOST_TEST(teratogen_alert(r));
  auto later_negative = observation("h2", "2106-3", utc(2026, 11, 20));
  later_negative.value_string = "Negative";
  r.observations.push_back(later_negative);
  BOOST_TEST(!teratogen_alert(r));
}

BOOST_AUTO_TEST_CASE(item06_planned_pregnancy_on_mycophenolate_gets_counselling_not_the_teratogen_alert) {
  const auto cards = run("planning_pregnancy_on_mycophenolate");
  BOOST_TEST(ids(cards) == "NMOSD-15");
  BOOST_TEST(card_of(cards, "NMOSD-15").detail.find("Pregnancy planned: Condition/plan-1") != std::string::npos);
}

// Item 4: meningococcal vaccination before a C5 inhibitor (NMOSD-06).
namespace {
nmo::fhir::Immunization vaccine(const std::string& id, const std::string& cvx, std::int64_t when) {
  nmo::fhir::Immunization i;
  i.id = id;
  i.status = "completed";
  i.vaccine.codings.push_back({"http://hl7.org/fhir/sid/cvx", cvx, ""});
  i.occurrence = when;
  return i;
}
bool c5_alert(const std::vector<nmo::fhir::Immunization>& doses) {
  PatientRecord r;
  r.conditions.push_back(nmosd_condition());
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  r.draft_medications.push_back(draft_order("request-123", "591781", "eculizumab"));
  r.immunizations = doses;
  return fired(evaluate(hook_input(Hook::order_sign), r, knowledge()), "NMOSD-06");
}
}  // namespace

BOOST_AUTO_TEST_CASE(item04_only_serogroup_covering_doses_inside_acip_windows_count) {
  const auto acwy1 = vaccine("a1", "203", utc(2026, 6, 1)), acwy2 = vaccine("a2", "203", utc(2026, 8, 15));
  const auto b1 = vaccine("b1", "163", utc(2026, 6, 1)), b2 = vaccine("b2", "163", utc(2026, 7, 15));
  BOOST_TEST(!c5_alert({acwy1, acwy2, b1, b2}));                          // both primary series complete
  BOOST_TEST(c5_alert({acwy1, b1, b2}));                                  // one MenACWY dose
  BOOST_TEST(c5_alert({acwy1, vaccine("a2", "108", utc(2026, 8, 15)), b1, b2}));  // unspecified formulation
  BOOST_TEST(c5_alert({vaccine("h1", "148", utc(2026, 6, 1)), vaccine("h2", "148", utc(2026, 8, 15)), b1, b2}));  // Hib-MenCY
  BOOST_TEST(c5_alert({acwy1, vaccine("a2", "203", utc(2026, 6, 20)), b1, b2}));  // second dose < 8 weeks later
  BOOST_TEST(c5_alert({vaccine("o1", "114", utc(2018, 1, 1)), vaccine("o2", "114", utc(2018, 4, 1)), b1, b2}));  // > 5 years
  BOOST_TEST(c5_alert({acwy1, acwy2, b1}));                               // one MenB-4C dose
  const auto t1 = vaccine("t1", "162", utc(2026, 3, 1)), t2 = vaccine("t2", "162", utc(2026, 4, 15));
  BOOST_TEST(c5_alert({acwy1, acwy2, t1, t2}));                           // MenB-FHbp needs 3 doses
  BOOST_TEST(!c5_alert({acwy1, acwy2, t1, t2, vaccine("t3", "162", utc(2026, 9, 1))}));
  BOOST_TEST(c5_alert({acwy1, acwy2, b1, vaccine("t1", "162", utc(2026, 7, 15))}));  // products not interchangeable
}

BOOST_AUTO_TEST_CASE(item04_one_menacwy_dose_and_an_unspecified_formulation_dose_fire_and_say_why) {
  const auto cards = run("eculizumab_drafted_after_one_menacwy_and_unspecified_meningococcal");
  BOOST_TEST(ids(cards) == "NMOSD-06");
  const Card& c = card_of(cards, "NMOSD-06");
  BOOST_TEST(c.detail.find("does not count as MenACWY or MenB protection") != std::string::npos);
  BOOST_TEST(c.detail.find("2-dose primary series at least 8 weeks apart") != std::string::npos);
  BOOST_REQUIRE(c.suggestions.size() == 1u);  // MenACWY only: the MenB series is complete
  BOOST_TEST(c.suggestions[0].label.find("ACWY") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(item04_fully_vaccinated_patient_gets_no_c5_card) {
  BOOST_TEST(run("eculizumab_drafted_fully_vaccinated").empty());
}

BOOST_AUTO_TEST_CASE(item04_aqp4_positive_patient_without_nmosd_condition_gets_the_c5_card) {
  const auto cards = run("aqp4_positive_without_nmosd_ravulizumab_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-06");
  BOOST_TEST(card_of(cards, "NMOSD-06").summary.rfind("Ravulizumab:", 0) == 0);
}

// Item 5: a positive screening result is a finding, not a tick (NMOSD-07).
namespace {
nmo::fhir::Observation screen(const std::string& id, const std::string& loinc, const std::string& value) {
  auto o = lab_result(id, loinc, utc(2026, 10, 1));
  o.value_string = value;
  return o;
}
std::vector<Card> order_sign_with(const std::string& rxcui, const std::string& name,
                                  const std::vector<nmo::fhir::Observation>& labs) {
  PatientRecord r;
  r.conditions.push_back(nmosd_condition());
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  for (const auto& o : labs) r.observations.push_back(o);
  r.draft_medications.push_back(draft_order("request-123", rxcui, name));
  return evaluate(hook_input(Hook::order_sign), r, knowledge());
}
}  // namespace

BOOST_AUTO_TEST_CASE(item05_hbsag_positive_before_rituximab_is_critical_with_hepatology_referral) {
  const auto cards = run("rituximab_drafted_hbsag_positive");
  BOOST_TEST(ids(cards) == "NMOSD-07");
  const Card& c = card_of(cards, "NMOSD-07");
  BOOST_TEST(indicator_name(c.indicator) == "critical");
  BOOST_TEST(c.summary.find("do not start without antiviral prophylaxis") != std::string::npos);
  BOOST_TEST(c.detail.find("HBsAg positive (Observation/hbsag-1") != std::string::npos);
  BOOST_TEST(c.detail.find("Anti-HBc positive (Observation/hbc-1") != std::string::npos);
  BOOST_REQUIRE(!c.suggestions.empty());
  BOOST_TEST(c.suggestions[0].label.find("hepatology") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(item05_negative_screening_before_rituximab_stays_silent) {
  BOOST_TEST(run("rituximab_drafted_screening_negative").empty());
}

BOOST_AUTO_TEST_CASE(item05_anti_hbc_igra_low_igg_and_transaminases_are_findings) {
  const auto hbc = order_sign_with("121191", "rituximab",
                                   {screen("s", "5196-1", "Negative"), screen("c", "16933-4", "Positive")});
  BOOST_REQUIRE(fired(hbc, "NMOSD-07"));
  BOOST_TEST(indicator_name(card_of(hbc, "NMOSD-07").indicator) == "warning");
  BOOST_TEST(card_of(hbc, "NMOSD-07").suggestions.at(0).label == "Order HBV DNA (viral load)");

  const auto tb = order_sign_with("612865", "tocilizumab", {screen("t", "71773-6", "Positive")});
  BOOST_REQUIRE(fired(tb, "NMOSD-07"));
  BOOST_TEST(card_of(tb, "NMOSD-07").detail.find("latent tuberculosis to be treated") != std::string::npos);
  BOOST_TEST(!fired(order_sign_with("612865", "tocilizumab", {screen("t", "71773-6", "Negative")}), "NMOSD-07"));

  auto igg = screen("g", "2465-3", "");
  igg.value_string.reset();
  igg.value_quantity = 450;
  igg.value_unit = "mg/dL";
  const auto ineb = order_sign_with("2373951", "inebilizumab",
                                    {screen("s", "5196-1", "Negative"), screen("c", "16933-4", "Negative"), igg,
                                     screen("t", "71773-6", "Negative")});
  BOOST_REQUIRE(fired(ineb, "NMOSD-07"));
  BOOST_TEST(card_of(ineb, "NMOSD-07").detail.find("Low serum IgG") != std::string::npos);

  const auto satra = order_sign_with("2391541", "satralizumab",
                                     {screen("s", "5196-1", "Negative"), screen("c", "16933-4", "Negative"),
                                      screen("t", "71773-6", "Negative")});
  BOOST_REQUIRE(fired(satra, "NMOSD-07"));  // liver transaminases (label) missing
  BOOST_TEST(order_code(card_of(satra, "NMOSD-07").suggestions.at(0).actions.at(0)) == "1742-6");
}

// Item 15: suggestions fitted to this patient, ordered, each with its reason.
BOOST_AUTO_TEST_CASE(item15_suggestions_are_ordered_by_fit_and_say_why) {
  PatientRecord r;
  r.patient = nmo::fhir::Patient{"pat", utc(1975, 1, 1), "male"};
  r.conditions.push_back(nmosd_condition());
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  r.observations.push_back(screen("t", "71773-6", "Positive"));
  for (const auto& [id, cvx, when] : std::vector<std::tuple<std::string, std::string, std::int64_t>>{
           {"a1", "203", utc(2026, 6, 1)}, {"a2", "203", utc(2026, 8, 15)},
           {"b1", "163", utc(2026, 6, 1)}, {"b2", "163", utc(2026, 7, 15)}})
    r.immunizations.push_back(vaccine(id, cvx, when));
  const auto cards = evaluate(hook_input(Hook::patient_view), r, knowledge());
  const Card& c = card_of(cards, "NMOSD-02");
  std::vector<std::string> labels;
  for (const auto& s : c.suggestions) labels.push_back(s.label);
  BOOST_REQUIRE(labels.size() == 6u);
  BOOST_TEST(labels[0] == "Draft Eculizumab (available at this site; meningococcal vaccination documented)");
  BOOST_TEST(labels[1] == "Draft Ravulizumab (available at this site; meningococcal vaccination documented)");
  BOOST_TEST(labels[2] == "Draft Rituximab (available at this site)");
  BOOST_TEST(labels[3] == "Draft Inebilizumab (positive TB screen: treat latent TB first)");
  BOOST_TEST(labels[4] == "Draft Satralizumab (positive TB screen: treat latent TB first)");
  BOOST_TEST(c.selection_behavior == "at-most-one");

  r.immunizations.clear();  // C5 inhibitors then need vaccination first and move down
  const auto unvaccinated = evaluate(hook_input(Hook::patient_view), r, knowledge());
  BOOST_TEST(card_of(unvaccinated, "NMOSD-02").suggestions.at(0).label == "Draft Rituximab (available at this site)");

  r.observations[0].value_string = "Negative";  // AQP4-negative: no AQP4+-only agent is offered anywhere
  r.draft_medications.push_back(draft_order("request-123", "1256", "azathioprine"));
  for (const auto& card : evaluate(hook_input(Hook::order_select, {"MedicationRequest/request-123"}), r, knowledge()))
    for (const auto& s : card.suggestions)
      for (const char* approved : {"Eculizumab", "Ravulizumab", "Inebilizumab", "Satralizumab"})
        BOOST_TEST(s.label.find(std::string("with ") + approved) == std::string::npos, s.label);
}

// Item 7: relapse dated by the event; its own card on a high-efficacy agent; other anti-CD20s are maintenance.
BOOST_AUTO_TEST_CASE(item07_relapse_on_rituximab_is_dated_by_the_event_and_gets_its_own_card) {
  const auto cards = run("relapse_on_rituximab");
  BOOST_TEST(ids(cards) == "NMOSD-16,NMOSD-16");  // the switch card and the B-cell check card (review defect 10)
  const Card& c = card_of(cards, "NMOSD-16");
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.summary == "Relapse on Rituximab: check adherence and B-cell repopulation; consider switching class.");
  BOOST_TEST(c.detail.find("clinical status relapse, 2026-11-10") != std::string::npos);
  BOOST_REQUIRE(cards.size() == 2u);
  BOOST_REQUIRE(!cards[1].suggestions.empty());
  BOOST_TEST(cards[1].suggestions[0].label == "Order CD19+ / CD27+ B-cell counts");
  for (const auto& sg : c.suggestions) {
    BOOST_TEST(sg.label.find("Rituximab") == std::string::npos, sg.label);
    BOOST_TEST(sg.label.find("Inebilizumab") == std::string::npos, sg.label);  // same class: B-cell depletion
  }
}

BOOST_AUTO_TEST_CASE(item07_relapse_outside_the_window_gets_no_relapse_card) {
  const auto cards = run("remote_relapse_on_rituximab");
  BOOST_TEST(!fired(cards, "NMOSD-16"));
  BOOST_TEST(!fired(cards, "NMOSD-04"));
}

// Review of issue 12, defect 5: the onset dates the event when there is one; recordedDate only without an onset.
BOOST_AUTO_TEST_CASE(item07_relapse_status_without_an_onset_is_dated_by_its_recorded_date_on_azathioprine) {
  PatientRecord r;
  r.patient = nmo::fhir::Patient{"pat", utc(1980, 1, 1), "male"};
  r.conditions.push_back(nmosd_condition("nmosd-1", utc(2021, 3, 10)));
  auto c = nmosd_condition("relapse-1", utc(2021, 3, 10));
  c.clinical_status = "relapse";
  c.onset.reset();
  c.recorded = utc(2026, 11, 1);
  r.conditions.push_back(c);
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  r.medications.push_back(medication("aza", "1256", "azathioprine", "active", utc(2022, 1, 1)));
  BOOST_TEST(fired(evaluate(hook_input(Hook::patient_view), r, knowledge()), "NMOSD-04"));
  // An attack recorded later as its own Condition also counts.
  r.conditions.pop_back();
  r.conditions.push_back(nmosd_condition("attack-2", utc(2026, 10, 20)));
  BOOST_TEST(fired(evaluate(hook_input(Hook::patient_view), r, knowledge()), "NMOSD-04"));
}

BOOST_AUTO_TEST_CASE(item07_other_anti_cd20_agents_are_maintenance_not_ms_drugs_that_worsen_nmosd) {
  for (const char* drug : {"Ocrevus 300 mg", "Kesimpta 20 mg", "Briumvi 150 mg"}) {
    PatientRecord r;
    r.conditions.push_back(nmosd_condition());
    r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
    r.medications.push_back(medication("cd20", "", drug, "active", utc(2025, 1, 1)));
    const auto cards = evaluate(hook_input(Hook::patient_view), r, knowledge());
    BOOST_TEST(!fired(cards, "NMOSD-02"), drug);  // not "no therapy"
    BOOST_TEST(!fired(cards, "NMOSD-05"), drug);  // not an MS drug that worsens NMOSD
  }
}

// Item 8: MOG-IgG positive, AQP4-IgG negative: reconsider MOGAD; never an AQP4+-only agent.
BOOST_AUTO_TEST_CASE(item08_mog_positive_aqp4_negative_prompts_mogad_and_offers_no_approved_agent) {
  const auto cards = run("mog_positive_aqp4_negative_nmosd");
  BOOST_TEST(ids(cards) == "NMOSD-12");
  const Card& c = card_of(cards, "NMOSD-12");
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.summary.find("reconsider MOGAD (ICD-10-CM G37.81)") != std::string::npos);
  for (const auto& sg : c.suggestions)
    for (const auto& a : sg.actions) BOOST_TEST(str(resource_of(a), "resourceType") != "MedicationRequest");

  auto story = load_story("mog_positive_aqp4_negative_nmosd");  // drafting an approved agent: NMOSD-13 says MOG+
  story.input.hook = Hook::order_sign;
  story.record.draft_medications.push_back(draft_order("request-123", "2391541", "satralizumab"));
  const auto order = evaluate(story.input, story.record, knowledge());
  BOOST_REQUIRE(fired(order, "NMOSD-13"));
  BOOST_TEST(card_of(order, "NMOSD-13").detail.find("MOG-IgG positive: reconsider MOGAD") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(item08_mog_negative_seronegative_patient_gets_only_the_work_up) {
  const auto cards = run("seronegative_on_mycophenolate");
  BOOST_TEST(card_of(cards, "NMOSD-12").summary.find("MOGAD") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(item14_dstu2_medication_order_is_stopped_as_a_dstu2_medication_order) {
  PatientRecord r;
  r.version = nmo::fhir::FhirVersion::dstu2;
  r.conditions.push_back(nmosd_condition());
  auto nat = medication("nat-1", "354770", "natalizumab", "active", utc(2025, 2, 1));
  nat.resource_type = "MedicationOrder";
  nat.source = nmo::fhir::MedicationUse::Source::order;
  r.medications.push_back(nat);
  auto in = hook_input(Hook::patient_view);
  in.fhir_version = nmo::fhir::FhirVersion::dstu2;
  const auto cards = evaluate(in, r, knowledge());
  const Card& c = card_of(cards, "NMOSD-05");
  const rapidjson::Document stop = resource_of(c.suggestions.at(0).actions.at(0));
  BOOST_TEST(str(stop, "resourceType") == "MedicationOrder");
  BOOST_TEST(str(stop, "id") == "nat-1");
  BOOST_TEST(str(stop, "status") == "stopped");
  BOOST_REQUIRE(stop.HasMember("patient"));
  BOOST_TEST(str(stop["patient"], "reference") == "Patient/pat");
  BOOST_TEST(!stop.HasMember("intent"));  // DSTU2 has no intent
}

BOOST_AUTO_TEST_CASE(item13_patient_view_on_an_older_and_a_newer_agent_says_so_and_suggests_no_other_agent) {
  PatientRecord r;
  r.conditions.push_back(nmosd_condition());
  r.observations.push_back(aqp4_result("aqp4-1", "Positive", utc(2021, 3, 12)));
  r.medications.push_back(medication("aza", "1256", "azathioprine", "active", utc(2021, 4, 1)));
  r.medications.push_back(medication("rtx", "121191", "rituximab", "active", utc(2026, 6, 1)));
  const auto cards = evaluate(hook_input(Hook::patient_view), r, knowledge());
  const Card& c = card_of(cards, "NMOSD-03");
  BOOST_TEST(c.detail.find("The patient also receives Rituximab") != std::string::npos);
  BOOST_TEST(c.suggestions.empty());
}

BOOST_AUTO_TEST_SUITE_END()
