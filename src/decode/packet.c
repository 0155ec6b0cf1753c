/*
 * struct packet helpers: releasing what a packet owns and printing
 * addresses.  Kept apart from decode.c because every later stage (flow,
 * output) uses them without needing the decoder.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode/packet.h"

void packet_release(struct packet *p)
{
	free(p->owned);
	p->owned = NULL;
}

void mamori_addr_str(const struct mamori_addr *a, char *dst, unsigned n)
{
	if (!n)
		return;
	dst[0] = '\0';
	const char *r = NULL;
	if (a->family == 4)
		r = inet_ntop(AF_INET, a->a, dst, (socklen_t)n);
	else if (a->family == 6)
		r = inet_ntop(AF_INET6, a->a, dst, (socklen_t)n);
	if (!r)
		snprintf(dst, n, "%s", a->family ? "?" : "");
}
