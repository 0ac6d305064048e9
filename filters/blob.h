/*
 * blob.h: data files shipped under conf/ (word lists, lexicons, trained
 * models) are built into the library, so the binary needs nothing at run
 * time. BULWARK_DATA_DIR, when set, is searched first, to update a list
 * without rebuilding.
 */
#ifndef BW_BLOB_H
#define BW_BLOB_H

#include "filters/bw.h"

/*
 * Finds a data file by its path under conf/ ("wordlists/profanity_en.txt").
 * The bytes stay valid for the life of the process. Returns 0 or
 * BW_ENOTFOUND, BW_EIO, BW_ENOMEM.
 */
int bw_blob_get(const char *name, struct bw_iov *out);

/* Calls fn for every embedded file whose name starts with prefix. */
void bw_blob_each(const char *prefix, void (*fn)(const char *name, struct bw_iov data, void *ctx), void *ctx);

#endif
