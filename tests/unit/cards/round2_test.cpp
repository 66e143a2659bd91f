// Issue 12 (clinical engine, round 2): each item as patient stories that fire and stories that stay silent.
#include <boost/test/unit_test.hpp>

#include "cards/engine.hpp"
#include "cards/patient_context.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;
using nmo::fhir::PatientRecord;

namespace {

std::vector<Card> run(const std::string& story_name) {
  const Story story = load_story(story_name);
  return evaluate(story.input, story.record, knowledge());
}

std::string ids(const std::vector<Card>& cards) {
  std::string out;
  for (const auto& id : rule_ids(cards)) out += (out.empty() ? "" : ",") + id;
  return out;
}

std::string agent_of_text(const std::string& text) {
  nmo::fhir::Concept c;
  c.text = text;
  std::string out;
  for (const Agent* a : detail::match_agents(c, knowledge())) out += (out.empty() ? "" : ",") + a->id;
  return out;
}

std::string agent_of_code(const std::string& rxcui) {
  nmo::fhir::Concept c;
  c.codings.push_back({"http://www.nlm.nih.gov/research/umls/rxnorm", rxcui, ""});
  std::string out;
  for (const Agent* a : detail::match_agents(c, knowledge())) out += (out.empty() ? "" : ",") + a->id;
  return out;
}

std::vector<KnowledgeFile> files_with(const std::string& name, const std::string& from, const std::string& to) {
  auto files = knowledge_files();
  for (auto& f : files) {
    if (f.name != name) continue;
    const auto pos = f.text.find(from);
    BOOST_REQUIRE_MESSAGE(pos != std::string::npos, "not in " << name << ": " << from);
    f.text.replace(pos, from.size(), to);
  }
  return files;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round2)

// Item 1: brand and ingredient names in any case.
BOOST_AUTO_TEST_CASE(item01_every_brand_name_in_any_case_names_its_agent) {
  const std::pair<const char*, const char*> brands[] = {
      {"TYSABRI 300 MG/15ML", "natalizumab"},         {"Gilenya 0.5 mg capsule", "fingolimod"},
      {"mayzent 2 mg", "siponimod"},                  {"ZEPOSIA 0.92 MG", "ozanimod"},
      {"Ponvory 20 mg", "ponesimod"},                 {"COPAXONE 40 mg/mL", "glatiramer"},
      {"Glatopa 20 MG/ML", "glatiramer"},             {"tecfidera 240 mg", "dimethyl_fumarate"},
      {"VUMERITY 231 MG", "diroximel_fumarate"},      {"Bafiertam 95 mg", "monomethyl_fumarate"},
      {"AVONEX PEN 30 MCG", "interferon_beta_1a"},    {"Rebif Rebidose 44 mcg", "interferon_beta_1a"},
      {"PLEGRIDY 125 mcg", "peginterferon_beta_1a"},  {"Betaseron 0.3 mg", "interferon_beta_1b"},
      {"EXTAVIA", "interferon_beta_1b"},              {"Lemtrada 12 mg", "alemtuzumab"},
      {"AUBAGIO 14 MG", "teriflunomide"},             {"Mavenclad 10 mg", "cladribine"},
      {"SOLIRIS 300 MG/30ML", "eculizumab"},          {"Bkemv", "eculizumab"},
      {"EPYSQLI", "eculizumab"},                      {"Ultomiris 100 mg/mL", "ravulizumab"},
      {"UPLIZNA 100 MG/10ML", "inebilizumab"},        {"enspryng 120 mg", "satralizumab"},
      {"RITUXAN 500 MG", "rituximab"},                {"Truxima", "rituximab"},
      {"RUXIENCE", "rituximab"},                      {"riabni 100 mg", "rituximab"},
      {"ACTEMRA 162 MG", "tocilizumab"},              {"IMURAN 50 MG Oral Tablet", "azathioprine"},
      {"Azasan 75 mg", "azathioprine"},               {"CELLCEPT 500 MG", "mycophenolate"},
      {"Myfortic 360 mg", "mycophenolate"},           {"TREXALL 2.5 MG", "methotrexate"},
      {"Otrexup 15 mg auto-injector", "methotrexate"}, {"RASUVO 10 MG", "methotrexate"},
      {"INTERFERON BETA-1A 30 MCG", "interferon_beta_1a"}, {"Interferon Beta-1b", "interferon_beta_1b"},
      {"NATALIZUMAB", "natalizumab"},                 {"Fingolimod Hydrochloride 0.5 MG", "fingolimod"},
  };
  for (const auto& [text, agent] : brands) BOOST_TEST(agent_of_text(text) == agent, text);
}

BOOST_AUTO_TEST_CASE(item01_a_name_inside_another_word_or_an_unrelated_drug_names_no_agent) {
  BOOST_TEST(agent_of_text("Acetaminophen 500 MG Oral Tablet") == "");
  BOOST_TEST(agent_of_text("Gilenyaxx") == "");
  BOOST_TEST(agent_of_text("Peginterferon beta-1a 125 mcg") == "peginterferon_beta_1a");  // not interferon beta-1a
}

BOOST_AUTO_TEST_CASE(item01_product_code_without_ingredient_coding_maps_through_its_ingredient) {
  BOOST_TEST(agent_of_code("1373483") == "dimethyl_fumarate");  // Tecfidera product (openFDA NDC 64406-005)
  BOOST_TEST(agent_of_code("727813") == "interferon_beta_1a");  // Avonex Pen product
  BOOST_TEST(agent_of_code("1012899") == "fingolimod");         // Gilenya product
  BOOST_TEST(agent_of_code("198440") == "");                    // a code the knowledge does not carry
  const KnowledgeBase& kb = knowledge();
  for (const auto& a : kb.agents())
    for (const auto& c : a.codes)
      if (c.kind == "product") BOOST_TEST(!c.ingredient.empty(), c.code);
}

BOOST_AUTO_TEST_CASE(item01_product_code_mapped_to_an_ingredient_of_another_agent_does_not_load) {
  auto kb = load_knowledge(
      files_with("agents.json", "\"kind\": \"product\",\n          \"ingredient\": \"1373478\"",
                 "\"kind\": \"product\",\n          \"ingredient\": \"75917\""));
  BOOST_REQUIRE(!kb.ok());
  BOOST_TEST(kb.problem().message.find("is not an ingredient code of agent 'dimethyl_fumarate'") != std::string::npos,
             kb.problem().message);
}

BOOST_AUTO_TEST_CASE(item01_nmosd_brand_name_only_order_is_the_ms_drug_hard_stop) {
  const auto cards = run("nmosd_tysabri_brand_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-05");
  BOOST_TEST(indicator_name(card_of(cards, "NMOSD-05").indicator) == "critical");
}

BOOST_AUTO_TEST_CASE(item01_nmosd_product_code_only_order_is_the_ms_drug_hard_stop) {
  const auto cards = run("nmosd_tecfidera_product_code_drafted");
  BOOST_TEST(ids(cards) == "NMOSD-05");
  BOOST_TEST(card_of(cards, "NMOSD-05").detail.find("Dimethyl fumarate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(item01_ms_patient_drafting_tysabri_without_nmosd_stays_silent) {
  BOOST_TEST(run("ms_tysabri_drafted_without_nmosd").empty());
}

BOOST_AUTO_TEST_SUITE_END()
