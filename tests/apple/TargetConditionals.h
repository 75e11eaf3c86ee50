/* For the macOS check in tests/run.sh, which compiles ring's C for macOS with Debian's clang and
 * no Apple SDK. Of the SDK's headers ring's C includes only this one (the rest it does without,
 * under RING_CORE_NOSTDLIBINC), and reads only these three macros, given the values the SDK's
 * header has when it builds for macOS. */
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
