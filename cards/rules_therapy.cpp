// NMOSD-01 to NMOSD-05: serostatus, maintenance therapy, older agents, relapse on older agents, MS therapies.
#include "cards/rules.hpp"

#include <algorithm>
#include <set>

namespace nmo::cards::detail {

namespace {

bool order_hook(const RuleEnv& env) { return env.input.hook != Hook::patient_view; }

std::string use_line(const AgentUse& u, const char* what) {
  std::string line = std::string(what) + " " + u.agent->name + " (" + u.reference();
  if (u.start) line += ", since " + format_date(*u.start);
  return line + ")";
}

std::vector<const Agent*> formulary_agents(const KnowledgeBase& kb, bool approved_allowed) {
  std::vector<const Agent*> out;
  for (const auto& id : kb.formulary()) {
    const Agent& a = kb.agent(id);
    if (!approved_allowed && a.agent_class == AgentClass::approved) continue;
    out.push_back(&a);
  }
  return out;
}

// A formulary agent offered to this patient, with the one-line reason shown in its suggestion label.
struct Option {
  const Agent* agent = nullptr;
  std::string reason;
};

// Issue 12 item 15: what the clinician must weigh before this agent, for this patient.
bool latest_positive(const PatientContext& ctx, std::string_view value_set_id) {
  const LabResult* last = nullptr;
  for (const auto& lab : ctx.labs)
    if (lab.value_set->id == value_set_id && lab.value != ResultValue::indeterminate) last = &lab;
  return last && last->value == ResultValue::positive;
}

bool screens_for(const Agent& a, std::string_view value_set_id) {
  return std::find(a.screening.begin(), a.screening.end(), value_set_id) != a.screening.end();
}

std::vector<std::string> option_caveats(const PatientContext& ctx, const Agent& a) {
  std::vector<std::string> out;
  if (a.complement_c5 && !(ctx.men_acwy_protected && ctx.men_b_protected))
    out.push_back("needs MenACWY and MenB vaccination at least 2 weeks before the first dose");
  if (screens_for(a, "hbsag") && latest_positive(ctx, "hbsag"))
    out.push_back("HBsAg positive: hepatology and antiviral prophylaxis first");
  else if (screens_for(a, "anti_hbc") && latest_positive(ctx, "anti_hbc"))
    out.push_back("anti-HBc positive: HBV DNA, prophylaxis or monitoring");
  if (screens_for(a, "tb_igra") && latest_positive(ctx, "tb_igra"))
    out.push_back("positive TB screen: treat latent TB first");
  if ((ctx.pregnant || ctx.pregnancy_planned) && a.b_cell_depleting)
    out.push_back(std::string(ctx.pregnant ? "pregnant" : "pregnancy planned") +
                  ": B-cell depletion in pregnancy needs specialist review");
  return out;
}

// Issue 12 items 11 and 15: the site's formulary agents that fit this patient, best first. Never an agent the
// patient already receives or relapsed on; approved agents only for AQP4-IgG+ (labelled population).
std::vector<Option> fitting_agents(const RuleEnv& env, bool approved_allowed) {
  const auto& ctx = env.ctx;
  std::vector<Option> plain, caveated;
  for (const Agent* a : formulary_agents(env.kb, approved_allowed)) {
    if (ctx.receiving(*a) || ctx.failed(*a)) continue;
    std::vector<std::string> caveats = option_caveats(ctx, *a);
    Option o{a, caveats.empty() ? std::string("available at this site") : std::string()};
    if (caveats.empty() && a->complement_c5) o.reason += "; meningococcal vaccination documented";
    for (const auto& c : caveats) o.reason += (o.reason.empty() ? "" : "; ") + c;
    (caveats.empty() ? plain : caveated).push_back(std::move(o));
  }
  plain.insert(plain.end(), caveated.begin(), caveated.end());
  return plain;
}

// The class a switch leaves: complement C5 inhibition, B-cell depletion, or the agent's own mechanism.
std::string mechanism_class(const Agent& a) {
  if (a.complement_c5) return "complement C5";
  if (a.b_cell_depleting) return "B-cell depletion";
  return a.mechanism;
}

// A suggestion label with its reason: "Draft Eculizumab (available at this site)".
std::string option_label(std::string_view label, const Option& o) {
  std::string out = fill(label, "{agent}", o.agent->name);
  if (out.find("{reason}") != std::string::npos) return fill(out, "{reason}", o.reason);
  return out + " — " + o.reason;
}

bool is_maintenance(const Agent& a) {
  return a.agent_class == AgentClass::approved || a.agent_class == AgentClass::high_efficacy ||
         a.agent_class == AgentClass::older || a.maintenance;
}

bool has_aqp4_result(const PatientContext& ctx) {
  for (const auto& lab : ctx.labs) {
    if (lab.value_set->id == "aqp4" && lab.value != ResultValue::indeterminate) return true;
  }
  return false;
}

}  // namespace

// Wingerchuk 2015; NEMOS I (Jarius 2023): "AQP4-positive NMOSD = ≥ 1 core clinical characteristic + positive
// AQP4-IgG (cell-based assay)"; serostatus decides therapy. Table §3: any hook, info (warning at order time).
void nmosd_01_aqp4_status_unknown(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-01") || !ctx.nmosd || has_aqp4_result(ctx)) return;
  // Issue 12 item 9: at order time only when the drafted order is an NMOSD-relevant agent (not acetaminophen).
  if (order_hook(env) && ctx.drafted.empty()) return;
  std::vector<std::string> evidence{ctx.nmosd_evidence, "No final AQP4-IgG result with a readable value found"};
  Card card = make_card(env, "NMOSD-01", "", evidence);
  const RuleText& rule = env.kb.rule("NMOSD-01");
  add_suggestion(card, rule.suggestions.at(0), true,
                 {create_lab_order(env, env.kb.value_set("aqp4"),
                                   "AQP4-IgG (cell-based assay preferred); draw before steroids or plasma exchange")},
                 "any");
  if (!ctx.mog_tested)
    add_suggestion(card, rule.suggestions.at(1), false,
                   {create_lab_order(env, env.kb.value_set("mog"), "MOG-IgG (cell-based assay)")}, "any");
  out.push_back(std::move(card));
}

// NEMOS II (Kümpfel 2024); PREVENT, CHAMPION-NMOSD, N-MOmentum, SAkura: long-term relapse-preventive therapy for
// AQP4-IgG+ NMOSD. Table §3: patient-view, NMOSD + AQP4+, no active HIGH-EFFICACY or OLDER agent.
void nmosd_02_no_maintenance_therapy(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-02") || !ctx.nmosd || ctx.aqp4 != Serostatus::positive) return;
  for (const auto& u : ctx.chart) {
    if (u.active && is_maintenance(*u.agent)) return;
  }
  std::vector<std::string> evidence = ctx.aqp4_evidence;
  evidence.push_back("No active maintenance therapy (approved, high-efficacy or older immunosuppressant) found");
  Card card = make_card(env, "NMOSD-02", "", evidence);
  const RuleText& rule = env.kb.rule("NMOSD-02");
  for (const Option& o : fitting_agents(env, true))
    add_suggestion(card, option_label(rule.suggestions.at(0), o), false, {create_medication(env, *o.agent)},
                   "at-most-one");
  add_suggestion(
      card, rule.suggestions.at(1), false,
      {create_service_order(env, nullptr, "Referral to neuroimmunology (NMOSD)", "Neuroimmunology referral")},
      "at-most-one");
  out.push_back(std::move(card));
}

// NEMOS II (Kümpfel 2024): the approved agents "may potentially substitute rituximab and classical
// immunosuppressive therapies" in AQP4+ NMOSD; TANGO; Nikoo 2017; Magdalena 2022. Seed: older agents "may be
// considered when newer therapies are unavailable" → formulary-driven. Not when the reason is another condition.
void nmosd_03_older_agent_while_newer_available(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-03") || !ctx.nmosd || ctx.aqp4 != Serostatus::positive) return;
  const auto newer = formulary_agents(env.kb, true);
  if (newer.empty()) return;
  const RuleText& rule = env.kb.rule("NMOSD-03");
  // Issue 12 item 11: a patient already on a newer agent is told so and offered to cancel the draft, never
  // offered that agent (or one they relapsed on) as a replacement.
  const AgentUse* current = nullptr;
  for (const auto& u : ctx.chart) {
    const bool newer_class = u.agent->agent_class == AgentClass::approved ||
                             u.agent->agent_class == AgentClass::high_efficacy;
    if (newer_class && ctx.receiving(*u.agent) == &u) current = &u;
  }
  if (!order_hook(env)) {
    // Issue 12 item 13: a warning per older agent, with a draft order for each fitting formulary agent
    // (at-most-one); the current order is not touched. Alert fatigue is handled by feedback overrides.
    for (const AgentUse* u : ctx.active_of(AgentClass::older)) {
      if (u->for_other_condition) continue;
      std::vector<std::string> evidence = ctx.aqp4_evidence;
      evidence.push_back(use_line(*u, "Active"));
      if (current) evidence.push_back("The patient also receives " + use_line(*current, "").substr(1));
      std::string available = "Available at this site:";
      for (const Agent* a : newer) available += " " + a->name + (a == newer.back() ? "" : ",");
      evidence.push_back(available);
      Card card = make_card(env, "NMOSD-03", u->reference(), evidence, {}, u->agent->name);
      if (!current)
        for (const Option& o : fitting_agents(env, true))
          add_suggestion(card, option_label(rule.suggestions.at(3), o), false, {create_medication(env, *o.agent)},
                         "at-most-one");
      out.push_back(std::move(card));
    }
    return;
  }
  for (const auto& draft : ctx.drafted) {
    if (draft.agent->agent_class != AgentClass::older || draft.for_other_condition) continue;
    std::vector<std::string> evidence = ctx.aqp4_evidence;
    evidence.push_back(use_line(draft, "Drafted"));
    if (current) evidence.push_back("The patient already receives " + use_line(*current, "").substr(1));
    Card card = make_card(env, "NMOSD-03", draft.reference(), evidence, {}, draft.agent->name);
    if (current) {
      add_suggestion(card,
                     fill(fill(rule.suggestions.at(2), "{agent}", draft.agent->name), "{current}",
                          current->agent->name),
                     true, {delete_order(draft, "Remove the draft " + draft.agent->name + " order")}, "at-most-one");
    } else {
      for (const Option& o : fitting_agents(env, true)) {
        add_suggestion(card, option_label(rule.suggestions.at(0), o), false,
                       {delete_order(draft, "Remove the draft " + draft.agent->name + " order"),
                        create_medication(env, *o.agent)},
                       "at-most-one");
      }
    }
    out.push_back(std::move(card));
  }
}

// TANGO (Zhang 2020); Nikoo 2017; NEMOS II: a relapse on an older immunosuppressant is treatment failure.
// Table §3: relapse within 90 days † while on an OLDER agent ≥ 6 months †; suppresses NMOSD-03.
void nmosd_04_relapse_on_older_agent(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-04") || !ctx.nmosd) return;
  const auto window = static_cast<std::int64_t>(env.kb.threshold("relapse_window_days")) * kDay;
  const auto min_on = static_cast<std::int64_t>(env.kb.threshold("older_agent_min_days")) * kDay;
  const AttackEvent* relapse = nullptr;
  const AgentUse* on = nullptr;
  for (const auto& u : ctx.chart) {
    if (u.agent->agent_class != AgentClass::older) continue;
    const AttackEvent* ev = ctx.relapse_on(u, ctx.now - window, min_on);
    if (ev && (!relapse || ev->time >= relapse->time)) {
      relapse = ev;
      on = &u;
    }
  }
  if (!relapse) return;
  std::vector<std::string> evidence{relapse->evidence, use_line(*on, "On")};
  if (ctx.aqp4 == Serostatus::positive)
    evidence.insert(evidence.end(), ctx.aqp4_evidence.begin(), ctx.aqp4_evidence.end());
  Card card = make_card(env, "NMOSD-04", "", evidence, {}, on->agent->name);
  const RuleText& rule = env.kb.rule("NMOSD-04");
  // Approved agents are labelled for AQP4+ only (nmosd-knowledge.md §2.8): seronegative → off-label options only.
  const auto options = fitting_agents(env, ctx.aqp4 == Serostatus::positive);
  const AgentUse* drafted_older = nullptr;
  for (const auto& d : ctx.drafted) {
    if (d.agent->agent_class == AgentClass::older) drafted_older = &d;
  }
  for (const Option& o : options) {
    std::vector<Action> actions;
    if (drafted_older)
      actions.push_back(delete_order(*drafted_older, "Remove the draft " + drafted_older->agent->name + " order"));
    actions.push_back(create_medication(env, *o.agent));
    add_suggestion(card, option_label(rule.suggestions.at(0), o), false, std::move(actions), "at-most-one");
  }
  out.push_back(std::move(card));
}

// Issue 12 item 7; NEMOS II (Kümpfel 2024): a relapse on a high-efficacy agent calls for a check of adherence and,
// on B-cell depletion, of B-cell repopulation (CD19/CD27 counts), and for considering a switch of class.
// Patient-view: a relapse within the relapse window while on one approved, high-efficacy or maintenance agent.
void nmosd_16_relapse_on_high_efficacy_agent(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-16") || !ctx.nmosd) return;
  const auto window = static_cast<std::int64_t>(env.kb.threshold("relapse_window_days")) * kDay;
  const auto min_on = static_cast<std::int64_t>(env.kb.threshold("high_efficacy_min_days")) * kDay;
  const RuleText& rule = env.kb.rule("NMOSD-16");
  for (const auto& u : ctx.chart) {
    const auto cls = u.agent->agent_class;
    if (cls != AgentClass::approved && cls != AgentClass::high_efficacy && !u.agent->maintenance) continue;
    const AttackEvent* ev = ctx.relapse_on(u, ctx.now - window, min_on);
    if (!ev) continue;
    std::vector<std::string> evidence{ev->evidence, use_line(u, "On")};
    if (ctx.aqp4 == Serostatus::positive)
      evidence.insert(evidence.end(), ctx.aqp4_evidence.begin(), ctx.aqp4_evidence.end());
    // Review of issue 12, defect 10: the switch options exclude each other (at-most-one); the B-cell check is not an
    // alternative to them, so it has its own card.
    Card card = make_card(env, "NMOSD-16", u.reference(), evidence, {}, u.agent->name);
    for (const Option& o : fitting_agents(env, ctx.aqp4 == Serostatus::positive)) {
      if (mechanism_class(*o.agent) == mechanism_class(*u.agent)) continue;  // switch class
      add_suggestion(card, option_label(rule.suggestions.at(1), o), false, {create_medication(env, *o.agent)},
                     "at-most-one");
    }
    out.push_back(std::move(card));
    if (u.agent->b_cell_depleting) {
      Card check = make_card(env, "NMOSD-16", u.reference() + "#b-cells", evidence, "b_cells", u.agent->name);
      add_suggestion(check, rule.suggestions.at(0), true,
                     {create_service_order(env, nullptr, "CD19+ B-cell count and CD27+ memory B cells (flow cytometry)",
                                           "B-cell repopulation check after a relapse on " + u.agent->name)},
                     "any");
      out.push_back(std::move(check));
    }
    return;  // for the first agent in the chart the patient relapsed on
  }
}

// NEMOS II; review 2015: "Interferon-β, glatiramer acetate and natalizumab are ineffective or harmful in NMOSD"
// (nmosd-knowledge.md §2.7). Table §3: order hooks: NMOSD or AQP4+ and a drafted MS-DMT; patient-view: active.
void nmosd_05_ms_therapy_in_nmosd(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-05") || !(ctx.nmosd || ctx.aqp4 == Serostatus::positive)) return;
  std::vector<std::string> basis;
  if (ctx.nmosd) basis.push_back(ctx.nmosd_evidence);
  if (ctx.aqp4 == Serostatus::positive) basis.push_back(ctx.aqp4_evidence.front());
  // Issue 12 item 10: a low-positive ELISA is the only evidence (no NMOSD recorded, no confirmed positive) in a
  // patient with a recorded MS diagnosis: warning, confirm by cell-based assay before continuing the MS therapy.
  // Review of issue 12, defect 4: without an MS diagnosis, a recorded NMOSD or a clear positive it stays critical.
  const bool unconfirmed = !ctx.nmosd && ctx.ms && ctx.aqp4_low_positive_only;
  const std::string_view key = unconfirmed ? "low" : "";
  if (unconfirmed) basis.push_back("Multiple sclerosis recorded: the low-positive ELISA may be a false positive");
  const RuleText& rule = env.kb.rule("NMOSD-05");
  auto confirm = [&](Card& card) {
    if (unconfirmed)
      add_suggestion(card, rule.suggestions.at(1), true,
                     {create_lab_order(env, env.kb.value_set("aqp4"), "AQP4-IgG by cell-based assay (confirmation)")},
                     "any");
  };
  if (!order_hook(env)) {
    // Issue 12 item 14: one card per active MS therapy, with a suggestion that stops that order.
    for (const AgentUse* u : ctx.active_of(AgentClass::ms_dmt)) {
      std::vector<std::string> evidence = basis;
      evidence.push_back(use_line(*u, "Active MS therapy"));
      Card card = make_card(env, "NMOSD-05", u->reference(), evidence, key, u->agent->name);
      if (auto stop = stop_order(env, *u, "Set " + u->reference() + " to stopped"))
        add_suggestion(card, fill(rule.suggestions.at(2), "{agent}", u->agent->name), !unconfirmed, {*stop},
                       unconfirmed ? "any" : "at-most-one");
      confirm(card);
      out.push_back(std::move(card));
    }
    return;
  }
  for (const auto& draft : ctx.drafted) {
    if (draft.agent->agent_class != AgentClass::ms_dmt) continue;
    std::vector<std::string> evidence = basis;
    evidence.push_back(use_line(draft, "Drafted MS therapy"));
    Card card = make_card(env, "NMOSD-05", draft.reference(), evidence, key, draft.agent->name);
    add_suggestion(card, fill(rule.suggestions.at(0), "{agent}", draft.agent->name), !unconfirmed,
                   {delete_order(draft, "Remove the draft " + draft.agent->name + " order")},
                   unconfirmed ? "any" : "at-most-one");
    confirm(card);
    out.push_back(std::move(card));
  }
}

}  // namespace nmo::cards::detail
