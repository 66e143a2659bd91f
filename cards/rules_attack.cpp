// NMOSD-09 to NMOSD-12: attack management, refractory disease, seronegative work-up.
#include "cards/rules.hpp"

#include <set>

namespace nmo::cards::detail {

namespace {

bool procedure_counts(const fhir::Procedure& p) {
  return p.status.empty() || p.status == "completed" || p.status == "in-progress";
}

const fhir::Coding apheresis_coding(const KnowledgeBase& kb) {
  const KnownCode* c = preferred_code(kb.value_set("apheresis").codes, kSnomed);
  return fhir::Coding{c->system, c->code, c->display};
}

// The attack-dose steroid (methylprednisolone; load_knowledge() guarantees one is marked).
std::string attack_steroid_name(const KnowledgeBase& kb) {
  for (const auto& a : kb.agents())
    if (a.acute_attack_steroid) return a.name;
  return "Steroid";
}

}  // namespace

// NEMOS II (Kümpfel 2024): "IV methylprednisolone 1 g/day for 3–5 days; early plasma exchange or
// immunoadsorption if severe or response inadequate"; draw AQP4/MOG before PLEX. Table §3: order-select.
void nmosd_09_acute_attack_treatment(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-09") || !ctx.nmosd) return;
  for (const auto& draft : ctx.drafted) {
    std::string route;
    if (!attack_dose_steroid(draft, env.kb, &route)) continue;
    std::vector<std::string> evidence{"Drafted " + draft.agent->name + " at attack dose (" + draft.reference() + ", " +
                                      route + ")"};
    Card card = make_card(env, "NMOSD-09", draft.reference(), evidence, {}, draft.agent->name);
    const RuleText& rule = env.kb.rule("NMOSD-09");
    const fhir::Coding plex = apheresis_coding(env.kb);
    add_suggestion(card, rule.suggestions.at(0), false,
                   {create_service_order(env, &plex, "Plasma exchange / immunoadsorption for NMOSD attack",
                                         "Apheresis (plasma exchange or immunoadsorption) request")},
                   "any");
    if (ctx.aqp4 == Serostatus::unknown)
      add_suggestion(card, rule.suggestions.at(1), true,
                     {create_lab_order(env, env.kb.value_set("aqp4"), "AQP4-IgG, drawn before plasma exchange")},
                     "any");
    if (!ctx.mog_tested)
      add_suggestion(card, rule.suggestions.at(2), false,
                     {create_lab_order(env, env.kb.value_set("mog"), "MOG-IgG, drawn before plasma exchange")}, "any");
    out.push_back(std::move(card));
  }
}

// NEMOS II: add plasma exchange early when the response to IVMP is inadequate. Table §3: patient-view, IVMP within
// 14 days †, no apheresis since.
void nmosd_10_steroids_without_plasma_exchange(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-10") || !ctx.nmosd) return;
  const auto recent = static_cast<std::int64_t>(env.kb.threshold("ivmp_recent_days")) * kDay;
  const AttackEvent* course = nullptr;
  for (const auto& ev : ctx.attacks) {
    if (ev.steroid_course && ev.time <= ctx.now && ev.time >= ctx.now - recent) course = &ev;
  }
  if (!course) return;
  const ValueSet& apheresis = env.kb.value_set("apheresis");
  for (const auto& p : env.record.procedures) {
    if (!procedure_counts(p) || !concept_in(p.code, apheresis, env.kb, true)) continue;
    if (!p.performed || *p.performed >= course->time) return;
  }
  Card card =
      make_card(env, "NMOSD-10", "", {course->evidence, "No plasma exchange or immunoadsorption recorded since"}, {},
                attack_steroid_name(env.kb));
  const fhir::Coding plex = apheresis_coding(env.kb);
  add_suggestion(card, env.kb.rule("NMOSD-10").suggestions.at(0), false,
                 {create_service_order(env, &plex, "Plasma exchange / immunoadsorption for NMOSD attack",
                                       "Apheresis (plasma exchange or immunoadsorption) request")},
                 "any");
  out.push_back(std::move(card));
}

// ECTRIMS/EBMT 2025 (Muraro, Nat Rev Neurol 2025): AHSCT "a clinical option for NMOSD refractory to conventional
// treatment", ideally in expert centres; Sharrack 2019. Table §3: relapse on ≥ 2 distinct HIGH-EFFICACY agents †.
void nmosd_11_refractory_disease(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-11") || !ctx.nmosd) return;
  std::set<const Agent*> failed;
  std::vector<std::string> evidence;
  for (const auto& u : ctx.chart) {
    const auto cls = u.agent->agent_class;
    if (cls != AgentClass::approved && cls != AgentClass::high_efficacy) continue;
    const AttackEvent* ev = ctx.relapse_on(u);
    if (ev && failed.insert(u.agent).second)
      evidence.push_back("Relapse on " + u.agent->name + " (" + u.reference() + "): " + ev->evidence);
  }
  if (static_cast<double>(failed.size()) < env.kb.threshold("refractory_min_agents")) return;
  Card card = make_card(env, "NMOSD-11", "", evidence);
  add_suggestion(
      card, env.kb.rule("NMOSD-11").suggestions.at(0), false,
      {create_service_order(env, nullptr, "Referral to an NMOSD expert centre (refractory disease; AHSCT assessment)",
                            "Expert-centre referral")},
      "any");
  out.push_back(std::move(card));
}

// Wingerchuk 2015; NEMOS I: cell-based assays preferred; test MOG-IgG in seronegative NMOSD (nmosd-knowledge.md
// §2.8). Table §3: patient-view, all AQP4 negative, no MOG or no cell-based AQP4 result.
void nmosd_12_seronegative_work_up(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-12") || !ctx.nmosd || ctx.aqp4 == Serostatus::positive) return;
  const RuleText& rule = env.kb.rule("NMOSD-12");
  // Issue 12 item 8: MOG-IgG positive with AQP4-IgG negative: reconsider MOGAD; no AQP4+-only agent is offered.
  if (ctx.mog == Serostatus::positive) {
    std::vector<std::string> evidence;
    for (const auto& lab : ctx.labs)
      if (lab.value_set->id == "mog" && lab.value == ResultValue::positive)
        evidence.push_back("MOG-IgG positive (Observation/" + markdown_text(lab.observation->id) +
                           (lab.time ? ", " + format_date(*lab.time) : std::string()) + ")");
    evidence.insert(evidence.end(), ctx.aqp4_evidence.begin(), ctx.aqp4_evidence.end());
    if (ctx.aqp4 == Serostatus::unknown) evidence.push_back("No AQP4-IgG result found");
    if (ctx.mogad) evidence.push_back("MOGAD is also recorded");
    Card card = make_card(env, "NMOSD-12", "mog", evidence, "mog_positive");
    add_suggestion(card, rule.suggestions.at(2), false,
                   {create_service_order(env, nullptr, "Neuroimmunology review: MOG-IgG positive, reconsider MOGAD",
                                         "Neuroimmunology referral")},
                   "any");
    out.push_back(std::move(card));
    return;
  }
  if (ctx.aqp4 != Serostatus::negative) return;
  if (ctx.mog_tested && ctx.aqp4_cell_based) return;
  std::vector<std::string> evidence = ctx.aqp4_evidence;
  if (!ctx.aqp4_cell_based) evidence.push_back("No cell-based AQP4-IgG result found");
  if (!ctx.mog_tested) evidence.push_back("No MOG-IgG result found");
  Card card = make_card(env, "NMOSD-12", "", evidence);
  if (!ctx.aqp4_cell_based)
    add_suggestion(card, rule.suggestions.at(0), true,
                   {create_lab_order(env, env.kb.value_set("aqp4"), "AQP4-IgG by cell-based assay")}, "any");
  if (!ctx.mog_tested)
    add_suggestion(card, rule.suggestions.at(1), true,
                   {create_lab_order(env, env.kb.value_set("mog"), "MOG-IgG (cell-based assay)")}, "any");
  out.push_back(std::move(card));
}

}  // namespace nmo::cards::detail
