#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dockerdiff {

// Streaming SHA-256 on OpenSSL's EVP interface.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:<64 hex>"; the object cannot be updated afterwards.
  std::string digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// "sha256:<64 hex>" of the bytes.
std::string sha256_digest(std::string_view data);

// True for "sha256:" followed by 64 lowercase hex digits: the only algorithm image archives use.
bool is_sha256_digest(std::string_view text);

// The 64 hex digits of a valid digest.
std::string_view digest_hex(std::string_view digest);

// ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)) (OCI image spec).
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

}  // namespace dockerdiff
