/* Unit tests of http/host: which Host values may be echoed into handed-out URLs. */
#include "check.h"
#include "http/host.h"

static void test_accepted(void)
{
    const char *ok[] = {"localhost",
                        "localhost:3000",
                        "example.com",
                        "a.b-c_d~e.example:65535",
                        "127.0.0.1",
                        "127.0.0.1:8080",
                        "[::1]",
                        "[::1]:3000",
                        "[2001:db8::42]:443",
                        "[::ffff:192.0.2.1]",
                        "x"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!CHECK(http_host_valid(ok[i])))
            fprintf(stderr, "  refused: %s\n", ok[i]);
}

static void test_refused(void)
{
    const char *bad[] = {
        NULL,          "",         ":80",         "host:",      "host:65536",
        "host:123456", "host:8a",  "host:-1",     "host:80:81", "a:b:c",
        "[::1",        "[::1]x",   "[]",          "[::g]",      "[fe80::1%25eth0]",
        "[v1.fe]",     "::1",      "user@host",   "host/path",  "host?q",
        "host#f",      "ho st",    "evil.com%2f", "a,b",        "a;b",
        "a'b",         "<script>", "host\\",      "\x7f",       "h\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!CHECK(!http_host_valid(bad[i])))
            fprintf(stderr, "  accepted: %s\n", bad[i] ? bad[i] : "(null)");
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(!http_host_valid(longname));
    longname[253] = '\0';
    CHECK(http_host_valid(longname));
}

int main(void)
{
    RUN(test_accepted);
    RUN(test_refused);
    return check_summary("test_host");
}
