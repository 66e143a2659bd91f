#pragma once
// Quieting (issue 13): a card a clinician overrode, with a reason the knowledge marks as quieting (quiet_days > 0
// on the override reason in cards.json), is not shown again for the same patient and rule while the facts that
// fired it are unchanged, for that reason's period. Pure: the overrides come in as data (QuietEntry, found by
// service/ from the feedback store), the time is HookInput::now.
//
// Never quieted: a critical card, or a card of a rule that is critical on any hook (DESIGN.md safety invariant
// 4); an order-select/order-sign card by a patient-view override (an order-time card is about the order being
// drafted now); a card whose fact digest changed since the override (a new relapse, agent, AQP4 or screening
// result, a new draft order).

#include <cstdint>
#include <string>
#include <vector>

#include "cards/card.hpp"
#include "cards/hook_input.hpp"
#include "cards/knowledge_base.hpp"

namespace nmo::cards {

/// One override of a card issued for this patient: its rule, the fact digest and hook of the card overridden,
/// when, and why (a code of the knowledge's override-reason CodeSystem).
struct QuietEntry {
  std::string rule_id;
  std::string fact_digest;
  Hook hook = Hook::patient_view;
  std::int64_t overridden_at = 0;  // seconds since the epoch, UTC
  std::string reason_code;
  std::string reason_display;  // as the client sent it; the knowledge's display is preferred
};

struct QuietOutcome {
  std::vector<Card> shown;    // in the order evaluate() gave; a card overridden before says so in its detail
  std::vector<Card> quieted;  // not shown: an override of the same rule and facts is still in its period
};

/// Splits `cards` (from evaluate() for `input`) into shown and quieted by `entries` (this patient's overrides).
QuietOutcome apply_quiet(const HookInput& input, std::vector<Card> cards, const std::vector<QuietEntry>& entries,
                         const KnowledgeBase& kb);

/// False for a card that must always be shown: critical, or of a rule critical on any hook.
bool may_quiet(const Card& card, const KnowledgeBase& kb);

/// The end of the quiet period an entry gives (overridden_at + quiet_days of its reason); overridden_at when the
/// reason does not quiet.
std::int64_t quiet_until(const QuietEntry& entry, const KnowledgeBase& kb);

}  // namespace nmo::cards
