/*
 * DGA randomness score (see dga.h for the definition and the measured
 * thresholds).  The score must stay identical to score() in
 * gen_bigram.py, which is where the thresholds were measured.
 */
#include "correlate/dga.h"

#include <math.h>
#include <stdint.h>

static int dga_sym(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (c >= 'a' && c <= 'z')
		return 1 + (c - 'a');
	if (c >= '0' && c <= '9')
		return 27 + (c - '0');
	return 37;	/* '-' and anything else */
}

static double dga_label_score(const char *s, size_t n)
{
	unsigned hist[CORR_DGA_NSYM] = {0};
	double nll = 0.0, h = 0.0;
	int prev = 0;

	for (size_t i = 0; i < n; i++) {
		int c = dga_sym((unsigned char)s[i]);
		nll -= corr_dga_logp[prev][c];
		hist[c]++;
		prev = c;
	}
	nll -= corr_dga_logp[prev][0];
	for (int i = 0; i < CORR_DGA_NSYM; i++) {
		if (!hist[i])
			continue;
		double p = (double)hist[i] / (double)n;
		h -= p * log2(p);
	}
	return nll / (double)(n + 1) + 0.25 * h;
}

double corr_dga_score(const char *name, size_t len)
{
	size_t best = 0, best_len = 0, start = 0;

	if (len && name[len - 1] == '.')
		len--;	/* absolute name */
	/* Longest label except the last one (the TLD). */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i < len && i - start > best_len) {
			best = start;
			best_len = i - start;
		}
		start = i + 1;
	}
	if (best_len < CORR_DGA_MIN_LEN)
		return 0.0;
	return dga_label_score(name + best, best_len);
}
