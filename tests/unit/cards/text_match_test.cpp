// Issue 14: WordIndex finds many needles in one pass over a text's words. It must answer exactly as
// contains_word does needle by needle, or the engine's text matching (agent names, local lab codes) would change.
#include "cards/text_match.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "story_support.hpp"

using nmo::cards::detail::contains_word;
using nmo::cards::detail::WordIndex;

namespace {

std::set<std::size_t> found_by_index(const WordIndex& index, std::string_view text) {
  std::set<std::size_t> out;
  index.find(text, [&](std::size_t i) {
    out.insert(i);
    return false;
  });
  return out;
}

std::set<std::size_t> found_one_by_one(const std::vector<std::string>& needles, std::string_view text) {
  std::set<std::size_t> out;
  for (std::size_t i = 0; i < needles.size(); ++i)
    if (contains_word(text, needles[i])) out.insert(i);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(word_index)

BOOST_AUTO_TEST_CASE(finds_names_on_word_boundaries_only) {
  const std::vector<std::string> needles = {"nmo", "nmosd", "interferon beta-1a", "beta", "1:", "?nmo", "anti-"};
  const WordIndex index(needles);
  BOOST_TEST((found_by_index(index, "interferon beta-1a | avonex") == std::set<std::size_t>{2, 3}));
  BOOST_TEST((found_by_index(index, "nmosd, ?nmo") == std::set<std::size_t>{0, 1, 5}));
  BOOST_TEST((found_by_index(index, "anmo nmox betablocker") == std::set<std::size_t>{}));
  BOOST_TEST((found_by_index(index, "titer 1:320 anti-aqp4") == std::set<std::size_t>{4, 6}));
  BOOST_TEST(!index.contains_any(""));
  BOOST_TEST(!WordIndex().contains_any("nmo"));
}

BOOST_AUTO_TEST_CASE(answers_as_contains_word_does_needle_by_needle) {
  // Texts and needles drawn from a small alphabet of letters, digits, punctuation, spaces and a UTF-8 byte, so
  // that boundaries, overlaps, repeats and needles that start or end with punctuation all occur.
  nmo::cards::test::RandomText texts("ab1 -|:?\xc3", 0x9e3779b97f4a7c15ULL);
  auto next = [&] { return texts.next(); };
  auto random_text = [&](std::size_t max_len) { return texts.text(max_len); };
  int mismatches = 0, matches = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> needles;
    for (std::size_t n = next() % 6; n > 0; --n) needles.push_back(random_text(4));
    const WordIndex index(needles);
    for (int t = 0; t < 5; ++t) {
      const std::string text = random_text(24);
      const auto expected = found_one_by_one(needles, text);
      if (found_by_index(index, text) != expected) ++mismatches;
      if (index.contains_any(text) != !expected.empty()) ++mismatches;
      matches += expected.empty() ? 0 : 1;
    }
  }
  BOOST_TEST(mismatches == 0);
  BOOST_TEST(matches > 1000);  // the random texts do exercise matches, not only misses
}

BOOST_AUTO_TEST_CASE(stops_when_told_to) {
  const WordIndex index({"a", "b", "c"});
  int calls = 0;
  BOOST_TEST(index.find("a b c", [&](std::size_t) { return ++calls == 2; }));
  BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_SUITE_END()
