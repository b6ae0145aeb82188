// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy-cost - the time of one memcpy() of a frame, the limit a capture
 * pipeline's cost per frame is compared with.
 *
 *   memcpy-cost BYTES [copies]
 *
 * Prints "memcpy BYTES <us per copy>": the median of the copies (default
 * 31), between two buffers touched beforehand (no page faults timed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vlife-util.h"

static double now_us(void)
{
	return now_ms() * 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	int n = argc > 2 ? atoi(argv[2]) : 31, i;
	char *src, *dst;
	double *us, t;

	if (!size || n < 1) {
		fprintf(stderr, "usage: %s BYTES [copies]\n", argv[0]);
		return 2;
	}
	src = malloc(size);
	dst = malloc(size);
	us = calloc(n, sizeof(*us));
	if (!src || !dst || !us)
		return 1;
	memset(src, 0x5a, size);
	memset(dst, 0, size);
	for (i = 0; i < n; i++) {
		t = now_us();
		memcpy(dst, src, size);
		us[i] = now_us() - t;
		src[i % size] ^= dst[(i * 4099) % size];
	}
	qsort(us, n, sizeof(*us), cmp_double);
	printf("memcpy %zu %.1f\n", size, us[n / 2]);
	return 0;
}
