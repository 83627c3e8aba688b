/*
 * net/url.c - parsing the addresses of cluster processes, "kiln://host:port"
 * (kiln://master.example.com:7077, kiln://10.0.0.7:7077, kiln://[::1]:7077).
 *
 * URLs come from users (--master, configuration files), so every way one can
 * be wrong gets its own message saying what was expected; the parser reads
 * nothing past the string's NUL. net_url_format writes one (and the names
 * of peers in messages, "master kiln://host:port").
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"
#include "net/net_int.h"

#define SCHEME "kiln://"

static int bad(const char *url, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const char *url, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return kiln_set_error(KILN_ECONF, "bad URL '%s': %s (expected kiln://host:port)", url, why);
}

/* A character allowed in a host name or IPv4 address. */
static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* A character allowed inside brackets: an IPv6 address, maybe with a zone. */
static bool ipv6_char(char c)
{
    return isxdigit((unsigned char)c) || c == ':' || c == '.' || c == '%' || host_char(c);
}

/* Parses the host at *p into out->host, leaving *p after it. */
static int parse_host(const char *url, const char **p, net_url *out)
{
    const char *s = *p, *end;
    bool bracketed = *s == '[';
    if (bracketed) {
        end = strchr(++s, ']');
        if (end == NULL) return bad(url, "'[' without a closing ']'");
    } else {
        end = s;
        while (*end && *end != ':' && *end != '/') end++;
        size_t colons = 0;
        for (const char *c = s; *c && *c != '/'; c++) colons += *c == ':';
        if (colons > 1)
            return bad(url, "more than one ':' (an IPv6 address goes in brackets, as in "
                            "kiln://[::1]:7077)");
    }
    size_t n = (size_t)(end - s);
    if (n == 0) return bad(url, "no host");
    if (n >= sizeof out->host) return bad(url, "host longer than %d bytes", NET_HOST_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if (!(bracketed ? ipv6_char(s[i]) : host_char(s[i])))
            return bad(url, "character '%c' is not allowed in a host%s", s[i],
                       bracketed ? " address" : " (an IPv6 address goes in brackets)");
    memcpy(out->host, s, n);
    out->host[n] = '\0';
    *p = end + bracketed;
    return KILN_OK;
}

/* Parses ":port" at p, which must end the URL. */
static int parse_port(const char *url, const char *p, net_url *out)
{
    if (*p == '\0') return bad(url, "no port");
    if (*p != ':') return bad(url, "unexpected '%s' after the host", p);
    p++;
    if (*p == '\0') return bad(url, "no port after ':'");
    long port = 0;
    const char *digits = p;
    for (; isdigit((unsigned char)*p); p++)
        if ((port = port * 10 + (*p - '0')) > 65535) return bad(url, "port out of range 1-65535");
    if (p == digits) return bad(url, "port '%s' is not a number", digits);
    if (*p != '\0') return bad(url, "unexpected '%s' after the port", p);
    if (port == 0) return bad(url, "port 0 is not a port one can connect to");
    out->port = (int)port;
    return KILN_OK;
}

int net_url_parse(const char *url, net_url *out)
{
    if (url == NULL) return kiln_set_error(KILN_ECONF, "no URL given (expected kiln://host:port)");
    if (strncasecmp(url, SCHEME, strlen(SCHEME)) != 0) {
        const char *sep = strstr(url, "://");
        if (sep != NULL) return bad(url, "scheme '%.*s' is not kiln", (int)(sep - url), url);
        return bad(url, "no kiln:// at the start");
    }
    const char *p = url + strlen(SCHEME);
    net_url u;
    int rc = parse_host(url, &p, &u);
    if (rc == KILN_OK) rc = parse_port(url, p, &u);
    if (rc == KILN_OK) *out = u;
    return rc;
}

void net_url_format(char *out, size_t size, const char *scheme, const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, size, v6 ? "%s://[%s]:%d" : "%s://%s:%d", scheme, host, port);
}
