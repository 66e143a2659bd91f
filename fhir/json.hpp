#pragma once
// The one function that turns bytes into a JSON document, with limits. Iterative parse (no recursion on
// hostile depth), UTF-8 validated, duplicate object keys rejected, size/depth/string/array limits enforced.

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "fhir/problem.hpp"

namespace nmo::fhir {

struct JsonLimits {
  std::size_t max_bytes = 8u << 20;        // whole document
  std::size_t max_depth = 64;              // nesting of objects/arrays
  std::size_t max_string_bytes = 1u << 20; // one string value or key
  std::size_t max_array_items = 100000;    // one array
  // All values of the document (objects, arrays, scalars), counted while parsing (issue 11 item 3: 8 MiB of
  // [{},{},...] peaked near 185 MiB). The bound is the smaller of max_values and one value per
  // min_bytes_per_value bytes of the text (plus 1024), so a document's memory stays proportional to its size.
  // Realistic FHIR JSON carries a value per 14 (minified) to 20 bytes; 700000 admits a dense 8 MiB chart.
  std::size_t max_values = 700000;
  std::size_t min_bytes_per_value = 8;
};

/// Parses `text` into a document. On failure: a Problem of kind `invalid` whose path names the member where
/// parsing stopped when known ("" otherwise; paths are relative to the document root, e.g.
/// "context.draftOrders.entry[3]") and whose message is public (it carries the byte offset). A document over
/// max_bytes is kind too_large.
/// Thread-safe; the document owns its memory.
Result<rapidjson::Document> parse_json(std::string_view text, const JsonLimits& limits = {});

/// The same parse, limits and Problems, in place (RapidJSON in-situ parsing): strings and member names are decoded
/// where they lie in `text`, which is overwritten, and the document points into it instead of holding copies.
/// `text` must outlive the document, and so must `arena` when given (the allocator of the document's values,
/// e.g. a MemoryPoolAllocator over a reused buffer; null: the document's own). Thread-safe.
Result<rapidjson::Document> parse_json_in_place(std::string& text, const JsonLimits& limits = {},
                                                rapidjson::Document::AllocatorType* arena = nullptr);

/// Appends ".name" or "[i]" to a JSON path.
std::string path_member(std::string_view parent, std::string_view name);
std::string path_index(std::string_view parent, std::size_t index);

/// Serialises a value compactly.
std::string to_json(const rapidjson::Value& value);

}  // namespace nmo::fhir
