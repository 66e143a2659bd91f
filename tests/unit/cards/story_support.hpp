#pragma once
// Test support for nmo_cards: the real knowledge (config/knowledge), patient stories from tests/fixtures/stories,
// and small builders for records made in code. Tests may read files; the engine never does.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "cards/card.hpp"
#include "cards/hook_input.hpp"
#include "cards/knowledge_base.hpp"
#include "cards/knowledge_model.hpp"
#include "fhir/patient_record.hpp"

namespace nmo::cards::test {

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

/// The files of config/knowledge, by name.
std::vector<KnowledgeFile> knowledge_files();
/// config/knowledge loaded once (the test fails loudly if it does not load).
const KnowledgeBase& knowledge();

/// Seconds since the epoch of a UTC date.
std::int64_t utc(int year, int month, int day);
/// "Now" for every story: 2026-11-24T00:00:00Z.
std::int64_t story_now();

struct Story {
  HookInput input;
  fhir::PatientRecord record;
};
/// tests/fixtures/stories/<name>.json read as the service would: prefetch keys and context.draftOrders.
Story load_story(const std::string& name);

std::vector<std::string> rule_ids(const std::vector<Card>& cards);
bool fired(const std::vector<Card>& cards, const std::string& rule_id);
const Card& card_of(const std::vector<Card>& cards, const std::string& rule_id);

// Builders for records made in code (R4 semantics).
fhir::Condition nmosd_condition(std::string id = "nmosd-1", std::int64_t onset = 0);
fhir::Observation aqp4_result(std::string id, const std::string& value, std::int64_t when,
                              std::string status = "final");
fhir::Observation lab_result(std::string id, const std::string& loinc, std::int64_t when);
fhir::MedicationUse medication(std::string id, const std::string& rxcui, const std::string& name, std::string status,
                               std::int64_t start);
fhir::MedicationUse draft_order(std::string id, const std::string& rxcui, const std::string& name);
HookInput hook_input(Hook hook, std::vector<std::string> selections = {});
/// An active Condition known only by its text, recorded 2026-10-01.
fhir::Condition text_condition(const std::string& id, const std::string& text);
/// A woman born 1994 with NMOSD on mycophenolate since 2021 (the pregnancy stories).
fhir::PatientRecord on_mycophenolate();

/// Deterministic random texts over a small alphabet (xorshift64), for differential tests of text matching.
class RandomText {
 public:
  RandomText(std::string alphabet, std::uint64_t seed) : alphabet_(std::move(alphabet)), state_(seed) {}
  std::uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  /// 0 to max_len characters of the alphabet.
  std::string text(std::size_t max_len) {
    std::string s(next() % (max_len + 1), ' ');
    for (char& c : s) c = alphabet_[next() % alphabet_.size()];
    return s;
  }

 private:
  std::string alphabet_;
  std::uint64_t state_;
};

}  // namespace nmo::cards::test
