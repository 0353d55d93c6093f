// Errors as values at module boundaries (see docs/ARCHITECTURE.md).
//
// Result<T, E> holds either a value or an error, like C++23's std::expected. Error is the default
// error type: a short machine-readable code plus a human message that says what was wrong, where
// and what is accepted. Exceptions thrown by third-party code are caught at the edge and turned
// into an Error; they never cross a module interface.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace maiev {

struct Error {
  std::string code;     // short and stable, e.g. "parse", "invalid", "io", "not_found"
  std::string message;  // for people: what, where, what is accepted; never credentials

  friend bool operator==(const Error&, const Error&) = default;
};

// Wraps an error so that Result's constructor can tell it from a value of the same type.
template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

inline Unexpected<Error> Fail(std::string code, std::string message) {
  return Unexpected<Error>{Error{std::move(code), std::move(message)}};
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <class F>
  requires std::is_convertible_v<F, E> Result(Unexpected<F> error)  // NOLINT: implicit by design
      : state_(std::in_place_index<1>, std::move(error.error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok()
  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

// A Result that carries no value: success or an error.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class F>
  requires std::is_convertible_v<F, E> Result(Unexpected<F> error)
      : error_(std::move(error.error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // REQUIRES: !ok()
  const E& error() const& { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace maiev
