/*
 * sql/datetime.c - civil calendar arithmetic, time zones from TZif files
 * and Spark's string-to-date/timestamp cast rules (see datetime.h).
 */
#define _GNU_SOURCE
#include "sql/datetime.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Calendar ---------------------------------------------------------------- */

bool dt_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int dt_days_in_month(int64_t y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    return m == 2 && dt_is_leap(y) ? 29 : d[m - 1];
}

/* Eras of 400 years (146097 days) starting on March 1st, so that the leap
 * day falls at the end of each year of the era. */
int64_t dt_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = dt_floordiv(y, 400);
    int64_t yoe = y - era * 400;                                  /* 0..399 */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void dt_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = dt_floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

bool dt_valid_date(int64_t y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= dt_days_in_month(y, m);
}

void dt_fields_from_days(int64_t days, dt_fields *f)
{
    dt_civil_from_days(days, &f->year, &f->month, &f->day);
    f->hour = f->minute = f->second = f->micros = 0;
    f->dow = (int)dt_floormod(days + 3, 7) + 1; /* 1970-01-01 was a Thursday */
    f->doy = (int)(days - dt_days_from_civil(f->year, 1, 1)) + 1;
}

void dt_fields_from_us(int64_t us, dt_fields *f)
{
    int64_t days = dt_floordiv(us, DT_US_PER_DAY);
    int64_t rem = us - days * DT_US_PER_DAY;
    dt_fields_from_days(days, f);
    f->hour = (int)(rem / DT_US_PER_HOUR);
    f->minute = (int)(rem / DT_US_PER_MIN % 60);
    f->second = (int)(rem / DT_US_PER_SEC % 60);
    f->micros = (int)(rem % DT_US_PER_SEC);
}

bool dt_us_from_fields(const dt_fields *f, int64_t *out)
{
    if (f->year > 300000 || f->year < -300000) return false;
    int64_t days = dt_days_from_civil(f->year, f->month, f->day);
    int64_t t;
    if (__builtin_mul_overflow(days, DT_US_PER_DAY, &t)) return false;
    int64_t tod = f->hour * DT_US_PER_HOUR + f->minute * DT_US_PER_MIN + f->second * DT_US_PER_SEC +
                  f->micros;
    return !__builtin_add_overflow(t, tod, out);
}

int dt_iso_week(int64_t days)
{
    /* The week belongs to the year of its Thursday. */
    int dow = (int)dt_floormod(days + 3, 7); /* 0 = Monday */
    int64_t thu = days - dow + 3;
    int64_t y;
    int m, d;
    dt_civil_from_days(thu, &y, &m, &d);
    return (int)((thu - dt_days_from_civil(y, 1, 1)) / 7) + 1;
}

/* ---- Time zones ---------------------------------------------------------------- */

/* A POSIX TZ rule date: Jn (1..365, no leap day), n (0..365) or Mm.w.d. */
typedef struct tz_rule_date {
    char kind; /* 'J', 'N' or 'M' */
    int m, w, d, n;
    int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
} tz_rule_date;

struct dt_zone {
    char id[64];
    bool fixed;
    int32_t fixed_off;
    /* TZif data */
    int ntrans;
    int64_t *trans; /* seconds, ascending */
    uint8_t *trans_type;
    int ntypes;
    int32_t *type_off;
    uint8_t *type_abbr; /* index into abbrs */
    char *abbrs;
    int nabbr;
    int first_type; /* for instants before the first transition */
    /* footer rule */
    bool has_rule, rule_dst;
    int32_t std_off, dst_off; /* seconds east of UTC */
    char std_abbr[16], dst_abbr[16];
    tz_rule_date start, end;
    struct dt_zone *next; /* cache chain */
};

static const dt_zone utc_zone = {.id = "UTC", .fixed = true};

const dt_zone *dt_zone_utc(void)
{
    return &utc_zone;
}

const char *dt_zone_id(const dt_zone *z)
{
    return z->id;
}

bool dt_parse_offset(const char *s, size_t len, int32_t *secs)
{
    if (len < 2 || (s[0] != '+' && s[0] != '-')) return false;
    int sign = s[0] == '-' ? -1 : 1;
    size_t i = 1;
    int parts[3] = {0, 0, 0}, np = 0;
    bool colon = false;
    while (i < len && np < 3) {
        if (np > 0 && s[i] == ':') {
            if (np == 1) colon = true;
            else if (!colon) return false;
            i++;
        } else if (np > 0 && colon) {
            return false;
        }
        size_t st = i;
        while (i < len && isdigit((unsigned char)s[i]) && i - st < 2)
            parts[np] = parts[np] * 10 + (s[i++] - '0');
        size_t nd = i - st;
        if (nd == 0 || (np > 0 && nd != 2)) return false;
        if (np == 0 && nd == 1 && i < len && s[i] != ':')
            return false; /* "+5" then something other than ':' */
        np++;
    }
    if (i != len) return false;
    if (parts[0] > 18 || parts[1] > 59 || parts[2] > 59) return false;
    int32_t v = parts[0] * 3600 + parts[1] * 60 + parts[2];
    if (v > 18 * 3600) return false;
    *secs = sign * v;
    return true;
}

static void offset_id(char *buf, size_t cap, const char *prefix, int32_t off)
{
    int32_t a = off < 0 ? -off : off;
    if (off == 0 && prefix[0]) {
        snprintf(buf, cap, "%s", prefix);
    } else if (off == 0) {
        snprintf(buf, cap, "Z");
    } else if (a % 60) {
        snprintf(buf, cap, "%s%c%02d:%02d:%02d", prefix, off < 0 ? '-' : '+', a / 3600, a / 60 % 60,
                 a % 60);
    } else {
        snprintf(buf, cap, "%s%c%02d:%02d", prefix, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* POSIX TZ string pieces. */
static const char *posix_abbr(const char *p, char *out)
{
    size_t n = 0;
    if (*p == '<') {
        p++;
        while (*p && *p != '>' && n < 15) out[n++] = *p++;
        if (*p != '>') return NULL;
        p++;
    } else {
        while (isalpha((unsigned char)*p) && n < 15) out[n++] = *p++;
    }
    out[n] = 0;
    return n >= 3 || (n > 0) ? p : NULL;
}

static const char *posix_time(const char *p, int32_t *secs, bool allow_big)
{
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p)) return NULL;
    int32_t v = 0, h = 0;
    while (isdigit((unsigned char)*p) && h < 1000) h = h * 10 + (*p++ - '0');
    if (h > (allow_big ? 167 : 24)) return NULL;
    v = h * 3600;
    for (int k = 0; k < 2 && *p == ':'; k++) {
        p++;
        int x = 0, nd = 0;
        while (isdigit((unsigned char)*p) && nd < 2) x = x * 10 + (*p++ - '0'), nd++;
        if (nd == 0 || x > 59) return NULL;
        v += k == 0 ? x * 60 : x;
    }
    *secs = sign * v;
    return p;
}

static const char *posix_date(const char *p, tz_rule_date *r)
{
    memset(r, 0, sizeof *r);
    if (*p == 'M') {
        r->kind = 'M';
        if (sscanf(p + 1, "%d.%d.%d", &r->m, &r->w, &r->d) != 3 || r->m < 1 || r->m > 12 ||
            r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
            return NULL;
        p++;
        while (isdigit((unsigned char)*p) || *p == '.') p++;
    } else {
        r->kind = 'N';
        if (*p == 'J') r->kind = 'J', p++;
        if (!isdigit((unsigned char)*p)) return NULL;
        while (isdigit((unsigned char)*p) && r->n < 1000) r->n = r->n * 10 + (*p++ - '0');
        if (r->n > 365 || (r->kind == 'J' && r->n < 1)) return NULL;
    }
    r->time = 7200;
    if (*p == '/') p = posix_time(p + 1, &r->time, true);
    return p;
}

static bool parse_posix(dt_zone *z, const char *p)
{
    int32_t t;
    if (!(p = posix_abbr(p, z->std_abbr)) || !(p = posix_time(p, &t, false))) return false;
    z->std_off = -t;
    z->has_rule = true;
    if (!*p) return true;
    if (!(p = posix_abbr(p, z->dst_abbr))) return false;
    z->dst_off = z->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = posix_time(p, &t, false))) return false;
        z->dst_off = -t;
    }
    if (*p != ',' || !(p = posix_date(p + 1, &z->start)) || *p != ',' ||
        !(p = posix_date(p + 1, &z->end)) || *p)
        return false;
    z->rule_dst = true;
    return true;
}

/* Local seconds (from the epoch) at which rule date r falls in year y. */
static int64_t rule_local(const tz_rule_date *r, int64_t y)
{
    int64_t days;
    if (r->kind == 'M') {
        int64_t first = dt_days_from_civil(y, r->m, 1);
        int fdow = (int)dt_floormod(first + 4, 7); /* 0 = Sunday */
        int d = (r->d - fdow + 7) % 7 + 1 + (r->w - 1) * 7;
        while (d > dt_days_in_month(y, r->m)) d -= 7;
        days = first + d - 1;
    } else if (r->kind == 'J') {
        days = dt_days_from_civil(y, 1, 1) + r->n - 1 + (dt_is_leap(y) && r->n >= 60);
    } else {
        days = dt_days_from_civil(y, 1, 1) + r->n;
    }
    return days * 86400 + r->time;
}

static int32_t rule_offset(const dt_zone *z, int64_t t, const char **abbr)
{
    if (!z->rule_dst) {
        if (abbr) *abbr = z->std_abbr;
        return z->std_off;
    }
    int64_t y;
    int m, d;
    dt_civil_from_days(dt_floordiv(t + z->std_off, 86400), &y, &m, &d);
    int64_t s = rule_local(&z->start, y) - z->std_off;
    int64_t e = rule_local(&z->end, y) - z->dst_off;
    bool dst = s < e ? (t >= s && t < e) : (t < e || t >= s);
    if (abbr) *abbr = dst ? z->dst_abbr : z->std_abbr;
    return dst ? z->dst_off : z->std_off;
}

static void zone_free(dt_zone *z)
{
    if (!z) return;
    free(z->trans);
    free(z->trans_type);
    free(z->type_off);
    free(z->type_abbr);
    free(z->abbrs);
    free(z);
}

/* Parses TZif data p[0..n) (v2+ uses its 64-bit block; v1 its 32-bit one). */
static dt_zone *parse_tzif(const uint8_t *p, size_t n)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0) return NULL;
    int version = p[4];
    size_t off = 0;
    int tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (off + 44 > n || memcmp(p + off, "TZif", 4) != 0) return NULL;
        const uint8_t *h = p + off + 20;
        uint32_t isut = be32(h), isstd = be32(h + 4), leap = be32(h + 8), timecnt = be32(h + 12),
                 typecnt = be32(h + 16), charcnt = be32(h + 20);
        if (timecnt > 100000 || typecnt == 0 || typecnt > 256 || charcnt > 100000 ||
            leap > 100000 || isut > 256 || isstd > 256)
            return NULL;
        size_t body = (size_t)timecnt * (tsize + 1) + typecnt * 6 + charcnt + leap * (tsize + 4) +
                      isstd + isut;
        if (off + 44 + body > n) return NULL;
        if (pass == 0 && version >= '2') {
            off += 44 + body;
            tsize = 8;
            continue;
        }
        const uint8_t *d = p + off + 44;
        dt_zone *z = calloc(1, sizeof *z);
        if (!z) return NULL;
        z->ntrans = (int)timecnt;
        z->ntypes = (int)typecnt;
        z->nabbr = (int)charcnt;
        z->trans = malloc(sizeof(int64_t) * (timecnt + 1));
        z->trans_type = malloc(timecnt + 1);
        z->type_off = malloc(sizeof(int32_t) * typecnt);
        z->type_abbr = malloc(typecnt);
        z->abbrs = calloc(1, charcnt + 1);
        if (!z->trans || !z->trans_type || !z->type_off || !z->type_abbr || !z->abbrs) {
            zone_free(z);
            return NULL;
        }
        for (uint32_t i = 0; i < timecnt; i++) {
            z->trans[i] = tsize == 8 ? be64(d + i * 8) : (int32_t)be32(d + i * 4);
            if (i > 0 && z->trans[i] <= z->trans[i - 1]) {
                zone_free(z);
                return NULL;
            }
        }
        d += timecnt * tsize;
        for (uint32_t i = 0; i < timecnt; i++) {
            z->trans_type[i] = d[i];
            if (d[i] >= typecnt) {
                zone_free(z);
                return NULL;
            }
        }
        d += timecnt;
        for (uint32_t i = 0; i < typecnt; i++) {
            z->type_off[i] = (int32_t)be32(d + i * 6);
            z->type_abbr[i] = d[i * 6 + 5] < charcnt ? d[i * 6 + 5] : 0;
            if (z->type_off[i] < -89999 || z->type_off[i] > 93599) {
                zone_free(z);
                return NULL;
            }
        }
        d += typecnt * 6;
        memcpy(z->abbrs, d, charcnt);
        z->first_type = 0;
        if (tsize == 8) {
            const uint8_t *f = p + off + 44 + body;
            const uint8_t *end = p + n;
            if (f < end && *f == '\n') {
                const uint8_t *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
                if (nl && nl - f - 1 < 120 && nl > f + 1) {
                    char rule[128];
                    memcpy(rule, f + 1, (size_t)(nl - f - 1));
                    rule[nl - f - 1] = 0;
                    if (!parse_posix(z, rule)) z->has_rule = false;
                }
            }
        }
        return z;
    }
    return NULL;
}

static dt_zone *load_tzif(const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    dt_zone *z = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < (1 << 22)) {
        uint8_t *buf = malloc((size_t)st.st_size);
        if (buf && read(fd, buf, (size_t)st.st_size) == st.st_size)
            z = parse_tzif(buf, (size_t)st.st_size);
        free(buf);
    }
    close(fd);
    return z;
}

static bool valid_region(const char *s, size_t len)
{
    if (len == 0 || len >= 64 || s[0] == '/' || s[0] == '.') return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
        if (c == '/' && i + 1 < len && s[i + 1] == '.') return false;
    }
    return true;
}

/* java.time.ZoneId.SHORT_IDS, which Spark passes to ZoneId.of. */
static const char *const short_ids[][2] = {
    {"ACT", "Australia/Darwin"},
    {"AET", "Australia/Sydney"},
    {"AGT", "America/Argentina/Buenos_Aires"},
    {"ART", "Africa/Cairo"},
    {"AST", "America/Anchorage"},
    {"BET", "America/Sao_Paulo"},
    {"BST", "Asia/Dhaka"},
    {"CAT", "Africa/Harare"},
    {"CNT", "America/St_Johns"},
    {"CST", "America/Chicago"},
    {"CTT", "Asia/Shanghai"},
    {"EAT", "Africa/Addis_Ababa"},
    {"ECT", "Europe/Paris"},
    {"IET", "America/Indiana/Indianapolis"},
    {"IST", "Asia/Kolkata"},
    {"JST", "Asia/Tokyo"},
    {"MIT", "Pacific/Apia"},
    {"NET", "Asia/Yerevan"},
    {"NST", "Pacific/Auckland"},
    {"PLT", "Asia/Karachi"},
    {"PNT", "America/Phoenix"},
    {"PRT", "America/Puerto_Rico"},
    {"PST", "America/Los_Angeles"},
    {"SST", "Pacific/Guadalcanal"},
    {"VST", "Asia/Ho_Chi_Minh"},
    {"EST", "-05:00"},
    {"MST", "-07:00"},
    {"HST", "-10:00"},
};

#define ZONE_CACHE_MAX 1024
static pthread_mutex_t zone_mu = PTHREAD_MUTEX_INITIALIZER;
static dt_zone *zone_cache;
static int zone_count;

static const dt_zone *cache_find(const char *id)
{
    for (dt_zone *z = zone_cache; z; z = z->next)
        if (strcmp(z->id, id) == 0) return z;
    return NULL;
}

/* Adds z under id (or frees it if another thread got there first). */
static const dt_zone *cache_add(dt_zone *z)
{
    const dt_zone *old = cache_find(z->id);
    if (old) {
        zone_free(z);
        return old;
    }
    if (zone_count >= ZONE_CACHE_MAX) {
        zone_free(z);
        return NULL;
    }
    z->next = zone_cache;
    zone_cache = z;
    zone_count++;
    return z;
}

static const dt_zone *fixed_zone(const char *prefix, int32_t off)
{
    char id[64];
    offset_id(id, sizeof id, prefix, off);
    if (strcmp(id, "UTC") == 0) return &utc_zone;
    pthread_mutex_lock(&zone_mu);
    const dt_zone *z = cache_find(id);
    if (!z) {
        dt_zone *nz = calloc(1, sizeof *nz);
        if (nz) {
            snprintf(nz->id, sizeof nz->id, "%s", id);
            nz->fixed = true;
            nz->fixed_off = off;
            z = cache_add(nz);
        }
    }
    pthread_mutex_unlock(&zone_mu);
    return z;
}

const dt_zone *dt_zone_get(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len == 0 || len >= 64) return NULL;
    char name[64];
    memcpy(name, s, len);
    name[len] = 0;
    if (strcmp(name, "UTC") == 0) return &utc_zone;
    if (strcmp(name, "Z") == 0) return fixed_zone("", 0);
    int32_t off;
    if (name[0] == '+' || name[0] == '-')
        return dt_parse_offset(name, len, &off) ? fixed_zone("", off) : NULL;
    static const char *const prefixes[] = {"UTC", "GMT", "UT"};
    for (int i = 0; i < 3; i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], pl) == 0 && (name[pl] == '+' || name[pl] == '-')) {
            if (!dt_parse_offset(name + pl, len - pl, &off)) return NULL;
            return fixed_zone(prefixes[i], off);
        }
        if (strcmp(name, prefixes[i]) == 0) return i == 0 ? &utc_zone : fixed_zone(prefixes[i], 0);
    }
    for (size_t i = 0; i < sizeof short_ids / sizeof short_ids[0]; i++)
        if (strcmp(name, short_ids[i][0]) == 0)
            return dt_zone_get(short_ids[i][1], strlen(short_ids[i][1]));
    if (!valid_region(name, len)) return NULL;
    pthread_mutex_lock(&zone_mu);
    const dt_zone *z = cache_find(name);
    pthread_mutex_unlock(&zone_mu);
    if (z) return z;
    dt_zone *nz = load_tzif(name); /* outside the lock: file I/O */
    if (!nz) return NULL;
    snprintf(nz->id, sizeof nz->id, "%s", name);
    pthread_mutex_lock(&zone_mu);
    z = cache_add(nz);
    pthread_mutex_unlock(&zone_mu);
    return z;
}

int32_t dt_zone_offset(const dt_zone *z, int64_t utc_us, const char **abbr)
{
    if (z->fixed) {
        if (abbr) *abbr = z->id;
        return z->fixed_off;
    }
    int64_t t = dt_floordiv(utc_us, DT_US_PER_SEC);
    int type;
    if (z->ntrans == 0 || t < z->trans[0]) {
        if (z->ntrans == 0 && z->has_rule) return rule_offset(z, t, abbr);
        type = z->first_type;
    } else if (t >= z->trans[z->ntrans - 1] && z->has_rule) {
        return rule_offset(z, t, abbr);
    } else {
        int lo = 0, hi = z->ntrans - 1; /* last transition <= t */
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (z->trans[mid] <= t) lo = mid;
            else hi = mid - 1;
        }
        type = z->trans_type[lo];
    }
    if (abbr) *abbr = z->abbrs + z->type_abbr[type];
    return z->type_off[type];
}

int64_t dt_zone_to_utc(const dt_zone *z, int64_t local_us)
{
    if (z->fixed) return local_us - (int64_t)z->fixed_off * DT_US_PER_SEC;
    /* The offsets in force a day either side bound the answer. */
    int64_t before = (int64_t)dt_zone_offset(z, local_us - DT_US_PER_DAY, NULL) * DT_US_PER_SEC;
    int64_t after = (int64_t)dt_zone_offset(z, local_us + DT_US_PER_DAY, NULL) * DT_US_PER_SEC;
    int64_t u1 = local_us - before, u2 = local_us - after;
    bool ok1 = (int64_t)dt_zone_offset(z, u1, NULL) * DT_US_PER_SEC == before;
    bool ok2 = (int64_t)dt_zone_offset(z, u2, NULL) * DT_US_PER_SEC == after;
    if (ok1 && ok2) return u1 < u2 ? u1 : u2; /* overlap: the earlier offset, the earlier instant */
    if (ok1) return u1;
    if (ok2) return u2;
    /* A gap: later by the gap's length, i.e. the offset before the gap. */
    return local_us - before;
}

/* ---- Casts from strings ------------------------------------------------------------ */

static bool is_trim_char(unsigned char c)
{
    return c <= ' ';
}

/* Parses the date part; *i is left after it. Returns false when invalid. */
static bool parse_date_part(const char *s, size_t len, size_t *pi, int64_t *days, bool *more)
{
    size_t i = *pi;
    int sign = 1;
    if (i < len && (s[i] == '-' || s[i] == '+')) sign = s[i++] == '-' ? -1 : 1;
    int64_t seg[3] = {0, 1, 1};
    int n = 0;
    *more = false;
    while (n < 3) {
        size_t st = i;
        int64_t v = 0;
        while (i < len && isdigit((unsigned char)s[i]) && i - st < 8) v = v * 10 + (s[i++] - '0');
        size_t nd = i - st;
        if (n == 0 ? (nd < 4 || nd > 7) : (nd < 1 || nd > 2)) return false;
        seg[n++] = v;
        if (i == len) break;
        if (s[i] == '-' && n < 3) {
            i++;
            continue;
        }
        if (n == 3 && (s[i] == ' ' || s[i] == 'T')) {
            *more = true;
            break;
        }
        return false;
    }
    int64_t y = sign * seg[0];
    if (!dt_valid_date(y, (int)seg[1], (int)seg[2])) return false;
    *days = dt_days_from_civil(y, (int)seg[1], (int)seg[2]);
    *pi = i;
    return true;
}

bool dt_parse_date(const char *s, size_t len, int32_t *days)
{
    while (len && is_trim_char((unsigned char)*s)) s++, len--;
    while (len && is_trim_char((unsigned char)s[len - 1])) len--;
    size_t i = 0;
    int64_t d;
    bool more;
    if (len == 0 || !parse_date_part(s, len, &i, &d, &more) || d < INT32_MIN || d > INT32_MAX)
        return false;
    *days = (int32_t)d;
    return true;
}

/* "[h]h:[m]m[:[s]s[.f*]]" from s[*pi]; returns false when malformed. */
static bool parse_time_part(const char *s, size_t len, size_t *pi, int64_t *tod)
{
    size_t i = *pi;
    int seg[3] = {0, 0, 0}, n = 0;
    while (n < 3) {
        size_t st = i;
        int v = 0;
        while (i < len && isdigit((unsigned char)s[i]) && i - st < 2) v = v * 10 + (s[i++] - '0');
        if (i == st) return false;
        seg[n++] = v;
        if (n < 3 && i < len && s[i] == ':') i++;
        else break;
    }
    if (n < 2 || seg[0] > 23 || seg[1] > 59 || seg[2] > 59) return false;
    int64_t frac = 0;
    if (n == 3 && i < len && s[i] == '.') {
        i++;
        int nd = 0;
        while (i < len && isdigit((unsigned char)s[i])) {
            if (nd < 6) frac = frac * 10 + (s[i] - '0'), nd++;
            else if (nd >= 9) return false;
            else nd++;
            i++;
        }
        for (int k = nd > 6 ? 6 : nd; k < 6; k++) frac *= 10;
    }
    *tod = seg[0] * DT_US_PER_HOUR + seg[1] * DT_US_PER_MIN + seg[2] * DT_US_PER_SEC + frac;
    *pi = i;
    return true;
}

bool dt_parse_timestamp(const char *s, size_t len, const dt_zone *dflt, int64_t now_days,
                        int64_t *us)
{
    while (len && is_trim_char((unsigned char)*s)) s++, len--;
    while (len && is_trim_char((unsigned char)s[len - 1])) len--;
    if (len == 0) return false;
    size_t i = 0;
    int64_t days = now_days, tod = 0;
    bool more = true;
    /* A time alone: "T12:30..." or "12:30..." (a colon within the first 3 bytes). */
    bool time_only = s[0] == 'T' || (len > 2 && (s[1] == ':' || s[2] == ':'));
    if (time_only) {
        if (s[0] == 'T') i++;
    } else {
        if (!parse_date_part(s, len, &i, &days, &more)) return false;
        if (more) {
            i++; /* ' ' or 'T' */
            if (i == len) {
                more = false;
            }
        }
    }
    if (more && !parse_time_part(s, len, &i, &tod)) return false;
    const dt_zone *z = dflt;
    size_t j = i;
    while (j < len && s[j] == ' ') j++;
    if (j < len) {
        const dt_zone *tz = dt_zone_get(s + j, len - j);
        if (!tz) return false;
        if (dflt) z = tz;
    }
    int64_t local;
    if (__builtin_mul_overflow(days, DT_US_PER_DAY, &local) ||
        __builtin_add_overflow(local, tod, &local))
        return false;
    *us = z ? dt_zone_to_utc(z, local) : local;
    return true;
}

int dt_format_date(char *buf, int64_t days)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    if (y > 9999) return sprintf(buf, "+%lld-%02d-%02d", (long long)y, m, d);
    if (y < 0) return sprintf(buf, "-%04lld-%02d-%02d", (long long)-y, m, d);
    return sprintf(buf, "%04lld-%02d-%02d", (long long)y, m, d);
}

int dt_format_timestamp(char *buf, int64_t local_us)
{
    dt_fields f;
    dt_fields_from_us(local_us, &f);
    int n = dt_format_date(buf, dt_floordiv(local_us, DT_US_PER_DAY));
    n += sprintf(buf + n, " %02d:%02d:%02d", f.hour, f.minute, f.second);
    if (f.micros) {
        n += sprintf(buf + n, ".%06d", f.micros);
        while (buf[n - 1] == '0') n--;
        buf[n] = 0;
    }
    return n;
}
