/* names.c: Bedrock's spellings of the enums the filters own. */
#include <string.h>

#include "filters/content.h"
#include "filters/words.h"

static const char *const cats[BW_CAT__N] = {"SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"};
static const char *const confs[] = {"NONE", "LOW", "MEDIUM", "HIGH"};
static const char *const lists[BW_WL__N] = {"PROFANITY"};

static int lookup(const char *const *tab, int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(tab[i], name) == 0)
            return i;
    return -1;
}

const char *bw_cat_name(int cat)
{
    return cat >= 0 && cat < BW_CAT__N ? cats[cat] : NULL;
}

int bw_cat_from_name(const char *name)
{
    return lookup(cats, BW_CAT__N, name);
}

const char *bw_conf_name(int conf)
{
    return conf >= 0 && conf <= BW_CONF_HIGH ? confs[conf] : NULL;
}

int bw_conf_from_name(const char *name)
{
    return lookup(confs, 4, name);
}

const char *bw_wordlist_name(int type)
{
    return type >= 0 && type < BW_WL__N ? lists[type] : NULL;
}

int bw_wordlist_from_name(const char *name)
{
    return lookup(lists, BW_WL__N, name);
}
