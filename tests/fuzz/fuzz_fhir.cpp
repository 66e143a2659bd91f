// libFuzzer target: FHIR JSON of any version read into a PatientRecord (as prefetch and as draftOrders), then
// judged by the engine for every hook. Malformed data must end in a Problem with a path, never a crash.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cards/card.hpp"
#include "cards/engine.hpp"
#include "fhir/json.hpp"
#include "fhir/record_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = nmo::fhir::parse_json(text);
  if (!doc) {
    if (doc.problem().message.empty()) __builtin_trap();
    return 0;
  }
  (void)nmo::fhir::classify_prefetch(&*doc);
  nmo::fhir::PatientRecord record;
  const auto read_problem = nmo::fhir::read_resources(*doc, "prefetch.x", record);
  if (read_problem && read_problem->message.empty()) __builtin_trap();
  (void)nmo::fhir::read_draft_orders(*doc, "context.draftOrders", record);

  static const auto kb = nmo::fuzz::knowledge();
  nmo::cards::HookInput input;
  input.hook_instance = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";
  input.patient_id = "p";
  input.user_id = "Practitioner/u";
  input.now = 1795478400;
  for (const auto hook : {nmo::cards::Hook::patient_view, nmo::cards::Hook::order_select,
                          nmo::cards::Hook::order_sign}) {
    input.hook = hook;
    input.selections.clear();
    for (const auto& d : record.draft_medications) input.selections.push_back(d.resource_type + "/" + d.id);
    const auto cards = nmo::cards::evaluate(input, record, *kb);
    for (const auto& c : cards) {
      if (c.summary.empty() || c.summary.size() >= 140 || c.uuid.empty()) __builtin_trap();
    }
    (void)nmo::cards::write_response(cards);
  }
  return 0;
}
