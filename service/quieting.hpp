#pragma once
// The hook call's side of quieting (issue 13): the patient's overrides from memory (runtime.quiet), the engine's
// pure decision (cards::apply_quiet), and the shown cards handed over to be recorded as issued. No I/O.

#include <string>
#include <vector>

#include "cards/card.hpp"
#include "cards/hook_input.hpp"
#include "service/runtime.hpp"

namespace nmo::service {

/// The cards to show for `input`, from what evaluate() gave. Appends the rule ids of the cards quieted to
/// `quieted`. Without runtime.quiet or input.patient_key (QuietBook::pseudonym gave none: no fhirServer, no
/// caller, HMAC failed), every card is shown and none recorded; while the store is unavailable (fail open,
/// nmo_quiet_fail_open_total), every card is shown.
std::vector<cards::Card> quiet_cards(const cards::HookInput& input, std::vector<cards::Card> cards,
                                     const Runtime& runtime,
                                     std::vector<std::string>& quieted);

}  // namespace nmo::service
