// Patient stories (tests/fixtures/stories) through evaluate(): which rules fire and which stay silent.
#include "cards/engine.hpp"

#include <boost/test/unit_test.hpp>

#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;

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

const Suggestion* suggestion_named(const Card& card, const std::string& label_part) {
  for (const auto& s : card.suggestions)
    if (s.label.find(label_part) != std::string::npos) return &s;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_stories)

BOOST_AUTO_TEST_CASE(patient_view_aqp4_positive_on_azathioprine_flags_older_agent_only) {
  const auto cards = run("aqp4_positive_on_azathioprine");
  BOOST_TEST(ids(cards) == "NMOSD-03");
  const Card& c = card_of(cards, "NMOSD-03");
  // Issue 12 item 13: a warning naming the agent, a draft per fitting formulary agent, the current order untouched.
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.summary == "Azathioprine for AQP4+ NMOSD while newer approved agents are available.");
  BOOST_TEST(c.selection_behavior == "at-most-one");
  BOOST_TEST(c.suggestions.size() == knowledge().formulary().size());
  for (const auto& s : c.suggestions) {
    BOOST_REQUIRE(s.actions.size() == 1u);
    BOOST_TEST(s.actions[0].type == "create");
    BOOST_TEST(s.actions[0].resource_json.find("\"status\":\"draft\"") != std::string::npos);
  }
  BOOST_TEST(c.override_reasons.size() == 4u);
  BOOST_TEST(c.detail.find("Azathioprine (MedicationRequest/aza-1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(order_select_azathioprine_with_formulary_newer_agent_suggests_replacement) {
  const auto cards = run("aqp4_positive_azathioprine_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-03");
  const Card& c = card_of(cards, "NMOSD-03");
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.selection_behavior == "at-most-one");
  BOOST_TEST(c.suggestions.size() == knowledge().formulary().size());
  const Suggestion* s = suggestion_named(c, "Eculizumab");
  BOOST_REQUIRE(s);
  BOOST_REQUIRE(s->actions.size() == 2u);
  BOOST_TEST(s->actions[0].type == "delete");
  BOOST_TEST(s->actions[0].resource_id == "MedicationRequest/request-123");
  BOOST_TEST(s->actions[1].type == "create");
  BOOST_TEST(s->actions[1].resource_json.find("\"code\":\"591781\"") != std::string::npos);
  BOOST_TEST(s->actions[1].resource_json.find("\"subject\":{\"reference\":\"Patient/pat\"}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_aqp4_positive_untreated_recommends_maintenance_therapy) {
  const auto cards = run("aqp4_positive_untreated");
  BOOST_TEST(ids(cards) == "NMOSD-02");
  const Card& c = card_of(cards, "NMOSD-02");
  BOOST_TEST(indicator_name(c.indicator) == "warning");
  BOOST_TEST(c.suggestions.size() == knowledge().formulary().size() + 1);  // one per agent + referral
  BOOST_TEST(c.detail.find("Long-term therapy is essential") == std::string::npos);
  BOOST_TEST(c.detail.find("long-term therapy is essential") != std::string::npos);
  BOOST_TEST(c.detail.find("spasticity, bladder dysfunction and neuropathic symptoms") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_aqp4_positive_on_eculizumab_is_silent) {
  BOOST_TEST(run("aqp4_positive_on_eculizumab").empty());
}

BOOST_AUTO_TEST_CASE(patient_view_seronegative_on_mycophenolate_asks_for_work_up_and_contraception) {
  const auto cards = run("seronegative_on_mycophenolate");
  BOOST_TEST(ids(cards) == "NMOSD-15,NMOSD-12");  // warning before info
  const Card& work_up = card_of(cards, "NMOSD-12");
  BOOST_TEST(work_up.suggestions.size() == 2u);  // cell-based AQP4 and MOG
  BOOST_TEST(!fired(cards, "NMOSD-02"));
  BOOST_TEST(!fired(cards, "NMOSD-03"));
}

BOOST_AUTO_TEST_CASE(patient_view_aqp4_never_tested_asks_for_serostatus) {
  const auto cards = run("aqp4_never_tested");
  BOOST_TEST(ids(cards) == "NMOSD-01");
  const Card& c = card_of(cards, "NMOSD-01");
  BOOST_TEST(indicator_name(c.indicator) == "info");
  BOOST_REQUIRE(c.suggestions.size() == 2u);
  BOOST_TEST(c.suggestions[0].actions[0].resource_json.find("\"63439-4\"") != std::string::npos);  // cell-based
  BOOST_TEST(c.suggestions[0].actions[0].resource_json.find("\"resourceType\":\"ServiceRequest\"") !=
             std::string::npos);
  BOOST_TEST(c.suggestions[1].actions[0].resource_json.find("\"90248-6\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_ms_on_natalizumab_without_nmosd_is_silent) {
  BOOST_TEST(run("ms_on_natalizumab_without_nmosd").empty());
}

BOOST_AUTO_TEST_CASE(order_select_natalizumab_for_ms_without_nmosd_is_silent) {
  BOOST_TEST(run("ms_natalizumab_drafted_without_nmosd").empty());
}

BOOST_AUTO_TEST_CASE(order_select_interferon_beta_in_nmosd_is_critical_with_delete) {
  const auto cards = run("nmosd_interferon_beta_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-05");
  const Card& c = card_of(cards, "NMOSD-05");
  BOOST_TEST(indicator_name(c.indicator) == "critical");
  BOOST_REQUIRE(c.suggestions.size() == 1u);
  BOOST_TEST(c.suggestions[0].is_recommended);
  BOOST_REQUIRE(c.suggestions[0].actions.size() == 1u);
  BOOST_TEST(c.suggestions[0].actions[0].type == "delete");
  BOOST_TEST(c.suggestions[0].actions[0].resource_id == "MedicationRequest/request-123");
  BOOST_REQUIRE(c.override_reasons.size() == 2u);
  BOOST_TEST(c.override_reasons[0].display == "Diagnosis revised: not NMOSD");
}

BOOST_AUTO_TEST_CASE(order_select_eculizumab_without_meningococcal_vaccination_is_critical) {
  const auto cards = run("eculizumab_drafted_without_meningococcal_vaccination");
  BOOST_TEST(ids(cards) == "NMOSD-06");
  const Card& c = card_of(cards, "NMOSD-06");
  BOOST_TEST(indicator_name(c.indicator) == "critical");
  BOOST_TEST(c.suggestions.size() == 2u);  // MenACWY and MenB
  BOOST_TEST(!c.links.empty());
}

BOOST_AUTO_TEST_CASE(order_sign_rituximab_without_hbv_screening_asks_for_hbsag_and_anti_hbc) {
  const auto cards = run("rituximab_drafted_without_hbv_screening");
  BOOST_TEST(ids(cards) == "NMOSD-07");
  const Card& c = card_of(cards, "NMOSD-07");
  BOOST_REQUIRE(c.suggestions.size() == 2u);
  BOOST_TEST(c.suggestions[0].actions[0].resource_json.find("\"5196-1\"") != std::string::npos);
  BOOST_TEST(c.suggestions[1].actions[0].resource_json.find("\"16933-4\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_relapse_on_azathioprine_escalates_and_suppresses_older_agent_card) {
  const auto cards = run("relapse_on_azathioprine");
  BOOST_TEST(ids(cards) == "NMOSD-04,NMOSD-10");
  BOOST_TEST(!fired(cards, "NMOSD-03"));
  const Card& c = card_of(cards, "NMOSD-04");
  BOOST_TEST(c.suggestions.size() == knowledge().formulary().size());  // AQP4+: every available agent
}

BOOST_AUTO_TEST_CASE(patient_view_relapses_after_two_high_efficacy_agents_refers_for_ahsct) {
  const auto cards = run("relapses_after_two_high_efficacy_agents");
  BOOST_TEST(ids(cards) == "NMOSD-11");
  const Card& c = card_of(cards, "NMOSD-11");
  BOOST_TEST(c.detail.find("Relapse on Rituximab") != std::string::npos);
  BOOST_TEST(c.detail.find("Relapse on Eculizumab") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_pregnant_on_mycophenolate_is_critical) {
  const auto cards = run("pregnant_on_mycophenolate");
  BOOST_TEST(ids(cards) == "NMOSD-14");
  BOOST_TEST(!fired(cards, "NMOSD-15"));
  BOOST_TEST(!fired(cards, "NMOSD-12"));  // cell-based AQP4 and MOG both done
}

BOOST_AUTO_TEST_CASE(order_select_sandbox_dstu2_medication_order_is_replaced_in_dstu2) {
  const Story story = load_story("sandbox_dstu2_medication_order");
  BOOST_TEST((story.record.version == nmo::fhir::FhirVersion::dstu2));
  const auto cards = evaluate(story.input, story.record, knowledge());
  BOOST_TEST(ids(cards) == "NMOSD-03");
  const Card& c = card_of(cards, "NMOSD-03");
  const Suggestion& s = c.suggestions.front();
  BOOST_TEST(s.actions[0].resource_id == "MedicationOrder/request-123");
  BOOST_TEST(s.actions[1].resource_json.find("\"resourceType\":\"MedicationOrder\"") != std::string::npos);
  BOOST_TEST(s.actions[1].resource_json.find("\"patient\":{\"reference\":\"Patient/smart-1288992\"}") !=
             std::string::npos);
  BOOST_TEST(s.actions[1].resource_json.find("\"intent\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_old_aqp4_positive_after_later_negatives_stays_positive) {
  const auto cards = run("aqp4_positive_old_result_after_later_negatives");
  BOOST_TEST(ids(cards) == "NMOSD-02");
  BOOST_TEST(!fired(cards, "NMOSD-12"));
  BOOST_TEST(card_of(cards, "NMOSD-02").detail.find("Observation/aqp4-old") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(patient_view_chart_with_nothing_relevant_is_silent) {
  BOOST_TEST(run("nothing_relevant").empty());
}

BOOST_AUTO_TEST_CASE(order_select_iv_methylprednisolone_in_nmosd_advises_attack_management) {
  const auto cards = run("nmosd_ivmp_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-01,NMOSD-09");  // warning (serostatus at order time), then info
  const Card& c = card_of(cards, "NMOSD-09");
  BOOST_TEST(c.suggestions.size() == 3u);  // PLEX, AQP4 and MOG before PLEX
  BOOST_TEST(c.suggestions[0].actions[0].resource_json.find("\"127788007\"") != std::string::npos);
  BOOST_TEST(indicator_name(card_of(cards, "NMOSD-01").indicator) == "warning");
}

BOOST_AUTO_TEST_CASE(patient_view_long_term_rituximab_without_igg_asks_for_igg) {
  const auto cards = run("rituximab_long_term_without_igg");
  BOOST_TEST(ids(cards) == "NMOSD-08");
  BOOST_TEST(indicator_name(card_of(cards, "NMOSD-08").indicator) == "info");
}

BOOST_AUTO_TEST_CASE(order_sign_approved_agent_for_seronegative_patient_warns) {
  const auto cards = run("seronegative_eculizumab_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-13");
  BOOST_TEST(!fired(cards, "NMOSD-06"));  // vaccinated ≥ 2 weeks ago
}

BOOST_AUTO_TEST_CASE(same_hook_instance_gives_same_uuids_and_another_gives_new_ones) {
  Story story = load_story("aqp4_positive_azathioprine_drafted");
  const auto first = evaluate(story.input, story.record, knowledge());
  const auto again = evaluate(story.input, story.record, knowledge());
  BOOST_REQUIRE(!first.empty());
  BOOST_TEST(first[0].uuid == again[0].uuid);
  BOOST_TEST(first[0].suggestions[1].uuid == again[0].suggestions[1].uuid);
  BOOST_TEST(first[0].suggestions[0].uuid != first[0].suggestions[1].uuid);
  story.input.hook_instance = "another";
  const auto other = evaluate(story.input, story.record, knowledge());
  BOOST_TEST(first[0].uuid != other[0].uuid);
}

BOOST_AUTO_TEST_CASE(every_card_of_every_story_is_well_formed) {
  for (const char* name :
       {"aqp4_positive_on_azathioprine", "aqp4_positive_azathioprine_drafted", "aqp4_positive_untreated",
        "seronegative_on_mycophenolate", "aqp4_never_tested", "nmosd_interferon_beta_drafted",
        "eculizumab_drafted_without_meningococcal_vaccination", "rituximab_drafted_without_hbv_screening",
        "relapse_on_azathioprine", "relapses_after_two_high_efficacy_agents", "pregnant_on_mycophenolate",
        "sandbox_dstu2_medication_order", "nmosd_ivmp_drafted", "rituximab_long_term_without_igg",
        "seronegative_eculizumab_drafted"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto cards = run(name);
      BOOST_TEST(!cards.empty());
      for (std::size_t i = 0; i < cards.size(); ++i) {
        const Card& c = cards[i];
        BOOST_TEST(c.uuid.size() == 36u);
        BOOST_TEST(c.uuid[14] == '8');  // RFC 9562 version 8
        BOOST_TEST(!c.summary.empty());
        BOOST_TEST(!c.source.label.empty());
        BOOST_TEST(c.source.topic.code == c.rule_id);
        BOOST_TEST(c.suggestions.empty() == c.selection_behavior.empty());
        for (const auto& r : c.override_reasons) BOOST_TEST(!r.display.empty());
        for (const auto& s : c.suggestions) {
          BOOST_TEST(!s.uuid.empty());
          BOOST_TEST(!s.actions.empty());
        }
        if (i > 0) BOOST_TEST(static_cast<int>(cards[i - 1].indicator) >= static_cast<int>(c.indicator));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
