/* datasets/gen_api.h: the generator core as programs other than cfsgen use it (cfsbench):
 * CloudFront log text in memory, written by cfsgen's own line writer, so that a benchmark
 * times the same lines that the generated data sets hold. */
#ifndef DATASETS_GEN_API_H
#define DATASETS_GEN_API_H

#include <stddef.h>
#include <stdint.h>

/* Fills out (cap bytes) with the #Version/#Fields header of the 33-field layout and then
 * whole data lines: the lines of the regular files that `cfsgen --seed SEED --no-waf`
 * writes with its defaults (3 distributions, 2 days from 2026-11-01, 2000 lines a file,
 * 8% 403s of every cause), file after file in plan order, without their headers; past
 * the plan's 144 files it goes on with fresh files of the same hours.  Returns the bytes
 * used; *lines counts the lines written, the 2 header lines included. */
size_t cfs_gen_sample_text(uint64_t seed, char *out, size_t cap, uint64_t *lines);

#endif
