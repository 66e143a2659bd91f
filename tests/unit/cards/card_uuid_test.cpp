// Card uuids carry the rule that issued them (octets 14-15, checked by octets 12-13), so feedback posted to any
// replica is attributable to its rule; they stay RFC 9562 version-8 UUIDs, stable per hookInstance and rule.
#include "cards/card.hpp"

#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "cards/card_builder.hpp"
#include "cards/engine.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;

BOOST_AUTO_TEST_SUITE(card_uuid)

BOOST_AUTO_TEST_CASE(rule_number_is_the_trailing_number_of_the_rule_id) {
  BOOST_TEST(rule_number("NMOSD-05") == 5u);
  BOOST_TEST(rule_number("NMOSD-15") == 15u);
  BOOST_TEST(rule_number("NMOSD-") == 0u);
  BOOST_TEST(rule_number("") == 0u);
  BOOST_TEST(rule_number("X-999999") == 0u);
}

BOOST_AUTO_TEST_CASE(every_card_of_every_story_decodes_to_its_rule) {
  int cards_seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(NMO_FIXTURES_DIR) + "/stories")) {
    if (entry.path().extension() != ".json") continue;
    const Story story = load_story(entry.path().stem().string());
    for (const Card& card : evaluate(story.input, story.record, knowledge())) {
      ++cards_seen;
      BOOST_TEST(rule_number_of_card_uuid(card.uuid) == rule_number(card.rule_id), card.uuid << " " << card.rule_id);
      // RFC 9562 §4: version in the high nibble of octet 6 (8: custom), variant 10xx in octet 8.
      BOOST_TEST(card.uuid[14] == '8');
      BOOST_TEST(std::string("89ab").find(card.uuid[19]) != std::string::npos);
    }
  }
  BOOST_TEST(cards_seen > 10);
}

BOOST_AUTO_TEST_CASE(card_uuids_are_stable_and_distinct_per_seed) {
  const std::string a = detail::card_uuid("instance-1|NMOSD-05|", 5);
  BOOST_TEST(a == detail::card_uuid("instance-1|NMOSD-05|", 5));
  BOOST_TEST(a != detail::card_uuid("instance-2|NMOSD-05|", 5));
  BOOST_TEST(rule_number_of_card_uuid(a) == 5u);
  std::string upper = a;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(rule_number_of_card_uuid(upper) == 5u);
}

BOOST_AUTO_TEST_CASE(foreign_or_tampered_uuids_decode_to_no_rule) {
  const std::string a = detail::card_uuid("instance-1|NMOSD-05|", 5);
  std::string tampered = a;
  tampered[35] = tampered[35] == '6' ? '7' : '6';  // another rule number: the check no longer matches
  BOOST_TEST(rule_number_of_card_uuid(tampered) == 0u);
  BOOST_TEST(rule_number_of_card_uuid(detail::stable_uuid("instance-1|NMOSD-05|")) == 0u);
  BOOST_TEST(rule_number_of_card_uuid("123e4567-e89b-12d3-a456-426614174000") == 0u);  // version 1
  BOOST_TEST(rule_number_of_card_uuid("not-a-uuid") == 0u);
  BOOST_TEST(rule_number_of_card_uuid("") == 0u);
}

BOOST_AUTO_TEST_CASE(the_patient_key_seeds_the_uuid_so_a_reused_hook_instance_gives_each_patient_its_own) {
  Story story = load_story("aqp4_positive_on_azathioprine");
  story.input.patient_key = "q-00000000000000000000000000000001";
  const std::string a = card_of(evaluate(story.input, story.record, knowledge()), "NMOSD-03").uuid;
  BOOST_TEST(card_of(evaluate(story.input, story.record, knowledge()), "NMOSD-03").uuid == a);  // stable
  BOOST_TEST(rule_number_of_card_uuid(a) == 3u);
  story.input.patient_key = "q-00000000000000000000000000000002";
  const std::string b = card_of(evaluate(story.input, story.record, knowledge()), "NMOSD-03").uuid;
  BOOST_TEST(b != a);
  BOOST_TEST(rule_number_of_card_uuid(b) == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
