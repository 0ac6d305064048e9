/*
 * recognize.c: bw_pii_module, the recogniser of the 31 Bedrock PII types.
 *
 * Speed comes from how little the shared matcher is asked to do. It gets a
 * handful of cheap triggers, each anchored on what is rarest in its value:
 *   - one digit-run trigger, (?:^|\D)\d, that fires once per run of digits
 *     (about 30 times in 4 KB of English); its callback parses the number
 *     token once, with its separators, and classifies it against every
 *     numeric type (card, SSN, ITIN, SIN, routing, account, phone, NHS,
 *     UTR, CA health, passport, PIN, CVV, expiry, age, postal code, IPv4,
 *     IPv6, MAC, IBAN, NINO, VIN, BIC, driver id, licence plate);
 *   - literals: "@" (email), "://" and "www." (URL), the TLDs after a dot
 *     (bare domains), AWS key prefixes, and the few keywords that introduce
 *     a password, a user name, a SWIFT code or an AWS secret.
 * No pattern starts with a character class run or \b, none has an
 * unbounded tail and none asks for start of match: C expands each hit left
 * and right to the exact value, and validators (pii/validate.c) and
 * context words (pii/context.c) decide. A token is analysed once per scan
 * (`done` offsets), nothing is allocated per match.
 *
 * NAME and ADDRESS need capitalisation, which caseless patterns cannot
 * see: they are found by one walk over the view in begin_block (names.c,
 * address.c).
 *
 * Candidates of one block are kept in the scratch, overlaps are resolved
 * (higher score, then bw_pii_priority, then the longer span) and the
 * survivors recorded with bw_eval_add_span() at original offsets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/matcher.h"
#include "filters/sort.h"
#include "pii/context.h"
#include "pii/pii.h"
#include "pii/validate.h"

/* ---- triggers ---- */

enum trig {
    TR_DIGIT,
    TR_AT,
    TR_SCHEME,
    TR_WWW,
    TR_TLD,
    TR_AKID,
    TR_SECRET,
    TR_PASSWORD,
    TR_USERNAME,
    TR_SWIFT,
    TR_MACHEX,
};

/* Keyword triggers: the item carries the index in this table. */
static const struct {
    enum trig t;
    const char *kw;
} kws[] = {
    {TR_PASSWORD, "password"},   {TR_PASSWORD, "passwd"},      {TR_PASSWORD, "pwd"},
    {TR_PASSWORD, "passcode"},   {TR_PASSWORD, "passphrase"},  {TR_PASSWORD, "pass phrase"},
    {TR_PASSWORD, "pass code"},  {TR_USERNAME, "username"},    {TR_USERNAME, "user name"},
    {TR_USERNAME, "user-name"},  {TR_USERNAME, "user id"},     {TR_USERNAME, "userid"},
    {TR_USERNAME, "login"},      {TR_USERNAME, "login id"},
    {TR_USERNAME, "screen name"}, {TR_USERNAME, "screenname"}, {TR_USERNAME, "nickname"},
    {TR_USERNAME, "handle"},     {TR_USERNAME, "gamertag"},    {TR_SWIFT, "swift"},
    {TR_SWIFT, "bic"},           {TR_SECRET, "secret"},
};

#define KW_BASE 64u /* items >= KW_BASE are keyword triggers */

/* Which types each trigger can report. */
static const struct {
    enum trig t;
    int types[12];
} feeds[] = {
    {TR_DIGIT,
     {BW_PII_CREDIT_DEBIT_CARD_NUMBER, BW_PII_US_SOCIAL_SECURITY_NUMBER, BW_PII_PHONE, BW_PII_IP_ADDRESS,
      BW_PII_MAC_ADDRESS, BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, BW_PII_US_BANK_ACCOUNT_NUMBER, BW_PII_PIN,
      BW_PII_AGE, BW_PII_UK_NATIONAL_INSURANCE_NUMBER, BW_PII_VEHICLE_IDENTIFICATION_NUMBER, -1}},
    {TR_DIGIT,
     {BW_PII_CA_HEALTH_NUMBER, BW_PII_CA_SOCIAL_INSURANCE_NUMBER, BW_PII_CREDIT_DEBIT_CARD_CVV,
      BW_PII_CREDIT_DEBIT_CARD_EXPIRY, BW_PII_DRIVER_ID, BW_PII_LICENSE_PLATE, BW_PII_SWIFT_CODE,
      BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER, BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER,
      BW_PII_US_BANK_ROUTING_NUMBER, BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, -1}},
    {TR_DIGIT, {BW_PII_US_PASSPORT_NUMBER, BW_PII_ADDRESS, -1}},
    {TR_AT, {BW_PII_EMAIL, -1}},
    {TR_SCHEME, {BW_PII_URL, -1}},
    {TR_WWW, {BW_PII_URL, -1}},
    {TR_TLD, {BW_PII_URL, -1}},
    {TR_AKID, {BW_PII_AWS_ACCESS_KEY, BW_PII_AWS_SECRET_KEY, -1}},
    {TR_SECRET, {BW_PII_AWS_SECRET_KEY, -1}},
    {TR_PASSWORD, {BW_PII_PASSWORD, -1}},
    {TR_USERNAME, {BW_PII_USERNAME, -1}},
    {TR_SWIFT, {BW_PII_SWIFT_CODE, -1}},
    {TR_MACHEX, {BW_PII_MAC_ADDRESS, -1}},
};

struct pii_state {
    uint8_t on[BW_PII__N];
    uint8_t action[BW_PII__N];
    int names, address; /* run the NAME / ADDRESS walks */
};

/* ---- scratch and candidates ---- */

#define NCAND 256

struct cand {
    uint32_t s, e;
    uint16_t type;
    uint8_t score;
    uint8_t dead;
};

struct pii_scratch {
    size_t done;     /* digit tokens analysed up to here */
    size_t url_done; /* URLs and e-mails found up to here */
    size_t kw_done;  /* keyword values taken up to here */
    uint32_t n;
    /*
     * NCAND candidates from the evaluation's arena, taken at the first
     * block and not zeroed: only c[0..n) is read. Inside the zeroed
     * scratch they were 3 KB of memset per apply() (1.5% of a default one).
     */
    struct cand *c;
    struct bw_pii_ctxm cm; /* the last walk back for context words that found none */
};

struct run {
    const struct pii_state *st;
    struct bw_eval *ev;
    struct pii_scratch *sc;
    const char *v;
    size_t len;
    size_t last_e; /* end of the last candidate emitted */
    size_t ctx_pos;  /* ctx_val holds bw_pii_ctx_before() at ctx_pos, when ctx_ok */
    uint32_t ctx_val;
    int ctx_ok;
};

/*
 * bw_pii_ctx_before(), remembered for the last position asked: the
 * letter-and-digit token checks ask for the same start up to three times
 * (IBAN, passport or driver id, then plate).
 */
static uint32_t ctx_before(struct run *r, size_t pos)
{
    if (!r->ctx_ok || r->ctx_pos != pos) {
        r->ctx_val = bw_pii_ctx_before3(r->v, r->len, pos, NULL, &r->sc->cm);
        r->ctx_pos = pos;
        r->ctx_ok = 1;
    }
    return r->ctx_val;
}

static int flush(struct run *r);

static int emit(struct run *r, int type, size_t s, size_t e, int score)
{
    struct cand *c;
    int rv;

    if (type < 0 || type >= BW_PII__N || !r->st->on[type] || e <= s)
        return 0;
    if (r->sc->n == NCAND && (rv = flush(r)) != 0)
        return rv;
    c = &r->sc->c[r->sc->n++];
    c->s = (uint32_t)s;
    c->e = (uint32_t)e;
    c->type = (uint16_t)type;
    c->score = (uint8_t)score;
    c->dead = 0;
    if (e > r->last_e)
        r->last_e = e;
    return 0;
}

static int emit_cb(void *ctx, int type, size_t from, size_t to, int score)
{
    return emit(ctx, type, from, to, score);
}

/* a beats b? */
static int beats(const struct cand *a, const struct cand *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    if (bw_pii_priority(a->type) != bw_pii_priority(b->type))
        return bw_pii_priority(a->type) > bw_pii_priority(b->type);
    return (a->e - a->s) > (b->e - b->s);
}

static int cmp_cand(const void *x, const void *y)
{
    const struct cand *a = x, *b = y;

    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    return a->e < b->e ? 1 : a->e > b->e ? -1 : 0;
}

static int flush(struct run *r)
{
    struct pii_scratch *sc = r->sc;
    uint32_t i, j;
    int rv;

    if (sc->n > 1) {
        struct cand tmp[NCAND]; /* 3 KB: per block, so not from the evaluation's arena */
        bw_sort_stable(sc->c, sc->n, sizeof(sc->c[0]), cmp_cand, tmp);
    }
    for (i = 0; i < sc->n; i++) {
        if (sc->c[i].dead)
            continue;
        for (j = i + 1; j < sc->n && sc->c[j].s < sc->c[i].e; j++) {
            if (sc->c[j].dead)
                continue;
            if (beats(&sc->c[j], &sc->c[i])) {
                sc->c[i].dead = 1;
                break;
            }
            sc->c[j].dead = 1;
        }
    }
    for (i = 0; i < sc->n; i++) {
        struct bw_finding f;
        const struct cand *c = &sc->c[i];
        if (c->dead)
            continue;
        memset(&f, 0, sizeof(f));
        f.policy = BW_POL_PII;
        f.type = c->type;
        f.action = r->st->action[c->type];
        f.detected = 1;
        f.prio = (uint16_t)bw_pii_priority(c->type);
        f.score = (float)c->score / 100.0f;
        if ((rv = bw_eval_add_span(r->ev, &f, c->s, c->e)) != 0)
            return rv;
    }
    sc->n = 0;
    return 0;
}

/* ---- small text helpers ---- */

static int at(const struct run *r, size_t i)
{
    return i < r->len ? (unsigned char)r->v[i] : 0;
}

static int before(const struct run *r, size_t i)
{
    return i > 0 && i <= r->len ? (unsigned char)r->v[i - 1] : 0;
}

/* Does the text at i start with lit (ASCII, caseless)? */
static int starts_n(const struct run *r, size_t i, const char *lit, size_t n)
{
    return i + n <= r->len && bw_pii_ieq(r->v + i, n, lit);
}
#define starts(r, i, lit) starts_n((r), (i), (lit), sizeof(lit) - 1)

/* ---- numbers ---- */

#define MAXG 12

struct chunk {
    size_t s;     /* span start: the first digit, or a '+' / '(' before it */
    int plus;     /* '+' before the first group */
    int paren;    /* '(' before the first group */
    int ng;
    size_t gs[MAXG], ge[MAXG];
    char sep[MAXG]; /* sep[i]: between group i-1 and i: ' ', '-', '.', '/', 'P' (parenthesis), 'M' (mixed) */
};

/* A window of groups j..k as a compact digit string with its layout. */
struct win {
    int j, k, m;
    char d[32];
    size_t n;
    int gl[MAXG];
    char usep; /* the one separator between all groups, 0 when mixed, 'N' when one group */
    int plus, paren;
    size_t s, e;
    uint32_t *cache; /* [done, ctx, near] shared by the windows that start at the same group */
};

/* Parses the separator at i: returns its length (0 when none) and its kind. */
static size_t parse_sep(const struct run *r, size_t i, char *kind)
{
    size_t k = i, nsp = 0, nother = 0;
    char other = 0;
    int paren = 0;

    while (k < r->len && k - i < 4) {
        char c = r->v[k];
        if (c == ' ')
            nsp++;
        else if (c == '(' || c == ')')
            paren = 1;
        else if (c == '-' || c == '.' || c == '/') {
            nother++;
            other = c;
        } else
            break;
        k++;
    }
    if (k == i || !bw_c_digit((unsigned char)at(r, k)) || nsp > 2 || nother > 1)
        return 0;
    if (paren)
        *kind = 'P';
    else if (nother == 0)
        *kind = nsp == 1 ? ' ' : 'M';
    else
        *kind = (nsp == 0) ? other : (other == '-' ? '-' : 'M');
    if (!paren && nsp > 1 && nother == 0)
        return 0; /* two spaces: two numbers */
    return k - i;
}

/* Inline in on_digit(), its one caller: its call and register saves were a fifth of its cost per number. */
/* nb: the byte at we (0 at the end). */
static inline __attribute__((always_inline)) void parse_chunk(const struct run *r, size_t p, size_t we,
                                                              unsigned char nb, struct chunk *ch)
{
    size_t i;

    ch->plus = ch->paren = 0;
    ch->sep[0] = 0;
    ch->s = p;
    if (before(r, p) == '(') {
        ch->paren = 1;
        ch->s = p - 1;
    } else if (before(r, p) == '+' && !bw_c_alnum((unsigned char)before(r, p - 1))) {
        ch->plus = 1;
        ch->s = p - 1;
    }
    ch->gs[0] = p;
    ch->ge[0] = we;
    ch->ng = 1;
    /* no separator after the group (";" of an entity, ",", "\n"): parse_sep() would find none */
    if (nb != ' ' && nb != '(' && nb != ')' && nb != '-' && nb != '.' && nb != '/')
        return;
    i = we;
    while (ch->ng < MAXG) {
        char kind = 0;
        size_t sl = parse_sep(r, i, &kind), k;
        if (sl == 0)
            break;
        k = i + sl;
        while (k < r->len && bw_c_digit((unsigned char)r->v[k]))
            k++;
        if (bw_c_alpha((unsigned char)at(r, k)) && !(at(r, k) == 'x' && bw_c_digit((unsigned char)at(r, k + 1))))
            break; /* the next group belongs to a word */
        ch->gs[ch->ng] = i + sl;
        ch->ge[ch->ng] = k;
        ch->sep[ch->ng] = kind;
        ch->ng++;
        i = k;
    }
}

static void make_win(const struct run *r, const struct chunk *ch, int j, int k, struct win *w, uint32_t *cache)
{
    int g;

    w->n = 0; /* every other field is set below; d holds n digits */
    w->cache = cache;
    w->j = j;
    w->k = k;
    w->m = k - j + 1;
    w->usep = w->m == 1 ? 'N' : ch->sep[j + 1];
    for (g = j; g <= k; g++) {
        size_t l = ch->ge[g] - ch->gs[g];
        if (w->n + l < sizeof(w->d)) {
            if (l <= 8 && w->n + 8 <= sizeof(w->d) && ch->gs[g] + 8 <= r->len) {
                /* a group is a few digits: one 8-byte copy, the bytes past it overwritten or never read */
                uint64_t x;
                memcpy(&x, r->v + ch->gs[g], 8);
                memcpy(w->d + w->n, &x, 8);
            } else {
                size_t q;
                for (q = 0; q < l; q++)
                    w->d[w->n + q] = r->v[ch->gs[g] + q];
            }
        }
        w->n += l;
        w->gl[g - j] = (int)l;
        if (g > j && ch->sep[g] != w->usep)
            w->usep = 0;
    }
    if (w->usep == 'P' || w->usep == 'M')
        w->usep = 0;
    w->plus = j == 0 && ch->plus;
    w->paren = j == 0 && ch->paren;
    w->s = j == 0 ? ch->s : ch->gs[j];
    w->e = ch->ge[k];
}

/* Context classes before the window, computed once per start group. */
static uint32_t wctx(const struct run *r, struct win *w)
{
    if (!w->cache[0]) {
        w->cache[1] = bw_pii_ctx_before3(r->v, r->len, w->s, &w->cache[2], &r->sc->cm);
        w->cache[0] = 1;
    }
    return w->cache[1];
}

/* "aged 40", "age: 40", "age of 61", "age is 40", "turned 60": the words right before a number. */
static int age_before(const struct run *r, size_t s)
{
    static const char *const one[] = {"aged", "age", "turned", "turn", "turning", "turns"};
    size_t e = s, b, e2, b2, k;
    unsigned char c0;

    while (e > 0 && (r->v[e - 1] == ' ' || r->v[e - 1] == ':'))
        e--;
    /* every word below ends in d, e, f, g, n or s: half the words before a small number stop here */
    c0 = e > 0 ? (unsigned char)(r->v[e - 1] | 0x20) : 0;
    if (c0 < 'a' || c0 > 'z' || !((1u << (c0 - 'a')) & (1u << ('d' - 'a') | 1u << ('e' - 'a') | 1u << ('f' - 'a') |
                                                     1u << ('g' - 'a') | 1u << ('n' - 'a') | 1u << ('s' - 'a'))))
        return 0;
    b = e;
    while (b > 0 && bw_c_alpha((unsigned char)r->v[b - 1]) && e - b < 8)
        b--;
    if (b == e || (b > 0 && bw_c_alnum((unsigned char)r->v[b - 1])))
        return 0;
    /* every word below starts with a, t, o, i or w: most words before a small number stop here */
    c0 = (unsigned char)(r->v[b] | 0x20);
    if (c0 != 'a' && c0 != 't' && c0 != 'o' && c0 != 'i' && c0 != 'w')
        return 0;
    /* each word compared at its own length only: "to 5", "in 2", "with 3" stop after one compare or none */
    switch (e - b) {
    case 2:
        if (!(bw_pii_ieq(r->v + b, 2, "of") || bw_pii_ieq(r->v + b, 2, "is")))
            return 0;
        break;
    case 3:
        if (bw_pii_ieq(r->v + b, 3, "age"))
            return 1;
        if (!bw_pii_ieq(r->v + b, 3, "was"))
            return 0;
        break;
    default:
        for (k = 0; k < BW_NELEMS(one); k++)
            if (bw_pii_ieq(r->v + b, e - b, one[k]))
                return 1;
        return 0;
    }
    e2 = b;
    while (e2 > 0 && r->v[e2 - 1] == ' ')
        e2--;
    b2 = e2;
    while (b2 > 0 && bw_c_alpha((unsigned char)r->v[b2 - 1]) && e2 - b2 < 4)
        b2--;
    return bw_pii_ieq(r->v + b2, e2 - b2, "age");
}

static int layout(const struct win *w, int a, int b, int c)
{
    int want = c ? 3 : b ? 2 : 1;
    return w->m == want && w->gl[0] == a && (want < 2 || w->gl[1] == b) && (want < 3 || w->gl[2] == c);
}

static int num(const char *d, size_t n)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = v * 10 + (d[i] - '0');
    return v;
}

/* Is the window a calendar date (or a time-like dotted triple)? */
static int is_date(const struct win *w)
{
    int a, b, c;

    if (w->m != 3 || (w->usep != '-' && w->usep != '/' && w->usep != '.'))
        return 0;
    if (layout(w, 4, 2, 2) || layout(w, 4, 1, 1) || layout(w, 4, 2, 1) || layout(w, 4, 1, 2)) {
        b = num(w->d + 4, (size_t)w->gl[1]);
        c = num(w->d + 4 + w->gl[1], (size_t)w->gl[2]);
        return b >= 1 && b <= 12 && c >= 1 && c <= 31;
    }
    if (w->gl[0] <= 2 && w->gl[1] <= 2 && (w->gl[2] == 2 || w->gl[2] == 4)) {
        a = num(w->d, (size_t)w->gl[0]);
        b = num(w->d + w->gl[0], (size_t)w->gl[1]);
        return a >= 1 && b >= 1 && ((a <= 12 && b <= 31) || (a <= 31 && b <= 12));
    }
    return 0;
}

/* Month name ending right before pos (skipping one space or '/')? Returns its start or SIZE_MAX. */
static size_t month_before(const struct run *r, size_t pos)
{
    static const char *const mon[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct",
                                      "nov", "dec", "january", "february", "march", "april", "june", "july",
                                      "august", "september", "october", "november", "december"};
    size_t e = pos, s;
    size_t i;

    if (e > 0 && (r->v[e - 1] == ' ' || r->v[e - 1] == '/' || r->v[e - 1] == '-'))
        e--;
    if (e > 0 && r->v[e - 1] == '.')
        e--;
    s = e;
    while (s > 0 && bw_c_alpha((unsigned char)r->v[s - 1]) && e - s < 10)
        s--;
    if (s == e || (s > 0 && bw_c_alnum((unsigned char)r->v[s - 1])))
        return SIZE_MAX;
    for (i = 0; i < BW_NELEMS(mon); i++)
        if (bw_pii_ieq(r->v + s, e - s, mon[i]))
            return s;
    return SIZE_MAX;
}

/* Age units right after a number: "years old", "-year-old", "y/o", "yo", "yrs". Returns the unit's end or 0. */
static size_t age_after(const struct run *r, size_t e, int *strong)
{
    size_t i = e;
    static const char *const units[] = {"years", "year", "yrs", "yr"};
    static const size_t ulen[] = {5, 4, 3, 2};
    size_t k;

    *strong = 0;
    if (at(r, i) == ' ' || at(r, i) == '-')
        i++;
    if ((at(r, i) | 0x20) != 'y') /* every unit starts with y: most numbers stop here */
        return 0;
    if (starts(r, i, "y/o") || (starts(r, i, "yo") && !bw_c_alnum((unsigned char)at(r, i + 2))) ||
        (starts(r, i, "y.o.") )) {
        *strong = 1;
        return i + (at(r, i + 1) == '/' ? 3 : at(r, i + 1) == '.' ? 4 : 2);
    }
    for (k = 0; k < BW_NELEMS(units); k++) {
        size_t n = ulen[k], j;
        if (!starts_n(r, i, units[k], n) || bw_c_alpha((unsigned char)at(r, i + n)))
            continue;
        j = i + n;
        if (at(r, j) == ' ' || at(r, j) == '-')
            j++;
        if (starts(r, j, "old") && !bw_c_alpha((unsigned char)at(r, j + 3))) {
            *strong = 1;
            return i + n;
        }
        if (starts(r, j, "of age")) {
            *strong = 1;
            return i + n;
        }
        return 0;
    }
    return 0;
}

/* Phone extension ("x459", " ext. 12") after e; returns the new end. */
static size_t phone_ext(const struct run *r, size_t e)
{
    size_t i = e, k;

    if (at(r, i) == 'x' || at(r, i) == 'X')
        i++;
    else if (at(r, i) == ' ' && (starts(r, i + 1, "ext") || starts(r, i + 1, "x"))) {
        i += starts(r, i + 1, "ext") ? 4 : 2;
        if (at(r, i) == '.')
            i++;
        if (at(r, i) == ' ')
            i++;
    } else
        return e;
    k = i;
    while (k < r->len && bw_c_digit((unsigned char)r->v[k]) && k - i < 6)
        k++;
    if (k == i || bw_c_alnum((unsigned char)at(r, k)))
        return e;
    return k;
}

/* Phone score for a window (0: not a phone). */
static int phone_score(const struct run *r, struct win *w, const struct chunk *ch)
{
    size_t n = w->n;
    int g, shortg = 0;
    uint32_t after;

    if (n < 7 || n > 15)
        return 0;
    for (g = 0; g < w->m; g++)
        if (w->gl[g] < 2) {
            int gi = w->j + g;
            /* a one-digit group is a country code after '+', or a trunk "(0)" */
            if (!((g == 0 && w->plus) || (ch->sep[gi] == 'P' && gi + 1 < ch->ng && ch->sep[gi + 1] == 'P')))
                shortg++;
        }
    if (shortg > (w->plus ? 1 : 0))
        return 0;
    if (w->plus)
        return n >= 8 ? 75 : 0;
    /* the SSN layout, when it failed as an SSN, is no phone either */
    if (layout(w, 3, 2, 4) && !(wctx(r, w) & BW_CTX_PHONE))
        return 0;
    if (w->n >= 11 && w->d[0] == '0' && w->d[1] == '0' && w->m >= 2)
        return 70;
    if ((n == 10 || (n == 11 && w->d[0] == '1')) &&
        (layout(w, 3, 3, 4) || (w->m == 4 && n == 11 && w->gl[0] == 1 && w->gl[1] == 3)) &&
        (w->usep == '-' || w->usep == '.' || w->usep == ' ') && bw_pii_nanp_valid(w->d + (n - 10), 10))
        return 70;
    if (n == 10 && w->paren && w->m == 3 && w->gl[0] == 3 && bw_pii_nanp_valid(w->d, 10))
        return 70;
    after = bw_pii_ctx_after(r->v, r->len, w->e, 1);
    if (w->m == 1) {
        if ((wctx(r, w) & BW_CTX_PHONE) || (after & BW_CTX_PHONE))
            return n >= 8 || w->d[0] != '0' ? 55 : 0;
        return 0;
    }
    if (w->d[0] == '0' && n >= 9 && w->usep)
        return 65;
    /* "(64) 3591-3246", "(37) 788-063": an area code in parentheses, closed right after it */
    if (w->paren && w->gl[0] >= 2 && w->gl[0] <= 4 && at(r, ch->ge[w->j]) == ')' && n >= 8)
        return 60;
    if (w->paren || w->usep == 0) {
        /* other bracketed or mixed layouts ("(1946-1952) 2", sums) only with a phone word */
        if ((wctx(r, w) & BW_CTX_PHONE) && !w->paren)
            return 55;
        return 0;
    }
    if ((wctx(r, w) & BW_CTX_PHONE) || (after & BW_CTX_PHONE))
        return 55;
    return 0;
}

/*
 * A number of one group and at most 6 digits: age, PIN, CVV, postal code,
 * "Jan 2027". Returns as classify() does; -2 when nothing here took it
 * (classify() then goes on to its last test, which needs two groups).
 */
static int classify_short(struct run *r, struct win *w)
{
    size_t n = w->n;
    uint32_t ctx;
    int strong = 0;
    size_t ue;

    /* age: "40 years old", "35-year-old", "31 y/o", "aged 40", "turned 60", "age of 61" */
    if (n <= 3) {
        int v = num(w->d, n);
        if (v <= 125 && v >= 1) {
            ue = age_after(r, w->e, &strong);
            if (strong)
                return emit(r, BW_PII_AGE, w->s, ue, 70) ? -1 : 1;
            /* age_before() needs a word, or a space or colon after one, right before: "\n1." stops here */
            unsigned char pb = (unsigned char)before(r, w->s);
            if ((pb == ' ' || pb == ':' || bw_c_alpha(pb)) && age_before(r, w->s) &&
                !bw_c_alnum((unsigned char)at(r, w->e)) && at(r, w->e) != '%' &&
                !(at(r, w->e) == '.' && bw_c_digit((unsigned char)at(r, w->e + 1))))
                return emit(r, BW_PII_AGE, w->s, w->e, 60) ? -1 : 1;
        }
        if (n < 3)
            return 0; /* nothing else is this short */
    }
    ctx = wctx(r, w);
    if (n >= 4 && (ctx & BW_CTX_PIN))
        return emit(r, BW_PII_PIN, w->s, w->e, 60) ? -1 : 1;
    if (n >= 3 && n <= 4 && (ctx & BW_CTX_CVV))
        return emit(r, BW_PII_CREDIT_DEBIT_CARD_CVV, w->s, w->e, 60) ? -1 : 1;
    if (n >= 3 && (ctx & BW_CTX_ZIP))
        return emit(r, BW_PII_ADDRESS, w->s, w->e, 50) ? -1 : 1;
    /* "Jan 2027", "January/2027" */
    if (n == 4 && (ctx & BW_CTX_EXPIRY)) {
        size_t ms = month_before(r, w->s);
        int y = num(w->d, 4);
        if (ms != SIZE_MAX && y >= 1990 && y <= 2099)
            return emit(r, BW_PII_CREDIT_DEBIT_CARD_EXPIRY, ms, w->e, 70) ? -1 : 1;
    }
    return -2;
}

/* Classifies one window; emits and returns 1 when it is PII, 2 when it is consumed (a date), 0 otherwise. */
static int classify(struct run *r, const struct chunk *ch, struct win *w)
{
    size_t n = w->n;
    uint32_t ctx;
    int sc;

    /*
     * One group of at most 5 digits (most numbers of a text: list items,
     * small counts, HTML entities) fails every test up to the short ones:
     * no date, expiry, card or 6-digit and longer type takes it.
     */
    if (w->m == 1 && n <= 5)
        return (sc = classify_short(r, w)) == -2 ? 0 : sc;
    if (n >= sizeof(w->d))
        return 0;
    if (w->m == 3 && is_date(w)) /* is_date() needs three groups: no call for the others */
        return 2;
    /* MM/YY, MM/YYYY, MM-YY card expiry */
    if (w->m == 2 && (w->usep == '/' || w->usep == '-') && w->gl[0] <= 2 && (w->gl[1] == 2 || w->gl[1] == 4)) {
        int mm = num(w->d, (size_t)w->gl[0]);
        if (mm >= 1 && mm <= 12 && (wctx(r, w) & BW_CTX_EXPIRY))
            return emit(r, BW_PII_CREDIT_DEBIT_CARD_EXPIRY, w->s, w->e, 70) ? -1 : 1;
        if (w->usep == '/')
            return 2;
    }
    /* card */
    if (n >= 12 && n <= 19 && !w->plus && !w->paren &&
        (w->m == 1 || ((w->usep == ' ' || w->usep == '-') && w->gl[0] >= 4)) && bw_pii_card_valid(w->d, n)) {
        int iin = (w->d[0] >= '3' && w->d[0] <= '6') || (w->d[0] == '2' && w->d[1] >= '2' && w->d[1] <= '7') ||
                  (w->d[0] == '1' && n >= 15);
        if ((iin && n >= 13) || (wctx(r, w) & BW_CTX_CARD))
            return emit(r, BW_PII_CREDIT_DEBIT_CARD_NUMBER, w->s, w->e, 100) ? -1 : 1;
    }
    ctx = 0;
    if (n == 9) {
        int strong = layout(w, 3, 2, 4) && (w->usep == '-' || w->usep == ' ' || w->usep == '.');
        int weak = w->m == 1 || ((layout(w, 3, 6, 0) || layout(w, 5, 4, 0)) && w->usep == '-');
        ctx = wctx(r, w);
        if (w->d[0] == '9' && (strong || weak) && bw_pii_itin_valid(w->d, 9) && (strong || (ctx & BW_CTX_ITIN)))
            return emit(r, BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, w->s, w->e, 90) ? -1 : 1;
        if ((strong || weak) && bw_pii_ssn_valid(w->d, 9) && (strong || (ctx & BW_CTX_SSN)))
            return emit(r, BW_PII_US_SOCIAL_SECURITY_NUMBER, w->s, w->e, 90) ? -1 : 1;
        if ((w->m == 1 || (layout(w, 3, 3, 3) && (w->usep == ' ' || w->usep == '-'))) && bw_pii_sin_valid(w->d, 9) &&
            ((ctx & BW_CTX_SIN) || (w->m == 3 && w->usep == '-' && !(ctx & BW_CTX_PHONE))))
            return emit(r, BW_PII_CA_SOCIAL_INSURANCE_NUMBER, w->s, w->e, 90) ? -1 : 1;
        if (w->m == 1 && (ctx & BW_CTX_PASSPORT))
            return emit(r, BW_PII_US_PASSPORT_NUMBER, w->s, w->e, 70) ? -1 : 1;
        if ((w->m == 1 || (layout(w, 4, 4, 1) && w->usep == '-')) && bw_pii_aba_valid(w->d, 9) &&
            ((ctx & BW_CTX_ROUTING) || w->m == 3 ||
             !(ctx & (BW_CTX_PHONE | BW_CTX_ACCOUNT | BW_CTX_DRIVER | BW_CTX_DATE | BW_CTX_ZIP))))
            return emit(r, BW_PII_US_BANK_ROUTING_NUMBER, w->s, w->e, (ctx & BW_CTX_ROUTING) ? 85 : 65) ? -1 : 1;
    }
    if (n == 10) {
        ctx = wctx(r, w);
        if ((ctx & BW_CTX_UTR) && (w->m == 1 || layout(w, 5, 5, 0)))
            return emit(r, BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, w->s, w->e, 75) ? -1 : 1;
        if ((w->m == 1 || layout(w, 3, 3, 4)) && bw_pii_nhs_valid(w->d, 10) &&
            ((ctx & BW_CTX_NHS) && !(ctx & BW_CTX_PHONE)))
            return emit(r, BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER, w->s, w->e, 80) ? -1 : 1;
        if ((ctx & BW_CTX_HEALTH) && !(ctx & BW_CTX_PHONE) && (w->m == 1 || layout(w, 4, 3, 3)))
            return emit(r, BW_PII_CA_HEALTH_NUMBER, w->s, w->e, 70) ? -1 : 1;
    }
    if (n >= 8 && n <= 17 && (w->m == 1 || w->usep == '-' || w->usep == ' ')) {
        ctx = wctx(r, w);
        if ((ctx & BW_CTX_ACCOUNT) && !(ctx & (BW_CTX_PHONE | BW_CTX_CARD | BW_CTX_ROUTING)))
            return emit(r, BW_PII_US_BANK_ACCOUNT_NUMBER, w->s, w->e, 60) ? -1 : 1;
    }
    if (n >= 6 && n <= 15 && (w->m == 1 || w->usep)) {
        ctx = wctx(r, w);
        if ((ctx & BW_CTX_DRIVER) && !(ctx & BW_CTX_PHONE))
            return emit(r, BW_PII_DRIVER_ID, w->s, w->e, 60) ? -1 : 1;
    }
    if (n >= 7 && n <= 15 && (sc = phone_score(r, w, ch)) > 0) { /* phone_score()'s own first test, without the call */
        size_t e = phone_ext(r, w->e);
        if (!(wctx(r, w) & BW_CTX_DATE) || w->plus || sc >= 70)
            return emit(r, BW_PII_PHONE, w->s, e, sc) ? -1 : 1;
    }
    if (n == 10 && (w->m == 1 || layout(w, 3, 3, 4)) && bw_pii_nhs_valid(w->d, 10) &&
        !bw_pii_nanp_valid(w->d, 10) && !(wctx(r, w) & BW_CTX_PHONE))
        return emit(r, BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER, w->s, w->e, 60) ? -1 : 1;
    if (w->m == 1 && n <= 6 && (sc = classify_short(r, w)) != -2)
        return sc;
    if (w->m == 2 && w->usep == '-' && w->gl[0] == 5 && w->gl[1] == 4 && (wctx(r, w) & BW_CTX_ZIP))
        return emit(r, BW_PII_ADDRESS, w->s, w->e, 50) ? -1 : 1;
    return 0;
}

/* ---- IP, MAC ---- */

static int hexc(unsigned char c)
{
    return bw_c_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* IPv6 and colon MACs around p: returns the end of what was found, 0 if nothing. */
static size_t try_colon(struct run *r, size_t p)
{
    size_t s = p, e = p, colons = 0, k;
    int rv;

    while (s > 0 && (hexc((unsigned char)r->v[s - 1]) || r->v[s - 1] == ':') && p - s < 45)
        s--;
    while (e < r->len && (hexc((unsigned char)r->v[e]) || r->v[e] == ':' || r->v[e] == '.') && e - s < 60)
        e++;
    for (k = s; k < e; k++)
        colons += r->v[k] == ':';
    if (colons < 2)
        return 0;
    /* trim what cannot end an address */
    while (e > s && (r->v[e - 1] == '.' || (r->v[e - 1] == ':' && !(e - s >= 2 && r->v[e - 2] == ':'))))
        e--;
    while (s < e && r->v[s] == ':' && !(s + 1 < e && r->v[s + 1] == ':'))
        s++;
    if (bw_c_alnum((unsigned char)before(r, s)) || bw_c_alnum((unsigned char)at(r, e)))
        return 0;
    if (e - s == 17 && bw_pii_mac_valid(r->v + s, 17)) {
        rv = emit(r, BW_PII_MAC_ADDRESS, s, e, 95);
        return rv ? 0 : e;
    }
    if (bw_pii_ipv6_valid(r->v + s, e - s)) {
        /* "12:30:45" is a time, not "::"-less IPv6: inet_pton refuses it anyway */
        size_t z = e;
        if (at(r, z) == '%' && bw_c_alnum((unsigned char)at(r, z + 1))) { /* zone: "fe80::1%eth0" */
            z++;
            while (z < r->len && bw_c_alnum((unsigned char)r->v[z]) && z - e < 16)
                z++;
            e = z;
        } else if (at(r, z) == '/' && bw_c_digit((unsigned char)at(r, z + 1))) { /* prefix: "2001:db8::/32" */
            z++;
            while (z < r->len && bw_c_digit((unsigned char)r->v[z]) && z - e < 4)
                z++;
            if (!bw_c_alnum((unsigned char)at(r, z)))
                e = z;
        }
        rv = emit(r, BW_PII_IP_ADDRESS, s, e, 95);
        return rv ? 0 : e;
    }
    return 0;
}

/* Dash and dot MACs ("00-1A-2B-3C-4D-5E", "0012.3456.789a") starting at s. */
static size_t try_mac(struct run *r, size_t s)
{
    size_t e = s;

    if (bw_c_alnum((unsigned char)before(r, s)))
        return 0;
    while (e < r->len && (hexc((unsigned char)r->v[e]) || r->v[e] == '-' || r->v[e] == '.') && e - s < 18)
        e++;
    if (e - s >= 17 && bw_pii_mac_valid(r->v + s, 17) && !bw_c_alnum((unsigned char)at(r, s + 17)) &&
        at(r, s + 17) != '-')
        return emit(r, BW_PII_MAC_ADDRESS, s, s + 17, 95) ? 0 : s + 17;
    if (e - s >= 14 && bw_pii_mac_valid(r->v + s, 14) && !bw_c_alnum((unsigned char)at(r, s + 14))) {
        size_t k;
        int letters = 0;
        for (k = s; k < s + 14; k++)
            letters += bw_c_alpha((unsigned char)r->v[k]);
        if (letters || (ctx_before(r, s) & BW_CTX_MAC))
            return emit(r, BW_PII_MAC_ADDRESS, s, s + 14, 90) ? 0 : s + 14;
    }
    return 0;
}

static size_t try_ipv4(struct run *r, size_t p)
{
    size_t e = p;
    int dots = 0;

    if (before(r, p) == '.' || bw_c_alnum((unsigned char)before(r, p)))
        return 0;
    while (e < r->len && (bw_c_digit((unsigned char)r->v[e]) || r->v[e] == '.') && e - p < 16) {
        if (r->v[e] == '.')
            dots++;
        e++;
    }
    if (dots < 3)
        return 0;
    /* "1.2.3.4.5" is a version, "1.2.3.4." ends a sentence */
    if (e > p && r->v[e - 1] == '.')
        e--;
    if (bw_c_alnum((unsigned char)at(r, e)) || (at(r, e) == '.' && bw_c_digit((unsigned char)at(r, e + 1))))
        return 0;
    if (!bw_pii_ipv4_valid(r->v + p, e - p))
        return 0;
    /* CIDR suffix belongs to the address */
    if (at(r, e) == '/' && bw_c_digit((unsigned char)at(r, e + 1))) {
        size_t k = e + 1;
        while (k < r->len && bw_c_digit((unsigned char)r->v[k]) && k - e < 3)
            k++;
        if (!bw_c_alnum((unsigned char)at(r, k)))
            e = k;
    }
    return emit(r, BW_PII_IP_ADDRESS, p, e, 95) ? 0 : e;
}

/* ---- alphanumeric tokens ---- */

/*
 * IBAN at s (2 letters + 2 digits), compact or in groups of 4; relaxed
 * (after the word "IBAN"): any single space or dash between characters,
 * as national formats print them ("NO 02 1503 7577 003").
 */
static size_t try_iban(struct run *r, size_t s, int relaxed)
{
    char buf[40];
    size_t i = s, n = 0, L, grp = 0, k;
    size_t ends[40];
    int up = 0, low = 0;

    if (!bw_c_alpha((unsigned char)at(r, s)) || !bw_c_alpha((unsigned char)at(r, s + 1)))
        return 0;
    /* written compact or in groups of 4, the check digits are the next two bytes: no registry search without them */
    if (!relaxed && !(bw_c_digit((unsigned char)at(r, s + 2)) && bw_c_digit((unsigned char)at(r, s + 3))))
        return 0;
    if ((L = (size_t)bw_pii_iban_length(r->v + s)) == 0)
        return 0;
    while (i < r->len && n < L) {
        unsigned char c = (unsigned char)r->v[i];
        if (bw_c_alnum(c)) {
            buf[n] = (char)c;
            ends[n++] = i + 1;
            grp++;
            i++;
        } else if ((c == ' ' || c == '-') && (grp == 4 || relaxed) && bw_c_alnum((unsigned char)at(r, i + 1))) {
            grp = 0;
            i++;
        } else
            break;
    }
    if (n != L || bw_c_alnum((unsigned char)at(r, ends[L - 1])) || !bw_c_digit((unsigned char)buf[2]) ||
        !bw_c_digit((unsigned char)buf[3]))
        return 0;
    /* one case throughout: "LV80 bANK ..." is no IBAN as written */
    for (k = 0; k < L; k++) {
        up |= bw_c_upper((unsigned char)buf[k]);
        low |= bw_c_lower((unsigned char)buf[k]);
    }
    if ((up && low) || !bw_pii_iban_valid(buf, L))
        return 0;
    return emit(r, BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, s, ends[L - 1], 100) ? 0 : ends[L - 1];
}

/* NINO at s: "AB123456C", "AB 12 34 56 C", "PR 123612C". */
static size_t try_nino(struct run *r, size_t s)
{
    char buf[9];
    size_t i = s, n = 0;

    if (bw_c_alnum((unsigned char)before(r, s)))
        return 0;
    while (i < r->len && n < 9) {
        unsigned char c = (unsigned char)r->v[i];
        if (bw_c_alnum(c)) {
            if ((n < 2 || n == 8) ? !bw_c_alpha(c) : !bw_c_digit(c))
                return 0;
            buf[n++] = (char)c;
            i++;
        } else if (c == ' ' && (n == 2 || n == 4 || n == 6 || n == 8) && bw_c_alnum((unsigned char)at(r, i + 1))) {
            i++;
        } else
            break;
    }
    if (n != 9 || bw_c_alnum((unsigned char)at(r, i)) || !bw_pii_nino_valid(buf, 9))
        return 0;
    return emit(r, BW_PII_UK_NATIONAL_INSURANCE_NUMBER, s, i, 90) ? 0 : i;
}

/* An alphanumeric token [s, e) holding letters and digits. */
static size_t alnum_token(struct run *r, size_t s, size_t e)
{
    size_t n = e - s, k, res;
    int letters = 0, digits = 0, upper = 1;
    uint32_t ctx;

    if ((res = try_iban(r, s, 0)) || (res = try_nino(r, s)))
        return res;
    /* try_iban()'s own first tests (two letters, a registry country) before the context words */
    if (at(r, s + 2) != ' ' && bw_c_alpha((unsigned char)at(r, s)) && bw_c_alpha((unsigned char)at(r, s + 1)) &&
        bw_pii_iban_length(r->v + s) && (ctx_before(r, s) & BW_CTX_IBAN) && (res = try_iban(r, s, 1)))
        return res;
    for (k = s; k < e; k++) {
        unsigned char c = (unsigned char)r->v[k];
        if (bw_c_digit(c))
            digits++;
        else {
            letters++;
            if (bw_c_lower(c))
                upper = 0;
        }
    }
    if (n == 17 && bw_pii_vin_shape(r->v + s, n)) {
        if (bw_pii_vin_valid(r->v + s, n) || (ctx_before(r, s) & BW_CTX_VIN))
            return emit(r, BW_PII_VEHICLE_IDENTIFICATION_NUMBER, s, e, 90) ? 0 : e;
    }
    if ((n == 8 || n == 11) && upper && bw_pii_bic_valid(r->v + s, n) && digits)
        return emit(r, BW_PII_SWIFT_CODE, s, e, 85) ? 0 : e;
    if (n < 5 || n > 20 || bw_c_alnum((unsigned char)at(r, e)))
        return 0;
    /* every type below needs four digits or a short all-capital token: else no context words are read */
    if (digits < 4 && !(upper && n <= 8))
        return 0;
    ctx = ctx_before(r, s);
    if (n == 9 && bw_c_alpha((unsigned char)r->v[s]) && digits == 8 && (ctx & BW_CTX_PASSPORT))
        return emit(r, BW_PII_US_PASSPORT_NUMBER, s, e, 70) ? 0 : e;
    if ((ctx & BW_CTX_PASSPORT) && n >= 6 && n <= 9 && digits >= 5)
        return emit(r, BW_PII_US_PASSPORT_NUMBER, s, e, 60) ? 0 : e;
    if ((ctx & BW_CTX_DRIVER) && digits >= 4 && !(ctx & BW_CTX_PLATE && n <= 8 && upper && letters >= 2))
        return emit(r, BW_PII_DRIVER_ID, s, e, 60) ? 0 : e;
    if ((ctx & BW_CTX_PLATE) && upper && n >= 5 && n <= 8)
        return emit(r, BW_PII_LICENSE_PLATE, s, e, 60) ? 0 : e;
    return 0;
}

/* A licence plate written in two parts ("AB12 CDE", "ABC-1234", "7ABC 123"). */
static size_t try_plate2(struct run *r, size_t s)
{
    size_t a = s, b, c, n;
    int upper = 1;

    while (a < r->len && bw_c_alnum((unsigned char)r->v[a]))
        a++;
    if (at(r, a) != ' ' && at(r, a) != '-')
        return 0;
    b = a + 1;
    c = b;
    while (c < r->len && bw_c_alnum((unsigned char)r->v[c]))
        c++;
    n = (a - s) + (c - b);
    if (c == b || n < 5 || n > 8 || bw_c_alnum((unsigned char)at(r, c)))
        return 0;
    for (a = s; a < c; a++)
        if (bw_c_lower((unsigned char)r->v[a]))
            upper = 0;
    if (!upper || !(ctx_before(r, s) & BW_CTX_PLATE))
        return 0;
    return emit(r, BW_PII_LICENSE_PLATE, s, c, 60) ? 0 : c;
}

#define ALNUM (BW_CT_UPPER | BW_CT_LOWER | BW_CT_DIGIT)

static int on_digit(struct run *r, size_t to)
{
    struct pii_scratch *sc = r->sc;
    size_t p = to - 1, ws, we, res;
    unsigned char ct, ct_before = 0, ct_tok, nb, pb;
    struct chunk ch;
    uint32_t cache[MAXG][3];
    int j, k;

    if (p >= r->len || !bw_c_digit((unsigned char)r->v[p]))
        return 0;
    if (p < sc->done)
        return 0;
    /* the token's extent, and whether it holds letters (its byte classes, or-ed) */
    ws = p;
    while (ws > 0 && ((ct = bw_pii_ctype[(unsigned char)r->v[ws - 1]]) & ALNUM) && p - ws < 40) {
        ws--;
        ct_before |= ct;
    }
    we = p + 1; /* v[p] is a digit */
    ct_tok = BW_CT_DIGIT;
    while (we < r->len && ((ct = bw_pii_ctype[(unsigned char)r->v[we]]) & ALNUM) && we - p < 64) {
        we++;
        ct_tok |= ct;
    }
    if (ws < sc->done)
        ws = p; /* the letters before were a finding's tail */
    else
        ct_tok |= ct_before;
    /* the bytes after and before the token, read once for the tests below */
    nb = (unsigned char)at(r, we);
    pb = (unsigned char)before(r, ws);
    /* a house number: "221 Baker Street", "6750 Koskikatu 25" (reported beside what the number itself is) */
    if (nb == ' ' && ws == p && r->st->address) {
        unsigned char c1 = (unsigned char)at(r, we + 1);
        if (bw_c_upper(c1) || bw_c_digit(c1) || c1 >= 0xc3 || c1 == 'u') {
            int hit = 0, rv = 0;
            bw_pii_address_at(r->v, r->len, p, emit_cb, r, &hit, &rv);
            if (rv)
                return rv;
        }
    }
    /* hex with colons: IPv6, MAC */
    if (nb == ':' || pb == ':') {
        if ((res = try_colon(r, p)) != 0) {
            sc->done = res;
            return 0;
        }
    }
    if (at(r, ws + 2) == '-' || at(r, ws + 4) == '.') {
        if ((res = try_mac(r, ws)) != 0) {
            sc->done = res;
            return 0;
        }
    }
    if (ws == p) {
        /* an address needs a digit after its first dot: "1." opening a list item stops here */
        if (nb == '.' && bw_c_digit((unsigned char)at(r, we + 1)) && (res = try_ipv4(r, p)) != 0) {
            sc->done = res;
            return 0;
        }
        /* the three tests below need a space or a dash before the number: most numbers stop here */
        if ((pb == ' ' || pb == '-') && p >= 3) {
            /* "NO 02 1503 7577 003" after the word IBAN: country letters before a space */
            if (pb == ' ' && bw_c_upper((unsigned char)r->v[p - 2]) && bw_c_upper((unsigned char)r->v[p - 3]) &&
                !bw_c_alnum((unsigned char)before(r, p - 3)) && (ctx_before(r, p - 3) & BW_CTX_IBAN) &&
                (res = try_iban(r, p - 3, 1)) != 0) {
                sc->done = res;
                return 0;
            }
            /* "ABC-1234", "AB12 CDE" after a plate word: letters, a dash or a space, then this number */
            if (bw_c_upper((unsigned char)r->v[p - 2]) && r->st->on[BW_PII_LICENSE_PLATE]) {
                size_t ls = p - 1;
                while (ls > 0 && bw_c_alnum((unsigned char)r->v[ls - 1]) && p - ls < 10)
                    ls--;
                if (ls >= sc->done && (res = try_plate2(r, ls)) != 0) {
                    sc->done = res;
                    return 0;
                }
            }
            /* "AB 12 34 56 C", "PR 123612C": letters before a space */
            if (pb == ' ' && bw_c_alpha((unsigned char)r->v[p - 2]) && bw_c_alpha((unsigned char)r->v[p - 3]) &&
                !bw_c_alnum((unsigned char)before(r, p - 3)) && (res = try_nino(r, p - 3)) != 0) {
                sc->done = res;
                return 0;
            }
        }
    }
    if (ct_tok & (BW_CT_UPPER | BW_CT_LOWER)) {
        if ((res = alnum_token(r, ws, we)) == 0)
            res = try_plate2(r, ws);
        sc->done = res ? res : we;
        return 0;
    }
    parse_chunk(r, p, we, nb, &ch);
    if (ch.ng == 1) {
        /* one group (14,857 of 15,744 chunks on 2 MB of the corpus): its one window, without make_win()'s loop */
        struct win w;
        size_t l = we - p;
        w.cache = cache[0];
        cache[0][0] = 0;
        w.j = w.k = 0;
        w.m = 1;
        w.usep = 'N';
        w.n = l;
        w.gl[0] = (int)l;
        if (l <= 8 && p + 8 <= r->len)
            memcpy(w.d, r->v + p, 8); /* the bytes past the group are never read */
        else if (l < sizeof(w.d))
            memcpy(w.d, r->v + p, l);
        w.plus = ch.plus;
        w.paren = ch.paren;
        w.s = ch.s;
        w.e = we;
        /* classify() would send a group of at most 5 digits to classify_short() at once */
        if ((l <= 5 ? classify_short(r, &w) : classify(r, &ch, &w)) == -1)
            return BW_ENOMEM;
        sc->done = BW_MAX(sc->done, BW_MAX(we, r->last_e));
        return 0;
    }
    for (j = 0; j < ch.ng; j++)
        cache[j][0] = 0; /* "not computed": the other two are written with it */
    j = 0;
    while (j < ch.ng) {
        int got = 0;
        for (k = ch.ng - 1; k >= j; k--) {
            struct win w;
            int c;
            make_win(r, &ch, j, k, &w, cache[j]);
            if ((c = classify(r, &ch, &w)) < 0)
                return BW_ENOMEM;
            if (c) {
                got = 1;
                j = k + 1;
                break;
            }
        }
        if (!got)
            j++;
    }
    /* a chunk cut at MAXG groups: its last groups are parsed again from their own trigger */
    sc->done = BW_MAX(sc->done, BW_MAX(ch.ng == MAXG ? ch.ge[MAXG / 2 - 1] : ch.ge[ch.ng - 1], r->last_e));
    return 0;
}

/* ---- e-mail and URL ---- */

static int hostc(unsigned char c)
{
    return bw_c_alnum(c) || c == '-' || c == '.';
}

/*
 * Validates a host name [s, e): labels of 1..63 [A-Za-z0-9-] not starting
 * or ending with '-', at least two, the last one a known TLD. bare: the
 * stricter rules of a domain written without scheme or "www.". Returns the
 * end of the valid host (trailing dots dropped) or 0.
 */
static size_t host_ok(const struct run *r, size_t s, size_t e, int bare)
{
    size_t i, ls = s, nlab = 0, tld_s = s, sld_s = s, sld_e = s;
    unsigned f;
    int alpha_tld = 1;

    while (e > s && (r->v[e - 1] == '.' || r->v[e - 1] == '-'))
        e--;
    if (e <= s || e - s > 253)
        return 0;
    for (i = s; i <= e; i++) {
        if (i == e || r->v[i] == '.') {
            size_t n = i - ls;
            if (n == 0 || n > 63 || r->v[ls] == '-' || r->v[i - 1] == '-')
                return 0;
            nlab++;
            sld_s = tld_s;
            sld_e = ls ? ls - 1 : 0;
            tld_s = ls;
            ls = i + 1;
        }
    }
    if (nlab < 2)
        return 0;
    for (i = tld_s; i < e; i++)
        if (!bw_c_alpha((unsigned char)r->v[i]) && !(r->v[i] == '-' && e - tld_s > 4))
            alpha_tld = 0;
    if (!alpha_tld && !(e - tld_s > 4 && starts(r, tld_s, "xn--")))
        return 0;
    f = bw_pii_lex(r->v + tld_s, e - tld_s);
    if (!(f & BW_LEX_TLD))
        return 0;
    if (bare) {
        int second_level = sld_e > sld_s && sld_e - sld_s <= 3 &&
                           (bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "co") ||
                            bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "com") ||
                            bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "org") ||
                            bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "net") ||
                            bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "ac") ||
                            bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "gov") ||
                            bw_pii_ieq(r->v + sld_s, sld_e - sld_s, "edu"));
        /* the TLD as written in lower case ("it.It was" is a sentence) */
        for (i = tld_s; i < e; i++)
            if (bw_c_upper((unsigned char)r->v[i]))
                return 0;
        if (!(f & (BW_LEX_GTLD | BW_LEX_CCTLD)) && !(second_level && nlab >= 3))
            return 0;
        /* a label of digits only before the TLD is a number ("3.5.com") */
        for (i = sld_s; i < tld_s - 1 && bw_c_digit((unsigned char)r->v[i]); i++)
            ;
        if (i == tld_s - 1)
            return 0;
    }
    return e;
}

/* Bytes above space that end a URL's path, query or fragment: "<>\\^`{|} and DEL. */
static const unsigned char urlstop[256] = {
    ['"'] = 1, ['<'] = 1, ['>'] = 1, ['\\'] = 1, ['^'] = 1, ['`'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, [0x7f] = 1,
};

static int urlc(unsigned char c)
{
    return c > 0x20 && !urlstop[c];
}

/* Path, query and fragment after a host ending at e; returns the URL's end. */
static size_t url_tail(const struct run *r, size_t e)
{
    size_t i = e;
    int paren = 0;

    if (at(r, i) == ':') { /* port */
        size_t k = i + 1;
        while (k < r->len && bw_c_digit((unsigned char)r->v[k]) && k - i < 6)
            k++;
        if (k > i + 1)
            i = k;
    }
    if (at(r, i) != '/' && at(r, i) != '?' && at(r, i) != '#')
        return i;
    while (i < r->len && urlc((unsigned char)r->v[i]) && i - e < 2048) {
        if (r->v[i] == '(')
            paren++;
        else if (r->v[i] == ')') {
            if (paren == 0)
                break;
            paren--;
        }
        i++;
    }
    while (i > e && strchr(".,;:!?'*", r->v[i - 1]) != NULL)
        i--;
    return i;
}

/* Bytes of an e-mail's local part: letters, digits, . _ % + - ' (and NUL, which strchr() matched). */
static const unsigned char localc[256] = {
    BW_PII_ALNUM_INIT(1), ['.'] = 1, ['_'] = 1, ['%'] = 1, ['+'] = 1, ['-'] = 1, ['\''] = 1, [0] = 1,
};

static int on_at(struct run *r, size_t to)
{
    size_t a = to - 1, s = a, e = a + 1, he;

    if (a < r->sc->url_done)
        return 0;
    while (s > 0 && a - s < 64 && localc[(unsigned char)r->v[s - 1]])
        s--;
    while (s < a && (r->v[s] == '.' || r->v[s] == '\''))
        s++;
    if (s == a || r->v[a - 1] == '.')
        return 0;
    while (e < r->len && hostc((unsigned char)r->v[e]) && e - a < 254)
        e++;
    if ((he = host_ok(r, a + 1, e, 0)) == 0)
        return 0;
    r->sc->url_done = he;
    return emit(r, BW_PII_EMAIL, s, he, 100);
}

static const char *const schemes[] = {"http", "https", "ftp", "ftps", "sftp", "ws", "wss", "git", "ssh", "file"};

static int on_scheme(struct run *r, size_t to)
{
    size_t c = to - 3, s = c, hs = to, he, e, k;
    int ok = 0;

    if (c < r->sc->url_done)
        return 0;
    while (s > 0 && bw_c_alpha((unsigned char)r->v[s - 1]) && c - s < 6)
        s--;
    for (k = 0; k < BW_NELEMS(schemes); k++)
        if (bw_pii_ieq(r->v + s, c - s, schemes[k]))
            ok = 1;
    if (!ok || bw_c_alnum((unsigned char)before(r, s)))
        return 0;
    /* user:password@ */
    for (k = hs; k < r->len && k - hs < 128 && urlc((unsigned char)r->v[k]) && r->v[k] != '/'; k++)
        if (r->v[k] == '@') {
            hs = k + 1;
            break;
        }
    e = hs;
    if (at(r, hs) == '[') {
        while (e < r->len && r->v[e] != ']' && e - hs < 48)
            e++;
        if (at(r, e) != ']' || !bw_pii_ipv6_valid(r->v + hs + 1, e - hs - 1))
            return 0;
        he = e + 1;
    } else {
        while (e < r->len && hostc((unsigned char)r->v[e]) && e - hs < 254)
            e++;
        if ((he = host_ok(r, hs, e, 0)) == 0) {
            while (e > hs && r->v[e - 1] == '.')
                e--;
            if (!(bw_pii_ipv4_valid(r->v + hs, e - hs) || bw_pii_ieq(r->v + hs, e - hs, "localhost")))
                return 0;
            he = e;
        }
    }
    e = url_tail(r, he);
    r->sc->url_done = e;
    return emit(r, BW_PII_URL, s, e, 95);
}

static int on_www(struct run *r, size_t to)
{
    size_t s = to - 4, e = s, he;
    unsigned char b = (unsigned char)before(r, s);

    if (s < r->sc->url_done || bw_c_alnum(b) || b == '.' || b == '/' || b == '@' || b == '-')
        return 0;
    while (e < r->len && hostc((unsigned char)r->v[e]) && e - s < 254)
        e++;
    /* "www.microsoft" is no host: a name and a TLD must follow "www." */
    if ((he = host_ok(r, s, e, 0)) == 0 || !memchr(r->v + s + 4, '.', he - s - 4))
        return 0;
    e = url_tail(r, he);
    r->sc->url_done = e;
    return emit(r, BW_PII_URL, s, e, 85);
}

static int on_tld(struct run *r, size_t to)
{
    size_t d = to, s, e, he;
    unsigned char b;

    /* the literal is ".com", ".co." ...: find the dot it starts with, then the whole host around it */
    if (d > 0 && r->v[d - 1] == '.')
        d--; /* ".co." */
    while (d > 0 && r->v[d - 1] != '.')
        d--;
    if (d == 0)
        return 0;
    d--; /* the TLD's dot */
    s = d;
    while (s > 0 && hostc((unsigned char)r->v[s - 1]) && d - s < 254)
        s--;
    while (s < d && (r->v[s] == '.' || r->v[s] == '-'))
        s++;
    e = to;
    while (e < r->len && hostc((unsigned char)r->v[e]) && e - s < 254)
        e++;
    if (s >= d || s < r->sc->url_done)
        return 0;
    b = (unsigned char)before(r, s);
    if (b == '@' || b == '/' || b == ':' || b == '_' || b == '\\' || b >= 0x80 || b == '$')
        return 0;
    if ((he = host_ok(r, s, e, 1)) == 0 || he <= d)
        return 0;
    /* a file name or a code path is followed by '(' */
    if (at(r, he) == '(' || at(r, he) == '_')
        return 0;
    e = url_tail(r, he);
    r->sc->url_done = e;
    return emit(r, BW_PII_URL, s, e, 75);
}

/* ---- AWS keys ---- */

static int b64c(unsigned char c)
{
    return bw_c_alnum(c) || c == '/' || c == '+';
}

/* The first 40-char base64 token in [from, from+win) that looks like a secret key. */
static int find_secret(struct run *r, size_t from, size_t win)
{
    size_t i = from, lim = BW_MIN(r->len, from + win);

    while (i < lim) {
        size_t s = i;
        if (!b64c((unsigned char)r->v[i])) {
            i++;
            continue;
        }
        while (i < r->len && b64c((unsigned char)r->v[i]))
            i++;
        if (i - s == 40 && bw_pii_aws_secret_plausible(r->v + s, 40) && at(r, i) != '=') {
            r->sc->kw_done = i;
            return emit(r, BW_PII_AWS_SECRET_KEY, s, i, 95);
        }
    }
    return 0;
}

static int on_akid(struct run *r, size_t to)
{
    size_t s = to - 20;
    int rv;

    if (to < 20 || bw_c_alnum((unsigned char)before(r, s)) || bw_c_alnum((unsigned char)at(r, to)))
        return 0;
    if (!bw_pii_aws_access_key_valid(r->v + s, 20))
        return 0;
    if ((rv = emit(r, BW_PII_AWS_ACCESS_KEY, s, to, 100)) != 0)
        return rv;
    return r->st->on[BW_PII_AWS_SECRET_KEY] ? find_secret(r, to, 160) : 0;
}

/* ---- keyword-led values: password, user name, SWIFT ---- */

static const char *const stop[] = {
    "is", "was", "are", "the", "a", "an", "and", "or", "to", "for", "of", "on", "in", "at", "by", "with", "from",
    "reset", "required", "incorrect", "wrong", "expired", "protected", "manager", "managers", "policy", "field",
    "here", "please", "should", "must", "will", "would", "can", "could", "again", "change", "changed", "too",
    "that", "this", "these", "those", "you", "your", "my", "our", "their", "his", "her", "it", "its", "not",
    "has", "have", "had", "be", "been", "being", "strength", "strong", "weak", "hash", "hashed", "hashing",
    "recovery", "forgot", "forgotten", "same", "different", "new", "old", "very", "also", "still", "now", "just",
    "only", "then", "when", "if", "but", "so", "no", "yes", "none", "null", "empty", "blank", "unknown",
    "hidden", "secret", "secure", "safe", "correct", "valid", "invalid", "long", "short", "simple", "complex",
    "length", "characters", "character", "letters", "numbers", "digits", "something", "anything", "nothing",
    "what", "which", "who", "how", "why", "where", "there", "used", "using", "use", "like", "as", "into",
    "page", "screen", "form", "prompt", "box", "input", "entry", "based", "generator", "authentication",
    "sent", "set", "stored", "saved", "known", "shared", "case", "sensitive", "necessary", "needed", "same.",
    "information", "details", "credentials", "account", "accounts", "system", "section", "process", "name",
    "names", "format", "example", "e.g.", "i.e.", "etc", "attempts", "attempt", "and/or", "we", "they", "i",
    "he", "she", "them", "me", "us", "do", "does", "did", "done", "get", "got", "make", "made", "need", "want",
};

static int stopword(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(stop); i++)
        if (bw_pii_ieq(s, n, stop[i]))
            return 1;
    return 0;
}

/*
 * After a keyword ending at i: skip "is", "was", ":", "=", "-", quotes.
 * Returns the value's start and sets *explicit when ':' or '=' or "is"
 * introduced it, SIZE_MAX when no value follows on this line.
 */
static size_t value_start(const struct run *r, size_t i, int *explicit)
{
    size_t lim = i + 24;
    int k;

    *explicit = 0;
    for (k = 0; k < 6 && i < r->len && i < lim; k++) {
        while (i < r->len && (r->v[i] == ' ' || r->v[i] == '\t'))
            i++;
        if (at(r, i) == ':' || at(r, i) == '=') {
            *explicit = 2;
            i++;
            if (at(r, i) == '=')
                i++;
            continue;
        }
        if (at(r, i) == '-' && at(r, i + 1) == ' ') {
            *explicit = 2;
            i++;
            continue;
        }
        if ((starts(r, i, "is") || starts(r, i, "was")) && !bw_c_alnum((unsigned char)at(r, i + (r->v[i] == 'i' || r->v[i] == 'I' ? 2 : 3)))) {
            *explicit = *explicit ? *explicit : 1;
            i += (r->v[i] == 'i' || r->v[i] == 'I') ? 2 : 3;
            continue;
        }
        if ((starts(r, i, "set to") || starts(r, i, "of")) && *explicit == 0) {
            i += starts(r, i, "of") ? 2 : 6;
            *explicit = 1;
            continue;
        }
        break;
    }
    if (i >= r->len || r->v[i] == '\n' || r->v[i] == '\r')
        return SIZE_MAX;
    return i;
}

static int on_password(struct run *r, size_t kwlen, size_t to, int user)
{
    size_t kw = to - kwlen, s, e, k;
    int explicit, digit = 0, sym = 0, upper = 0, lower = 0;
    char q = 0;

    if (kw < r->sc->kw_done || bw_c_alnum((unsigned char)before(r, kw)))
        return 0;
    /* "passwords", "usernames", "users" are talk about them, not a value */
    if (bw_c_alpha((unsigned char)at(r, to)))
        return 0;
    if ((s = value_start(r, to, &explicit)) == SIZE_MAX || !explicit)
        return 0;
    /* a parenthesis or markup after the keyword is prose or a form, not a value */
    if (r->v[s] == '(' || r->v[s] == '<' || r->v[s] == '[' || r->v[s] == '{')
        return 0;
    if (r->v[s] == '"' || r->v[s] == '\'' || r->v[s] == '`') {
        q = r->v[s];
        s++;
    }
    e = s;
    while (e < r->len && (unsigned char)r->v[e] > 0x20 && e - s < 64 && r->v[e] != q)
        e++;
    if (!q) /* sentence punctuation after the value; '!' is kept, passwords end with it */
        while (e > s && strchr(".,;:?)]}'\"", r->v[e - 1]) != NULL)
            e--;
    if (e - s < (size_t)(user ? 2 : 4) || stopword(r->v + s, e - s) || memchr(r->v + s, '<', e - s) ||
        memchr(r->v + s, '>', e - s))
        return 0;
    for (k = s; k < e; k++) {
        unsigned char c = (unsigned char)r->v[k];
        if (bw_c_digit(c))
            digit = 1;
        else if (bw_c_upper(c))
            upper += k > s;
        else if (bw_c_lower(c))
            lower = 1;
        else
            sym = 1;
    }
    if (user) {
        /* user names: word characters, dots, dashes, @ */
        for (k = s; k < e; k++)
            if (!bw_c_word((unsigned char)r->v[k]) && !strchr("._-@+", r->v[k]))
                return 0;
        if (explicit < 2 && !(digit || sym || upper || q))
            if (kwlen == 4 || kwlen == 5) /* "user", "login": only with ':' / '=' */
                return 0;
        if (kwlen == 4 && explicit < 2)
            return 0;
        r->sc->kw_done = e;
        return emit(r, BW_PII_USERNAME, s, e, 60);
    }
    if (!(digit || sym || (upper && lower) || q || explicit == 2))
        return 0;
    r->sc->kw_done = e;
    return emit(r, BW_PII_PASSWORD, s, e, 65);
}

static int on_swift(struct run *r, size_t kwlen, size_t to)
{
    size_t i = to, lim = BW_MIN(r->len, to + 48);

    if (bw_c_alnum((unsigned char)before(r, to - kwlen)) || bw_c_alpha((unsigned char)at(r, to)))
        return 0;
    while (i < lim) {
        size_t s = i;
        if (!bw_c_alnum((unsigned char)r->v[i])) {
            if (r->v[i] == '\n' || r->v[i] == '.')
                return 0;
            i++;
            continue;
        }
        while (i < r->len && bw_c_alnum((unsigned char)r->v[i]))
            i++;
        if ((i - s == 8 || i - s == 11) && bw_pii_bic_valid(r->v + s, i - s)) {
            r->sc->kw_done = i;
            return emit(r, BW_PII_SWIFT_CODE, s, i, 90);
        }
    }
    return 0;
}

/* ---- the module ---- */

static int item_on(const struct pii_state *st, enum trig t)
{
    size_t i, k;

    for (i = 0; i < BW_NELEMS(feeds); i++)
        if (feeds[i].t == t)
            for (k = 0; feeds[i].types[k] >= 0; k++)
                if (st->on[feeds[i].types[k]])
                    return 1;
    return 0;
}

/*
 * Bare domains ("example.com", no scheme, no "www.") are found from a few
 * literal TLDs only: an alternation of every country TLD after a dot costs
 * the whole PII set 40% of its scan speed (tests/bench/pii_bench.c).
 * Domains with other TLDs are found with a scheme, "www." or in e-mails.
 */
static const char *const bare_tlds[] = {".com", ".org", ".net", ".edu", ".gov", ".io", ".co.", ".uk", ".de", ".ai",
                                        ".app", ".dev"};

static int add(struct bw_mbuild *mb, uint16_t mod, uint32_t item, const char *expr, size_t len, unsigned flags,
               struct bw_errs *errs)
{
    struct bw_pat_err perr;
    int rv = bw_mbuild_add(mb, mod, item, expr, len, flags | BW_PAT_CASELESS, &perr);

    if (rv < 0 && rv == BW_ECOMPILE && errs)
        bw_errs_add(errs, NULL, "PII pattern %u did not compile: %s", (unsigned)item, perr.msg);
    return rv < 0 ? rv : 0;
}

static int pii_compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **out, struct bw_errs *errs)
{
    const struct bw_pii_conf *c = conf;
    struct pii_state *st;
    size_t i;
    int rv, any = 0;

    *out = NULL;
    if ((rv = bw_pii_lex_load()) != 0)
        return rv;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < c->n; i++) {
        int t = c->items[i].type;
        if (t < 0 || t >= BW_PII__N || !c->items[i].ac.enabled[dir])
            continue;
        st->on[t] = 1;
        st->action[t] = c->items[i].ac.action[dir];
        any = 1;
    }
    if (!any) {
        free(st);
        return 0;
    }
    st->names = st->on[BW_PII_NAME];
    st->address = st->on[BW_PII_ADDRESS];
#define ADD(item, lit, fl)                                                                                          \
    do {                                                                                                           \
        if ((rv = add(mb, mod, (item), (lit), strlen(lit), (fl), errs)) != 0)                                      \
            goto fail;                                                                                             \
    } while (0)
    if (item_on(st, TR_DIGIT))
        ADD(TR_DIGIT, "(?:^|\\D)\\d", 0);
    if (item_on(st, TR_AT))
        ADD(TR_AT, "@", BW_PAT_LITERAL);
    if (item_on(st, TR_SCHEME))
        ADD(TR_SCHEME, "://", BW_PAT_LITERAL);
    if (item_on(st, TR_WWW))
        ADD(TR_WWW, "www.", BW_PAT_LITERAL);
    if (item_on(st, TR_TLD))
        for (i = 0; i < BW_NELEMS(bare_tlds); i++)
            ADD(TR_TLD, bare_tlds[i], BW_PAT_LITERAL);
    if (item_on(st, TR_AKID))
        ADD(TR_AKID, "(?:akia|asia|agpa|aida|aroa|aipa|anpa|anva|apka|abia|acca)[a-z2-7]{16}", 0);
    if (item_on(st, TR_MACHEX))
    {
        ADD(TR_MACHEX, "[a-f]{2}[:-][a-f]{2}[:-][a-f]{2}[:-][a-f]{2}[:-]", 0);
        ADD(TR_MACHEX, "[a-f]{4}\\.[a-f]{4}\\.[a-f]{4}", 0);
    }
    for (i = 0; i < BW_NELEMS(kws); i++)
        if (item_on(st, kws[i].t))
            ADD((uint32_t)(KW_BASE + i), kws[i].kw, BW_PAT_LITERAL);
#undef ADD
    *out = st;
    return 0;
fail:
    free(st);
    return rv;
}

static size_t pii_scratch_size(const void *st)
{
    BW_UNUSED(st);
    return sizeof(struct pii_scratch);
}

static void run_init(struct run *r, const void *st, struct bw_eval *ev, void *es)
{
    r->st = st;
    r->ev = ev;
    r->sc = es;
    r->v = ev->text->view;
    r->len = ev->text->len;
    r->last_e = 0;
    r->ctx_ok = 0;
}

static int pii_begin(const void *st, struct bw_eval *ev, void *es)
{
    const struct pii_state *s = st;
    struct pii_scratch *sc = es;
    struct run r;
    int rv;

    sc->done = sc->url_done = sc->kw_done = 0;
    sc->n = 0;
    sc->cm.v = NULL;
    if (sc->c == NULL && (sc->c = bw_arena_alloc(&ev->w->arena, NCAND * sizeof(sc->c[0]))) == NULL)
        return BW_ENOMEM;
    run_init(&r, st, ev, es);
    /* one walk over the capitals for both; addresses that start with a number come from on_digit() */
    if ((s->names || s->address) && (rv = bw_pii_walk(r.v, r.len, s->names, s->address, emit_cb, &r)) != 0)
        return rv;
    return 0;
}

/* The triggers other than the digit run. */
static __attribute__((noinline)) int on_other(const void *st, struct bw_eval *ev, void *es, uint32_t item,
                                               size_t to)
{
    struct run r;

    run_init(&r, st, ev, es);
    if (item >= KW_BASE) {
        size_t k = item - KW_BASE;
        if (k >= BW_NELEMS(kws))
            return 0;
        switch (kws[k].t) {
        case TR_PASSWORD:
            return on_password(&r, strlen(kws[k].kw), to, 0);
        case TR_USERNAME:
            return on_password(&r, strlen(kws[k].kw), to, 1);
        case TR_SWIFT:
            return on_swift(&r, strlen(kws[k].kw), to);
        case TR_SECRET:
            if (to - 6 < r.sc->kw_done || (bw_c_alpha((unsigned char)at(&r, to)) && at(&r, to) != 's'))
                return 0;
            return find_secret(&r, to, 96);
        default:
            return 0;
        }
    }
    switch (item) {
    case TR_AT:
        return on_at(&r, to);
    case TR_SCHEME:
        return on_scheme(&r, to);
    case TR_WWW:
        return on_www(&r, to);
    case TR_TLD:
        return on_tld(&r, to);
    case TR_AKID:
        return on_akid(&r, to);
    case TR_MACHEX:
        /* MACs of letters only ("AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff"), which no digit run announces */
        if (to >= 12 && to - 12 >= r.sc->done) {
            size_t s = to - 12, res;
            if (r.v[to - 1] == ':')
                res = try_colon(&r, s);
            else
                res = try_mac(&r, r.v[to - 1] == '-' ? s : to - 14);
            if (res)
                r.sc->done = res;
        }
        return 0;
    default:
        return 0;
    }
}

/*
 * Four matches in five are the digit run's: they go to on_digit() from a
 * small frame, the other triggers' code (inlined callbacks that need
 * every callee-saved register) is called apart.
 */
static int pii_on_match(const void *st, struct bw_eval *ev, void *es, uint32_t item, size_t from, size_t to)
{
    struct run r;

    BW_UNUSED(from);
    if (item != TR_DIGIT)
        return on_other(st, ev, es, item, to);
    run_init(&r, st, ev, es);
    return on_digit(&r, to);
}

static int pii_end(const void *st, struct bw_eval *ev, void *es)
{
    struct run r;

    run_init(&r, st, ev, es);
    return flush(&r);
}

static void pii_free(void *st)
{
    free(st);
}

/*
 * Streaming hold: where a PII value may still be in progress at the end of
 * the text, so that the streaming guard never releases part of one (the
 * first half of a card number, a house number before its street). Values
 * are made of "value-like" tokens: with a digit, an upper-case or non-ASCII
 * first letter (names, addresses, identifiers), or e-mail, URL and
 * identifier punctuation inside. The hold starts at the earliest of:
 *   - the trailing run of value-like tokens (an address keeps growing);
 *   - a token with a digit or inner punctuation among the last HOLD_TOKENS
 *     tokens, because some types are decided by the words after the value
 *     ("40 years old", "12 Main Street").
 * A capitalised word alone is held only while it ends the text: names are
 * decided by the run of capitalised words and the one word after it ("Jane
 * Doe Street" is not a person), so "Yesterday Maria went" releases as soon
 * as "went" is complete, not four words later.
 * Bounded by HOLD_MAX bytes, about what the recognisers read around a value.
 */
#define HOLD_MAX 192
#define HOLD_TOKENS 4

/* 0: not value-like; 1: by its first letter only (upper-case, non-ASCII); 2: a digit or inner punctuation. */
static int value_like(const char *v, size_t s, size_t e)
{
    unsigned char c;
    size_t i;

    for (i = s; i < e; i++) {
        c = (unsigned char)v[i];
        if (c >= '0' && c <= '9')
            return 2;
        /* punctuation inside the token, not closing it */
        if (i + 1 < e && (c == '@' || c == '.' || c == '/' || c == ':' || c == '_' || c == '#' || c == '+' ||
                          c == '-' || c == '='))
            return 2;
    }
    c = (unsigned char)v[s];
    return (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static size_t pii_hold(const void *st, const struct bw_text *t)
{
    const char *v = t->view;
    size_t e = t->len, lim = t->len > HOLD_MAX ? t->len - HOLD_MAX : 0, hold = t->len;
    int ntok = 0, run = 1, vl;

    BW_UNUSED(st);
    while (e > lim) {
        size_t s;
        while (e > lim && bw_c_space((unsigned char)v[e - 1]))
            e--;
        if (e <= lim)
            break;
        s = e;
        while (s > lim && !bw_c_space((unsigned char)v[s - 1]))
            s--;
        ntok++;
        if ((vl = value_like(v, s, e)) != 0) {
            if (run || (vl == 2 && ntok <= HOLD_TOKENS))
                hold = s;
        } else {
            run = 0;
        }
        if (!run && ntok >= HOLD_TOKENS)
            break;
        e = s;
    }
    /* never hold from inside a character */
    while (hold > 0 && hold < t->len && ((unsigned char)v[hold] & 0xc0) == 0x80)
        hold--;
    return hold;
}

const struct bw_module_ops bw_pii_module = {
    .name = "pii",
    .policy = BW_POL_PII,
    .compile = pii_compile,
    .scratch_size = pii_scratch_size,
    .begin_block = pii_begin,
    .on_match = pii_on_match,
    .end_block = pii_end,
    .finish = NULL,
    .free = pii_free,
    .hold = pii_hold,
};
