#pragma once
// Case-insensitive text matching on word boundaries, for names and local lab codes in free text.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nmo::cards::detail {

/// ASCII lower case (UTF-8 bytes above 0x7F are kept as they are).
std::string to_lower(std::string_view text);

/// True when `needle` (lower case) occurs in `haystack_lower` with no letter or digit right before or after it.
bool contains_word(std::string_view haystack_lower, std::string_view needle_lower);

/// True when any of `needles` (lower case) occurs in `haystack_lower` on word boundaries.
bool contains_any_word(std::string_view haystack_lower, const std::vector<std::string>& needles);

/// Many needles (lower case) indexed by their first word, to find which occur in a text on word boundaries
/// (exactly as contains_word) in one pass over the text's words instead of one search per needle (issue 14).
class WordIndex {
 public:
  WordIndex() = default;
  explicit WordIndex(const std::vector<std::string>& needles_lower);
  /// Calls `found` with the position (in the constructor's list) of each needle that occurs; a needle may be
  /// reported more than once. Stops when `found` returns true; returns whether it did.
  bool find(std::string_view haystack_lower, const std::function<bool(std::size_t)>& found) const;
  bool contains_any(std::string_view haystack_lower) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> needles_;
  std::unordered_map<std::string, std::vector<std::uint32_t>, Hash, std::equal_to<>> by_first_word_;
  std::vector<std::uint32_t> anywhere_;  // needles that start with no letter or digit: searched for one by one
};

/// Review of issue 12, defect 3: true when some occurrence of `terms` in `haystack_lower` (on word boundaries) is
/// asserted: none of `before` in the 3 words before it within its clause (up to , ; . | or a line end), none of
/// `after` in the 3 words after it (across commas, up to ; | or a line end), and none of `hedges` in the 4 words
/// before it (across commas and full stops, up to ; | or a line end) or as the word right after it in its clause.
bool asserted_term(std::string_view haystack_lower, const std::vector<std::string>& terms,
                   const std::vector<std::string>& before, const std::vector<std::string>& after,
                   const std::vector<std::string>& hedges);

/// Number of Unicode code points in UTF-8 `text` (CDS Hooks counts characters, not bytes).
std::size_t utf8_length(std::string_view text);

}  // namespace nmo::cards::detail
