#pragma once
// The clinical engine: one pure function from a hook call and the patient's record to cards.
// No I/O, no clock, no globals; thread-safe for concurrent calls sharing one KnowledgeBase.

#include <vector>

#include "cards/card.hpp"
#include "cards/hook_input.hpp"
#include "cards/knowledge_base.hpp"
#include "fhir/patient_record.hpp"

namespace nmo::cards {

/// Cards ordered critical → warning → info, without duplicates; empty when nothing applies (a patient without
/// NMOSD gets no NMOSD card at all).
std::vector<Card> evaluate(const HookInput& input, const fhir::PatientRecord& record, const KnowledgeBase& kb);

}  // namespace nmo::cards
