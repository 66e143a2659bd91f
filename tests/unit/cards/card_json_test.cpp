// write_response(): CDS Hooks 2.0 §3 card JSON, and golden responses of a few stories compared as parsed JSON.
#include "cards/card.hpp"

#include <cstdint>
#include <cstdlib>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/test/unit_test.hpp>

#include "cards/engine.hpp"
#include "fhir/json.hpp"
#include "story_support.hpp"

using namespace nmo::cards;
using namespace nmo::cards::test;

namespace {

rapidjson::Document parse(const std::string& text) {
  auto doc = nmo::fhir::parse_json(text);
  BOOST_REQUIRE_MESSAGE(doc.ok(), "invalid JSON: " << text.substr(0, 200));
  return std::move(*doc);
}

// Golden responses live next to the stories; NMO_UPDATE_GOLDEN=1 rewrites them.
void check_golden(const std::string& story_name) {
  const Story story = load_story(story_name);
  const std::string actual = write_response(evaluate(story.input, story.record, knowledge()));
  const std::string path = std::string(NMO_FIXTURES_DIR) + "/stories/golden/" + story_name + ".response.json";
  const char* update = std::getenv("NMO_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    rapidjson::Document doc = parse(actual);
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buf);
    writer.SetIndent(' ', 2);
    doc.Accept(writer);
    write_file(path, std::string(buf.GetString(), buf.GetSize()) + "\n");
  }
  const rapidjson::Document expected = parse(read_file(path));
  const rapidjson::Document got = parse(actual);
  BOOST_TEST_MESSAGE("golden " << path);
  BOOST_CHECK_MESSAGE(expected == got, story_name
                                           << ": response differs from " << path
                                           << " (regenerate with NMO_UPDATE_GOLDEN=1 test_cards)\ngot: " << actual);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(card_json)

BOOST_AUTO_TEST_CASE(no_cards_is_an_empty_cards_array) { BOOST_TEST(write_response({}) == R"({"cards":[]})"); }

BOOST_AUTO_TEST_CASE(optional_members_without_value_are_omitted) {
  Card c;
  c.uuid = "u";
  c.summary = "s";
  c.source.label = "l";
  const auto doc = parse(write_response({c}));
  const auto& card = doc["cards"][0];
  BOOST_TEST(card.HasMember("summary"));
  BOOST_TEST(std::string(card["indicator"].GetString()) == "info");
  for (const char* m : {"detail", "suggestions", "selectionBehavior", "overrideReasons", "links"}) {
    BOOST_TEST_CONTEXT(m) { BOOST_TEST(!card.HasMember(m)); }
  }
  BOOST_TEST(!card["source"].HasMember("url"));
  BOOST_TEST(!card["source"].HasMember("topic"));
}

// Issue 14: card texts are escaped run by run; the bytes must be exactly rapidjson's Writer::String ones.
BOOST_AUTO_TEST_CASE(texts_are_escaped_byte_for_byte_as_rapidjson_escapes_them) {
  std::vector<std::string> texts = {"plain", "\"quoted\" \\ back", "tab\tline\nfeed\r\b\f\x01\x1f\x7f",
                                    "caf\xc3\xa9 \xe2\x80\x94 \xff"};
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  texts.push_back(every_byte);
  std::uint32_t state = 12345;
  for (int i = 0; i < 200; ++i) {
    state = state * 1103515245u + 12345u;
    std::string t(1 + (state >> 16) % 40, ' ');  // an empty detail is omitted, not written
    for (char& c : t) c = static_cast<char>((state = state * 1103515245u + 12345u) >> 24);
    texts.push_back(t);
  }
  for (const auto& text : texts) {
    Card card;
    card.summary = "s";
    card.detail = text;
    card.source.label = "l";
    rapidjson::StringBuffer expected;
    rapidjson::Writer<rapidjson::StringBuffer> w(expected);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    const std::string got = write_response({card});
    BOOST_TEST(got.find("\"detail\":" + std::string(expected.GetString(), expected.GetSize()) + ",") !=
               std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(resource_is_embedded_as_json_object_and_delete_uses_resource_id) {
  Card c;
  c.summary = "s";
  c.source.label = "l";
  Suggestion s;
  s.label = "Replace";
  s.uuid = "x";
  s.is_recommended = true;
  s.actions.push_back(Action{"delete", "remove", "", "MedicationRequest/request-123"});
  s.actions.push_back(Action{"create", "add", R"({"resourceType":"MedicationRequest","status":"draft"})", ""});
  c.suggestions.push_back(s);
  c.selection_behavior = "at-most-one";
  const auto doc = parse(write_response({c}));
  const auto& sug = doc["cards"][0]["suggestions"][0];
  BOOST_TEST(sug["isRecommended"].GetBool());
  BOOST_TEST(std::string(sug["actions"][0]["resourceId"].GetString()) == "MedicationRequest/request-123");
  BOOST_TEST(!sug["actions"][0].HasMember("resource"));
  BOOST_TEST(sug["actions"][1]["resource"].IsObject());
  BOOST_TEST(std::string(sug["actions"][1]["resource"]["resourceType"].GetString()) == "MedicationRequest");
  BOOST_TEST(std::string(doc["cards"][0]["selectionBehavior"].GetString()) == "at-most-one");
}

BOOST_AUTO_TEST_CASE(golden_order_select_azathioprine_replacement) {
  check_golden("aqp4_positive_azathioprine_drafted");
}
BOOST_AUTO_TEST_CASE(golden_sandbox_dstu2_medication_order) { check_golden("sandbox_dstu2_medication_order"); }
BOOST_AUTO_TEST_CASE(golden_interferon_beta_drafted) { check_golden("nmosd_interferon_beta_drafted"); }
BOOST_AUTO_TEST_CASE(golden_ms_on_natalizumab_is_empty) { check_golden("ms_on_natalizumab_without_nmosd"); }
BOOST_AUTO_TEST_CASE(golden_relapse_on_azathioprine) { check_golden("relapse_on_azathioprine"); }
BOOST_AUTO_TEST_CASE(golden_low_positive_elisa_in_ms_is_a_warning) { check_golden("ms_low_positive_elisa_on_natalizumab"); }
BOOST_AUTO_TEST_CASE(golden_already_on_eculizumab_offers_to_cancel_the_draft) {
  check_golden("aqp4_positive_on_eculizumab_methotrexate_drafted");
}

BOOST_AUTO_TEST_SUITE_END()
