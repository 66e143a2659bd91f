#include "fhir/json.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace nmo::fhir {
namespace {

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(parses_an_object_and_keeps_unknown_members) {
  auto doc = parse_json(R"({"resourceType":"Patient","extension":[{"url":"x"}],"id":"1"})");
  BOOST_REQUIRE(doc.ok());
  BOOST_TEST(doc->IsObject());
  BOOST_TEST(doc->HasMember("extension"));
}

BOOST_AUTO_TEST_CASE(depth_64_nested_arrays_is_accepted) { BOOST_TEST(parse_json(nested_arrays(64)).ok()); }

BOOST_AUTO_TEST_CASE(depth_65_nested_arrays_is_rejected_with_the_path) {
  auto doc = parse_json(nested_arrays(65));
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST((doc.problem().kind == ProblemKind::invalid));
  BOOST_TEST(doc.problem().message.find("deeper") != std::string::npos);
  BOOST_TEST(doc.problem().path.substr(0, 6) == "[0][0]");
}

BOOST_AUTO_TEST_CASE(deep_nesting_in_a_member_names_the_member) {
  JsonLimits limits;
  limits.max_depth = 3;
  auto doc = parse_json(R"({"context":{"draftOrders":{"entry":[{"x":1}]}}})", limits);
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().path == "context.draftOrders.entry");
}

BOOST_AUTO_TEST_CASE(a_million_open_brackets_fail_fast_without_recursion) {
  auto doc = parse_json(std::string(1000000, '['));
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().message.find("deeper") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_rejected_with_the_member_path) {
  auto doc = parse_json(R"({"context":{"draftOrders":{"entry":[{},{},{},{"resource":{"id":"a","id":"b"}}]}}})");
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST((doc.problem().kind == ProblemKind::invalid));
  BOOST_TEST(doc.problem().path == "context.draftOrders.entry[3].resource.id");
  BOOST_TEST(doc.problem().message.find("duplicate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(duplicate_keys_at_the_root_are_rejected) {
  auto doc = parse_json(R"({"hook":"patient-view","hook":"order-sign"})");
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().path == "hook");
}

BOOST_AUTO_TEST_CASE(same_key_in_sibling_objects_is_fine) { BOOST_TEST(parse_json(R"([{"id":"a"},{"id":"b"}])").ok()); }

BOOST_AUTO_TEST_CASE(object_with_100k_distinct_keys_is_checked_quickly) {
  std::string text = "{";
  for (int i = 0; i < 100000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  text += "}";
  BOOST_TEST(parse_json(text).ok());
  text.back() = ',';
  text += "\"k99999\":1}";
  auto doc = parse_json(text);
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().path == "k99999");
}

// Issue 11 item 3: 8 MiB of [{},{},...] peaked near 185 MiB. Values are counted while parsing: at most
// max_values, and at most one per min_bytes_per_value bytes of the text (+1024).
BOOST_AUTO_TEST_CASE(values_are_bounded_while_parsing_in_proportion_to_the_text) {
  std::string amplifier = "[";
  for (int i = 0; i < 200000; ++i) amplifier += i ? ",{}" : "{}";
  amplifier += "]";
  JsonLimits limits;
  limits.max_array_items = 1000000;
  const auto refused = parse_json(amplifier, limits);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.problem().message.find("more values than the limit") != std::string::npos);
  // The same count of values in a text of realistic density is accepted...
  std::string dense = "[";
  for (int i = 0; i < 200000; ++i) dense += i ? ",{\"code\":\"abcdef\"}" : "{\"code\":\"abcdef\"}";
  dense += "]";
  BOOST_TEST(parse_json(dense, limits).ok());
  // ...until the absolute bound.
  limits.max_values = 100000;
  BOOST_TEST(!parse_json(dense, limits).ok());
  limits.max_values = 400001;  // 1 array + 200000 objects + 200000 strings
  BOOST_TEST(parse_json(dense, limits).ok());
  limits.max_values = 400000;
  BOOST_TEST(!parse_json(dense, limits).ok());
}

BOOST_AUTO_TEST_CASE(invalid_utf8_bytes_are_rejected_with_the_offset) {
  auto doc = parse_json("{\"a\":\"\xC3\x28\"}");
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().message.find("at byte 6") != std::string::npos);
  BOOST_TEST(doc.problem().message.find("encoding") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(valid_multibyte_utf8_is_accepted) {
  BOOST_TEST(parse_json("{\"display\":\"Neuromy\xC3\xA9lite optique \xE2\x80\x94 \xF0\x9F\x98\x80\"}").ok());
}

BOOST_AUTO_TEST_CASE(number_overflowing_double_is_rejected) {
  auto doc = parse_json(R"({"value":1e400})");
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().message.find("at byte 9") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(integer_literal_overflowing_double_is_rejected) {
  BOOST_TEST(!parse_json("[1" + std::string(400, '0') + "]").ok());
}

BOOST_AUTO_TEST_CASE(nan_and_infinity_are_rejected) {
  BOOST_TEST(!parse_json(R"({"value":NaN})").ok());
  BOOST_TEST(!parse_json(R"({"value":Infinity})").ok());
  BOOST_TEST(!parse_json(R"({"value":-Infinity})").ok());
}

BOOST_AUTO_TEST_CASE(syntax_error_reports_the_byte_offset) {
  auto doc = parse_json(R"({"a":1,})");
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().path.empty());
  BOOST_TEST(doc.problem().message.find("at byte 7") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trailing_garbage_and_nul_bytes_are_rejected) {
  BOOST_TEST(!parse_json(R"({} {})").ok());
  BOOST_TEST(!parse_json(std::string("{}\0", 3)).ok());
  BOOST_TEST(!parse_json("").ok());
}

BOOST_AUTO_TEST_CASE(leading_byte_order_mark_is_ignored) { BOOST_TEST(parse_json("\xEF\xBB\xBF{\"a\":1}").ok()); }

BOOST_AUTO_TEST_CASE(document_over_max_bytes_is_too_large) {
  JsonLimits limits;
  limits.max_bytes = 10;
  auto doc = parse_json(R"({"a":"0123456789"})", limits);
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST((doc.problem().kind == ProblemKind::too_large));
}

BOOST_AUTO_TEST_CASE(array_over_max_items_is_rejected_with_its_path) {
  JsonLimits limits;
  limits.max_array_items = 1000;
  std::string text = R"({"entry":[)";
  for (int i = 0; i < 1001; ++i) text += i ? ",0" : "0";
  text += "]}";
  auto doc = parse_json(text, limits);
  BOOST_REQUIRE(!doc.ok());
  BOOST_TEST(doc.problem().path == "entry[1000]");
  limits.max_array_items = 1001;
  BOOST_TEST(parse_json(text, limits).ok());
}

BOOST_AUTO_TEST_CASE(huge_array_within_the_default_limit_is_accepted) {
  std::string text = "[";
  // Items of realistic size: a text of one-byte items would hit the value density bound first (issue 11 item 3).
  for (int i = 0; i < 100000; ++i) text += i ? ",\"abcdef\"" : "\"abcdef\"";
  text += "]";
  BOOST_TEST(parse_json(text).ok());
  text.back() = ',';
  text += "\"abcdef\"]";
  BOOST_TEST(!parse_json(text).ok());
}

BOOST_AUTO_TEST_CASE(string_and_key_over_max_string_bytes_are_rejected) {
  JsonLimits limits;
  limits.max_string_bytes = 8;
  BOOST_TEST(parse_json(R"({"a":"12345678"})", limits).ok());
  auto value = parse_json(R"({"a":"123456789"})", limits);
  BOOST_REQUIRE(!value.ok());
  BOOST_TEST(value.problem().path == "a");
  BOOST_TEST(!parse_json(R"({"123456789":1})", limits).ok());
}

BOOST_AUTO_TEST_CASE(paths_are_built_from_members_and_indexes) {
  BOOST_TEST(path_member("", "prefetch") == "prefetch");
  BOOST_TEST(path_member("prefetch", "conditions") == "prefetch.conditions");
  BOOST_TEST(path_index("prefetch.conditions.entry", 3) == "prefetch.conditions.entry[3]");
}

BOOST_AUTO_TEST_CASE(to_json_writes_compactly) {
  auto doc = parse_json("{ \"a\" : [ 1 , true , null , \"x\" ] }");
  BOOST_REQUIRE(doc.ok());
  BOOST_TEST(to_json(*doc) == R"({"a":[1,true,null,"x"]})");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace nmo::fhir
