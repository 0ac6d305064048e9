/*
 * words.h: the word policy: custom words and phrases, and managed word
 * lists (PROFANITY, and per-language lists as an extension). Matching is
 * case-insensitive on the normalised view and on whole words: "ass" does
 * not fire inside "class", a phrase matches across any run of spaces.
 */
#ifndef BW_WORDS_H
#define BW_WORDS_H

#include "filters/module.h"

/* Managed word lists (Bedrock: PROFANITY; the rest are bulwark's). */
enum bw_wordlist { BW_WL_PROFANITY = 0, BW_WL__N };

struct bw_word_item {
    const char *text;
    struct bw_actcfg ac;
};

struct bw_managed_item {
    int type;           /* enum bw_wordlist */
    const char *lang;   /* extension (bulwarkLanguage): LDNOOBW list of that language; NULL = English */
    struct bw_actcfg ac;
};

struct bw_words_conf {
    const struct bw_word_item *words;
    size_t nwords;
    const struct bw_managed_item *managed;
    size_t nmanaged;
};

/* finding.sub for word findings */
#define BW_WORD_CUSTOM 0
#define BW_WORD_MANAGED 1

extern const struct bw_module_ops bw_words_module;

const char *bw_wordlist_name(int type);
int bw_wordlist_from_name(const char *name);

#endif
