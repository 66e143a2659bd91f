#include "service/quieting.hpp"

#include "cards/quiet.hpp"
#include "service/feedback/quiet_book.hpp"
#include "service/ops/metrics.hpp"

namespace nmo::service {
namespace {

const char* hook_name(cards::Hook hook) {
  switch (hook) {
    case cards::Hook::patient_view: return "patient-view";
    case cards::Hook::order_select: return "order-select";
    case cards::Hook::order_sign: return "order-sign";
  }
  return "patient-view";
}

}  // namespace

std::vector<cards::Card> quiet_cards(const cards::HookInput& input, std::vector<cards::Card> cards,
                                     const Runtime& runtime, std::vector<std::string>& quieted) {
  if (!runtime.quiet || cards.empty() || input.patient_key.empty()) return cards;
  feedback::QuietBook& book = *runtime.quiet;
  const std::string& patient = input.patient_key;
  const auto entries = book.entries(patient, input.now);
  if (!entries) ops::metrics::record_quiet_fail_open();
  cards::QuietOutcome out =
      cards::apply_quiet(input, std::move(cards), entries ? *entries : std::vector<cards::QuietEntry>{},
                         *runtime.knowledge);
  std::vector<std::string> quieted_now;
  for (const auto& c : out.quieted) {
    quieted_now.push_back(c.rule_id);
    ops::metrics::record_quieted(c.rule_id);
  }
  std::vector<feedback::IssuedCard> issued;
  issued.reserve(out.shown.size());
  for (const auto& c : out.shown) {
    issued.push_back(feedback::IssuedCard{c.uuid, patient, c.rule_id, c.fact_digest, hook_name(input.hook), input.now});
  }
  book.issued(std::move(issued), quieted_now, input.now);
  quieted.insert(quieted.end(), quieted_now.begin(), quieted_now.end());
  return std::move(out.shown);
}

}  // namespace nmo::service
