/*
 * TEST ONLY, NEVER SHIPPED. A stand-in bcryptprimitives.dll for running lamppost.exe under
 * Wine 8 (Debian 12), which lacks ProcessPrng: Rust's standard library asks for it to seed its
 * hash maps and fails to start without it. Windows 10 and later have the real one.
 *
 * scripts/wine-smoke.sh compiles this with MinGW and puts the DLL beside the exe in a scratch
 * copy of the package, never in dist/.
 */
#include <windows.h>

/* advapi32's RtlGenRandom, exported under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
