#include "cards/quiet.hpp"

#include <algorithm>
#include <set>

#include "cards/card_builder.hpp"
#include "cards/knowledge_model.hpp"
#include "cards/patient_context.hpp"

namespace nmo::cards {

namespace {

// The groups of facts a rule's card rests on. A change in any group of its rule brings a quieted card back.
enum Facts : unsigned {
  kAgents = 1,     // known agents in the chart (active) and drafted
  kAttacks = 2,    // attacks and relapses, by day
  kAqp4 = 4,       // AQP4-IgG serostatus and every AQP4 result
  kLabs = 8,       // every counted result of a lab value set (screening, IgG, MOG, AQP4)
  kPregnancy = 16,
  kDiagnosis = 32,  // NMOSD, MS, MOGAD in the chart
  kAll = 63,
};

// nmosd-knowledge.md §3: what each rule reads. A rule not listed (added later) rests on everything.
unsigned facts_of(unsigned rule) {
  switch (rule) {
    case 1: return kAqp4 | kDiagnosis;                       // AQP4 status unknown
    case 2: return kAgents | kAttacks | kAqp4 | kDiagnosis;  // no maintenance therapy
    case 3: return kAgents | kAttacks | kAqp4;               // older agent while newer available
    case 4: return kAgents | kAttacks;                       // relapse on an older agent
    case 7: return kAgents | kLabs;                          // screening before B-cell / IL-6R therapy
    case 8: return kAgents | kLabs;                          // IgG on B-cell depletion
    case 9: return kAgents | kAttacks;                       // acute attack treatment
    case 10: return kAgents | kAttacks;                      // steroids without plasma exchange
    case 11: return kAgents | kAttacks;                      // refractory disease
    case 12: return kAqp4 | kLabs | kDiagnosis;              // seronegative work-up
    case 13: return kAgents | kAqp4;                         // approved agent without AQP4-positive
    case 15: return kAgents | kPregnancy;                    // childbearing potential on a teratogen
    default: return kAll;                                    // 05, 06, 14 are critical: never quieted anyway
  }
}

std::string sorted_joined(std::set<std::string> items) {
  std::string out;
  for (const auto& s : items) out += s + ",";
  return out;
}

const char* serostatus_name(Serostatus s) {
  switch (s) {
    case Serostatus::positive: return "+";
    case Serostatus::negative: return "-";
    case Serostatus::unknown: break;
  }
  return "?";
}

std::string lab_line(const LabResult& lab) {
  return lab.value_set->id + "@" + std::to_string(lab.time.value_or(0) / detail::kDay) + "=" +
         std::to_string(static_cast<int>(lab.value)) + ";";
}

bool is_order_hook(Hook hook) { return hook != Hook::patient_view; }

bool rule_can_be_critical(const Card& card, const KnowledgeBase& kb) {
  for (const auto& rule : kb.rules()) {
    if (rule.id != card.rule_id) continue;
    for (const auto& [hook, indicator] : rule.indicator) {
      if (indicator == "critical") return true;
    }
  }
  return false;
}

std::string reason_text(const QuietEntry& entry, const KnowledgeBase& kb) {
  if (const fhir::Coding* c = kb.override_reason(entry.reason_code)) return c->display;
  return detail::markdown_text(entry.reason_code);
}

// Why a card overridden before is shown all the same; empty when `entry` quiets it.
std::string shown_because(const HookInput& input, const Card& card, const QuietEntry& entry,
                          const KnowledgeBase& kb) {
  if (!may_quiet(card, kb)) return "critical cards are never quieted";
  if (is_order_hook(input.hook) != is_order_hook(entry.hook)) {
    return is_order_hook(input.hook) ? "an order being drafted is always checked"
                                     : "an override at ordering does not quiet the chart review";
  }
  const bool offered = std::any_of(card.override_reasons.begin(), card.override_reasons.end(),
                                   [&](const fhir::Coding& c) { return c.code == entry.reason_code; });
  if (!offered) return "this reason is not one the card offers";
  if (kb.quiet_days(entry.reason_code) == 0) return "this reason does not quiet the card";
  if (entry.fact_digest != card.fact_digest) return "the facts behind it have changed since";
  if (input.now >= quiet_until(entry, kb)) {
    return "its quiet period of " + std::to_string(kb.quiet_days(entry.reason_code)) + " days has ended";
  }
  return {};
}

}  // namespace

namespace detail {

std::string fact_digest(const RuleEnv& env, std::string_view rule_id, std::string_view discriminator) {
  const PatientContext& ctx = env.ctx;
  // At ordering the draft is always a fact: an override of one order never quiets the card for the next.
  const unsigned facts = facts_of(rule_number(rule_id)) | (is_order_hook(env.input.hook) ? kAgents : 0u);
  std::string text = std::string(rule_id) + "|" + std::string(discriminator) + "|";
  if (facts & kAgents) {
    std::set<std::string> active, drafted;
    for (const auto& use : ctx.chart) {
      if (use.active) active.insert(use.agent->id);
    }
    for (const auto& use : ctx.drafted) {
      // At ordering, a new draft order is a new fact even for an agent drafted before.
      drafted.insert(is_order_hook(env.input.hook) ? use.agent->id + "=" + use.reference() : use.agent->id);
    }
    text += "agents:" + sorted_joined(std::move(active)) + "drafted:" + sorted_joined(std::move(drafted)) + "|";
  }
  if (facts & kAttacks) {
    text += "attacks:";
    for (const auto& a : ctx.attacks) text += std::to_string(a.time / kDay) + (a.relapse ? "r;" : ";");
    text += "|";
  }
  if (facts & kAqp4) {
    text += std::string("aqp4:") + serostatus_name(ctx.aqp4) + ":";
    for (const auto& lab : ctx.labs) {
      if (lab.value_set->id == "aqp4") text += lab_line(lab);
    }
    text += "|";
  }
  if (facts & kLabs) {
    text += "labs:";
    for (const auto& lab : ctx.labs) text += lab_line(lab);
    text += "|";
  }
  if (facts & kPregnancy) text += ctx.pregnant ? "pregnant|" : "not-pregnant|";
  if (facts & kDiagnosis) {
    text += std::string("dx:") + (ctx.nmosd ? "nmosd," : "") + (ctx.ms ? "ms," : "") + (ctx.mogad ? "mogad," : "") +
            "|";
  }
  return stable_uuid(text);
}

}  // namespace detail

bool may_quiet(const Card& card, const KnowledgeBase& kb) {
  return card.indicator != Indicator::critical && !rule_can_be_critical(card, kb);
}

std::int64_t quiet_until(const QuietEntry& entry, const KnowledgeBase& kb) {
  return entry.overridden_at + static_cast<std::int64_t>(kb.quiet_days(entry.reason_code)) * detail::kDay;
}

QuietOutcome apply_quiet(const HookInput& input, std::vector<Card> cards, const std::vector<QuietEntry>& entries,
                         const KnowledgeBase& kb) {
  QuietOutcome out;
  for (Card& card : cards) {
    const QuietEntry* latest = nullptr;
    bool quiet = false;
    for (const QuietEntry& e : entries) {
      if (e.rule_id != card.rule_id) continue;
      if (latest == nullptr || e.overridden_at > latest->overridden_at) latest = &e;
      if (shown_because(input, card, e, kb).empty()) quiet = true;
    }
    if (quiet) {
      out.quieted.push_back(std::move(card));
      continue;
    }
    if (latest != nullptr) {
      card.detail = "**Overridden on " + detail::format_date(latest->overridden_at) + ": " +
                    reason_text(*latest, kb) + ".** Shown again: " + shown_because(input, card, *latest, kb) +
                    ".\n\n" + card.detail;
    }
    out.shown.push_back(std::move(card));
  }
  return out;
}

}  // namespace nmo::cards
