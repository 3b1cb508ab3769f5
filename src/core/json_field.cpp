#include "core/json_field.h"

#include <vector>

#include "core/error.h"

namespace kb {

namespace {

using Dom = nlohmann::json;

// Builds the DOM as nlohmann's own SAX DOM parser does, except the values of dropped keys.
class PrunedDom : public nlohmann::json_sax<Dom> {
 public:
  PrunedDom(Dom& root, const std::set<std::string>& drop) : root_(root), drop_(drop) {}

  bool null() override { return add(nullptr); }
  bool boolean(bool v) override { return add(v); }
  bool number_integer(number_integer_t v) override { return add(v); }
  bool number_unsigned(number_unsigned_t v) override { return add(v); }
  bool number_float(number_float_t v, const string_t&) override { return add(v); }
  bool string(string_t& v) override { return add(std::move(v)); }
  bool binary(binary_t& v) override { return add(Dom::binary(std::move(v))); }
  bool start_object(std::size_t) override { return open(Dom::object()); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Dom::array()); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (skipping_ > 0) return true;
    if (drop_.count(k)) {
      skip_value_ = true;
      return true;
    }
    member_ = &(*stack_.back())[k];
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override { throw ParseError(std::string("not JSON: ") + e.what()); }

 private:
  // Where the next value goes: the root, the end of the open array, or the member just named.
  Dom* place(Dom&& value) {
    if (stack_.empty()) return &(root_ = std::move(value));
    Dom& parent = *stack_.back();
    if (parent.is_array()) return &parent.emplace_back(std::move(value));
    *member_ = std::move(value);
    return member_;
  }
  template <typename V>
  bool add(V&& value) {
    if (skipping_ > 0) return true;
    if (skip_value_) {
      skip_value_ = false;
      return true;
    }
    place(Dom(std::forward<V>(value)));
    return true;
  }
  bool open(Dom&& empty) {
    if (skipping_ > 0 || skip_value_) {
      skip_value_ = false;
      ++skipping_;
      return true;
    }
    stack_.push_back(place(std::move(empty)));
    return true;
  }
  bool close() {
    if (skipping_ > 0) --skipping_;
    else stack_.pop_back();
    return true;
  }

  Dom& root_;
  const std::set<std::string>& drop_;
  std::vector<Dom*> stack_;
  Dom* member_ = nullptr;
  bool skip_value_ = false;  // the key just read is dropped: its value is not built
  int skipping_ = 0;         // depth inside a dropped object or array
};

}  // namespace

nlohmann::json parse_json_without(std::string_view text, const std::set<std::string>& drop_keys) {
  Dom root;
  PrunedDom builder(root, drop_keys);
  Dom::sax_parse(text, &builder);
  return root;
}

}  // namespace kb
