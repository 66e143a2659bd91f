#include "cards/engine.hpp"

#include <algorithm>
#include <set>

#include "cards/card_builder.hpp"
#include "cards/knowledge_model.hpp"
#include "cards/patient_context.hpp"
#include "cards/rules.hpp"

namespace nmo::cards {

namespace {

using RuleFn = void (*)(const detail::RuleEnv&, std::vector<Card>&);

// nmosd-knowledge.md §3, in table order.
constexpr RuleFn kRules[] = {
    detail::nmosd_01_aqp4_status_unknown,
    detail::nmosd_02_no_maintenance_therapy,
    detail::nmosd_03_older_agent_while_newer_available,
    detail::nmosd_04_relapse_on_older_agent,
    detail::nmosd_05_ms_therapy_in_nmosd,
    detail::nmosd_06_c5_without_meningococcal_vaccination,
    detail::nmosd_07_screening_before_b_cell_il6r,
    detail::nmosd_08_igg_on_b_cell_depletion,
    detail::nmosd_09_acute_attack_treatment,
    detail::nmosd_10_steroids_without_plasma_exchange,
    detail::nmosd_11_refractory_disease,
    detail::nmosd_12_seronegative_work_up,
    detail::nmosd_13_approved_agent_without_aqp4_positive,
    detail::nmosd_14_pregnancy_on_teratogen,
    detail::nmosd_15_childbearing_potential_on_teratogen,
    detail::nmosd_16_relapse_on_high_efficacy_agent,
};

bool has_rule(const std::vector<Card>& cards, std::string_view id) {
  return std::any_of(cards.begin(), cards.end(), [&](const Card& c) { return c.rule_id == id; });
}

}  // namespace

std::vector<Card> evaluate(const HookInput& input, const fhir::PatientRecord& record, const KnowledgeBase& kb) {
  const PatientContext ctx = build_context(input, record, kb);
  const detail::RuleEnv env{input, record, kb, ctx};
  std::vector<Card> cards;
  for (RuleFn rule : kRules) rule(env, cards);

  // Table §3: "NMOSD-04 ... suppresses 03".
  if (has_rule(cards, "NMOSD-04")) {
    cards.erase(std::remove_if(cards.begin(), cards.end(), [](const Card& c) { return c.rule_id == "NMOSD-03"; }),
                cards.end());
  }
  // Issue 12 item 7: relapses on two high-efficacy agents (NMOSD-11) supersede the one-agent card (NMOSD-16).
  if (has_rule(cards, "NMOSD-11")) {
    cards.erase(std::remove_if(cards.begin(), cards.end(), [](const Card& c) { return c.rule_id == "NMOSD-16"; }),
                cards.end());
  }
  // No duplicates: one card per rule and subject (the uuid is derived from both).
  std::set<std::string> seen;
  cards.erase(std::remove_if(cards.begin(), cards.end(), [&](const Card& c) { return !seen.insert(c.uuid).second; }),
              cards.end());
  // Critical → warning → info; table order within one indicator.
  std::stable_sort(cards.begin(), cards.end(), [](const Card& a, const Card& b) {
    return static_cast<int>(a.indicator) > static_cast<int>(b.indicator);
  });
  return cards;
}

}  // namespace nmo::cards
