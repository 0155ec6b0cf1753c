/*
 * Randomness score of a DNS name, for the Conficker DGA correlation.
 *
 * Why: a DGA bot (Conficker.A/B: 250 names a day, 8-11 random letters;
 * Conficker.C: 50,000 a day, 4-9 letters) asks for names no person would
 * type, and most of them do not exist (NXDOMAIN).  A burst of NXDOMAIN
 * answers alone also comes from typos and broken search lists, so each
 * name is scored and only random-looking ones count.
 *
 * Score of a name = score of its longest label other than the last (the
 * TLD), lower-cased:
 *     score = mean bigram negative log-likelihood (nats per transition,
 *             label boundaries included) under the English model of
 *             bigram_table.c
 *           + 0.25 * Shannon entropy of the label's characters (bits).
 * Measured with gen_bigram.py --measure (80/20 split of wamerican, seed
 * 20090401, labels of 4+ characters): threshold 4.0 is reached by 1.4 %
 * of held-out dictionary words, 11 % of one-edit typos of them and 94 %
 * of uniformly random 4-11 letter labels (96 % at 3.8, with 3.5 % of words).
 * Labels shorter than CORR_DGA_MIN_LEN score 0: too short to judge.
 *
 * Pure functions; thread-safe.
 */
#ifndef MAMORI_CORRELATE_DGA_H
#define MAMORI_CORRELATE_DGA_H

#include <stddef.h>

#define CORR_DGA_NSYM 38	/* boundary, a-z, 0-9, '-' */
#define CORR_DGA_MIN_LEN 4

extern const char corr_dga_alpha[CORR_DGA_NSYM + 1];
extern const float corr_dga_logp[CORR_DGA_NSYM][CORR_DGA_NSYM];

/* Randomness score of name[0..len) (a DNS name, dots between labels). */
double corr_dga_score(const char *name, size_t len);

#endif
