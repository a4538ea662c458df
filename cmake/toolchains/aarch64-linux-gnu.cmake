# Cross build for arm64 (aarch64) on a Debian amd64 host, against Debian's arm64 -dev packages
# installed side by side through multiarch (scripts/install-deps):
#
#   cmake -S . -B build-arm64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake -DDOCKERDIFF_STATIC=ON
#
# Debian's cross compiler already searches /usr/include/aarch64-linux-gnu and /usr/include, and the
# arm64 libraries live in /usr/lib/aarch64-linux-gnu: the system root stays /, only the library
# architecture and pkg-config's search path change.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Never the host's .pc files (they name amd64 libraries); the arch-independent ones are in /usr/share.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
# The executable runs on the build machine only under an emulator (tests: qemu-aarch64-static).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
