// Linked into the static executable only (DOCKERDIFF_STATIC, README "Building").
//
// Debian's libarchive.a puts the writer helper that the pax writer needs in the same object file
// as archive_write_set_format(), the by-code switch over every writer; a static link therefore
// pulls in all writers, and with them the xar writer's calls into libxml2 and the zip, 7zip,
// mtree and warc writers' digests and encryption through nettle. dockerdiff writes pax and raw
// only and never reaches that code, so instead of libxml2 (with ICU) and nettle these stand-ins
// satisfy the link. Should one ever be called, the program stops with one clear line rather
// than running on.
#include <cstdio>
#include <cstdlib>

namespace {
[[noreturn]] void left_out(const char* symbol) {
  std::fprintf(stderr, "dockerdiff: internal error: %s called, a libarchive feature this static build leaves out\n",
               symbol);
  std::exit(1);
}
}  // namespace

// Only the linker sees these names (C linkage, no parameters declared): each is the symbol of the
// library function, never called through this declaration.
#define DOCKERDIFF_LEFT_OUT(symbol) \
  extern "C" void symbol();         \
  extern "C" void symbol() { left_out(#symbol); }

// libxml2: the xar writer.
DOCKERDIFF_LEFT_OUT(UTF8Toisolat1)
DOCKERDIFF_LEFT_OUT(xmlBufferCreate)
DOCKERDIFF_LEFT_OUT(xmlBufferFree)
DOCKERDIFF_LEFT_OUT(xmlFreeTextWriter)
DOCKERDIFF_LEFT_OUT(xmlNewTextWriterMemory)
DOCKERDIFF_LEFT_OUT(xmlTextWriterEndDocument)
DOCKERDIFF_LEFT_OUT(xmlTextWriterEndElement)
DOCKERDIFF_LEFT_OUT(xmlTextWriterSetIndent)
DOCKERDIFF_LEFT_OUT(xmlTextWriterStartDocument)
DOCKERDIFF_LEFT_OUT(xmlTextWriterStartElement)
DOCKERDIFF_LEFT_OUT(xmlTextWriterWriteAttribute)
DOCKERDIFF_LEFT_OUT(xmlTextWriterWriteBase64)
DOCKERDIFF_LEFT_OUT(xmlTextWriterWriteFormatAttribute)
DOCKERDIFF_LEFT_OUT(xmlTextWriterWriteString)
// nettle: zip encryption (AES, HMAC, PBKDF2) and the digests of the zip, 7zip, mtree, warc and xar writers.
DOCKERDIFF_LEFT_OUT(nettle_aes128_encrypt)
DOCKERDIFF_LEFT_OUT(nettle_aes128_set_encrypt_key)
DOCKERDIFF_LEFT_OUT(nettle_aes192_encrypt)
DOCKERDIFF_LEFT_OUT(nettle_aes192_set_encrypt_key)
DOCKERDIFF_LEFT_OUT(nettle_aes256_encrypt)
DOCKERDIFF_LEFT_OUT(nettle_aes256_set_encrypt_key)
DOCKERDIFF_LEFT_OUT(nettle_hmac_sha1_digest)
DOCKERDIFF_LEFT_OUT(nettle_hmac_sha1_set_key)
DOCKERDIFF_LEFT_OUT(nettle_hmac_sha1_update)
DOCKERDIFF_LEFT_OUT(nettle_md5_digest)
DOCKERDIFF_LEFT_OUT(nettle_md5_init)
DOCKERDIFF_LEFT_OUT(nettle_md5_update)
DOCKERDIFF_LEFT_OUT(nettle_pbkdf2_hmac_sha1)
DOCKERDIFF_LEFT_OUT(nettle_ripemd160_digest)
DOCKERDIFF_LEFT_OUT(nettle_ripemd160_init)
DOCKERDIFF_LEFT_OUT(nettle_ripemd160_update)
DOCKERDIFF_LEFT_OUT(nettle_sha1_digest)
DOCKERDIFF_LEFT_OUT(nettle_sha1_init)
DOCKERDIFF_LEFT_OUT(nettle_sha1_update)
DOCKERDIFF_LEFT_OUT(nettle_sha256_digest)
DOCKERDIFF_LEFT_OUT(nettle_sha256_init)
DOCKERDIFF_LEFT_OUT(nettle_sha256_update)
DOCKERDIFF_LEFT_OUT(nettle_sha384_digest)
DOCKERDIFF_LEFT_OUT(nettle_sha384_init)
DOCKERDIFF_LEFT_OUT(nettle_sha512_digest)
DOCKERDIFF_LEFT_OUT(nettle_sha512_init)
DOCKERDIFF_LEFT_OUT(nettle_sha512_update)
