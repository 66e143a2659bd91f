#pragma once
// The rules of nmosd-knowledge.md §3, one function each. A rule appends its cards (none when it does not apply);
// suppressions between rules are applied by evaluate(). Internal to nmo_cards.

#include <vector>

#include "cards/card.hpp"
#include "cards/card_builder.hpp"

namespace nmo::cards::detail {

void nmosd_01_aqp4_status_unknown(const RuleEnv& env, std::vector<Card>& out);
void nmosd_02_no_maintenance_therapy(const RuleEnv& env, std::vector<Card>& out);
void nmosd_03_older_agent_while_newer_available(const RuleEnv& env, std::vector<Card>& out);
void nmosd_04_relapse_on_older_agent(const RuleEnv& env, std::vector<Card>& out);
void nmosd_05_ms_therapy_in_nmosd(const RuleEnv& env, std::vector<Card>& out);
void nmosd_06_c5_without_meningococcal_vaccination(const RuleEnv& env, std::vector<Card>& out);
void nmosd_07_screening_before_b_cell_il6r(const RuleEnv& env, std::vector<Card>& out);
void nmosd_08_igg_on_b_cell_depletion(const RuleEnv& env, std::vector<Card>& out);
void nmosd_09_acute_attack_treatment(const RuleEnv& env, std::vector<Card>& out);
void nmosd_10_steroids_without_plasma_exchange(const RuleEnv& env, std::vector<Card>& out);
void nmosd_11_refractory_disease(const RuleEnv& env, std::vector<Card>& out);
void nmosd_12_seronegative_work_up(const RuleEnv& env, std::vector<Card>& out);
void nmosd_13_approved_agent_without_aqp4_positive(const RuleEnv& env, std::vector<Card>& out);
void nmosd_14_pregnancy_on_teratogen(const RuleEnv& env, std::vector<Card>& out);
void nmosd_15_childbearing_potential_on_teratogen(const RuleEnv& env, std::vector<Card>& out);
void nmosd_16_relapse_on_high_efficacy_agent(const RuleEnv& env, std::vector<Card>& out);

}  // namespace nmo::cards::detail
