/* datasets/gen_tables.c: the fixed content the generator draws from: statuses, 403 causes,
 * CloudFront edge locations, viewer countries, user agents, words for paths, object kinds
 * and WAF rules.  Their sizes are declared in gen.h; a different count here does not
 * compile (the declaration and this definition would conflict). */
#include "datasets/gen.h"

const char *const cfs_gen_status_str[NSTATUS] = {"000", "200", "201", "204", "206", "301", "304", "307",
                                                 "403", "404", "502", "503", "101", "202", "405"};

/* clang-format off */
const char *const cfs_gen_cause_name[NCAUSE] = {
    "none", "geo_restriction", "waf_block", "signed_url_missing", "signed_url_expired",
    "signed_url_invalid", "https_required", "method_not_allowed", "cname_not_associated",
    "origin_s3", "origin_custom", "edge_other", "edge_function"};
/* clang-format on */

/* clang-format off */
const char *const cfs_gen_situation_name[NSIT] = {
    "-", "cached-origin", "fast-origin", "custom-error-page", "cookies-off", "waf-http",
    "waf-custom-response", "captcha", "empty-key-pair-id", "slow-downloads", "edge-function",
    "default-domain", "config-newer"};
/* clang-format on */

const edge_def cfs_gen_edges[] = {
    {"IAD89-C1", "US", 60}, {"IAD55-P3", "US", 40}, {"IAD12-C2", "US", 20}, {"ORD52-C1", "US", 30},
    {"ORD56-P1", "US", 15}, {"LAX3", "US", 25},     {"LAX50-C1", "US", 25}, {"SEA19-C1", "US", 15},
    {"SEA73-P2", "US", 8},  {"DFW56-P1", "US", 20}, {"DFW3", "US", 10},     {"ATL56-C1", "US", 15},
    {"JFK50-C2", "US", 20}, {"EWR53-C1", "US", 15}, {"MIA3-C1", "US", 10},  {"SFO53-C1", "US", 20},
    {"HIO52-C1", "US", 8},  {"DEN52-C1", "US", 8},  {"BOS50-C1", "US", 6},  {"PHX50-C1", "US", 5},
    {"YTO50-C1", "CA", 8},  {"YUL62-C2", "CA", 4},  {"GRU3-C1", "BR", 10},  {"GIG51-C1", "BR", 4},
    {"QRO51-C1", "MX", 5},  {"EZE50-C1", "AR", 3},  {"FRA56-P2", "DE", 30}, {"FRA6-C1", "DE", 15},
    {"MUC50-C1", "DE", 6},  {"DUS51-C1", "DE", 5},  {"TXL50-P1", "DE", 5},  {"HAM50-C1", "DE", 4},
    {"LHR62-C2", "GB", 25}, {"LHR50-P3", "GB", 12}, {"MAN50-C1", "GB", 5},  {"CDG52-P2", "FR", 15},
    {"MRS53-P3", "FR", 4},  {"AMS1-C1", "NL", 12},  {"AMS54-C1", "NL", 6},  {"ARN56-P1", "SE", 5},
    {"MAD50-C1", "ES", 6},  {"MXP64-C1", "IT", 6},  {"WAW50-C1", "PL", 5},  {"SOF50-P2", "BG", 3},
    {"VIE50-C1", "AT", 3},  {"ZRH55-C1", "CH", 3},  {"DUB56-P1", "IE", 4},  {"NRT57-C2", "JP", 15},
    {"NRT20-C4", "JP", 8},  {"KIX56-C1", "JP", 5},  {"ICN54-C1", "KR", 8},  {"SIN2-C1", "SG", 10},
    {"SIN52-C2", "SG", 5},  {"HKG62-C1", "HK", 8},  {"BOM78-P2", "IN", 8},  {"DEL54-C1", "IN", 6},
    {"SYD1-C1", "AU", 8},   {"MEL50-C1", "AU", 4},  {"JNB50-C1", "ZA", 3},  {"DXB52-P1", "AE", 4},
    {"TPE50-C1", "TW", 4},  {"CGK51-C1", "ID", 4},
};

const country_def cfs_gen_countries[] = {
    {"US", 300, "US"}, {"DE", 60, "DE"}, {"GB", 55, "GB"}, {"FR", 40, "FR"}, {"JP", 40, "JP"},
    {"IN", 40, "IN"},  {"BR", 30, "BR"}, {"CA", 30, "CA"}, {"AU", 20, "AU"}, {"NL", 20, "NL"},
    {"SE", 10, "SE"},  {"KR", 20, "KR"}, {"SG", 12, "SG"}, {"ES", 15, "ES"}, {"IT", 15, "IT"},
    {"PL", 12, "PL"},  {"MX", 15, "MX"}, {"ID", 12, "ID"}, {"CN", 15, "HK"}, {"ZA", 6, "ZA"},
    {"TR", 8, "DE"},   {"BG", 4, "BG"},  {"AE", 6, "AE"},  {"TW", 8, "TW"},  {"IE", 5, "IE"},
    {"CH", 6, "CH"},   {"AT", 5, "AT"},  {"HK", 6, "HK"},  {"AR", 6, "AR"},  {"NG", 4, "ZA"},
    {"VN", 6, "SG"},   {"PH", 5, "SG"},  {"EG", 3, "DE"},  {"UA", 4, "PL"},
};

/* Countries that a distribution may block (geo restriction blacklist).  Viewers from these
 * appear only in geo_restriction lines, so that c-country (v2 layout) stays consistent. */
const country_def cfs_gen_blocked_countries[] = {
    {"KP", 1, "KR"}, {"IR", 1, "AE"}, {"SY", 1, "AE"}, {"CU", 1, "US"}, {"RU", 1, "DE"}, {"BY", 1, "PL"},
};

const ua_def cfs_gen_uas[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
     300, 0},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
     100, 0},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
     140, 0},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
     100, 0},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 60, 0},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68",
     60, 0},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
     80, 0},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
     30, 0},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", 20, 0},
    {"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
     30, 0},
    {"Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.100 Mobile Safari/537.36",
     50, 0},
    {"MyShopApp/3.2.1 (iPhone; iOS 18.1; Scale/3.00)", 20, 0},
    {"okhttp/4.12.0", 20, 0},
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 30, 1},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 10, 1},
    {"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 8, 1},
    {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", 8, 1},
    {"curl/8.4.0", 20, 1},
    {"python-requests/2.31.0", 20, 1},
    {"Go-http-client/1.1", 10, 1},
    {"Wget/1.21.3", 5, 1},
};

/* clang-format off */
const char *const cfs_gen_words[] = {
    "hero",    "banner", "summer", "winter", "launch", "report", "guide",  "intro",
    "product", "team",   "logo",   "promo",  "sale",   "gallery", "travel", "recipe",
    "news",    "update", "review", "howto",  "demo",   "keynote", "trailer", "episode",
    "chart",   "map",    "city",   "ocean",  "forest", "garden", "studio", "archive",
};
/* clang-format on */

const otype_def cfs_gen_otypes[NOTYPE] = {
    {SV("html"), SV("text/html"), 2000, 120000},
    {SV("js"), SV("application/javascript"), 5000, 800000},
    {SV("css"), SV("text/css"), 2000, 200000},
    {SV("jpg"), SV("image/jpeg"), 5000, 2000000},
    {SV("png"), SV("image/png"), 1000, 1000000},
    {SV("webp"), SV("image/webp"), 3000, 500000},
    {SV("svg"), SV("image/svg+xml"), 500, 30000},
    {SV("ico"), SV("image/x-icon"), 1000, 15000},
    {SV("woff2"), SV("font/woff2"), 10000, 120000},
    {SV("mp4"), SV("video/mp4"), 500000, 80000000},
    {SV("m3u8"), SV("application/vnd.apple.mpegurl"), 200, 4000},
    {SV("pdf"), SV("application/pdf"), 30000, 5000000},
    {SV("zip"), SV("application/zip"), 100000, 50000000},
    {SV("json"), SV("application/json"), 50, 20000},
    {SV("xml"), SV("application/xml"), 1000, 50000},
    {SV("txt"), SV("text/plain"), 50, 500},
};

const waf_rule cfs_gen_waf_rules[] = {
    /* the groups' rule names as AWS's managed rule groups list them */
    {"AWS-AWSManagedRulesCommonRuleSet",
     "MANAGED_RULE_GROUP",
     35,
     "AWS#AWSManagedRulesCommonRuleSet",
     {"SizeRestrictions_BODY", "NoUserAgent_HEADER", "CrossSiteScripting_QUERYARGUMENTS"}},
    {"AWS-AWSManagedRulesSQLiRuleSet",
     "MANAGED_RULE_GROUP",
     12,
     "AWS#AWSManagedRulesSQLiRuleSet",
     {"SQLi_QUERYARGUMENTS", "SQLi_URIPATH", NULL}},
    {"AWS-AWSManagedRulesKnownBadInputsRuleSet",
     "MANAGED_RULE_GROUP",
     8,
     "AWS#AWSManagedRulesKnownBadInputsRuleSet",
     {"Log4JRCE_HEADER", NULL, NULL}},
    {"AWS-AWSManagedRulesAmazonIpReputationList",
     "MANAGED_RULE_GROUP",
     5,
     "AWS#AWSManagedRulesAmazonIpReputationList",
     {"AWSManagedIPReputationList", "AWSManagedIPDDoSList", NULL}},
    {"RateLimit-1000", "RATE_BASED", 25, NULL, {NULL}},
    {"BlockBadBots", "REGULAR", 15, NULL, {NULL}},
};

const char cfs_gen_alnum_uc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const char *const cfs_gen_layout_name[NLAYOUT + 1] = {"33", "19", "24", "26", "v2", "mixed"};
