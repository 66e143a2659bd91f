// The governance pages: self-contained (no script, nothing fetched), escaped, one plot per rule with its weeks.
#include "service/feedback/report_html.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cards/knowledge_model.hpp"

using namespace nmo::service::feedback;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kNow = 1795478400;  // Tuesday 2026-11-24T00:00:00Z

std::shared_ptr<const nmo::cards::KnowledgeBase> knowledge() {
  static const auto kb = [] {
    std::vector<nmo::cards::KnowledgeFile> files;
    for (const auto& e : fs::directory_iterator(fs::path(NMO_SOURCE_DIR) / "config/knowledge")) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      files.push_back({e.path().filename().string(), ss.str()});
    }
    auto loaded = nmo::cards::load_knowledge(files);
    BOOST_REQUIRE(loaded.ok());
    return *loaded;
  }();
  return kb;
}

FeedbackRecord entry(const std::string& rule, const std::string& outcome, const std::string& code,
                     const std::string& when, const std::string& comment = {}) {
  FeedbackRecord r;
  r.rule = rule;
  r.entry.card = "c-" + rule + when + code;
  r.entry.outcome = outcome;
  r.entry.override_code = code;
  r.entry.user_comment = comment;
  r.entry.outcome_timestamp = when;
  r.received_at = when;
  return r;
}

// Nothing that runs or loads: no script, no event handler, no src/href/url() pointing anywhere.
void check_self_contained(const std::string& html) {
  BOOST_TEST(html.rfind("<!DOCTYPE html>", 0) == 0);
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("<link") == std::string::npos);
  BOOST_TEST(html.find("<img") == std::string::npos);
  BOOST_TEST(html.find("src=") == std::string::npos);
  BOOST_TEST(html.find("url(") == std::string::npos);
  BOOST_TEST(html.find("@import") == std::string::npos);
  BOOST_TEST(!std::regex_search(html, std::regex(R"( on[a-z]+=)")));
  BOOST_TEST(!std::regex_search(html, std::regex(R"(href="(?!#))")));
  BOOST_TEST(html.find("default-src 'none'") != std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_html)

BOOST_AUTO_TEST_CASE(week_of_is_the_monday_in_days_since_the_epoch) {
  BOOST_TEST(week_of(kNow) == kNow / 86400 - 1);  // Tuesday → the day before
  BOOST_TEST(week_of(0) == -3);                   // 1970-01-01 was a Thursday
  BOOST_TEST(week_of(kNow - 86400 + 3600) == kNow / 86400 - 1);
}

BOOST_AUTO_TEST_CASE(the_feedback_page_plots_each_rule_by_week_without_script_or_comments) {
  const std::int64_t week = week_of(kNow);
  const std::vector<WeekTally> tallies = {{"NMOSD-03", week - 7, 40, 0}, {"NMOSD-03", week, 30, 6},
                                          {"NMOSD-02", week, 5, 0}};
  const std::vector<FeedbackRecord> records = {
      entry("NMOSD-03", "overridden", "stable-remission", "2026-11-17T10:00:00Z", "<b>Mrs Example</b>"),
      entry("NMOSD-03", "overridden", "access", "2026-11-23T10:00:00Z"),
      entry("NMOSD-03", "accepted", "", "2026-11-23T11:00:00Z"),
      entry("NMOSD-02", "overridden", "<script>alert(1)</script>", "2026-11-23T12:00:00Z")};
  const std::string html = feedback_report_html(records, tallies, *knowledge(), kNow);
  check_self_contained(html);
  BOOST_TEST(html.find("<h3 id=\"NMOSD-03\">") != std::string::npos);
  BOOST_TEST(html.find("<h3 id=\"NMOSD-02\">") != std::string::npos);
  // Totals: NMOSD-03 issued 70, quieted 6, accepted 1, overridden 2.
  BOOST_TEST(html.find("<td class=\"n\">70</td><td class=\"n\">6</td><td class=\"n\">1</td><td class=\"n\">2</td>") !=
             std::string::npos);
  BOOST_TEST(html.find("Stable remission on current therapy: 1") != std::string::npos);  // a bar's title
  BOOST_TEST(html.find("issued: 40") != std::string::npos);
  BOOST_TEST(html.find("quieted: 6") != std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(html.find("Mrs Example") == std::string::npos);  // comments are never shown
  BOOST_TEST(html.find("Weeks 2026-11-16 to 2026-11-23") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_feedback_page_of_an_empty_store_says_so) {
  const std::string html = feedback_report_html({}, {}, *knowledge(), kNow);
  check_self_contained(html);
  BOOST_TEST(html.find("No cards issued and no feedback yet.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_knowledge_page_lists_rules_codes_thresholds_and_open_items) {
  const auto& kb = *knowledge();
  const std::string html = knowledge_report_html(kb);
  check_self_contained(html);
  for (const auto& r : kb.rules()) BOOST_TEST(html.find("<td>" + r.id + "</td>") != std::string::npos, r.id);
  for (const auto& t : kb.thresholds()) BOOST_TEST(html.find("<code>" + t.id + "</code>") != std::string::npos);
  for (const auto& o : kb.open_items()) BOOST_TEST(html.find("<td>" + html_escape(o.id) + "</td>") != std::string::npos);
  BOOST_TEST(html.find("43638-6") != std::string::npos);  // AQP4-IgG LOINC
  BOOST_TEST(html.find("✖ not verified") != std::string::npos);
  BOOST_TEST(html.find("stable-remission (180)") != std::string::npos);
  BOOST_TEST(html.find("never quieted") != std::string::npos);  // NMOSD-05's reasons
}

BOOST_AUTO_TEST_SUITE_END()
