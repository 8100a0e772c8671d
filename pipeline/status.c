/* Names for the library's status codes and rejected-line reasons, used in error
 * messages, the report and the JSON contract. */
#include "pipeline/types.h"

const char *cfs_status_str(cfs_status s)
{
    switch (s) {
    case CFS_OK: return "ok";
    case CFS_E_IO: return "I/O error";
    case CFS_E_CORRUPT: return "corrupt data";
    case CFS_E_TRUNCATED: return "truncated data";
    case CFS_E_UNSUPPORTED: return "unsupported input";
    case CFS_E_NOMEM: return "out of memory";
    case CFS_E_USAGE: return "usage error";
    case CFS_E_FORMAT: return "bad format";
    case CFS_E_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

/* These names are part of the JSON contract (inputs.rejected.<name>). */
const char *cfs_reject_name(cfs_reject r)
{
    switch (r) {
    case CFS_REJ_NO_HEADER: return "no_header";
    case CFS_REJ_TOO_FEW_FIELDS: return "too_few_fields";
    case CFS_REJ_TOO_MANY_FIELDS: return "too_many_fields";
    case CFS_REJ_LINE_TOO_LONG: return "line_too_long";
    case CFS_REJ_BINARY: return "binary";
    case CFS_REJ_BAD_VALUE: return "bad_value";
    case CFS_REJ_BAD_HEADER: return "bad_header";
    case CFS_REJ_TRUNCATED: return "truncated";
    case CFS_REJ_BAD_JSON: return "bad_json";
    case CFS_REJ_COUNT: break;
    }
    return "unknown";
}
