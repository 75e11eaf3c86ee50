/* A stand-in for Windows' bcryptprimitives.dll, for running awsenv.exe under Wine 8 in the tests.
 *
 * Rust's std (1.78 and later) fills its random state (HashMap keys) with ProcessPrng from
 * bcryptprimitives.dll, imported by name at load time. Wine 8.0 (Debian 12) has no such DLL, so
 * every Rust program dies with c0000135 (DLL not found) before main. Wine does have advapi32's
 * RtlGenRandom (exported as SystemFunction036), which reads the host's random source: this
 * DLL gives ProcessPrng over it. tests/setup.sh builds it with mingw-w64; the tests copy it into
 * the Wine prefix's system32. Never part of awsenv itself. */
#include <windows.h>

/* RtlGenRandom's real name: advapi32 exports it only as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Windows documents ProcessPrng as always returning TRUE; a failure of the source is fatal here
 * rather than handing back bytes that are not random. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        /* RtlGenRandom takes a ULONG (32-bit) length: fill large buffers piece by piece. */
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            ExitProcess(0xC0000001); /* STATUS_UNSUCCESSFUL */
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
