/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-loadgen [EAL options] -- --ops FILE [options]   (docs/loadgen.md)
 *
 * Start-up: EAL, options, the description, the port(s) and link, ARP/ND
 * with the gateway, then every packet is made (SRTP encrypted) before the
 * first is sent. The main lcore sends; the next lcore, if the EAL has one,
 * receives, else the main lcore polls both. After the last packet the
 * receiver waits (--drain) until every viewer has what it should, then the
 * report.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "dataplane/srtp_ctx.h"
#include "tools/loadgen/lg.h"
#include "tools/loadgen/lg_slow.h"

static struct lg_run *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running != NULL)
		running->stop_tx = true;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Packets to make per stream; 0 when every stream is plain (made on the fly). */
static uint64_t per_stream(const struct lg_model *m, const struct lg_opts *o, uint64_t *total)
{
	uint64_t want;

	if (m->n_srtp_streams == 0) {
		*total = UINT64_MAX;
		return 0;
	}
	want = o->max_packets;
	if (o->rate > 0) {
		double need = o->rate * (o->warmup + o->duration) + o->burst + m->n_streams;
		if (need < (double)want)
			want = (uint64_t)need;
	}
	want = (want + m->n_streams - 1) / m->n_streams;
	*total = want * m->n_streams;
	return want;
}

static uint64_t expected_total(const struct lg_run *r)
{
	uint64_t e = 0;

	for (unsigned j = 0; j < r->m->n_viewers; j++)
		e += lg_expected(r, &r->m->viewers[j]);
	return e;
}

/* After the last packet: until every viewer has what it should, or --drain. */
static void drain(struct lg_run *r)
{
	uint64_t want = expected_total(r);
	uint64_t deadline = rte_rdtsc() + (uint64_t)(r->o->drain * (double)r->hz);

	while (rte_rdtsc() < deadline &&
	       __atomic_load_n(&r->rx_known, __ATOMIC_RELAXED) < want) {
		if (r->interleaved) {
			if (lg_rx_poll(r) == 0) {
				struct timespec ts = { 0, 20000 };
				nanosleep(&ts, NULL);
			}
		} else {
			struct timespec ts = { 0, 100000 };
			lg_slow_flush(r);
			nanosleep(&ts, NULL);
		}
	}
}

static int run(struct lg_run *r, char *err, size_t errlen)
{
	uint64_t n_per;
	unsigned rx_lcore;

	if (lg_model_load(r->o->ops_path, r->m, err, errlen) != 0 ||
	    lg_model_prepare(r->m, r->o, err, errlen) != 0)
		return -1;
	if (sgw_srtp_global_init() != 0) {
		snprintf(err, errlen, "cannot initialise libsrtp");
		return -1;
	}
	if (getrandom(&r->ssrc_base, sizeof(r->ssrc_base), 0) != sizeof(r->ssrc_base)) {
		snprintf(err, errlen, "getrandom failed");
		return -1;
	}
	r->sent = calloc(r->m->n_streams, sizeof(*r->sent));
	if (r->sent == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->hz = rte_get_tsc_hz();
	if (lg_port_setup(r, err, errlen) != 0 || lg_slow_init(r) != 0 ||
	    lg_rx_init(r, err, errlen) != 0 || lg_slow_resolve(r, err, errlen) != 0)
		return -1;
	n_per = per_stream(r->m, r->o, &r->total_packets);
	if (!r->o->quiet && n_per > 0 && r->o->json_path == NULL)
		fprintf(stderr, "srtpgw-loadgen: encrypting %llu packets\n",
			(unsigned long long)r->total_packets);
	if (lg_frames_build(r->m, r->o, &r->mac, r->ssrc_base, n_per, err, errlen) != 0)
		return -1;
	if (r->stop_tx)
		return 0;
	rx_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	r->interleaved = rx_lcore >= RTE_MAX_LCORE;
	if (!r->interleaved && rte_eal_remote_launch(lg_rx_main, r, rx_lcore) != 0) {
		snprintf(err, errlen, "cannot launch the RX lcore %u", rx_lcore);
		return -1;
	}
	lg_tx_main(r);
	drain(r);
	r->stop_rx = true;
	if (!r->interleaved)
		rte_eal_wait_lcore(rx_lcore);
	return 0;
}

int main(int argc, char **argv)
{
	static struct lg_model model;
	static struct lg_run r;
	struct lg_opts o;
	char err[512] = "";
	int rc;

	if (wants_help(argc, argv)) {
		lg_usage(stdout);
		return 0;
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "srtpgw-loadgen: cannot initialise the DPDK EAL: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argv[rc] = argv[0];
	rc = lg_parse_args(argc - rc, argv + rc, &o);
	if (rc != 0) {
		rte_eal_cleanup();
		return rc > 0 ? 0 : 2;
	}
	r.m = &model;
	r.o = &o;
	running = &r;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	rc = run(&r, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "srtpgw-loadgen: %s\n", err);
		rc = 1;
	} else {
		if (!o.quiet && !(o.json_path != NULL && strcmp(o.json_path, "-") == 0))
			lg_report_text(&r, stdout);
		if (o.json_path != NULL && lg_report_json(&r, o.json_path) != 0)
			rc = 1;
		else if (o.strict && lg_report_check(&r) != 0)
			rc = 3;
	}
	if (r.pool != NULL)
		lg_port_close(&r);
	lg_rx_fini(&r);
	lg_model_free(&model);
	free(r.sent);
	rte_eal_cleanup();
	return rc;
}
