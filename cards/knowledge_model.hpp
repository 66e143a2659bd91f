#pragma once
// The loaded clinical knowledge (config/knowledge/*.json) as plain, immutable data with hash indexes built once
// at load. Built only by load_knowledge(); shared read-only between threads afterwards.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cards/knowledge_base.hpp"
#include "cards/text_match.hpp"
#include "fhir/patient_record.hpp"

namespace nmo::cards {

/// One code the knowledge carries, with its provenance (nmosd-knowledge.md: ✔ → verified, ◐/✖ → not).
struct KnownCode {
  std::string system;
  std::string code;
  std::string display;
  bool verified = false;
  std::string source;
  std::string note;
  std::string kind;               // agents: ingredient | brand | biosimilar | product | atc | substance
  std::string ingredient;         // kind product (RxNorm SCD/SBD): the agent's RxNorm ingredient code it maps to
  std::string method;             // lab codes: cell_based | elisa | unspecified
  std::string sample;             // lab codes: serum | csf
  std::vector<std::string> tags;  // e.g. "cell_based"
};

struct CodePrefix {
  std::string system;
  std::string prefix;
  std::string display;
  bool verified = false;
  std::string source;
};

struct CodeSystemInfo {
  std::string id;
  std::string name;
  std::string uri;
  bool verified = false;
  std::string note;
};

struct ValueSet {
  std::string id;
  std::string title;
  std::string value_class;  // diagnosis | lab | result | procedure | vaccine
  std::vector<KnownCode> codes;
  std::vector<CodePrefix> prefixes;
  std::vector<std::string> text_patterns;             // lower case, matched on word boundaries
  std::vector<std::string> cell_based_text_patterns;  // aqp4 only
  // nmosd (review of issue 12, defect 3): a text match does not count when one of these is just before it ("not
  // NMOSD"), just after it ("NMOSD ruled out"), or a hedge is near it ("possible NMOSD", "MS vs NMOSD").
  std::vector<std::string> negation_before_text_patterns;
  std::vector<std::string> negation_after_text_patterns;
  std::vector<std::string> hedge_text_patterns;
  std::vector<std::string> low_positive_text_patterns;  // result_positive: "low positive", "weakly positive"
};

enum class AgentClass { approved, high_efficacy, older, ms_dmt, corticosteroid, other };

struct Agent {
  std::string id;
  std::string name;
  AgentClass agent_class = AgentClass::other;
  std::string class_name;
  std::string mechanism;
  std::vector<KnownCode> codes;
  std::vector<std::string> names;      // lower case, for text matching
  std::vector<std::string> screening;  // value-set ids of labs required before the first dose (NMOSD-07)
  bool complement_c5 = false;
  bool b_cell_depleting = false;
  bool teratogenic = false;
  bool maintenance = false;  // class "other" but relapse-preventive maintenance (off-label anti-CD20s, issue 12 item 7)
  bool acute_attack_steroid = false;
  std::string note;
};

struct Threshold {
  std::string id;
  double value = 0;
  std::string unit;
  std::string description;
  std::vector<std::string> rules;
  bool needs_sign_off = true;
};

struct Citation {
  std::string id;
  std::string label;
  std::string url;
  bool verified = false;
  std::string note;
};

struct RuleText {
  std::string id;  // NMOSD-01 ..
  std::string title;
  std::vector<std::string> hooks;
  std::string trigger;
  std::map<std::string, std::string> indicator;  // hook name (or "low") → info | warning | critical
  std::string summary;
  std::string summary_low;  // the summary for indicator key "low" (NMOSD-05, NMOSD-08)
  std::map<std::string, std::string> summary_variants;  // indicator key → summary (e.g. NMOSD-07 "hbsag")
  std::string detail;
  std::vector<std::string> suggestions;       // labels; "{agent}", "{test}", "{vaccine}" are filled in
  std::vector<std::string> evidence;          // citation ids
  std::vector<std::string> override_reasons;  // codes in the local override-reason CodeSystem
  std::vector<std::string> links;             // citation ids
};

struct OpenItem {
  std::string id;
  std::string text;
  std::string source;
};

/// What a code means to the engine: the value set or agent that owns it (exactly one, checked at load).
struct CodeMeaning {
  const ValueSet* value_set = nullptr;
  const Agent* agent = nullptr;
  const KnownCode* code = nullptr;
};

class KnowledgeBase {
 public:
  KnowledgeBase(const KnowledgeBase&) = delete;  // the code index points into the members
  KnowledgeBase& operator=(const KnowledgeBase&) = delete;

  const std::string& version() const { return version_; }
  const std::string& review_date() const { return review_date_; }
  const std::string& title() const { return title_; }
  const std::string& status() const { return status_; }
  const std::string& source_label() const { return source_label_; }
  const std::string& source_url() const { return source_url_; }
  const std::string& rule_system() const { return rule_system_; }
  const std::string& override_system() const { return override_system_; }
  const std::string& standing_advice() const { return standing_advice_; }

  const std::vector<CodeSystemInfo>& systems() const { return systems_; }
  const std::vector<ValueSet>& value_sets() const { return value_sets_; }
  const std::vector<Agent>& agents() const { return agents_; }
  const std::vector<Threshold>& thresholds() const { return thresholds_; }
  const std::vector<Citation>& citations() const { return citations_; }
  const std::vector<RuleText>& rules() const { return rules_; }
  const std::vector<OpenItem>& open_items() const { return open_items_; }
  const std::vector<fhir::Coding>& override_reasons() const { return override_reasons_; }
  const std::vector<std::string>& formulary() const { return formulary_; }  // agent ids available at the site

  const std::vector<std::string>& interpretation_positive() const { return interp_positive_; }
  const std::vector<std::string>& interpretation_negative() const { return interp_negative_; }
  const std::vector<std::string>& interpretation_low() const { return interp_low_; }
  const std::vector<std::string>& pregnancy_patterns() const { return pregnancy_patterns_; }
  const std::vector<std::string>& pregnancy_exclusions() const { return pregnancy_exclusions_; }
  const std::vector<std::string>& pregnancy_planning() const { return pregnancy_planning_; }
  const std::vector<std::string>& route_iv_patterns() const { return route_iv_patterns_; }

  /// The agents (in the order of agents()) one of whose names occurs in `words_lower` on word boundaries.
  std::vector<const Agent*> agents_named(std::string_view words_lower) const;
  /// The value sets (in order) one of whose text_patterns occurs in `words_lower` on word boundaries: one pass over
  /// the words for every value set at once.
  std::vector<const ValueSet*> value_sets_named(std::string_view words_lower) const;

  /// The owner of system|code, or nullptr. O(1).
  const CodeMeaning* lookup(std::string_view system, std::string_view code) const;
  /// The value set whose prefix matches (e.g. ICD-10-CM G35.x → ms), or nullptr; the longest prefix wins (O24.43
  /// puerperium before O2 pregnancy). `matched` gets the prefix entry when given.
  const ValueSet* lookup_prefix(std::string_view system, std::string_view code,
                                const CodePrefix** matched = nullptr) const;

  /// Required entries: load_knowledge() guarantees that every id the engine asks for exists.
  const ValueSet& value_set(std::string_view id) const;
  const Agent& agent(std::string_view id) const;
  const RuleText& rule(std::string_view id) const;
  const Citation& citation(std::string_view id) const;
  double threshold(std::string_view id) const;
  const fhir::Coding* override_reason(std::string_view code) const;
  /// Days an override with this reason quiets the card (cards/quiet.hpp); 0 when it does not, or is unknown.
  int quiet_days(std::string_view code) const;
  bool on_formulary(const Agent& agent) const;

 private:
  friend fhir::Result<std::shared_ptr<const KnowledgeBase>> load_knowledge(const std::vector<KnowledgeFile>& files);
  friend struct KnowledgeLoader;
  KnowledgeBase() = default;

  std::string version_, review_date_, title_, status_, source_label_, source_url_, rule_system_, override_system_;
  std::string standing_advice_;
  std::vector<CodeSystemInfo> systems_;
  std::vector<ValueSet> value_sets_;
  std::vector<Agent> agents_;
  std::vector<Threshold> thresholds_;
  std::vector<Citation> citations_;
  std::vector<RuleText> rules_;
  std::vector<OpenItem> open_items_;
  std::vector<fhir::Coding> override_reasons_;
  std::map<std::string, int, std::less<>> quiet_days_;  // override reason code → days
  std::vector<std::string> formulary_;
  std::vector<std::string> interp_positive_, interp_negative_, interp_low_;
  std::vector<std::string> pregnancy_patterns_, pregnancy_exclusions_, pregnancy_planning_, route_iv_patterns_;

  // "system|code"; looked up by string_view (no key is built on the heap per lookup).
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::unordered_map<std::string, CodeMeaning, KeyHash, std::equal_to<>> code_index_;
  std::vector<std::string> prefix_systems_;        // the systems some value set has a prefix of (usually ICD-10-CM)
  detail::WordIndex agent_names_;                  // every agent's names, in order
  std::vector<std::size_t> agent_of_name_;         // agent_names_ position → index in agents_
  detail::WordIndex value_set_patterns_;           // every value set's text_patterns, in order
  std::vector<std::size_t> value_set_of_pattern_;  // value_set_patterns_ position → index in value_sets_
};

}  // namespace nmo::cards
