// A double-ended queue for SampleHistory: appended at the back, dropped from the front, one
// contiguous buffer used as a ring. Unlike std::deque (a 512-byte block and its map even when
// empty), an empty one holds no memory, and a full one exactly its limit: at 10,000 services,
// three queues each, that is 17 MB less (docs/RELIABILITY.md, "Load").
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace maiev::control {

template <typename T>
class RingBuffer {
 public:
  // The buffer doubles as it fills, but stops at `limit` elements before doubling past it (so a
  // history full at its capacity holds exactly that); 0: no limit.
  explicit RingBuffer(std::size_t limit = 0) : limit_(limit) {}
  RingBuffer(const RingBuffer&) = default;
  RingBuffer& operator=(const RingBuffer&) = default;
  // A moved-from buffer is empty.
  RingBuffer(RingBuffer&& other) noexcept
      : limit_(other.limit_),
        buffer_(std::move(other.buffer_)),
        head_(std::exchange(other.head_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  RingBuffer& operator=(RingBuffer&& other) noexcept {
    limit_ = other.limit_;
    buffer_ = std::move(other.buffer_);
    other.buffer_.clear();
    head_ = std::exchange(other.head_, 0);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  ~RingBuffer() = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // REQUIRES: i < size().
  T& operator[](std::size_t i) { return buffer_[Index(i)]; }
  const T& operator[](std::size_t i) const { return buffer_[Index(i)]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(T value) {
    if (size_ == buffer_.size()) Grow();
    buffer_[Index(size_)] = std::move(value);
    ++size_;
  }
  // Drops the `n` oldest. REQUIRES: n <= size().
  void pop_front(std::size_t n = 1) {
    head_ = buffer_.empty() ? 0 : (head_ + n) % buffer_.size();
    size_ -= n;
  }
  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  std::size_t Index(std::size_t i) const {
    const std::size_t at = head_ + i;
    return at < buffer_.size() ? at : at - buffer_.size();
  }
  void Grow() {
    std::size_t capacity = std::max<std::size_t>(4, 2 * buffer_.size());
    if (limit_ > size_) capacity = std::min(capacity, limit_);
    std::vector<T> grown;
    grown.reserve(capacity);
    for (std::size_t i = 0; i < size_; ++i) grown.push_back(std::move((*this)[i]));
    grown.resize(capacity);
    buffer_ = std::move(grown);
    head_ = 0;
  }

  std::size_t limit_;
  std::vector<T> buffer_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace maiev::control
