/*
 * tpch_gen.c - writes the eight TPC-H tables as dbgen-style .tbl files.
 *
 *     tpch_gen -s SF -o DIR [-t TABLE]
 *
 * Written from the TPC-H specification, clause 4.2 (table population), not
 * from dbgen's code. Writes DIR/<table>.tbl for part, supplier, partsupp,
 * customer, orders, lineitem, nation and region (or only TABLE): one row a
 * line, fields separated by '|', each line ending in "|\n", as dbgen does.
 * Row counts per scale factor SF are the specification's: part SF*200,000,
 * supplier SF*10,000, partsupp 4 per part, customer SF*150,000, orders
 * SF*1,500,000 and 1 to 7 lineitems per order, nation 25, region 5.
 *
 * What follows the specification: keys, cardinalities, value ranges and word
 * lists; sparse order keys (the first 8 of each 32); orders only for customer
 * keys not divisible by 3; ps_suppkey and l_suppkey from the clause's formula
 * so every lineitem names one of its part's four suppliers; p_retailprice from
 * its formula and l_extendedprice = l_quantity * p_retailprice; ship, commit
 * and receipt dates relative to the order date; l_returnflag, l_linestatus,
 * o_orderstatus and o_totalprice from the lines and CURRENTDATE 1995-06-17;
 * phone numbers from the nation key; "Customer ... Complaints" and
 * "Customer ... Recommends" in SF*5 supplier comments each.
 *
 * What differs from dbgen (see bench/README.md): the random streams, so the
 * rows are not dbgen's, and the lineitem count differs by a few hundred rows
 * in 600,000 at SF 0.1; comments are substrings of a 16 MiB pseudo-text made
 * from the specification's grammar and word lists, with word weights fitted
 * to dbgen's output, instead of dbgen's 300 MB text with its exact weights.
 *
 * The same SF always gives byte-identical files: each table has its own
 * splitmix64 stream with a fixed seed. Numbers and dates are formatted by
 * hand into 4 MiB buffers written with write(2); SF 1 (about 1 GB) takes a
 * few seconds. Needs only libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"

#define OUT_CAP (4u << 20)
#define ROW_MAX 1024 /* more than the longest row (partsupp: about 330 bytes) */
#define POOL_SIZE (16u << 20)

/* ---- Random numbers: splitmix64, one stream per table ------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform integer in [lo, hi]; hi - lo < 2^32 (multiply-shift, bias below 2^-32). */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)(((rng_next(r) >> 32) * span) >> 32);
}

static rng rng_for(int table)
{
    rng r = {UINT64_C(0x74706368) * 1000003u + (uint64_t)table * UINT64_C(0x5851f42d4c957f2d)};
    return r;
}

/* ---- Output: one buffered file per table ---------------------------------------------------- */

typedef struct out {
    int fd;
    size_t len;
    char *buf;
    char path[4096];
} out;

static void die(const char *what, const char *path)
{
    fprintf(stderr, "tpch_gen: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void out_flush(out *o)
{
    size_t done = 0;
    while (done < o->len) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("cannot write", o->path);
        done += (size_t)n;
    }
    o->len = 0;
}

/* Returns where the next row may be written, flushing first if fewer than ROW_MAX bytes remain. */
static char *out_row(out *o)
{
    if (o->len + ROW_MAX > OUT_CAP) out_flush(o);
    return o->buf + o->len;
}

static void out_end_row(out *o, char *p)
{
    o->len = (size_t)(p - o->buf);
}

static void out_open(out *o, const char *dir, const char *table)
{
    snprintf(o->path, sizeof o->path, "%s/%s.tbl", dir, table);
    o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o->fd < 0) die("cannot create", o->path);
    o->buf = malloc(OUT_CAP);
    if (!o->buf) die("out of memory for", o->path);
    o->len = 0;
}

static void out_close(out *o)
{
    out_flush(o);
    if (close(o->fd) != 0) die("cannot close", o->path);
    free(o->buf);
}

/* ---- Field formatting ----------------------------------------------------------------------- */

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_uint(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* An integer then the separator. */
static char *put_int_f(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        v = -v;
    }
    p = put_uint(p, (uint64_t)v);
    *p++ = '|';
    return p;
}

/* Cents as a decimal with two places ("-12.05"), then the separator. */
static char *put_money_f(char *p, int64_t cents)
{
    if (cents < 0) {
        *p++ = '-';
        cents = -cents;
    }
    p = put_uint(p, (uint64_t)(cents / 100));
    *p++ = '.';
    *p++ = (char)('0' + cents % 100 / 10);
    *p++ = (char)('0' + cents % 10);
    *p++ = '|';
    return p;
}

/* A prefix and a key zero-padded to 9 digits ("Supplier#000000042"), then the separator. */
static char *put_key9_f(char *p, const char *prefix, int64_t key)
{
    p = put_str(p, prefix);
    for (int i = 8; i >= 0; i--) {
        p[i] = (char)('0' + key % 10);
        key /= 10;
    }
    p[9] = '|';
    return p + 10;
}

/* ---- Dates: day numbers from STARTDATE, formatted from a table ------------------------------ */

#define NDAYS 2557 /* 1992-01-01 .. 1998-12-31 */
static char date_str[NDAYS][10];
static int current_day; /* CURRENTDATE, 1995-06-17 */
static int end_day;     /* ENDDATE, 1998-12-31 */

static void dates_init(void)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int d = 0;
    for (int y = 1992; y <= 1998; y++) {
        for (int m = 1; m <= 12; m++) {
            int n = mdays[m - 1] + (m == 2 && y % 4 == 0);
            for (int day = 1; day <= n; day++, d++) {
                char *s = date_str[d];
                s[0] = '1';
                s[1] = '9';
                s[2] = '9';
                s[3] = (char)('0' + y % 10);
                s[4] = '-';
                s[5] = (char)('0' + m / 10);
                s[6] = (char)('0' + m % 10);
                s[7] = '-';
                s[8] = (char)('0' + day / 10);
                s[9] = (char)('0' + day % 10);
                if (y == 1995 && m == 6 && day == 17) current_day = d;
            }
        }
    }
    end_day = d - 1;
}

static char *put_date_f(char *p, int day)
{
    memcpy(p, date_str[day], 10);
    p[10] = '|';
    return p + 11;
}

/* ---- Word lists of clause 4.2.2.13 ---------------------------------------------------------- */

static const char *const colors[92] = {
    "almond",   "antique",   "aquamarine", "azure",      "beige",     "bisque",    "black",
    "blanched", "blue",      "blush",      "brown",      "burlywood", "burnished", "chartreuse",
    "chiffon",  "chocolate", "coral",      "cornflower", "cornsilk",  "cream",     "cyan",
    "dark",     "deep",      "dim",        "dodger",     "drab",      "firebrick", "floral",
    "forest",   "frosted",   "gainsboro",  "ghost",      "goldenrod", "green",     "grey",
    "honeydew", "hot",       "indian",     "ivory",      "khaki",     "lace",      "lavender",
    "lawn",     "lemon",     "light",      "lime",       "linen",     "magenta",   "maroon",
    "medium",   "metallic",  "midnight",   "mint",       "misty",     "moccasin",  "navajo",
    "navy",     "olive",     "orange",     "orchid",     "pale",      "papaya",    "peach",
    "peru",     "pink",      "plum",       "powder",     "puff",      "purple",    "red",
    "rose",     "rosy",      "royal",      "saddle",     "salmon",    "sandy",     "seashell",
    "sienna",   "sky",       "slate",      "smoke",      "snow",      "spring",    "steel",
    "tan",      "thistle",   "tomato",     "turquoise",  "violet",    "wheat",     "white",
    "yellow"};

static const char *const type_s1[6] = {"STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"};
static const char *const type_s2[5] = {"ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"};
static const char *const type_s3[5] = {"TIN", "NICKEL", "BRASS", "STEEL", "COPPER"};
static const char *const cont_s1[5] = {"SM", "LG", "MED", "JUMBO", "WRAP"};
static const char *const cont_s2[8] = {"CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"};
static const char *const segments[5] = {"AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY",
                                        "HOUSEHOLD"};
static const char *const priorities[5] = {"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED",
                                          "5-LOW"};
static const char *const instructs[4] = {"DELIVER IN PERSON", "COLLECT COD", "NONE",
                                         "TAKE BACK RETURN"};
static const char *const modes[7] = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};

static const struct {
    const char *name;
    int region;
} nations[25] = {{"ALGERIA", 0},      {"ARGENTINA", 1}, {"BRAZIL", 1}, {"CANADA", 1},
                 {"EGYPT", 4},        {"ETHIOPIA", 0},  {"FRANCE", 3}, {"GERMANY", 3},
                 {"INDIA", 2},        {"INDONESIA", 2}, {"IRAN", 4},   {"IRAQ", 4},
                 {"JAPAN", 2},        {"JORDAN", 4},    {"KENYA", 0},  {"MOROCCO", 0},
                 {"MOZAMBIQUE", 0},   {"PERU", 1},      {"CHINA", 2},  {"ROMANIA", 3},
                 {"SAUDI ARABIA", 4}, {"VIETNAM", 2},   {"RUSSIA", 3}, {"UNITED KINGDOM", 3},
                 {"UNITED STATES", 1}};
static const char *const regions[5] = {"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"};

/* A word and its weight. The words are the specification's; the weights are fitted to the word
 * frequencies in dbgen's output (the commonest words about 20 to 50 times the rare ones). */
typedef struct wword {
    const char *w;
    int weight;
} wword;

typedef struct wlist {
    const wword *v;
    int n, total;
} wlist;

static const wword nouns[] = {{"packages", 40},     {"requests", 40},    {"accounts", 40},
                              {"deposits", 40},     {"foxes", 20},       {"ideas", 20},
                              {"theodolites", 20},  {"pinto beans", 20}, {"instructions", 20},
                              {"dependencies", 10}, {"excuses", 10},     {"platelets", 10},
                              {"asymptotes", 10},   {"courts", 5},       {"dolphins", 5},
                              {"multipliers", 1},   {"sauternes", 1},    {"warthogs", 1},
                              {"frets", 1},         {"dinos", 1},        {"attainments", 1},
                              {"somas", 1},         {"Tiresias", 1},     {"patterns", 1},
                              {"forges", 1},        {"braids", 1},       {"hockey players", 1},
                              {"frays", 1},         {"warhorses", 1},    {"dugouts", 1},
                              {"notornis", 1},      {"epitaphs", 1},     {"pearls", 1},
                              {"tithes", 1},        {"waters", 1},       {"orbits", 1},
                              {"gifts", 1},         {"sheaves", 1},      {"depths", 1},
                              {"sentiments", 1},    {"decoys", 1},       {"realms", 1},
                              {"pains", 1},         {"grouches", 1},     {"escapades", 1}};
static const wword verbs[] = {{"sleep", 20},  {"wake", 20},  {"are", 20},      {"cajole", 20},
                              {"haggle", 20}, {"nag", 10},   {"use", 10},      {"boost", 10},
                              {"affix", 5},   {"detect", 5}, {"integrate", 5}, {"maintain", 1},
                              {"nod", 1},     {"was", 1},    {"lose", 1},      {"sublate", 1},
                              {"solve", 1},   {"thrash", 1}, {"promise", 1},   {"engage", 1},
                              {"hinder", 1},  {"print", 1},  {"x-ray", 1},     {"breach", 1},
                              {"eat", 1},     {"grow", 1},   {"impress", 1},   {"mold", 1},
                              {"poach", 1},   {"serve", 1},  {"run", 1},       {"dazzle", 1},
                              {"snooze", 1},  {"doze", 1},   {"unwind", 1},    {"kindle", 1},
                              {"play", 1},    {"hang", 1},   {"believe", 1},   {"doubt", 1}};
static const wword adjectives[] = {
    {"furious", 1},   {"sly", 1},      {"careful", 1},  {"blithe", 1},   {"quick", 1},
    {"fluffy", 1},    {"slow", 1},     {"quiet", 1},    {"ruthless", 1}, {"thin", 1},
    {"close", 1},     {"dogged", 1},   {"daring", 1},   {"brave", 1},    {"stealthy", 1},
    {"permanent", 1}, {"enticing", 1}, {"idle", 1},     {"busy", 1},     {"regular", 50},
    {"final", 40},    {"ironic", 40},  {"even", 30},    {"bold", 20},    {"silent", 10},
    {"pending", 20},  {"special", 20}, {"unusual", 20}, {"express", 20}};
static const wword adverbs[] = {
    {"sometimes", 1},  {"always", 1},     {"never", 1},      {"furiously", 50},  {"slyly", 50},
    {"carefully", 50}, {"blithely", 40},  {"quickly", 30},   {"fluffily", 20},   {"slowly", 1},
    {"quietly", 1},    {"ruthlessly", 1}, {"thinly", 1},     {"closely", 1},     {"doggedly", 1},
    {"daringly", 1},   {"bravely", 1},    {"stealthily", 1}, {"permanently", 1}, {"enticingly", 1},
    {"idly", 1},       {"busily", 1},     {"regularly", 1},  {"finally", 1},     {"ironically", 1},
    {"evenly", 1},     {"boldly", 1},     {"silently", 1}};
static const wword prepositions[] = {{"about", 50},
                                     {"above", 50},
                                     {"according to", 50},
                                     {"across", 50},
                                     {"after", 50},
                                     {"against", 40},
                                     {"along", 40},
                                     {"alongside of", 30},
                                     {"among", 20},
                                     {"around", 20},
                                     {"at", 10},
                                     {"atop", 1},
                                     {"before", 1},
                                     {"behind", 1},
                                     {"beneath", 1},
                                     {"beside", 1},
                                     {"besides", 1},
                                     {"between", 1},
                                     {"beyond", 1},
                                     {"by", 1},
                                     {"despite", 1},
                                     {"during", 1},
                                     {"except", 1},
                                     {"for", 1},
                                     {"from", 1},
                                     {"in place of", 1},
                                     {"inside", 1},
                                     {"instead of", 1},
                                     {"into", 1},
                                     {"near", 1},
                                     {"of", 1},
                                     {"on", 1},
                                     {"outside", 1},
                                     {"over", 1},
                                     {"past", 1},
                                     {"since", 1},
                                     {"through", 1},
                                     {"throughout", 1},
                                     {"to", 1},
                                     {"toward", 1},
                                     {"under", 1},
                                     {"until", 1},
                                     {"up", 1},
                                     {"upon", 1},
                                     {"without", 1},
                                     {"with", 1},
                                     {"within", 1}};
static const wword auxiliaries[] = {{"do", 1},
                                    {"may", 1},
                                    {"might", 1},
                                    {"shall", 1},
                                    {"will", 1},
                                    {"would", 1},
                                    {"can", 1},
                                    {"could", 1},
                                    {"should", 1},
                                    {"ought to", 1},
                                    {"must", 1},
                                    {"will have to", 1},
                                    {"shall have to", 1},
                                    {"could have to", 1},
                                    {"should have to", 1},
                                    {"must have to", 1},
                                    {"need to", 1},
                                    {"try to", 1}};
static const wword terminators[] = {{".", 50}, {";", 1}, {":", 1}, {"?", 1}, {"!", 1}, {"--", 1}};

#define WLIST(a)                                                                                   \
    {                                                                                              \
        a, (int)(sizeof a / sizeof a[0]), 0                                                        \
    }
static wlist l_noun = WLIST(nouns), l_verb = WLIST(verbs), l_adj = WLIST(adjectives),
             l_adv = WLIST(adverbs), l_prep = WLIST(prepositions), l_aux = WLIST(auxiliaries),
             l_term = WLIST(terminators);

static const char *pick(rng *r, wlist *l)
{
    if (!l->total)
        for (int i = 0; i < l->n; i++) l->total += l->v[i].weight;
    int x = (int)rng_range(r, 0, l->total - 1);
    int i = 0;
    while (x >= l->v[i].weight) x -= l->v[i++].weight;
    return l->v[i].w;
}

/* ---- Text: the pseudo-text of clause 4.2.2.14, and comments cut from it --------------------- */

static char *pool;
static size_t pool_len;

static void pool_word(const char *w)
{
    size_t n = strlen(w);
    memcpy(pool + pool_len, w, n);
    pool_len += n;
    pool[pool_len++] = ' ';
}

/* Appends a noun phrase: noun | adjective noun | adjective, adjective noun | adverb adjective
 * noun, with weights 10, 20, 10, 6. */
static void noun_phrase(rng *r)
{
    int k = (int)rng_range(r, 0, 45);
    if (k < 10) {
        pool_word(pick(r, &l_noun));
    } else if (k < 30) {
        pool_word(pick(r, &l_adj));
        pool_word(pick(r, &l_noun));
    } else if (k < 40) {
        pool_word(pick(r, &l_adj));
        pool[pool_len - 1] = ',';
        pool[pool_len++] = ' ';
        pool_word(pick(r, &l_adj));
        pool_word(pick(r, &l_noun));
    } else {
        pool_word(pick(r, &l_adv));
        pool_word(pick(r, &l_adj));
        pool_word(pick(r, &l_noun));
    }
}

/* Appends a verb phrase: verb | auxiliary verb | verb adverb | auxiliary verb adverb. */
static void verb_phrase(rng *r)
{
    int k = (int)rng_range(r, 0, 75);
    if (k >= 70) pool_word(pick(r, &l_aux));
    pool_word(pick(r, &l_verb));
    if (k >= 30 && k < 70) pool_word(pick(r, &l_adv));
    if (k >= 73) pool_word(pick(r, &l_adv));
}

static void prep_phrase(rng *r)
{
    pool_word(pick(r, &l_prep));
    pool_word("the");
    noun_phrase(r);
}

static void pool_init(void)
{
    rng r = rng_for(100);
    pool = malloc(POOL_SIZE + 256);
    if (!pool) die("out of memory for", "the text pool");
    pool_len = 0;
    while (pool_len < POOL_SIZE) {
        int k = (int)rng_range(&r, 0, 10);
        noun_phrase(&r);
        if (k < 3) {
            verb_phrase(&r);
        } else if (k < 6) {
            verb_phrase(&r);
            prep_phrase(&r);
        } else if (k < 9) {
            verb_phrase(&r);
            noun_phrase(&r);
        } else {
            prep_phrase(&r);
            verb_phrase(&r);
            if (k == 9) noun_phrase(&r);
            else prep_phrase(&r);
        }
        /* The terminator replaces the space after the last word. */
        const char *t = pick(&r, &l_term);
        pool_len--;
        pool_word(t);
    }
}

/* A random text string of length in [lo, hi], then the separator. */
static char *put_text_f(char *p, rng *r, int lo, int hi)
{
    size_t n = (size_t)rng_range(r, lo, hi);
    size_t off = (size_t)rng_range(r, 0, (int64_t)(POOL_SIZE - n));
    memcpy(p, pool + off, n);
    p[n] = '|';
    return p + n + 1;
}

/* A random v-string of length in [lo, hi] over 64 characters, then the separator. */
static char *put_vstring_f(char *p, rng *r, int lo, int hi)
{
    static const char alnum[65] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, ";
    int n = (int)rng_range(r, lo, hi);
    uint64_t bits = 0;
    for (int i = 0; i < n; i++) {
        if (i % 10 == 0) bits = rng_next(r);
        *p++ = alnum[bits & 63];
        bits >>= 6;
    }
    *p++ = '|';
    return p;
}

/* A phone number: country code nation + 10, then 3, 3 and 4 random digits. */
static char *put_phone_f(char *p, rng *r, int nation)
{
    p = put_uint(p, (uint64_t)(nation + 10));
    *p++ = '-';
    p = put_uint(p, (uint64_t)rng_range(r, 100, 999));
    *p++ = '-';
    p = put_uint(p, (uint64_t)rng_range(r, 100, 999));
    *p++ = '-';
    p = put_uint(p, (uint64_t)rng_range(r, 1000, 9999));
    *p++ = '|';
    return p;
}

/* ---- Tables --------------------------------------------------------------------------------- */

enum { T_PART, T_SUPPLIER, T_PARTSUPP, T_CUSTOMER, T_ORDERS, T_LINEITEM, T_NATION, T_REGION, T_N };
static const char *const table_names[T_N] = {"part",   "supplier", "partsupp", "customer",
                                             "orders", "lineitem", "nation",   "region"};

static int64_t n_part, n_supp, n_cust, n_orders;

static int64_t retail_cents(int64_t pk)
{
    return 90000 + (pk / 10) % 20001 + 100 * (pk % 1000);
}

/* The supplier of part pk in its i-th partsupp row, i in 0..3 (clause 4.2.3). */
static int64_t supp_of(int64_t pk, int64_t i)
{
    return (pk + i * (n_supp / 4 + (pk - 1) / n_supp)) % n_supp + 1;
}

static void gen_part(out *o)
{
    rng r = rng_for(T_PART);
    for (int64_t pk = 1; pk <= n_part; pk++) {
        char *p = out_row(o);
        p = put_int_f(p, pk);
        int c[5];
        for (int i = 0; i < 5; i++) {
            int dup;
            do {
                c[i] = (int)rng_range(&r, 0, 91);
                dup = 0;
                for (int j = 0; j < i; j++) dup |= c[j] == c[i];
            } while (dup);
            if (i) *p++ = ' ';
            p = put_str(p, colors[c[i]]);
        }
        *p++ = '|';
        int m = (int)rng_range(&r, 1, 5);
        p = put_str(p, "Manufacturer#");
        p = put_int_f(p, m);
        p = put_str(p, "Brand#");
        *p++ = (char)('0' + m);
        *p++ = (char)('0' + rng_range(&r, 1, 5));
        *p++ = '|';
        p = put_str(p, type_s1[rng_range(&r, 0, 5)]);
        *p++ = ' ';
        p = put_str(p, type_s2[rng_range(&r, 0, 4)]);
        *p++ = ' ';
        p = put_str(p, type_s3[rng_range(&r, 0, 4)]);
        *p++ = '|';
        p = put_int_f(p, rng_range(&r, 1, 50));
        p = put_str(p, cont_s1[rng_range(&r, 0, 4)]);
        *p++ = ' ';
        p = put_str(p, cont_s2[rng_range(&r, 0, 7)]);
        *p++ = '|';
        p = put_money_f(p, retail_cents(pk));
        p = put_text_f(p, &r, 5, 22);
        *p++ = '\n';
        out_end_row(o, p);
    }
}

/* Writes "Customer", noise, then "Complaints" or "Recommends" over a random part of comment c
 * (n bytes), keeping its length; n is at least 25. */
static void plant_bbb(rng *r, char *c, int n, int complaints)
{
    const char *tail = complaints ? "Complaints" : "Recommends";
    int need = 8 + 10;
    int noise = (int)rng_range(r, 0, n - need);
    int at = (int)rng_range(r, 0, n - need - noise);
    memcpy(c + at, "Customer", 8);
    memcpy(c + at + 8 + noise, tail, 10);
}

static void gen_supplier(out *o)
{
    rng r = rng_for(T_SUPPLIER);
    /* SF*5 rows of each kind, chosen at random (at least one of each when SF > 0). */
    int64_t n_bbb = (n_supp * 5 + 5000) / 10000;
    if (n_bbb < 1) n_bbb = 1;
    if (n_bbb * 2 > n_supp) n_bbb = n_supp / 2;
    signed char *bbb = calloc((size_t)n_supp + 1, 1);
    if (!bbb) die("out of memory for", o->path);
    for (int kind = 1; kind <= 2; kind++) {
        for (int64_t k = 0; k < n_bbb;) {
            int64_t s = rng_range(&r, 1, n_supp);
            if (bbb[s]) continue;
            bbb[s] = (signed char)kind;
            k++;
        }
    }
    for (int64_t sk = 1; sk <= n_supp; sk++) {
        char *p = out_row(o);
        p = put_int_f(p, sk);
        p = put_key9_f(p, "Supplier#", sk);
        p = put_vstring_f(p, &r, 10, 40);
        int nation = (int)rng_range(&r, 0, 24);
        p = put_int_f(p, nation);
        p = put_phone_f(p, &r, nation);
        p = put_money_f(p, rng_range(&r, -99999, 999999));
        char *c = p;
        p = put_text_f(p, &r, 25, 100);
        if (bbb[sk]) plant_bbb(&r, c, (int)(p - 1 - c), bbb[sk] == 1);
        *p++ = '\n';
        out_end_row(o, p);
    }
    free(bbb);
}

static void gen_partsupp(out *o)
{
    rng r = rng_for(T_PARTSUPP);
    for (int64_t pk = 1; pk <= n_part; pk++) {
        for (int i = 0; i < 4; i++) {
            char *p = out_row(o);
            p = put_int_f(p, pk);
            p = put_int_f(p, supp_of(pk, i));
            p = put_int_f(p, rng_range(&r, 1, 9999));
            p = put_money_f(p, rng_range(&r, 100, 100000));
            p = put_text_f(p, &r, 49, 198);
            *p++ = '\n';
            out_end_row(o, p);
        }
    }
}

static void gen_customer(out *o)
{
    rng r = rng_for(T_CUSTOMER);
    for (int64_t ck = 1; ck <= n_cust; ck++) {
        char *p = out_row(o);
        p = put_int_f(p, ck);
        p = put_key9_f(p, "Customer#", ck);
        p = put_vstring_f(p, &r, 10, 40);
        int nation = (int)rng_range(&r, 0, 24);
        p = put_int_f(p, nation);
        p = put_phone_f(p, &r, nation);
        p = put_money_f(p, rng_range(&r, -99999, 999999));
        p = put_str(p, segments[rng_range(&r, 0, 4)]);
        *p++ = '|';
        p = put_text_f(p, &r, 29, 116);
        *p++ = '\n';
        out_end_row(o, p);
    }
}

/* Orders and their lineitems come from one stream; either output may be NULL. */
static void gen_orders(out *oo, out *lo)
{
    rng r = rng_for(T_ORDERS);
    int64_t n_clerk = n_supp / 10 > 0 ? n_supp / 10 : 1; /* SF*1,000 */
    char line[7][ROW_MAX];
    for (int64_t i = 1; i <= n_orders; i++) {
        /* Sparse keys: of each 32 consecutive values only the first 8 are used. */
        int64_t ok = ((i >> 3) << 5) + (i & 7);
        int64_t ck;
        do ck = rng_range(&r, 1, n_cust);
        while (ck % 3 == 0);
        int od = (int)rng_range(&r, 0, end_day - 151);
        int prio = (int)rng_range(&r, 0, 4);
        int64_t clerk = rng_range(&r, 1, n_clerk);
        char ocomment[80];
        char *oc_end = put_text_f(ocomment, &r, 19, 78);
        int nl = (int)rng_range(&r, 1, 7), n_f = 0;
        int64_t total = 0;
        char *lend[7];
        for (int ln = 0; ln < nl; ln++) {
            int64_t pk = rng_range(&r, 1, n_part);
            int64_t sk = supp_of(pk, rng_range(&r, 0, 3));
            int64_t qty = rng_range(&r, 1, 50);
            int64_t disc = rng_range(&r, 0, 10), tax = rng_range(&r, 0, 8);
            int ship = od + (int)rng_range(&r, 1, 121);
            int commit = od + (int)rng_range(&r, 30, 90);
            int receipt = ship + (int)rng_range(&r, 1, 30);
            int64_t ext = qty * retail_cents(pk);
            /* ext * (1 - disc) * (1 + tax), rounded half up to cents. */
            total += (ext * (100 - disc) * (100 + tax) + 5000) / 10000;
            char flag = receipt <= current_day ? (rng_range(&r, 0, 1) ? 'R' : 'A') : 'N';
            char status = ship > current_day ? 'O' : 'F';
            n_f += status == 'F';
            char *p = line[ln];
            p = put_int_f(p, ok);
            p = put_int_f(p, pk);
            p = put_int_f(p, sk);
            p = put_int_f(p, ln + 1);
            p = put_int_f(p, qty);
            p = put_money_f(p, ext);
            p = put_money_f(p, disc);
            p = put_money_f(p, tax);
            *p++ = flag;
            *p++ = '|';
            *p++ = status;
            *p++ = '|';
            p = put_date_f(p, ship);
            p = put_date_f(p, commit);
            p = put_date_f(p, receipt);
            p = put_str(p, instructs[rng_range(&r, 0, 3)]);
            *p++ = '|';
            p = put_str(p, modes[rng_range(&r, 0, 6)]);
            *p++ = '|';
            p = put_text_f(p, &r, 10, 43);
            *p++ = '\n';
            lend[ln] = p;
        }
        if (oo) {
            char *p = out_row(oo);
            p = put_int_f(p, ok);
            p = put_int_f(p, ck);
            *p++ = n_f == nl ? 'F' : n_f == 0 ? 'O' : 'P';
            *p++ = '|';
            p = put_money_f(p, total);
            p = put_date_f(p, od);
            p = put_str(p, priorities[prio]);
            *p++ = '|';
            p = put_key9_f(p, "Clerk#", clerk);
            *p++ = '0';
            *p++ = '|';
            memcpy(p, ocomment, (size_t)(oc_end - ocomment));
            p += oc_end - ocomment;
            *p++ = '\n';
            out_end_row(oo, p);
        }
        if (lo) {
            for (int ln = 0; ln < nl; ln++) {
                char *p = out_row(lo);
                size_t n = (size_t)(lend[ln] - line[ln]);
                memcpy(p, line[ln], n);
                out_end_row(lo, p + n);
            }
        }
    }
}

static void gen_nation(out *o)
{
    rng r = rng_for(T_NATION);
    for (int n = 0; n < 25; n++) {
        char *p = out_row(o);
        p = put_int_f(p, n);
        p = put_str(p, nations[n].name);
        *p++ = '|';
        p = put_int_f(p, nations[n].region);
        p = put_text_f(p, &r, 31, 114);
        *p++ = '\n';
        out_end_row(o, p);
    }
}

static void gen_region(out *o)
{
    rng r = rng_for(T_REGION);
    for (int n = 0; n < 5; n++) {
        char *p = out_row(o);
        p = put_int_f(p, n);
        p = put_str(p, regions[n]);
        *p++ = '|';
        p = put_text_f(p, &r, 31, 115);
        *p++ = '\n';
        out_end_row(o, p);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: tpch_gen -s SF -o DIR [-t TABLE]\n"
                    "  TABLE: part supplier partsupp customer orders lineitem nation region\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "tpch_gen -s SF -o DIR [-t TABLE]\n"
        "Writes the TPC-H tables at scale factor SF as DIR/<table>.tbl (dbgen's format).\n";
    int done = kiln_args_check(argc, argv, usage_text, "-s= -o= -t=");
    if (done >= 0) return done;
    double sf = 0;
    const char *dir = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "-s") == 0) sf = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "-o") == 0) dir = argv[++i];
        else if (strcmp(argv[i], "-t") == 0) only = argv[++i];
        else usage();
    }
    if (!(sf > 0) || sf > 10000 || !dir) usage();
    int want[T_N];
    for (int t = 0; t < T_N; t++) want[t] = !only || strcmp(only, table_names[t]) == 0;
    if (only) {
        int any = 0;
        for (int t = 0; t < T_N; t++) any |= want[t];
        if (!any) usage();
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("cannot create", dir);

    n_part = (int64_t)(sf * 200000 + 0.5);
    n_supp = (int64_t)(sf * 10000 + 0.5);
    n_cust = (int64_t)(sf * 150000 + 0.5);
    n_orders = (int64_t)(sf * 1500000 + 0.5);
    if (n_supp < 4 || n_cust < 3) {
        fprintf(stderr, "tpch_gen: scale factor %g is too small\n", sf);
        return 2;
    }
    dates_init();
    pool_init();

    out o, o2;
    void (*simple[T_N])(out *) = {
        [T_PART] = gen_part,         [T_SUPPLIER] = gen_supplier, [T_PARTSUPP] = gen_partsupp,
        [T_CUSTOMER] = gen_customer, [T_NATION] = gen_nation,     [T_REGION] = gen_region};
    for (int t = 0; t < T_N; t++) {
        if (!want[t] || !simple[t]) continue;
        out_open(&o, dir, table_names[t]);
        simple[t](&o);
        out_close(&o);
    }
    if (want[T_ORDERS] || want[T_LINEITEM]) {
        if (want[T_ORDERS]) out_open(&o, dir, "orders");
        if (want[T_LINEITEM]) out_open(&o2, dir, "lineitem");
        gen_orders(want[T_ORDERS] ? &o : NULL, want[T_LINEITEM] ? &o2 : NULL);
        if (want[T_ORDERS]) out_close(&o);
        if (want[T_LINEITEM]) out_close(&o2);
    }
    free(pool);
    return 0;
}
