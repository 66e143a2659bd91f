#include "cards/knowledge_base.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string_view>

#include <rapidjson/document.h>

#include "cards/knowledge_model.hpp"
#include "cards/text_match.hpp"
#include "fhir/json.hpp"

namespace nmo::cards {

namespace {

// Internal to the loader: thrown at the element at fault, turned into a Problem by load_knowledge().
struct LoadError {
  std::string path;
  std::string message;
};

std::string key_of(std::string_view system, std::string_view code) {
  std::string key;
  key.reserve(system.size() + code.size() + 1);
  key.append(system).append("|").append(code);
  return key;
}

// A read-only view of one JSON value with its "file.json:path".
class Node {
 public:
  Node(const rapidjson::Value& v, std::string path) : v_(v), path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  const rapidjson::Value& value() const { return v_; }

  [[noreturn]] void fail(const std::string& message) const { throw LoadError{path_, message}; }

  bool has(const char* name) const { return v_.IsObject() && v_.HasMember(name); }

  Node member(const char* name) const {
    if (!v_.IsObject()) fail("expected an object");
    auto it = v_.FindMember(name);
    if (it == v_.MemberEnd()) Node(v_, sub(name)).fail("required member missing");
    return Node(it->value, sub(name));
  }

  std::string str(const char* name) const {
    Node m = member(name);
    if (!m.v_.IsString() || m.v_.GetStringLength() == 0) m.fail("expected a non-empty string");
    return std::string(m.v_.GetString(), m.v_.GetStringLength());
  }
  std::string opt_str(const char* name) const {
    if (!has(name)) return {};
    Node m = member(name);
    if (!m.v_.IsString()) m.fail("expected a string");
    return std::string(m.v_.GetString(), m.v_.GetStringLength());
  }
  bool boolean(const char* name) const {
    Node m = member(name);
    if (!m.v_.IsBool()) m.fail("expected true or false");
    return m.v_.GetBool();
  }
  bool opt_bool(const char* name) const { return has(name) ? boolean(name) : false; }
  double number(const char* name) const {
    Node m = member(name);
    if (!m.v_.IsNumber()) m.fail("expected a number");
    return m.v_.GetDouble();
  }

  std::vector<Node> items(const char* name) const {
    Node m = member(name);
    if (!m.v_.IsArray()) m.fail("expected an array");
    std::vector<Node> out;
    for (rapidjson::SizeType i = 0; i < m.v_.Size(); ++i) out.emplace_back(m.v_[i], fhir::path_index(m.path_, i));
    return out;
  }
  std::vector<Node> opt_items(const char* name) const { return has(name) ? items(name) : std::vector<Node>{}; }

  std::vector<std::string> strings(const char* name, bool lower = false) const {
    std::vector<std::string> out;
    for (const auto& item : opt_items(name)) {
      if (!item.v_.IsString() || item.v_.GetStringLength() == 0) item.fail("expected a non-empty string");
      std::string s(item.v_.GetString(), item.v_.GetStringLength());
      // Lower-case lists are text patterns, matched on word boundaries in a concept's words (detail::concept_words
      // joins its text and displays with " | "), so a pattern may neither hold a '|' nor start or end with a space.
      if (lower && (s.find('|') != std::string::npos || s.front() == ' ' || s.back() == ' '))
        item.fail("a text pattern may not contain '|' or start or end with a space");
      out.push_back(lower ? detail::to_lower(s) : s);
    }
    return out;
  }

 private:
  std::string sub(const char* name) const {
    // "file.json:" + member, or parent.member
    if (!path_.empty() && path_.back() == ':') return path_ + name;
    return fhir::path_member(path_, name);
  }
  const rapidjson::Value& v_;
  std::string path_;
};

// The longest "system|code" of a known code (KnowledgeBase::lookup builds its key on the stack).
constexpr std::size_t kMaxCodeKey = 256;

// The longest an override may quiet a card: two years, so that every quieted card is seen again.
constexpr int kMaxQuietDays = 730;

const char* const kRequiredFiles[] = {"meta.json",      "systems.json",   "valuesets.json",
                                      "agents.json",    "formulary.json", "thresholds.json",
                                      "citations.json", "cards.json",     "open-items.json"};

const char* const kRequiredValueSets[] = {"nmosd",           "mogad",           "ms",       "aqp4",     "mog",
                                          "result_positive", "result_negative", "hbsag",    "anti_hbc", "igg",
                                          "tb_igra",         "apheresis",       "men_acwy", "men_b",    "men_acwy_b",
                                          "pregnancy",       "not_pregnant",    "pregnancy_status", "hcg",  "men_not_counted"};

const char* const kRequiredThresholds[] = {"relapse_window_days",
                                           "older_agent_min_days",
                                           "high_efficacy_min_days",
                                           "relapse_min_days_after_diagnosis",
                                           "screening_lookback_days",
                                           "b_cell_min_days",
                                           "igg_lookback_days",
                                           "igg_low_mg_per_dl",
                                           "vaccination_min_days_before",
                                           "men_acwy_min_interval_days",
                                           "men_acwy_booster_days",
                                           "men_b_min_interval_days",
                                           "men_b_fhbp_doses",
                                           "men_b_booster_days",
                                           "ivmp_min_dose_mg",
                                           "ivmp_recent_days",
                                           "refractory_min_agents",
                                           "aqp4_elisa_low_positive_ratio",
                                           "pregnancy_test_recent_days",
                                           "childbearing_age_min_years",
                                           "childbearing_age_max_years"};

const char* const kIndicators[] = {"info", "warning", "critical"};
const char* const kHooks[] = {"patient-view", "order-select", "order-sign"};

}  // namespace

struct KnowledgeLoader {
  KnowledgeBase& kb;
  std::set<std::string> system_uris;

  KnownCode read_code(const Node& n) {
    KnownCode c;
    c.system = n.str("system");
    if (!system_uris.count(c.system))
      n.member("system").fail("unknown code system URI '" + c.system +
                              "' (not in systems.json / nmosd-knowledge.md §1.1)");
    c.code = n.str("code");
    c.display = n.str("display");
    c.verified = n.boolean("verified");
    c.source = n.str("source");
    c.note = n.opt_str("note");
    c.kind = n.opt_str("kind");
    c.ingredient = n.opt_str("ingredient");
    c.method = n.opt_str("method");
    c.sample = n.opt_str("sample");
    c.tags = n.strings("tags");
    if (c.kind == "product" && c.ingredient.empty())
      n.fail("a product code (RxNorm SCD/SBD) needs the RxNorm ingredient code it maps to");
    if (!c.verified && c.note.empty()) n.fail("a code with verified=false needs a note saying why");
    return c;
  }

  void meta(const Node& root) {
    kb.version_ = root.str("version");
    kb.review_date_ = root.str("review_date");
    kb.title_ = root.str("title");
    kb.status_ = root.opt_str("status");
    Node src = root.member("source");
    kb.source_label_ = src.str("label");
    kb.source_url_ = src.str("url");
    for (const auto& s : root.items("local_code_systems")) {
      const std::string id = s.str("id");
      if (!s.boolean("local")) s.member("local").fail("a project-local CodeSystem must be marked local");
      if (id == "rule")
        kb.rule_system_ = s.str("uri");
      else if (id == "override-reason")
        kb.override_system_ = s.str("uri");
    }
    if (kb.rule_system_.empty() || kb.override_system_.empty())
      root.member("local_code_systems").fail("needs the local CodeSystems 'rule' and 'override-reason'");
  }

  void systems(const Node& root) {
    for (const auto& s : root.items("systems")) {
      CodeSystemInfo info{s.str("id"), s.str("name"), s.str("uri"), s.boolean("verified"), s.opt_str("note")};
      system_uris.insert(info.uri);
      kb.systems_.push_back(std::move(info));
    }
  }

  void value_sets(const Node& root) {
    for (const auto& n : root.items("valuesets")) {
      ValueSet vs;
      vs.id = n.str("id");
      vs.title = n.str("title");
      vs.value_class = n.str("class");
      for (const auto& c : n.items("codes")) vs.codes.push_back(read_code(c));
      for (const auto& p : n.opt_items("prefixes")) {
        CodePrefix prefix{p.str("system"), p.str("prefix"), p.str("display"), p.boolean("verified"), p.str("source")};
        if (!system_uris.count(prefix.system))
          p.member("system").fail("unknown code system URI '" + prefix.system + "'");
        vs.prefixes.push_back(std::move(prefix));
      }
      vs.text_patterns = n.strings("text_patterns", true);
      vs.cell_based_text_patterns = n.strings("cell_based_text_patterns", true);
      vs.negation_before_text_patterns = n.strings("negation_before_text_patterns", true);
      vs.negation_after_text_patterns = n.strings("negation_after_text_patterns", true);
      vs.hedge_text_patterns = n.strings("hedge_text_patterns", true);
      vs.low_positive_text_patterns = n.strings("low_positive_text_patterns", true);
      kb.value_sets_.push_back(std::move(vs));
    }
    Node interp = root.member("interpretation_codes");
    kb.interp_positive_ = interp.strings("positive");
    kb.interp_negative_ = interp.strings("negative");
    kb.interp_low_ = interp.strings("low");
    Node preg = root.member("pregnancy");
    kb.pregnancy_patterns_ = preg.strings("condition_text_patterns", true);
    kb.pregnancy_exclusions_ = preg.strings("exclude_text_patterns", true);
    kb.pregnancy_planning_ = preg.strings("planning_text_patterns", true);
    if (kb.pregnancy_patterns_.empty()) preg.member("condition_text_patterns").fail("at least one pattern is needed");
    kb.route_iv_patterns_ = root.strings("route_iv_text_patterns", true);
  }

  void agents(const Node& root) {
    for (const auto& n : root.items("agents")) {
      Agent a;
      a.id = n.str("id");
      a.name = n.str("name");
      a.class_name = n.str("class");
      if (a.class_name == "approved")
        a.agent_class = AgentClass::approved;
      else if (a.class_name == "high_efficacy")
        a.agent_class = AgentClass::high_efficacy;
      else if (a.class_name == "older")
        a.agent_class = AgentClass::older;
      else if (a.class_name == "ms_dmt")
        a.agent_class = AgentClass::ms_dmt;
      else if (a.class_name == "corticosteroid")
        a.agent_class = AgentClass::corticosteroid;
      else if (a.class_name == "other")
        a.agent_class = AgentClass::other;
      else
        n.member("class").fail("unknown agent class '" + a.class_name + "'");
      a.mechanism = n.str("mechanism");
      for (const auto& c : n.items("codes")) a.codes.push_back(read_code(c));
      const auto code_nodes = n.items("codes");
      for (std::size_t i = 0; i < a.codes.size(); ++i) {
        if (a.codes[i].ingredient.empty()) continue;
        const bool found = std::any_of(a.codes.begin(), a.codes.end(), [&](const KnownCode& c) {
          return c.kind == "ingredient" && c.system == a.codes[i].system && c.code == a.codes[i].ingredient;
        });
        if (!found)
          code_nodes[i].member("ingredient").fail("ingredient '" + a.codes[i].ingredient +
                                                 "' is not an ingredient code of agent '" + a.id + "'");
      }
      a.names = n.strings("names", true);
      if (a.names.empty()) n.member("names").fail("an agent needs at least one name for text matching");
      a.screening = n.strings("screening");
      a.complement_c5 = n.opt_bool("complement_c5");
      a.b_cell_depleting = n.opt_bool("b_cell_depleting");
      a.teratogenic = n.opt_bool("teratogenic");
      a.maintenance = n.opt_bool("maintenance");
      a.acute_attack_steroid = n.opt_bool("acute_attack_steroid");
      a.note = n.opt_str("note");
      kb.agents_.push_back(std::move(a));
    }
    // screening value sets must exist
    const auto agent_nodes = root.items("agents");
    for (std::size_t i = 0; i < kb.agents_.size(); ++i) {
      for (std::size_t j = 0; j < kb.agents_[i].screening.size(); ++j) {
        if (!find_value_set(kb.agents_[i].screening[j]))
          Node(agent_nodes[i].value(), fhir::path_index(fhir::path_member(agent_nodes[i].path(), "screening"), j))
              .fail("unknown value set '" + kb.agents_[i].screening[j] + "'");
      }
    }
  }

  void formulary(const Node& root) {
    const auto items = root.items("available");
    for (const auto& item : items) {
      if (!item.value().IsString()) item.fail("expected an agent id");
      std::string id = item.value().GetString();
      const Agent* a = find_agent(id);
      if (!a) item.fail("unknown agent '" + id + "'");
      if (a->agent_class != AgentClass::approved && a->agent_class != AgentClass::high_efficacy)
        item.fail("the formulary lists newer agents (approved or high-efficacy) only");
      kb.formulary_.push_back(std::move(id));
    }
  }

  void thresholds(const Node& root) {
    for (const auto& n : root.items("thresholds")) {
      Threshold t{n.str("id"),          n.number("value"),  n.str("unit"),
                  n.str("description"), n.strings("rules"), n.boolean("needs_sign_off")};
      kb.thresholds_.push_back(std::move(t));
    }
  }

  void citations(const Node& root) {
    for (const auto& n : root.items("citations")) {
      Citation c{n.str("id"), n.str("label"), n.str("url"), n.boolean("verified"), n.opt_str("note")};
      if (c.url.rfind("https://", 0) != 0) n.member("url").fail("a citation URL must be absolute https");
      check_no_internal_file(n.member("label"), c.label);
      check_no_internal_file(n.member("url"), c.url);
      kb.citations_.push_back(std::move(c));
    }
  }

  // Issue 12 item 12: summaries name the drug and stay under 140 characters with the longest agent name filled in.
  void check_summary(const Node& n, const std::string& summary) const {
    std::size_t longest = 0;
    for (const auto& a : kb.agents_) longest = std::max(longest, detail::utf8_length(a.name));
    std::size_t length = detail::utf8_length(summary);
    if (summary.find("{agent}") != std::string::npos) length = length - 7 + longest;
    if (length >= 140) n.fail("summary must be under 140 characters (with the longest agent name filled in)");
  }

  // Issue 12 item 16: a card cites primary sources, never an internal file.
  static void check_no_internal_file(const Node& n, const std::string& text) {
    const std::string lower = detail::to_lower(text);
    for (const char* internal : {"nmosd-knowledge", ".md ", ".md§", ".md)", "seeds/"}) {
      if (lower.find(internal) != std::string::npos || (lower.size() >= 3 && lower.compare(lower.size() - 3, 3, ".md") == 0))
        n.fail("a card may not cite an internal file");
    }
  }

  void cards(const Node& root) {
    kb.standing_advice_ = root.str("standing_advice");
    check_no_internal_file(root.member("standing_advice"), kb.standing_advice_);
    for (const auto& n : root.items("override_reasons")) {
      kb.override_reasons_.push_back(fhir::Coding{kb.override_system_, n.str("code"), n.str("display")});
      const Node days = n.member("quiet_days");
      if (!days.value().IsInt() || days.value().GetInt() < 0 || days.value().GetInt() > kMaxQuietDays)
        days.fail("expected whole days from 0 (never quiets) to " + std::to_string(kMaxQuietDays));
      kb.quiet_days_[n.str("code")] = days.value().GetInt();
    }
    for (const auto& n : root.items("rules")) {
      RuleText r;
      r.id = n.str("id");
      r.title = n.str("title");
      r.hooks = n.strings("hooks");
      for (std::size_t i = 0; i < r.hooks.size(); ++i) {
        if (std::find(std::begin(kHooks), std::end(kHooks), r.hooks[i]) == std::end(kHooks))
          n.items("hooks")[i].fail("unknown hook '" + r.hooks[i] + "'");
      }
      r.trigger = n.str("trigger");
      Node ind = n.member("indicator");
      if (!ind.value().IsObject()) ind.fail("expected an object hook → indicator");
      for (auto it = ind.value().MemberBegin(); it != ind.value().MemberEnd(); ++it) {
        const std::string hook = it->name.GetString();
        const std::string value = ind.str(hook.c_str());
        if (std::find(std::begin(kIndicators), std::end(kIndicators), value) == std::end(kIndicators))
          ind.member(hook.c_str()).fail("indicator must be info, warning or critical");
        r.indicator[hook] = value;
      }
      for (const auto& hook : r.hooks) {
        if (!r.indicator.count(hook)) ind.fail("no indicator for hook '" + hook + "'");
      }
      r.summary = n.str("summary");
      check_summary(n.member("summary"), r.summary);
      r.summary_low = n.opt_str("summary_low");
      if (!r.summary_low.empty()) check_summary(n.member("summary_low"), r.summary_low);
      if (n.has("summary_variants")) {
        Node variants = n.member("summary_variants");
        if (!variants.value().IsObject()) variants.fail("expected an object indicator key → summary");
        for (auto it = variants.value().MemberBegin(); it != variants.value().MemberEnd(); ++it) {
          const std::string k = it->name.GetString();
          const std::string text = variants.str(k.c_str());
          check_summary(variants.member(k.c_str()), text);
          check_no_internal_file(variants.member(k.c_str()), text);
          if (!r.indicator.count(k)) variants.member(k.c_str()).fail("no indicator for summary variant '" + k + "'");
          r.summary_variants[k] = text;
        }
      }
      r.detail = n.str("detail");
      check_no_internal_file(n.member("detail"), r.detail);
      check_no_internal_file(n.member("summary"), r.summary);
      r.suggestions = n.strings("suggestions");
      for (std::size_t i = 0; i < r.suggestions.size(); ++i) check_no_internal_file(n.items("suggestions")[i], r.suggestions[i]);
      r.evidence = n.strings("evidence");
      if (r.evidence.empty()) n.member("evidence").fail("a rule needs at least one citation");
      for (std::size_t i = 0; i < r.evidence.size(); ++i) {
        if (!find_citation(r.evidence[i])) n.items("evidence")[i].fail("unknown citation '" + r.evidence[i] + "'");
      }
      r.links = n.strings("links");
      for (std::size_t i = 0; i < r.links.size(); ++i) {
        if (!find_citation(r.links[i])) n.items("links")[i].fail("unknown citation '" + r.links[i] + "'");
      }
      r.override_reasons = n.strings("override_reasons");
      for (std::size_t i = 0; i < r.override_reasons.size(); ++i) {
        if (!kb.override_reason(r.override_reasons[i]))
          n.items("override_reasons")[i].fail("unknown override reason '" + r.override_reasons[i] + "'");
      }
      kb.rules_.push_back(std::move(r));
    }
  }

  void open_items(const Node& root) {
    for (const auto& n : root.items("open_items"))
      kb.open_items_.push_back(OpenItem{n.str("id"), n.str("text"), n.str("source")});
  }

  const ValueSet* find_value_set(std::string_view id) const {
    for (const auto& vs : kb.value_sets_)
      if (vs.id == id) return &vs;
    return nullptr;
  }
  const Agent* find_agent(std::string_view id) const {
    for (const auto& a : kb.agents_)
      if (a.id == id) return &a;
    return nullptr;
  }
  const Citation* find_citation(std::string_view id) const {
    for (const auto& c : kb.citations_)
      if (c.id == id) return &c;
    return nullptr;
  }

  // After every vector is final (the index points into them).
  void index() {
    auto owner_name = [](const CodeMeaning& m) {
      return m.value_set ? "value set '" + m.value_set->id + "'" : "agent '" + m.agent->id + "'";
    };
    auto add = [&](const KnownCode& code, CodeMeaning meaning, const std::string& path) {
      const std::string key = key_of(code.system, code.code);
      if (key.size() > kMaxCodeKey)
        throw LoadError{path, "system and code longer than " + std::to_string(kMaxCodeKey) + " bytes"};
      auto [it, inserted] = kb.code_index_.emplace(key, meaning);
      if (!inserted && (it->second.value_set != meaning.value_set || it->second.agent != meaning.agent))
        throw LoadError{path, "code " + key + " is in two conflicting classes: " + owner_name(it->second) + " and " +
                                  owner_name(meaning)};
    };
    for (std::size_t i = 0; i < kb.value_sets_.size(); ++i) {
      const auto& vs = kb.value_sets_[i];
      for (std::size_t j = 0; j < vs.codes.size(); ++j)
        add(vs.codes[j], CodeMeaning{&vs, nullptr, &vs.codes[j]},
            "valuesets.json:" + fhir::path_index("valuesets", i) + ".codes[" + std::to_string(j) + "]");
    }
    for (std::size_t i = 0; i < kb.agents_.size(); ++i) {
      const auto& a = kb.agents_[i];
      for (std::size_t j = 0; j < a.codes.size(); ++j)
        add(a.codes[j], CodeMeaning{nullptr, &a, &a.codes[j]},
            "agents.json:" + fhir::path_index("agents", i) + ".codes[" + std::to_string(j) + "]");
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < kb.agents_.size(); ++i)
      for (const auto& name : kb.agents_[i].names) {
        names.push_back(name);
        kb.agent_of_name_.push_back(i);
      }
    kb.agent_names_ = detail::WordIndex(names);
    std::vector<std::string> patterns;
    for (std::size_t i = 0; i < kb.value_sets_.size(); ++i)
      for (const auto& pattern : kb.value_sets_[i].text_patterns) {
        patterns.push_back(pattern);
        kb.value_set_of_pattern_.push_back(i);
      }
    kb.value_set_patterns_ = detail::WordIndex(patterns);
    for (const auto& vs : kb.value_sets_)
      for (const auto& p : vs.prefixes)
        if (std::find(kb.prefix_systems_.begin(), kb.prefix_systems_.end(), p.system) == kb.prefix_systems_.end())
          kb.prefix_systems_.push_back(p.system);
  }

  void check_required() {
    for (const char* id : kRequiredValueSets)
      if (!find_value_set(id))
        throw LoadError{"valuesets.json:valuesets", std::string("required value set '") + id + "' missing"};
    for (const char* id : kRequiredThresholds) {
      bool found = false;
      for (const auto& t : kb.thresholds_) found = found || t.id == id;
      if (!found) throw LoadError{"thresholds.json:thresholds", std::string("required threshold '") + id + "' missing"};
    }
    for (int i = 1; i <= 16; ++i) {
      const std::string id = std::string("NMOSD-") + (i < 10 ? "0" : "") + std::to_string(i);
      bool found = false;
      for (const auto& r : kb.rules_) found = found || r.id == id;
      if (!found) throw LoadError{"cards.json:rules", "card text for rule " + id + " missing"};
    }
    bool steroid = false;
    for (const auto& a : kb.agents_) steroid = steroid || a.acute_attack_steroid;
    if (!steroid) throw LoadError{"agents.json:agents", "no agent marked acute_attack_steroid (methylprednisolone)"};
  }
};

namespace {
// The items (in order) one of whose words `index` finds in `words_lower`; owner[i]: the item of the index's needle i.
template <class T>
std::vector<const T*> named_in(const std::vector<T>& items, const detail::WordIndex& index,
                               const std::vector<std::size_t>& owner, std::string_view words_lower) {
  std::vector<bool> named(items.size());
  index.find(words_lower, [&](std::size_t i) {
    named[owner[i]] = true;
    return false;
  });
  std::vector<const T*> out;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (named[i]) out.push_back(&items[i]);
  return out;
}
}  // namespace

std::vector<const Agent*> KnowledgeBase::agents_named(std::string_view words_lower) const {
  return named_in(agents_, agent_names_, agent_of_name_, words_lower);
}

std::vector<const ValueSet*> KnowledgeBase::value_sets_named(std::string_view words_lower) const {
  return named_in(value_sets_, value_set_patterns_, value_set_of_pattern_, words_lower);
}

const CodeMeaning* KnowledgeBase::lookup(std::string_view system, std::string_view code) const {
  // The key is built on the stack (issue 14: one heap string per lookup was a tenth of evaluate); a longer one
  // than any known code cannot be in the index.
  char key[kMaxCodeKey];
  if (system.size() + code.size() + 1 > sizeof key) return nullptr;
  std::copy(system.begin(), system.end(), key);
  key[system.size()] = '|';
  std::copy(code.begin(), code.end(), key + system.size() + 1);
  auto it = code_index_.find(std::string_view(key, system.size() + code.size() + 1));
  return it == code_index_.end() ? nullptr : &it->second;
}

const ValueSet* KnowledgeBase::lookup_prefix(std::string_view system, std::string_view code,
                                            const CodePrefix** matched) const {
  const ValueSet* best = nullptr;
  const CodePrefix* best_prefix = nullptr;
  if (std::find(prefix_systems_.begin(), prefix_systems_.end(), system) == prefix_systems_.end()) {
    if (matched) *matched = nullptr;
    return nullptr;
  }
  for (const auto& vs : value_sets_) {
    for (const auto& p : vs.prefixes) {
      if (p.system != system || code.substr(0, p.prefix.size()) != p.prefix) continue;
      if (!best_prefix || p.prefix.size() > best_prefix->prefix.size()) {
        best = &vs;
        best_prefix = &p;
      }
    }
  }
  if (matched) *matched = best_prefix;
  return best;
}

const ValueSet& KnowledgeBase::value_set(std::string_view id) const {
  for (const auto& vs : value_sets_)
    if (vs.id == id) return vs;
  throw std::logic_error("value set not loaded: " + std::string(id));
}
const Agent& KnowledgeBase::agent(std::string_view id) const {
  for (const auto& a : agents_)
    if (a.id == id) return a;
  throw std::logic_error("agent not loaded: " + std::string(id));
}
const RuleText& KnowledgeBase::rule(std::string_view id) const {
  for (const auto& r : rules_)
    if (r.id == id) return r;
  throw std::logic_error("rule text not loaded: " + std::string(id));
}
const Citation& KnowledgeBase::citation(std::string_view id) const {
  for (const auto& c : citations_)
    if (c.id == id) return c;
  throw std::logic_error("citation not loaded: " + std::string(id));
}
double KnowledgeBase::threshold(std::string_view id) const {
  for (const auto& t : thresholds_)
    if (t.id == id) return t.value;
  throw std::logic_error("threshold not loaded: " + std::string(id));
}
const fhir::Coding* KnowledgeBase::override_reason(std::string_view code) const {
  for (const auto& c : override_reasons_)
    if (c.code == code) return &c;
  return nullptr;
}
int KnowledgeBase::quiet_days(std::string_view code) const {
  const auto it = quiet_days_.find(code);
  return it == quiet_days_.end() ? 0 : it->second;
}
bool KnowledgeBase::on_formulary(const Agent& agent) const {
  return std::find(formulary_.begin(), formulary_.end(), agent.id) != formulary_.end();
}

fhir::Result<std::shared_ptr<const KnowledgeBase>> load_knowledge(const std::vector<KnowledgeFile>& files) {
  std::map<std::string, rapidjson::Document> docs;
  for (const auto& file : files) {
    auto parsed = fhir::parse_json(file.text);
    if (!parsed) {
      return fhir::make_problem(fhir::ProblemKind::invalid, file.name + ":" + parsed.problem().path,
                                "knowledge file " + file.name + " is not valid JSON: " + parsed.problem().message);
    }
    if (!parsed->IsObject())
      return fhir::make_problem(fhir::ProblemKind::invalid, file.name + ":", "expected a JSON object");
    docs.emplace(file.name, std::move(*parsed));
  }
  for (const char* name : kRequiredFiles) {
    if (!docs.count(name))
      return fhir::make_problem(fhir::ProblemKind::invalid, std::string(name) + ":", "knowledge file missing");
  }
  std::shared_ptr<KnowledgeBase> kb(new KnowledgeBase());
  KnowledgeLoader loader{*kb, {}};
  auto node = [&](const char* name) { return Node(docs.at(name), std::string(name) + ":"); };
  try {
    loader.meta(node("meta.json"));
    loader.systems(node("systems.json"));
    loader.value_sets(node("valuesets.json"));
    loader.agents(node("agents.json"));
    loader.formulary(node("formulary.json"));
    loader.thresholds(node("thresholds.json"));
    loader.citations(node("citations.json"));
    loader.cards(node("cards.json"));
    loader.open_items(node("open-items.json"));
    loader.index();
    loader.check_required();
  } catch (const LoadError& e) {
    return fhir::make_problem(fhir::ProblemKind::invalid, e.path, "invalid knowledge at " + e.path + ": " + e.message);
  }
  return std::shared_ptr<const KnowledgeBase>(std::move(kb));
}

std::string knowledge_version(const KnowledgeBase& kb) { return kb.version() + " (" + kb.review_date() + ")"; }

}  // namespace nmo::cards
