// NMOSD-06, 07, 08, 13, 14, 15: safety prerequisites, monitoring, labelled population, pregnancy.
#include "cards/rules.hpp"

#include "cards/text_match.hpp"

namespace nmo::cards::detail {

namespace {

std::string use_line(const AgentUse& u, const char* what) {
  std::string line = std::string(what) + " " + u.agent->name + " (" + u.reference();
  if (u.start) line += ", since " + format_date(*u.start);
  return line + ")";
}

std::string lab_ref(const LabResult& lab) {
  std::string out = "Observation/" + markdown_text(lab.observation->id);
  if (lab.time) out += ", " + format_date(*lab.time);
  return out;
}

// Latest IgG in mg/dL, when the unit is known.
std::optional<double> igg_mg_per_dl(const fhir::Observation& o) {
  if (!o.value_quantity) return std::nullopt;
  const std::string unit = to_lower(o.value_unit);
  if (unit == "mg/dl") return *o.value_quantity;
  if (unit == "g/l") return *o.value_quantity * 100;
  if (unit == "mg/l") return *o.value_quantity / 10;
  if (unit == "g/dl") return *o.value_quantity * 1000;
  return std::nullopt;
}

bool has_code_in(const std::vector<fhir::Concept>& concepts, const std::vector<std::string>& codes) {
  for (const auto& c : concepts)
    for (const auto& coding : c.codings)
      for (const auto& code : codes)
        if (coding.code == code) return true;
  return false;
}

bool igg_low(const fhir::Observation& o, const KnowledgeBase& kb) {
  const auto mg_dl = igg_mg_per_dl(o);
  return (mg_dl && *mg_dl < kb.threshold("igg_low_mg_per_dl")) || has_code_in(o.interpretation, kb.interpretation_low());
}

}  // namespace

// Soliris/Ultomiris boxed warning and REMS: "meningococcal vaccination (ACWY and B) ≥ 2 weeks before first dose
// unless delay is riskier" (nmosd-knowledge.md §2.6). Table §3: order hooks, drafted eculizumab/ravulizumab.
void nmosd_06_c5_without_meningococcal_vaccination(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  // Issue 12 item 4: also for an AQP4-IgG+ patient without a recorded NMOSD (as NMOSD-05).
  if (!rule_applies(env, "NMOSD-06") || !(ctx.nmosd || ctx.aqp4 == Serostatus::positive)) return;
  const bool has_acwy = ctx.men_acwy_protected, has_b = ctx.men_b_protected;
  if (has_acwy && has_b) return;
  const RuleText& rule = env.kb.rule("NMOSD-06");
  for (const auto& draft : ctx.drafted) {
    if (!draft.agent->complement_c5) continue;
    std::vector<std::string> evidence{use_line(draft, "Drafted")};
    evidence.insert(evidence.end(), ctx.meningococcal_evidence.begin(), ctx.meningococcal_evidence.end());
    Card card = make_card(env, "NMOSD-06", draft.reference(), evidence, {}, draft.agent->name);
    if (!has_acwy)
      add_suggestion(card, fill(rule.suggestions.at(0), "{vaccine}", "ACWY"), true,
                     {create_medication_text(env, "Meningococcal conjugate vaccine (MenACWY)",
                                             "Draft MenACWY vaccination (choose the product per local formulary)")},
                     "any");
    if (!has_b)
      add_suggestion(card, fill(rule.suggestions.at(0), "{vaccine}", "B"), true,
                     {create_medication_text(env, "Meningococcal group B vaccine (MenB)",
                                             "Draft MenB vaccination (choose the product per local formulary)")},
                     "any");
    out.push_back(std::move(card));
  }
}

// Labels (nmosd-knowledge.md §2.6): rituximab HBV screen for all (boxed); inebilizumab HBV, immunoglobulins, TB;
// satralizumab HBV and TB; tocilizumab latent TB. Table §3: results within 12 months †.
void nmosd_07_screening_before_b_cell_il6r(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-07") || !ctx.nmosd) return;
  const auto lookback = static_cast<std::int64_t>(env.kb.threshold("screening_lookback_days")) * kDay;
  const RuleText& rule = env.kb.rule("NMOSD-07");
  for (const auto& draft : ctx.drafted) {
    if (draft.agent->screening.empty()) continue;
    std::vector<const ValueSet*> missing, repeat;
    std::vector<std::string> findings;
    bool hbsag = false, anti_hbc = false;
    for (const auto& id : draft.agent->screening) {
      const LabResult* lab = ctx.latest_lab(id, lookback);
      if (!lab) {
        missing.push_back(&env.kb.value_set(id));
        continue;
      }
      // Issue 12 item 5: a positive screen is a finding, not a tick.
      const std::string where = " (" + lab_ref(*lab) + ")";
      if (id == "igg") {
        if (igg_low(*lab->observation, env.kb))
          findings.push_back("Low serum IgG" + where + ": higher infection risk on B-cell depletion");
        continue;
      }
      // Review of issue 12, defect 7: "Indeterminate", "Equivocal" or a bare quantity is not a screen done.
      if (lab->value == ResultValue::indeterminate) {
        repeat.push_back(&env.kb.value_set(id));
        findings.push_back(env.kb.value_set(id).title + ": result not readable" + where +
                           " (indeterminate, equivocal or a value without a reference range): repeat before the first dose");
        continue;
      }
      if (lab->value != ResultValue::positive) continue;
      if (id == "hbsag") {
        hbsag = true;
        findings.push_back("HBsAg positive" + where +
                           ": refer to hepatology; do not start without antiviral prophylaxis");
      } else if (id == "anti_hbc") {
        anti_hbc = true;
        findings.push_back("Anti-HBc positive" + where +
                           ": check HBV DNA; antiviral prophylaxis or HBV DNA monitoring during therapy");
      } else if (id == "tb_igra") {
        findings.push_back("Positive IGRA / tuberculin skin test" + where +
                           ": latent tuberculosis to be treated before the first dose");
      } else if (id == "liver_transaminases") {
        findings.push_back("Raised liver transaminases" + where + ": review before the first dose");
      }
    }
    if (missing.empty() && findings.empty()) continue;
    std::vector<std::string> evidence{use_line(draft, "Drafted")};
    evidence.insert(evidence.end(), findings.begin(), findings.end());
    for (const ValueSet* vs : missing) evidence.push_back("No " + vs->title + " result in the last 12 months");
    const bool positive = findings.size() > repeat.size();
    const std::string_view key = hbsag ? "hbsag" : positive ? "positive" : !repeat.empty() ? "unreadable" : "";
    Card card = make_card(env, "NMOSD-07", draft.reference(), evidence, key, draft.agent->name);
    if (hbsag)
      add_suggestion(card, rule.suggestions.at(2), true,
                     {create_service_order(env, nullptr, "Hepatology referral: HBsAg positive before B-cell / IL-6R therapy",
                                           "Hepatology referral")},
                     "any");
    if (anti_hbc && !hbsag)
      add_suggestion(card, rule.suggestions.at(1), true,
                     {create_service_order(env, nullptr, "Hepatitis B virus DNA (viral load), serum or plasma",
                                           "HBV DNA before B-cell / IL-6R therapy")},
                     "any");
    for (const ValueSet* vs : missing)
      add_suggestion(card, fill(rule.suggestions.at(0), "{test}", vs->title), true,
                     {create_lab_order(env, *vs, "Pre-treatment screening: " + vs->title)}, "any");
    for (const ValueSet* vs : repeat)
      add_suggestion(card, fill(rule.suggestions.at(0), "{test}", vs->title) + " (repeat)", true,
                     {create_lab_order(env, *vs, "Repeat pre-treatment screening: " + vs->title)}, "any");
    out.push_back(std::move(card));
  }
}

// Uplizna label; NEMOS II: monitor serum IgG on long-term B-cell depletion. Table §3: patient-view, B-cell
// depletion ≥ 12 months †, no IgG in 12 months (info) or last IgG low (warning).
void nmosd_08_igg_on_b_cell_depletion(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-08") || !ctx.nmosd) return;
  const auto min_on = static_cast<std::int64_t>(env.kb.threshold("b_cell_min_days")) * kDay;
  const AgentUse* on = nullptr;
  for (const auto& u : ctx.chart) {
    if (u.active && u.agent->b_cell_depleting && u.start && *u.start <= ctx.now - min_on) on = &u;
  }
  if (!on) return;
  const auto lookback = static_cast<std::int64_t>(env.kb.threshold("igg_lookback_days")) * kDay;
  const LabResult* igg = ctx.latest_lab("igg", lookback);
  std::vector<std::string> evidence{use_line(*on, "On")};
  if (!igg) {
    evidence.push_back("No serum IgG result in the last 12 months");
    Card card = make_card(env, "NMOSD-08", "", evidence, {}, on->agent->name);
    add_suggestion(card, env.kb.rule("NMOSD-08").suggestions.at(0), true,
                   {create_lab_order(env, env.kb.value_set("igg"), "Serum IgG")}, "any");
    out.push_back(std::move(card));
    return;
  }
  if (!igg_low(*igg->observation, env.kb)) return;
  std::string line = "Last serum IgG low (Observation/" + igg->observation->id;
  if (igg->time) line += ", " + format_date(*igg->time);
  if (igg->observation->value_quantity) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", *igg->observation->value_quantity);
    line += ", " + std::string(buf) + " " + igg->observation->value_unit;
  }
  evidence.push_back(line + ")");
  out.push_back(make_card(env, "NMOSD-08", "", evidence, "low", on->agent->name));
}

// Labels; SAkuraSky/SAkuraStar AQP4− HRs 0.66 and 1.19 (n.s.): benefit shown only in AQP4+ (nmosd-knowledge.md
// §2.8). Table §3: order hooks, APPROVED agent drafted, no AQP4+ result (instead of NMOSD-02 for seronegative).
void nmosd_13_approved_agent_without_aqp4_positive(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-13") || !ctx.nmosd || ctx.aqp4 == Serostatus::positive) return;
  for (const auto& draft : ctx.drafted) {
    if (draft.agent->agent_class != AgentClass::approved) continue;
    std::vector<std::string> evidence{use_line(draft, "Drafted")};
    if (ctx.aqp4 == Serostatus::negative) {
      evidence.insert(evidence.end(), ctx.aqp4_evidence.begin(), ctx.aqp4_evidence.end());
    } else {
      evidence.push_back("No AQP4-IgG result found");
    }
    if (ctx.mog == Serostatus::positive)
      evidence.push_back("MOG-IgG positive: reconsider MOGAD (ICD-10-CM G37.81); the approved agents are AQP4-IgG+ only");
    Card card = make_card(env, "NMOSD-13", draft.reference(), evidence, {}, draft.agent->name);
    add_suggestion(card, env.kb.rule("NMOSD-13").suggestions.at(0), ctx.aqp4 == Serostatus::unknown,
                   {create_lab_order(env, env.kb.value_set("aqp4"), "AQP4-IgG (cell-based assay preferred)")}, "any");
    out.push_back(std::move(card));
  }
}

// Mycophenolate boxed warning (embryo-fetal toxicity); methotrexate must be stopped before conception
// (nmosd-knowledge.md §2.9). Table §3: any hook, pregnancy and active/drafted mycophenolate or methotrexate.
void nmosd_14_pregnancy_on_teratogen(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-14") || !ctx.nmosd || !ctx.pregnant) return;
  std::vector<std::string> evidence{"Pregnancy recorded: " + ctx.pregnancy_evidence};
  const std::size_t base = evidence.size();
  std::vector<const Agent*> agents;
  for (const auto& u : ctx.chart) {
    if (!u.active || !u.agent->teratogenic) continue;
    evidence.push_back(use_line(u, "Active"));
    agents.push_back(u.agent);
  }
  std::vector<const AgentUse*> drafts;
  for (const auto& d : ctx.drafted) {
    if (d.agent->teratogenic) {
      drafts.push_back(&d);
      evidence.push_back(use_line(d, "Drafted"));
      agents.push_back(d.agent);
    }
  }
  if (evidence.size() == base) return;
  // Review of issue 12, defect 2: an unverified code range alone is a warning to confirm, not a critical card.
  const bool confirmed = ctx.pregnancy_confirmed;
  Card card = make_card(env, "NMOSD-14", "", evidence, confirmed ? "" : "unconfirmed", agent_list(agents));
  if (!confirmed)
    add_suggestion(card, env.kb.rule("NMOSD-14").suggestions.at(1), true,
                   {create_lab_order(env, env.kb.value_set("hcg"), "Pregnancy test (hCG) before continuing")}, "any");
  for (const AgentUse* d : drafts)
    add_suggestion(card, fill(env.kb.rule("NMOSD-14").suggestions.at(0), "{agent}", d->agent->name), confirmed,
                   {delete_order(*d, "Remove the draft " + d->agent->name + " order")}, "any");
  out.push_back(std::move(card));
}

// SFSEP 2022: plan pregnancy after ≥ 12 months without activity; mycophenolate/methotrexate stopped before
// conception. Table §3: patient-view, childbearing potential † on mycophenolate/methotrexate.
void nmosd_15_childbearing_potential_on_teratogen(const RuleEnv& env, std::vector<Card>& out) {
  const auto& ctx = env.ctx;
  if (!rule_applies(env, "NMOSD-15") || !ctx.nmosd || ctx.pregnant) return;
  // Issue 12 item 6: a planned pregnancy is a reason for counselling whatever the recorded age.
  if (!ctx.pregnancy_planned) {
    if (ctx.sex != "female") return;
    if (ctx.age_years && (*ctx.age_years < env.kb.threshold("childbearing_age_min_years") ||
                          *ctx.age_years > env.kb.threshold("childbearing_age_max_years")))
      return;
  }
  std::vector<std::string> evidence{"Patient " + (ctx.sex.empty() ? std::string("(sex not recorded)") : ctx.sex) +
                                    ", age " +
                                    (ctx.age_years ? std::to_string(*ctx.age_years) : std::string("not recorded"))};
  if (ctx.pregnancy_planned) evidence.push_back(ctx.pregnancy_planned_evidence);
  std::vector<const Agent*> agents;
  for (const auto& u : ctx.chart) {
    if (!u.active || !u.agent->teratogenic) continue;
    evidence.push_back(use_line(u, "Active"));
    agents.push_back(u.agent);
  }
  if (agents.empty()) return;
  Card card = make_card(env, "NMOSD-15", "", evidence, {}, agent_list(agents));
  add_suggestion(card, env.kb.rule("NMOSD-15").suggestions.at(0), false,
                 {create_service_order(env, nullptr, "Contraception and pregnancy-planning counselling",
                                       "Counselling on contraception and pregnancy plans")},
                 "any");
  out.push_back(std::move(card));
}

}  // namespace nmo::cards::detail
