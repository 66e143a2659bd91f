// knowledge_report(): complete for clinician review, and docs/knowledge-report.md kept up to date.
#include "cards/knowledge_base.hpp"

#include <cstdlib>

#include <boost/test/unit_test.hpp>

#include "cards/knowledge_model.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;

BOOST_AUTO_TEST_SUITE(knowledge_report_suite)

BOOST_AUTO_TEST_CASE(report_lists_every_rule_code_threshold_and_open_item) {
  const KnowledgeBase& kb = knowledge();
  const std::string md = knowledge_report(kb);
  for (const auto& r : kb.rules()) BOOST_TEST(md.find("### " + r.id + " ") != std::string::npos, r.id);
  for (const auto& vs : kb.value_sets())
    for (const auto& c : vs.codes) BOOST_TEST(md.find("`" + c.code + "`") != std::string::npos, c.code);
  for (const auto& a : kb.agents())
    for (const auto& c : a.codes) BOOST_TEST(md.find("`" + c.code + "`") != std::string::npos, c.code);
  for (const auto& t : kb.thresholds()) BOOST_TEST(md.find("`" + t.id + "`") != std::string::npos, t.id);
  for (const auto& o : kb.open_items()) BOOST_TEST(md.find(o.text) != std::string::npos, o.id);
  BOOST_TEST(md.find("needs clinical sign-off") != std::string::npos);
  BOOST_TEST(md.find("not verified") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(committed_knowledge_report_is_up_to_date) {
  const std::string path = std::string(NMO_SOURCE_DIR) + "/docs/knowledge-report.md";
  const std::string expected = knowledge_report(knowledge());
  const char* update = std::getenv("NMO_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") write_file(path, expected);
  std::string committed;
  try {
    committed = read_file(path);
  } catch (const std::exception&) {
  }
  BOOST_CHECK_MESSAGE(committed == expected,
                      "docs/knowledge-report.md is out of date: regenerate with "
                      "`nmo-cds knowledge-report > docs/knowledge-report.md` (or NMO_UPDATE_GOLDEN=1 test_cards)");
}

BOOST_AUTO_TEST_SUITE_END()
