#pragma once
// The JSON writer of cards and of the resources in their suggestions. Internal to nmo_cards.

#include <cstdint>
#include <cstring>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::cards::detail {

// rapidjson's Writer, with strings escaped run by run (memcpy between the characters that need an escape) instead
// of character by character: the same bytes (its escapes: \" \\ \b \f \n \r \t, other control characters as
// \u00XX; everything else as it is), at a fraction of the cost on card texts (issue 14).
class JsonWriter final : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using Writer::Writer;

  void text(std::string_view s) {
    Prefix(rapidjson::kStringType);
    static constexpr char kHex[] = "0123456789ABCDEF";
    rapidjson::StringBuffer& out = *os_;
    out.Reserve(s.size() + 2);
    out.PutUnsafe('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      // Eight bytes at a time while none of them needs an escape.
      while (i + 8 <= s.size() && !needs_escape(s.data() + i)) i += 8;
      if (i == s.size()) break;
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      append(out, s.substr(run, i - run));
      char* e = out.Push(2);
      e[0] = '\\';
      switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default: {
          e[1] = 'u';
          char* u = out.Push(4);
          u[0] = '0';
          u[1] = '0';
          u[2] = kHex[c >> 4];
          u[3] = kHex[c & 0xF];
        }
      }
      run = i + 1;
    }
    append(out, s.substr(run));
    out.Put('"');
    EndValue(true);
  }

 private:
  // Whether one of the 8 bytes at `p` is a control character, '"' or '\\' (exact: "has a byte less than n" and
  // "has a zero byte" bit tricks, Anderson, "Bit Twiddling Hacks").
  static bool needs_escape(const char* p) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    constexpr std::uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
    auto has_zero = [&](std::uint64_t v) { return ((v - k01) & ~v & k80) != 0; };
    return ((x - k01 * 0x20) & ~x & k80) != 0 || has_zero(x ^ (k01 * '"')) || has_zero(x ^ (k01 * '\\'));
  }

  static void append(rapidjson::StringBuffer& out, std::string_view part) {
    if (!part.empty()) std::memcpy(out.Push(part.size()), part.data(), part.size());
  }
};

}  // namespace nmo::cards::detail
