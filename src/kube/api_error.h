// An error answer from the API server, with its Status reason, message and HTTP code.
#pragma once
#include <string>

#include "core/error.h"

namespace kb::kube {

class ApiError : public Error {
 public:
  ApiError(const std::string& what, int code, std::string reason, std::string message)
      : Error(what, kExitUsage), code_(code), reason_(std::move(reason)), message_(std::move(message)) {}
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }    // "NotFound", "Forbidden", "Expired"...
  const std::string& message() const { return message_; }  // the server's own words
  bool not_found() const { return code_ == 404; }
  bool conflict() const { return code_ == 409; }
  bool gone() const { return code_ == 410 || reason_ == "Expired" || reason_ == "Gone"; }

 private:
  int code_;
  std::string reason_;
  std::string message_;
};

// Builds an ApiError from a response body (a Status object, or anything else).
ApiError api_error(const std::string& method, const std::string& path, long status, const std::string& body);

}  // namespace kb::kube
