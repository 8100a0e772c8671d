/* datasets/gen_plant.c: --plant, a known change planted in the first distribution's
 * traffic from a given hour of the run on, so that `cfscan diff` can be tested on a
 * "before" and an "after" that differ by that change alone: a new WAF rule blocking one
 * URI, an origin that starts answering 403, a geo restriction added.  A planted line takes
 * the place of an ordinary line and is drawn from its own stream, so every other line
 * keeps its bytes for a given seed (see cfs_gen_job_generate). */
#include "datasets/gen.h"

const char *const cfs_gen_plant_name[NPLANT] = {"waf-uri", "origin-403", "geo"};

/* waf-uri: one rule of the web ACL's own (not a managed group) blocking one URI. */
const waf_rule cfs_gen_plant_waf_rule = {"BlockLegacyExport", "REGULAR", 0, NULL, {NULL}};
#define PLANT_URI "/api/v1/legacy-export"
/* Share of the ordinary lines, in per mille, that become requests of that URI. */
#define PLANT_WAF_PERMILLE 30

/* geo: a country with many viewers (a few % of the lines), none of them blocked before. */
const char *const cfs_gen_plant_geo[] = {"BR", NULL};

static int sv_is(sv v, const char *s) { return v.n == strlen(s) && !memcmp(v.p, s, v.n); }
static int sv_starts(sv v, const char *s) { return v.n >= strlen(s) && !memcmp(v.p, s, strlen(s)); }

int cfs_gen_plant_line(const fctx_t *F, const job_t *J, rng_t *rp, const line_t *L, line_t *P)
{
    const opts_t *o = F->W->o;
    if (!o->plant || J->dist != 0 || J->kind != J_REGULAR || J->day * 24 + J->hour < o->plant_from) return 0;
    /* only ordinary answered requests change: the 403s, the situations' lines and the
     * WAF's other answers stay as they were */
    if (L->cause != C_NONE || L->situation != SIT_NONE || L->waf_action || L->hidden || L->status == S_403)
        return 0;
    uint32_t draw = rng_below(rp, 1000);
    if ((o->plant & 1u << PLANT_GEO) && sv_is(L->country, cfs_gen_plant_geo[0])) {
        /* the same viewer, now refused at the edge: CloudFront's geo 403 */
        cfs_gen_line_sit(F, rp, P, C_GEO, SIT_NONE);
        P->v[F_C_IP] = L->v[F_C_IP]; /* these point into the world's tables, not L's scratch */
        P->country = L->country;
        P->v[F_COUNTRY] = L->v[F_COUNTRY];
        P->edge = L->edge;
        P->v[F_EDGE] = L->v[F_EDGE];
        P->v[F_UA] = L->v[F_UA];
        P->raw_ua = L->raw_ua;
        return 1;
    }
    int st2xx = L->status == S_200 || L->status == S_201 || L->status == S_204 || L->status == S_206;
    if ((o->plant & 1u << PLANT_ORIGIN_403) && st2xx && sv_starts(L->v[F_URI], "/api/")) {
        /* the custom origin (behind the API behavior) refuses what it used to serve */
        cfs_gen_line_sit(F, rp, P, C_ORIGIN_CUSTOM, SIT_NONE);
        return 1;
    }
    if ((o->plant & 1u << PLANT_WAF_URI) && draw < PLANT_WAF_PERMILLE) {
        /* a WAF block of the one URI, with its BLOCK record naming the new rule */
        cfs_gen_line_sit(F, rp, P, C_WAF, SIT_NONE);
        P->v[F_URI] = SV(PLANT_URI);
        P->waf_rule = NWAFRULE;
        return 1;
    }
    return 0;
}
