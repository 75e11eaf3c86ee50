/* A Windows program for the tests under Wine: the child that `awsenv exec` and the `.cmd`
 * scripts run. It writes its own environment to stdout exactly as Windows holds it (UTF-16,
 * written as UTF-8), each NAME=VALUE ended by a NUL byte so values may hold newlines, then exits
 * with the status given as its first argument (0 without one).
 *
 * cmd.exe's own `echo` or `set` cannot serve: they write in the console's code page, which turns
 * non-ASCII values into something else before a test could compare them. */
#include <windows.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    WCHAR *block = GetEnvironmentStringsW();
    for (WCHAR *entry = block; *entry; entry += lstrlenW(entry) + 1) {
        /* The byte count includes the terminating NUL, which ends each record. */
        int bytes = WideCharToMultiByte(CP_UTF8, 0, entry, -1, NULL, 0, NULL, NULL);
        char *utf8 = malloc(bytes);
        DWORD written;
        if (!utf8)
            return 125;
        WideCharToMultiByte(CP_UTF8, 0, entry, -1, utf8, bytes, NULL, NULL);
        if (!WriteFile(out, utf8, bytes, &written, NULL) || written != (DWORD)bytes)
            return 124;
        free(utf8);
    }
    FreeEnvironmentStringsW(block);
    return argc > 1 ? atoi(argv[1]) : 0;
}
