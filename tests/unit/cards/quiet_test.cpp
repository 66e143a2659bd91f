// apply_quiet(): an overridden card stays quiet for the same patient, rule and facts, for its reason's period;
// critical cards and order-time cards for a new draft are never quieted; a returning card says it was overridden.
#include "cards/quiet.hpp"

#include <boost/test/unit_test.hpp>

#include "cards/engine.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;

namespace {

constexpr std::int64_t kDay = 86400;

// The story evaluated on a new hook instance (a later chart opening), then split by `entries`.
QuietOutcome again(Story story, const std::vector<QuietEntry>& entries, std::int64_t now = story_now() + kDay) {
  story.input.hook_instance = "5f1d7c52-33b4-4c7e-9f8e-2a6d0c4b9e71";
  story.input.now = now;
  return apply_quiet(story.input, evaluate(story.input, story.record, knowledge()), entries, knowledge());
}

// The override of the story's card for `rule_id` with `reason`, at story_now().
QuietEntry overridden(const Story& story, const std::string& rule_id, const std::string& reason) {
  const auto cards = evaluate(story.input, story.record, knowledge());
  const Card& card = card_of(cards, rule_id);
  return QuietEntry{card.rule_id, card.fact_digest, story.input.hook, story_now(), reason, "as the client sent it"};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(quiet)

BOOST_AUTO_TEST_CASE(stable_remission_override_quiets_the_older_agent_card_at_the_next_chart_opening) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  const QuietOutcome out = again(story, {overridden(story, "NMOSD-03", "stable-remission")});
  BOOST_TEST(rule_ids(out.shown).empty());
  BOOST_TEST(rule_ids(out.quieted) == std::vector<std::string>{"NMOSD-03"});
}

BOOST_AUTO_TEST_CASE(without_an_override_the_card_is_shown_unchanged) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  const QuietOutcome out = again(story, {});
  BOOST_TEST(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
  BOOST_TEST(out.shown[0].detail.find("Overridden") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_new_aqp4_result_brings_the_card_back_saying_when_and_why_it_was_overridden) {
  Story story = load_story("aqp4_positive_on_azathioprine");
  const QuietEntry entry = overridden(story, "NMOSD-03", "stable-remission");
  story.record.observations.push_back(aqp4_result("aqp4-new", "Positive", story_now() - kDay));
  const QuietOutcome out = again(story, {entry});
  BOOST_REQUIRE(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
  BOOST_TEST(out.quieted.empty());
  const std::string& detail = out.shown[0].detail;
  BOOST_TEST(detail.rfind("**Overridden on 2026-11-24: Stable remission on current therapy.**", 0) == 0);
  BOOST_TEST(detail.find("the facts behind it have changed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_new_active_agent_changes_the_fact_digest) {
  Story story = load_story("aqp4_positive_on_azathioprine");
  const std::string before = overridden(story, "NMOSD-03", "stable-remission").fact_digest;
  story.record.medications.push_back(medication("pred-1", "8640", "prednisone", "active", story_now() - kDay));
  const auto cards = evaluate(story.input, story.record, knowledge());
  BOOST_REQUIRE(fired(cards, "NMOSD-03"));
  BOOST_TEST(card_of(cards, "NMOSD-03").fact_digest != before);
}

BOOST_AUTO_TEST_CASE(the_quiet_period_ends_after_the_reasons_quiet_days_by_the_engines_now) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  const QuietEntry entry = overridden(story, "NMOSD-03", "access");  // 90 days
  BOOST_TEST(knowledge().quiet_days("access") == 90);
  BOOST_TEST(rule_ids(again(story, {entry}, story_now() + 89 * kDay).quieted).size() == 1u);
  const QuietOutcome out = again(story, {entry}, story_now() + 90 * kDay);
  BOOST_REQUIRE(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
  BOOST_TEST(out.shown[0].detail.find("quiet period of 90 days has ended") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_override_without_a_quieting_reason_quiets_nothing) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  for (const std::string reason : {"", "no-such-reason"}) {
    const QuietOutcome out = again(story, {overridden(story, "NMOSD-03", reason)});
    BOOST_TEST(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
  }
}

BOOST_AUTO_TEST_CASE(an_override_of_another_rule_quiets_nothing) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  QuietEntry entry = overridden(story, "NMOSD-03", "stable-remission");
  entry.rule_id = "NMOSD-04";
  const QuietOutcome out = again(story, {entry});
  BOOST_TEST(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
  BOOST_TEST(out.shown[0].detail.find("Overridden") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_critical_card_is_never_quiet) {
  const Story story = load_story("pregnant_on_mycophenolate");
  const QuietEntry entry = overridden(story, "NMOSD-14", "specialist-directed");
  const QuietOutcome out = again(story, {entry});
  BOOST_TEST(out.quieted.empty());
  BOOST_REQUIRE(fired(out.shown, "NMOSD-14"));
  const Card& card = card_of(out.shown, "NMOSD-14");
  BOOST_TEST(indicator_name(card.indicator) == "critical");
  BOOST_TEST(card.detail.find("critical cards are never quieted") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_card_of_a_rule_critical_on_some_hook_may_be_quieted) {
  for (const auto& rule : knowledge().rules()) {
    bool critical = false;
    for (const auto& [hook, indicator] : rule.indicator) critical = critical || indicator == "critical";
    Card card;
    card.rule_id = rule.id;
    card.indicator = Indicator::info;
    BOOST_TEST(may_quiet(card, knowledge()) == !critical, rule.id);
  }
  Card critical;
  critical.rule_id = "NMOSD-03";
  critical.indicator = Indicator::critical;
  BOOST_TEST(!may_quiet(critical, knowledge()));
}

BOOST_AUTO_TEST_CASE(a_patient_view_override_never_quiets_an_order_time_card_for_a_drafted_order) {
  const Story story = load_story("aqp4_positive_azathioprine_drafted");  // order-select, NMOSD-03 on the draft
  QuietEntry entry = overridden(story, "NMOSD-03", "stable-remission");
  entry.hook = Hook::patient_view;  // same rule and facts, overridden in the chart review
  const QuietOutcome out = again(story, {entry});
  BOOST_REQUIRE(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
  BOOST_TEST(out.shown[0].detail.find("an order being drafted is always checked") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_order_time_override_quiets_the_same_draft_but_not_a_new_one) {
  Story story = load_story("aqp4_positive_azathioprine_drafted");
  const QuietEntry entry = overridden(story, "NMOSD-03", "patient-preference");
  BOOST_TEST(again(story, {entry}).quieted.size() == 1u);  // order-select fired again on the same draft

  BOOST_REQUIRE(!story.record.draft_medications.empty());
  story.record.draft_medications[0].id = "request-456";  // a newly drafted order of the same agent
  for (auto& s : story.input.selections) s = "MedicationRequest/request-456";
  const QuietOutcome out = again(story, {entry});
  BOOST_TEST(rule_ids(out.shown) == std::vector<std::string>{"NMOSD-03"});
}

BOOST_AUTO_TEST_CASE(the_reason_shown_is_the_knowledge_display_never_the_clients_text) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  QuietEntry entry = overridden(story, "NMOSD-03", "stable-remission");
  entry.reason_code = "[click](https://evil.example)";
  const QuietOutcome out = again(story, {entry});
  BOOST_REQUIRE(out.shown.size() == 1u);
  BOOST_TEST(out.shown[0].detail.find("](https://evil") == std::string::npos);
  BOOST_TEST(out.shown[0].detail.find("as the client sent it") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_order_time_override_of_nmosd_01_does_not_quiet_it_for_a_new_draft) {
  Story story = load_story("nmosd_aqp4_unknown_azathioprine_drafted");
  BOOST_REQUIRE(fired(evaluate(story.input, story.record, knowledge()), "NMOSD-01"));
  const QuietEntry entry = overridden(story, "NMOSD-01", "not-applicable");
  BOOST_TEST(again(story, {entry}).quieted.size() >= 1u);
  story.record.draft_medications[0].id = "request-456";  // a new draft
  for (auto& s : story.input.selections) s = "MedicationRequest/request-456";
  const QuietOutcome out = again(story, {entry});
  BOOST_TEST(fired(out.shown, "NMOSD-01"));  // expected: a new draft brings it back
  BOOST_TEST(out.quieted.empty());
}

BOOST_AUTO_TEST_CASE(a_reason_not_offered_by_the_rule_quiets_nothing) {
  const Story story = load_story("aqp4_positive_on_azathioprine");
  // NMOSD-03 offers stable-remission, access, patient-preference, pregnancy-planning; not not-applicable (365 d).
  const QuietEntry entry = overridden(story, "NMOSD-03", "not-applicable");
  const QuietOutcome out = again(story, {entry}, story_now() + 200 * kDay);
  BOOST_TEST(out.quieted.empty());
  BOOST_TEST(fired(out.shown, "NMOSD-03"));
}

BOOST_AUTO_TEST_SUITE_END()
