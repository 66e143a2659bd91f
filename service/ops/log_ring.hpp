#pragma once
// A bounded multi-producer, single-consumer queue of log lines (D. Vyukov's bounded queue: one sequence number
// per cell, a compare-and-swap on the head). A producer never waits: when the ring is full, push() returns false
// and the caller counts the line as dropped. Cells keep their string's capacity, so a steady stream of lines
// allocates nothing once every cell has held a line.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace nmo::service::ops::log {

class LogRing {
 public:
  /// `capacity` is rounded up to a power of two (at least 2).
  explicit LogRing(std::size_t capacity) {
    std::size_t size = 2;
    while (size < capacity) size <<= 1;
    cells_ = std::make_unique<Cell[]>(size);
    mask_ = size - 1;
    for (std::size_t i = 0; i < size; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  std::size_t capacity() const { return mask_ + 1; }

  /// Copies `line` into the ring; false when it is full. Any thread.
  bool push(std::string_view line) {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      const std::size_t seq = cell.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.line.assign(line);
          cell.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the cell still holds a line from one lap ago: full
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Appends every line ready, in order, to `out`; returns how many. One consumer thread only.
  std::size_t drain(std::string& out) {
    std::size_t n = 0;
    for (;;) {
      Cell& cell = cells_[tail_ & mask_];
      if (cell.seq.load(std::memory_order_acquire) != tail_ + 1) return n;
      out.append(cell.line);
      if (cell.line.capacity() > kKeepCapacity) std::string().swap(cell.line);
      cell.seq.store(tail_ + mask_ + 1, std::memory_order_release);
      ++tail_;
      ++n;
    }
  }

  /// True when drain() would return a line. The consumer thread only.
  bool ready() const { return cells_[tail_ & mask_].seq.load(std::memory_order_acquire) == tail_ + 1; }

  /// Lines pushed so far (claimed cells), for flush().
  std::size_t pushed() const { return head_.load(std::memory_order_acquire); }

 private:
  static constexpr std::size_t kKeepCapacity = 4096;  // a longer line's buffer is released once written

  struct Cell {
    std::atomic<std::size_t> seq{0};
    std::string line;
  };

  std::unique_ptr<Cell[]> cells_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::size_t tail_ = 0;  // the consumer's alone
};

}  // namespace nmo::service::ops::log
