// parse_json_in_place (issue 14): the same documents, limits and Problems as parse_json, with strings left where
// they lie in the text, in an arena when given.
#include "fhir/json.hpp"

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

using nmo::fhir::JsonLimits;
using nmo::fhir::parse_json;
using nmo::fhir::parse_json_in_place;
using nmo::fhir::to_json;

namespace {

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Parses `text` both ways and checks that they agree: both fail with the same Problem or both give the same
// document.
void check_same(const std::string& text, const JsonLimits& limits = {}) {
  const auto copied = parse_json(text, limits);
  std::string in_place_text = text;
  const auto in_place = parse_json_in_place(in_place_text, limits);
  BOOST_TEST_CONTEXT("input: " << text.substr(0, 80)) {
    BOOST_REQUIRE_EQUAL(copied.ok(), in_place.ok());
    if (copied.ok()) {
      BOOST_TEST(to_json(*copied) == to_json(*in_place));
    } else {
      BOOST_TEST(static_cast<int>(copied.problem().kind) == static_cast<int>(in_place.problem().kind));
      BOOST_TEST(copied.problem().path == in_place.problem().path);
      BOOST_TEST(copied.problem().message == in_place.problem().message);
      BOOST_TEST(copied.problem().detail == in_place.problem().detail);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_in_place)

BOOST_AUTO_TEST_CASE(agrees_with_parse_json_on_valid_documents) {
  check_same(R"({"resourceType":"Patient","extension":[{"url":"x"}],"id":"1"})");
  check_same(R"({"a":"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00","b":[1,-2,3.5,1e10,true,false,null]})");
  check_same("{\"display\":\"Neuromy\xC3\xA9lite optique \xE2\x80\x94 \xF0\x9F\x98\x80\"}");
  check_same("\xEF\xBB\xBF{\"a\":1}");
  check_same(nested_arrays(64));
  check_same(R"([{"id":"a"},{"id":"b"}])");
  check_same(R"({"big":18446744073709551615,"neg":-9223372036854775808,"small":5e-324})");
}

BOOST_AUTO_TEST_CASE(agrees_with_parse_json_on_every_limit_and_error) {
  check_same(nested_arrays(65));
  check_same(std::string(100000, '['));
  JsonLimits shallow;
  shallow.max_depth = 3;
  check_same(R"({"context":{"draftOrders":{"entry":[{"x":1}]}}})", shallow);
  check_same(R"({"context":{"draftOrders":{"entry":[{},{},{},{"resource":{"id":"a","id":"b"}}]}}})");
  check_same(R"({"hook":"patient-view","hook":"order-sign"})");
  check_same(R"({"b":1,"a":1,"c":{"z":1,"y":2,"z":3},"b":2,"a":2})");  // two names twice: the first in order
  check_same("{\"a\":\"\xC3\x28\"}");
  check_same("{\"\xFF\":1}");
  check_same(R"({"value":1e400})");
  check_same("[1" + std::string(400, '0') + "]");
  check_same(R"({"value":NaN})");
  check_same(R"({"a":1,})");
  check_same(R"({} {})");
  check_same(std::string("{}\0", 3));
  check_same(std::string("{\"a\":\"x\0y\"}", 11));
  check_same("");
  check_same(R"({"a":"\ud800"})");   // a lone surrogate in ASCII text: still refused
  check_same(R"({"a":"\udc00x"})");
  check_same("{\"a\":\"ascii\",\"b\":\"\xED\xA0\x80\"}");  // a surrogate encoded as UTF-8
  check_same("{\"a\":\"\xC0\xAF\"}");                       // an overlong encoding
  JsonLimits small;
  small.max_bytes = 10;
  check_same(R"({"a":"0123456789"})", small);
  JsonLimits items;
  items.max_array_items = 3;
  check_same(R"({"list":[1,2,3]})", items);
  check_same(R"({"outer":{"list":[1,2,3,4]}})", items);
  JsonLimits strings;
  strings.max_string_bytes = 8;
  check_same(R"({"a":"12345678"})", strings);
  check_same(R"({"a":"123456789"})", strings);
  check_same(R"({"123456789":1})", strings);
  check_same(R"({"deep":{"123456789":1}})", strings);
}

BOOST_AUTO_TEST_CASE(of_two_duplicate_names_the_first_in_sort_order_is_named_in_small_and_large_objects) {
  std::string small = R"({"b":1,"a":1,"b":2,"a":2})";
  BOOST_TEST(parse_json_in_place(small).problem().path == "a");
  std::string large = "{";
  for (int i = 0; i < 40; ++i) large += "\"k" + std::to_string(i) + "\":1,";
  large += R"("k7":2,"k3":2})";
  BOOST_TEST(parse_json_in_place(large).problem().path == "k3");
}

// A string ending in the lead byte of a multi-byte sequence: rapidjson's UTF-8 validation takes the NUL and the
// bytes after it as continuation bytes. With no room after the NUL that read past the buffer (fuzz_jwt under
// AddressSanitizer, heap-buffer-overflow); the text is refused as invalid UTF-8 whatever lies there.
BOOST_AUTO_TEST_CASE(a_string_ending_in_a_multibyte_lead_is_refused_without_reading_past_the_buffer) {
  for (const char* lead : {"\xC3", "\xE2", "\xF0", "\xF4\x8F"}) {
    std::string text = std::string("{\"a long enough member name\":\"") + lead;
    text.shrink_to_fit();  // no room after the NUL: the case that overflowed
    auto doc = parse_json_in_place(text);
    BOOST_TEST(!doc.ok());
  }
}

BOOST_AUTO_TEST_CASE(strings_point_into_the_text_and_values_into_the_arena) {
  std::string text = R"({"code":"G36.0","system":"http://hl7.org/fhir/sid/icd-10"})";
  char buffer[4096];
  rapidjson::MemoryPoolAllocator<> arena(buffer, sizeof buffer);
  auto doc = parse_json_in_place(text, {}, &arena);
  BOOST_REQUIRE(doc.ok());
  const char* code = (*doc)["code"].GetString();
  BOOST_TEST(std::string(code) == "G36.0");
  BOOST_TEST((code >= text.data() && code < text.data() + text.size()));  // not copied
  BOOST_TEST(&doc->GetAllocator() == &arena);
  BOOST_TEST(arena.Size() > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
