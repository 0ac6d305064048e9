/* strerror.c: text for bulwark's return codes. */
#include "filters/bw.h"

const char *bw_strerror(int rv)
{
    switch (rv) {
    case BW_OK: return "success";
    case BW_ENOMEM: return "out of memory";
    case BW_EINVAL: return "invalid argument";
    case BW_ELIMIT: return "limit exceeded";
    case BW_EUTF8: return "invalid UTF-8";
    case BW_ESCAN: return "scan failed";
    case BW_ECOMPILE: return "pattern compilation failed";
    case BW_EIO: return "I/O error";
    case BW_ENOTFOUND: return "not found";
    case BW_EPROTO: return "protocol error";
    case BW_ECONFIG: return "invalid configuration";
    case BW_EFORMAT: return "bad file format";
    case BW_ETIMEOUT: return "timed out";
    }
    return "unknown error";
}
