/*
 * bcryptprimitives.dll for Wine releases older than 8.13, which lack
 * ProcessPrng. Go 1.22 and later call ProcessPrng for every random number
 * on Windows and exit at start-up when it is missing. This shim exists only
 * to run PacketBuddy's Windows builds and tests under Debian 12's Wine 8.0;
 * it is never shipped. scripts/wine-setup.sh builds it with mingw-w64 and
 * copies it into the test Wine prefix.
 *
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), Wine's system random source, which takes a ULONG
 * length: larger requests are served in pieces.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
