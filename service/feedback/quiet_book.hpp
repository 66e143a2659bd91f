#pragma once
// The overrides of every patient, in memory, kept fresh from the QuietStore by one background thread (issue 13).
// The hook call reads them without I/O (entries()) and hands over the cards it showed (issued()), which the
// thread writes; so quieting adds no round-trip to a hook call. While the store cannot be read, entries() answers
// nothing and every card is shown (fail open, nmo_quiet_fail_open_total).

#include <chrono>
#include <map>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cards/knowledge_base.hpp"
#include "cards/quiet.hpp"
#include "service/feedback/quiet_store.hpp"

namespace nmo::service::feedback {

struct QuietSettings {
  std::string key;  // of the patient pseudonyms (HMAC-SHA-256); the same secret on every replica; empty: random
  std::chrono::milliseconds refresh{5000};  // how often issued cards are written and overrides read again
  std::int64_t unanswered_days = 7;         // a card without feedback is forgotten after this
  std::size_t max_pending = 100000;         // issued cards waiting to be written; more are dropped (and logged)
  std::size_t write_batch = 4096;           // this many waiting are written at once, before the refresh (memory)
};

/// "q-" + the first 16 bytes of `mac` in hex; nullopt (counted: nmo_quiet_pseudonym_errors_total) unless the
/// HMAC-SHA-256 gave 32 bytes, so that a failed HMAC never gives every patient one pseudonym.
std::optional<std::string> pseudonym_of_mac(const unsigned char* mac, unsigned int length);

class QuietBook {
 public:
  QuietBook(std::shared_ptr<QuietStore> store, std::shared_ptr<const cards::KnowledgeBase> knowledge,
            QuietSettings settings);
  ~QuietBook();  // stops the thread; cards not yet written are written once more, best effort
  QuietBook(const QuietBook&) = delete;
  QuietBook& operator=(const QuietBook&) = delete;

  /// Starts the background thread (sync() every refresh interval, or sooner when poked).
  void start();
  /// Wakes the thread (after feedback was stored on this replica).
  void poke();

  /// "q-" + 32 hex digits of HMAC-SHA-256(key, caller, fhirServer and patientId, each prefixed by its length):
  /// the same patient of the same EHR on every replica, and no identifier in the store. `caller`: the verified
  /// JWT iss, or "unsigned" (development mode), so that one EHR cannot quiet another's patients. Nullopt (no
  /// quieting, no recording) without caller, fhirServer or patient id, or when HMAC fails (pseudonym_of_mac).
  std::optional<std::string> pseudonym(std::string_view caller, std::string_view fhir_server,
                                       std::string_view patient_id) const;

  /// This patient's overrides, from memory; nullopt while the store is unavailable (show every card): its last
  /// read failed, or the last good read is older than three refresh intervals at `now` (a thread or store that
  /// hangs). `now`: seconds since the epoch.
  std::optional<std::vector<cards::QuietEntry>> entries(const std::string& pseudonym, std::int64_t now) const;

  /// Queues the cards a hook call showed, and counts them and the rules it quieted in the week of `now`, for
  /// the thread to record.
  void issued(std::vector<IssuedCard> cards, const std::vector<std::string>& quieted_rules, std::int64_t now);

  /// Writes the queued cards and reads the overrides again, on the caller's thread. `now`: seconds since the
  /// epoch. False when the store failed (the book then fails open until a sync works).
  bool sync(std::int64_t now);

 private:
  using Index = std::unordered_map<std::string, std::vector<cards::QuietEntry>>;
  void run();
  bool write_pending();  // the queued cards and tallies to the store; false when it failed (kept for later)

  std::shared_ptr<QuietStore> store_;
  std::shared_ptr<const cards::KnowledgeBase> knowledge_;
  QuietSettings settings_;
  std::uint64_t id_ = 0;  // unique per book in this process: which key a thread's MAC context holds
  std::int64_t window_days_ = 0;  // overrides older than the longest quiet period (and a margin) are not read

  mutable std::mutex mutex_;  // guards index_, available_, pending_*, dropped_, stop_, poked_
  std::shared_ptr<const Index> index_;
  bool available_ = false;
  std::int64_t last_read_ = 0;  // `now` of the last good read of the overrides
  std::vector<IssuedCard> pending_;
  std::map<std::pair<std::string, std::int64_t>, WeekTally> pending_tallies_;  // (rule, week)
  std::size_t dropped_ = 0;
  bool stop_ = false, poked_ = false;
  bool write_due_ = false;  // write_batch cards wait: the thread writes them before the refresh
  std::condition_variable wake_;
  std::mutex sync_mutex_;  // one sync at a time
  std::int64_t last_prune_ = 0;
  std::thread thread_;
};

}  // namespace nmo::service::feedback
