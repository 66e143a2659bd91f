#pragma once
// Assembles cards from rule texts and builds the FHIR resources of suggestions in the request's FHIR version.
// Internal to nmo_cards.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cards/card.hpp"
#include "cards/hook_input.hpp"
#include "cards/knowledge_model.hpp"
#include "cards/patient_context.hpp"
#include "fhir/patient_record.hpp"

namespace nmo::cards::detail {

/// Everything a rule reads. References only; lives for one evaluate() call.
struct RuleEnv {
  const HookInput& input;
  const fhir::PatientRecord& record;
  const KnowledgeBase& kb;
  const PatientContext& ctx;
};

/// RFC 9562 version-8 UUID from a 128-bit non-cryptographic hash of `seed` (stable across runs and platforms).
std::string stable_uuid(std::string_view seed);

/// A card's uuid: stable_uuid(seed) with octets 14-15 holding `rule_number` (rule_number("NMOSD-05") = 5) and
/// octets 12-13 a check of the rest, so any replica can tell which rule issued a card from its uuid alone
/// (rule_number_of_card_uuid). Still an RFC 9562 version-8 UUID, still stable per seed.
std::string card_uuid(std::string_view seed, unsigned rule_number);
std::uint16_t card_check_of(const unsigned char (&bytes)[16], unsigned rule_number);

const char* hook_name(Hook hook);

/// True when the rule's text lists the current hook.
bool rule_applies(const RuleEnv& env, std::string_view rule_id);

/// A card with uuid, summary, indicator (from the rule text for this hook, or `indicator_key`), source, detail
/// (evidence lines, rule detail, standing advice, citations), links and override reasons. `discriminator`
/// separates several cards of one rule (e.g. the draft order's "Type/id"). `agent` fills "{agent}" in the summary
/// (issue 12 item 12: many EHRs show only the summary, so it names the drug).
Card make_card(const RuleEnv& env, std::string_view rule_id, std::string_view discriminator,
               const std::vector<std::string>& evidence, std::string_view indicator_key = {},
               std::string_view agent = {});

/// The digest of the facts that fire `rule_id` for this patient (cards/quiet.cpp): equal digests, same facts.
std::string fact_digest(const RuleEnv& env, std::string_view rule_id, std::string_view discriminator);

/// Appends a suggestion with a stable uuid; sets selectionBehavior when empty.
void add_suggestion(Card& card, std::string label, bool is_recommended, std::vector<Action> actions,
                    std::string_view selection_behavior);

/// "Azathioprine", "Azathioprine and mycophenolate", "A, b and c": distinct agent names for a summary.
std::string agent_list(const std::vector<const Agent*>& agents);

/// "Draft {agent}" → "Draft Eculizumab".
std::string fill(std::string_view label, std::string_view placeholder, std::string_view value);

// Resources, in the request's FHIR version (unknown → R4).
Action create_medication(const RuleEnv& env, const Agent& agent);
Action create_medication_text(const RuleEnv& env, std::string_view text, std::string_view description);
Action create_lab_order(const RuleEnv& env, const ValueSet& lab, std::string_view description);
Action create_service_order(const RuleEnv& env, const fhir::Coding* code, std::string_view text,
                            std::string_view description);
Action delete_order(const AgentUse& draft, std::string_view description);
/// An update action setting a chart medication to stopped (issue 12 item 14): MedicationRequest / MedicationOrder
/// status "stopped"; MedicationStatement "stopped" (DSTU2: "completed"); none for an R5 MedicationStatement, which
/// has no such status. The resource carries the id, status, subject and medication as read.
std::optional<Action> stop_order(const RuleEnv& env, const AgentUse& use, std::string_view description);

/// The first verified code of a value set or agent in `system` (else the first in it); nullptr when none.
const KnownCode* preferred_code(const std::vector<KnownCode>& codes, std::string_view system);

inline constexpr std::string_view kRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
inline constexpr std::string_view kLoinc = "http://loinc.org";
inline constexpr std::string_view kSnomed = "http://snomed.info/sct";

}  // namespace nmo::cards::detail
