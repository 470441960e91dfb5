// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-leaderexit: the leader called pthread_exit(); another thread
 * runs on.  A checkpoint refuses it, saying so.
 */
#include <pthread.h>
#include "zdtm.h"

static void *thr(void *arg)
{
	(void)arg;
	usleep(200000);
	zdtm_ready();
	zdtm_wait();
	zdtm_pass();
}

int main(int argc, char **argv)
{
	pthread_t t;

	zdtm_init(argc, argv);
	if (pthread_create(&t, NULL, thr, NULL))
		zdtm_fail("pthread_create");
	pthread_exit(NULL);
}
