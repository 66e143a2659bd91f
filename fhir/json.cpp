#include "fhir/json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::fhir {
namespace {

using rapidjson::SizeType;

std::string_view string_of(const rapidjson::Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

// SAX filter between the reader and the document: enforces depth, string and array limits while parsing, so a
// hostile document is stopped at the first offending byte and never materialised. Tracks the path of the value
// being read so that the Problem names it.
class LimitingHandler {
 public:
  LimitingHandler(rapidjson::Document& doc, const JsonLimits& limits, std::size_t max_values)
      : doc_(doc), limits_(limits), max_values_(max_values) {}

  bool Null() { return value() && doc_.Null(); }
  bool Bool(bool b) { return value() && doc_.Bool(b); }
  bool Int(int i) { return value() && doc_.Int(i); }
  bool Uint(unsigned u) { return value() && doc_.Uint(u); }
  bool Int64(std::int64_t i) { return value() && doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return value() && doc_.Uint64(u); }
  bool Double(double d) {
    if (!std::isfinite(d)) return fail("JSON number out of range");
    return value() && doc_.Double(d);
  }
  bool RawNumber(const char* str, SizeType length, bool copy) { return value() && doc_.RawNumber(str, length, copy); }
  bool String(const char* str, SizeType length, bool copy) {
    if (!value()) return false;
    if (length > limits_.max_string_bytes) return fail("JSON string longer than the limit");
    return doc_.String(str, length, copy);
  }
  bool Key(const char* str, SizeType length, bool copy) {
    Frame& top = frames_[depth_ - 1];
    const std::size_t kept = std::min<std::size_t>(length, kMaxKeyInPath);
    if (copy) {  // the reader's buffer is reused for the next string: keep a copy
      top.copy.assign(str, kept);
      top.copied = true;
    } else {  // in situ: the name stays where it lies
      top.key = std::string_view(str, kept);
      top.copied = false;
    }
    if (length > limits_.max_string_bytes) return fail("JSON member name longer than the limit");
    return doc_.Key(str, length, copy);
  }
  bool StartObject() { return open(true) && doc_.StartObject(); }
  bool EndObject(SizeType count) {
    --depth_;
    return doc_.EndObject(count);
  }
  bool StartArray() { return open(false) && doc_.StartArray(); }
  bool EndArray(SizeType count) {
    --depth_;
    return doc_.EndArray(count);
  }

  const std::optional<std::string>& error() const { return error_; }

  /// The path of the value being read when the error occurred.
  std::string path() const {
    std::string out;
    for (std::size_t i = 0; i < depth_; ++i) {
      const Frame& f = frames_[i];
      if (f.object) {
        out = path_member(out, f.name());
      } else if (f.count > 0) {
        out = path_index(out, f.count - 1);
      }
    }
    return out;
  }

 private:
  static constexpr std::size_t kMaxKeyInPath = 128;

  struct Frame {
    bool object = false;
    std::size_t count = 0;  // arrays: items seen so far
    std::string_view key;   // objects: the current member's name (kept for the error path only), in situ...
    std::string copy;       // ...or held here when the reader does not parse in situ
    bool copied = false;
    // Never a view into `copy` kept across calls: a Frame moves when frames_ grows, and a short string's bytes
    // move with it.
    std::string_view name() const { return copied ? std::string_view(copy) : key; }
  };

  // Called before each value: counts the values and array items.
  bool value() {
    if (++values_ > max_values_) return fail("JSON document has more values than the limit");
    if (depth_ == 0) return true;
    Frame& top = frames_[depth_ - 1];
    if (!top.object && ++top.count > limits_.max_array_items) return fail("JSON array longer than the limit");
    return true;
  }

  bool open(bool object) {
    if (!value()) return false;
    if (depth_ + 1 > limits_.max_depth) return fail("JSON nested deeper than the limit");
    if (frames_.size() <= depth_) frames_.emplace_back();
    Frame& f = frames_[depth_++];
    f.object = object;
    f.count = 0;
    f.key = {};
    f.copied = false;
    return true;
  }

  bool fail(const char* message) {
    error_ = message;
    return false;
  }

  rapidjson::Document& doc_;
  const JsonLimits& limits_;
  std::vector<Frame> frames_;
  std::size_t depth_ = 0;
  std::size_t max_values_;
  std::size_t values_ = 0;
  std::optional<std::string> error_;
};

// Iterative walk (explicit queue, no recursion) rejecting an object with two members of the same name.
// RFC 8259 §4: "The names within an object SHOULD be unique"; we require it, a duplicate is ambiguous data.
// Cost O(n log n): the names of each object are sorted once.
std::optional<Problem> reject_duplicate_keys(const rapidjson::Value& root) {
  struct Node {
    const rapidjson::Value* value;
    std::size_t parent;
    const rapidjson::Value* name;  // member name, or nullptr for an array item
    std::size_t index;
  };
  constexpr std::size_t kNoParent = std::numeric_limits<std::size_t>::max();
  constexpr rapidjson::SizeType kPairwise = 12;  // up to this many members, n²/2 comparisons beat a sort
  std::vector<Node> nodes{{&root, kNoParent, nullptr, 0}};
  std::vector<std::string_view> names;

  auto path_of = [&nodes](std::size_t i) {
    std::vector<std::size_t> chain;
    for (; i != kNoParent && nodes[i].parent != kNoParent; i = nodes[i].parent) chain.push_back(i);
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Node& n = nodes[*it];
      out = n.name ? path_member(out, string_of(*n.name)) : path_index(out, n.index);
    }
    return out;
  };

  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const rapidjson::Value& v = *nodes[i].value;
    if (v.IsObject()) {
      if (v.MemberCount() > 1) {
        std::optional<std::string_view> dup;
        if (v.MemberCount() <= kPairwise) {  // most FHIR objects: a few members, compared pairwise without sorting
          const auto begin = v.MemberBegin(), end = v.MemberEnd();
          for (auto a = begin; a != end; ++a) {
            for (auto b = begin; b != a; ++b) {
              const std::string_view name = string_of(a->name);
              if (name == string_of(b->name) && (!dup || name < *dup)) dup = name;  // the first in sort order
            }
          }
        } else {
          names.clear();
          for (const auto& m : v.GetObject()) names.push_back(string_of(m.name));
          std::sort(names.begin(), names.end());
          if (auto it = std::adjacent_find(names.begin(), names.end()); it != names.end()) dup = *it;
        }
        if (dup) {
          return make_problem(ProblemKind::invalid, path_member(path_of(i), *dup), "duplicate JSON member name",
                              "duplicate member name in object");
        }
      }
      for (const auto& m : v.GetObject()) {
        if (m.value.IsObject() || m.value.IsArray()) nodes.push_back({&m.value, i, &m.name, 0});
      }
    } else if (v.IsArray()) {
      std::size_t index = 0;
      for (const auto& item : v.GetArray()) {
        if (item.IsObject() || item.IsArray()) nodes.push_back({&item, i, nullptr, index});
        ++index;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// The checks before parsing; on success `skipped` is the length of a byte order mark to skip (0 or 3).
std::optional<Problem> check_text(std::string_view text, const JsonLimits& limits, std::size_t& skipped) {
  if (text.size() > limits.max_bytes) {
    return make_problem(ProblemKind::too_large, "", "JSON document larger than the limit",
                        "document of " + std::to_string(text.size()) + " bytes");
  }
  // RFC 8259 §8.1: "implementations ... MAY ignore the presence of a byte order mark".
  skipped = text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  text.remove_prefix(skipped);
  // The reader stops at a NUL byte as if at the end; a raw NUL is never valid JSON text (RFC 8259 §7 requires
  // control characters in strings to be escaped), so reject it rather than ignore what follows.
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const auto offset = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data()) + skipped;
    return make_problem(ProblemKind::invalid, "", "invalid JSON at byte " + std::to_string(offset) + ": NUL byte",
                        "NUL byte in JSON text");
  }
  return std::nullopt;
}

// Runs the reader with `flags` over `stream` into `doc` through the limits; then rejects duplicate names.
template <unsigned kExtraFlags, bool kValidate = true, class Stream>
Result<rapidjson::Document> parse_stream(Stream& stream, rapidjson::Document&& doc, const JsonLimits& limits,
                                         std::size_t skipped, std::size_t text_size) {
  // At most one value per limits.min_bytes_per_value bytes of text (+1024), and never over limits.max_values.
  const std::size_t per_size = text_size / std::max<std::size_t>(1, limits.min_bytes_per_value) + 1024;
  LimitingHandler handler(doc, limits, std::min(limits.max_values, per_size));
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document&) {
    rapidjson::Reader reader;
    constexpr unsigned kFlags =
        rapidjson::kParseIterativeFlag | (kValidate ? unsigned{rapidjson::kParseValidateEncodingFlag} : 0u) | kExtraFlags;
    result = reader.Parse<kFlags>(stream, handler);
    return !result.IsError();
  };
  doc.Populate(generate);

  if (result.IsError()) {
    const std::string at = "at byte " + std::to_string(result.Offset() + skipped);
    if (handler.error()) {
      return make_problem(ProblemKind::invalid, handler.path(), *handler.error() + " " + at, *handler.error());
    }
    const std::string what = rapidjson::GetParseError_En(result.Code());
    return make_problem(ProblemKind::invalid, "", "invalid JSON " + at + ": " + what, what);
  }
  if (auto dup = reject_duplicate_keys(doc)) return std::move(*dup);
  return Result<rapidjson::Document>(std::move(doc));
}

}  // namespace

Result<rapidjson::Document> parse_json(std::string_view text, const JsonLimits& limits) {
  std::size_t skipped = 0;
  if (auto p = check_text(text, limits, skipped)) return std::move(*p);
  text.remove_prefix(skipped);
  rapidjson::MemoryStream stream(text.data(), text.size());
  return parse_stream<0>(stream, rapidjson::Document(), limits, skipped, text.size());
}

namespace {

// True when every byte is below 0x80, read a word at a time. ASCII text is valid UTF-8 (and the reader writes
// the UTF-8 of \u escapes itself, checking surrogates whatever the flags), so its validation can be skipped.
bool is_ascii(std::string_view text) {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    any |= word;
  }
  for (; i < text.size(); ++i) any |= static_cast<unsigned char>(text[i]);
  return (any & 0x8080808080808080ull) == 0;
}

}  // namespace

constexpr std::size_t kInSituPadding = 4;

Result<rapidjson::Document> parse_json_in_place(std::string& text, const JsonLimits& limits,
                                                rapidjson::Document::AllocatorType* arena) {
  std::size_t skipped = 0;
  if (auto p = check_text(text, limits, skipped)) return std::move(*p);
  // The in-situ stream ends at the NUL that std::string keeps after its last byte (none inside: checked above).
  // rapidjson's UTF-8 validation takes a multi-byte sequence's continuation bytes whatever they are, the NUL
  // included: a string ending in a 4-byte lead reads 3 bytes past the NUL (fuzz_jwt, AddressSanitizer). The
  // buffer keeps that much room; the bytes there are never a valid continuation of the NUL, so the text is refused.
  if (text.capacity() < text.size() + kInSituPadding) text.reserve(text.size() + kInSituPadding);
  rapidjson::InsituStringStream stream(text.data() + skipped);
  if (is_ascii(std::string_view(text).substr(skipped))) {
    return parse_stream<rapidjson::kParseInsituFlag, false>(stream, rapidjson::Document(arena), limits, skipped, text.size());
  }
  return parse_stream<rapidjson::kParseInsituFlag>(stream, rapidjson::Document(arena), limits, skipped, text.size());
}

std::string path_member(std::string_view parent, std::string_view name) {
  std::string out;
  out.reserve(parent.size() + 1 + name.size());
  out.append(parent);
  if (!parent.empty()) out.push_back('.');
  out.append(name);
  return out;
}

std::string path_index(std::string_view parent, std::size_t index) {
  std::string out(parent);
  out.push_back('[');
  out.append(std::to_string(index));
  out.push_back(']');
  return out;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace nmo::fhir
