/* SPDX-License-Identifier: BSD-3-Clause */
/* The report: text (stdout) and JSON (--json). Fields: docs/loadgen.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "tools/loadgen/lg.h"

#define TEXT_VIEWERS 32 /* more are listed only when they are not as expected */

struct summary {
	uint64_t expected, received, verified, decrypt_fail, mismatch, misdelivered;
	double window_s, tx_pps, rx_pps;
	unsigned frame_min, frame_max;
};

uint64_t lg_expected(const struct lg_run *r, const struct lg_viewer *v)
{
	return r->sent[v->stream];
}

static void summarise(const struct lg_run *r, struct summary *s)
{
	const struct lg_model *m = r->m;

	memset(s, 0, sizeof(*s));
	s->frame_min = UINT32_MAX;
	for (unsigned j = 0; j < m->n_viewers; j++) {
		const struct lg_viewer *v = &m->viewers[j];
		s->expected += lg_expected(r, v);
		s->received += v->received;
		s->verified += v->verified;
		s->decrypt_fail += v->decrypt_fail;
		s->mismatch += v->mismatch;
		s->misdelivered += v->misdelivered;
	}
	for (unsigned i = 0; i < m->n_streams; i++) {
		s->frame_min = RTE_MIN(s->frame_min, m->streams[i].frame_len);
		s->frame_max = RTE_MAX(s->frame_max, m->streams[i].frame_len);
	}
	if (r->t_tx_end > r->t_window_seen)
		s->window_s = (double)(r->t_tx_end - r->t_window_seen) / (double)r->hz;
	if (s->window_s > 0) {
		s->tx_pps = (double)(r->sent_total - r->sent_at_window) / s->window_s;
		s->rx_pps = (double)r->rx_window_frames / s->window_s;
	}
}

static double us(const struct lg_run *r, uint64_t cycles)
{
	return (double)cycles * 1e6 / (double)r->hz;
}

static bool viewer_ok(const struct lg_run *r, const struct lg_viewer *v)
{
	return v->received == lg_expected(r, v) && v->decrypt_fail == 0 && v->mismatch == 0 &&
	       v->misdelivered == 0;
}

int lg_report_check(const struct lg_run *r)
{
	for (unsigned j = 0; j < r->m->n_viewers; j++)
		if (!viewer_ok(r, &r->m->viewers[j]))
			return -1;
	return r->unknown == 0 ? 0 : -1;
}

void lg_report_text(const struct lg_run *r, FILE *f)
{
	const struct lg_model *m = r->m;
	const struct lg_hist *h = &r->hist;
	struct summary s;
	unsigned hidden = 0;

	summarise(r, &s);
	fprintf(f, "streams     %u (%u SRTP, %u plain), %u viewers, frames %u..%u bytes\n",
		m->n_streams, m->n_srtp_streams, m->n_streams - m->n_srtp_streams, m->n_viewers,
		s.frame_min, s.frame_max);
	fprintf(f, "sent        %" PRIu64 " packets%s%s\n", r->sent_total,
		r->exhausted ? " (all pre-encrypted packets: raise --max-packets for longer)" : "",
		r->stop_tx ? " (interrupted)" : "");
	fprintf(f, "window      %.3f s after %.3f s warm-up: tx %.0f pps, rx %.0f pps\n",
		s.window_s, r->o->warmup, s.tx_pps, s.rx_pps);
	fprintf(f, "received    %" PRIu64 " of %" PRIu64 " expected by the viewers; unknown %" PRIu64
		", misdelivered %" PRIu64 ", other %" PRIu64 "\n",
		s.received, s.expected, r->unknown, s.misdelivered, r->other);
	fprintf(f, "checked     %" PRIu64 " decrypted and compared: %" PRIu64 " decrypt failures, %"
		PRIu64 " mismatches\n", s.verified, s.decrypt_fail, s.mismatch);
	if (h->n > 0)
		fprintf(f, "latency     p50 %.1f us, p99 %.1f us, max %.1f us (%" PRIu64 " packets)\n",
			us(r, lg_hist_quantile(h, 0.5)), us(r, lg_hist_quantile(h, 0.99)),
			us(r, h->max), h->n);
	else
		fprintf(f, "latency     no packet of the window came back\n");
	fprintf(f, "%-12s %-12s %12s %12s %9s %9s\n", "viewer", "stream", "expected", "received",
		"verified", "failures");
	for (unsigned j = 0; j < m->n_viewers; j++) {
		const struct lg_viewer *v = &m->viewers[j];
		if (m->n_viewers > TEXT_VIEWERS && viewer_ok(r, v)) {
			hidden++;
			continue;
		}
		fprintf(f, "%-12" PRIu64 " %-12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %9" PRIu64
			" %9" PRIu64 "\n", v->id, v->stream_id, lg_expected(r, v), v->received,
			v->verified, v->decrypt_fail + v->mismatch + v->misdelivered);
	}
	if (hidden > 0)
		fprintf(f, "(%u more viewers got exactly their packets)\n", hidden);
}

int lg_report_json(const struct lg_run *r, const char *path)
{
	const struct lg_model *m = r->m;
	const struct lg_hist *h = &r->hist;
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	struct summary s;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "srtpgw-loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	summarise(r, &s);
	fprintf(f, "{\"streams\": %u, \"srtp_streams\": %u, \"viewers\": %u, \"payload_bytes\": %u, "
		"\"frame_bytes_min\": %u, \"frame_bytes_max\": %u, \"rate\": %.0f, \"burst\": %u,\n",
		m->n_streams, m->n_srtp_streams, m->n_viewers, r->o->size, s.frame_min, s.frame_max,
		r->o->rate, r->o->burst);
	fprintf(f, " \"sent\": %" PRIu64 ", \"expected\": %" PRIu64 ", \"received\": %" PRIu64
		", \"unknown\": %" PRIu64 ", \"other\": %" PRIu64 ", \"misdelivered\": %" PRIu64
		", \"verified\": %" PRIu64 ", \"decrypt_failures\": %" PRIu64 ", \"mismatches\": %" PRIu64
		",\n", r->sent_total, s.expected, s.received, r->unknown, r->other, s.misdelivered,
		s.verified, s.decrypt_fail, s.mismatch);
	fprintf(f, " \"warmup_s\": %.6f, \"window_s\": %.6f, \"tx_pps\": %.1f, \"rx_pps\": %.1f, "
		"\"rx_window_frames\": %" PRIu64 ", \"rx_frames\": %" PRIu64 ", \"tx_full\": %" PRIu64
		", \"exhausted\": %s, \"interrupted\": %s, \"arp_answered\": %" PRIu64
		", \"nd_answered\": %" PRIu64 ",\n",
		r->o->warmup, s.window_s, s.tx_pps, s.rx_pps, r->rx_window_frames, r->rx_frames,
		r->tx_full, r->exhausted ? "true" : "false", r->stop_tx ? "true" : "false",
		r->arp_answered, r->nd_answered);
	fprintf(f, " \"latency_us\": {\"samples\": %" PRIu64 ", \"min\": %.3f, \"p50\": %.3f, "
		"\"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f}, \"latency_unmatched\": %"
		PRIu64 ",\n", h->n, us(r, h->min), us(r, lg_hist_quantile(h, 0.5)),
		us(r, lg_hist_quantile(h, 0.9)), us(r, lg_hist_quantile(h, 0.99)),
		us(r, lg_hist_quantile(h, 0.999)), us(r, h->max), r->lat_lost);
	fprintf(f, " \"per_stream\": [");
	for (unsigned i = 0; i < m->n_streams; i++)
		fprintf(f, "%s{\"stream\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"frame_bytes\": %u}",
			i ? ", " : "", m->streams[i].id, r->sent[i], m->streams[i].frame_len);
	fprintf(f, "],\n \"per_viewer\": [");
	for (unsigned j = 0; j < m->n_viewers; j++) {
		const struct lg_viewer *v = &m->viewers[j];
		fprintf(f, "%s\n  {\"viewer\": %" PRIu64 ", \"stream\": %" PRIu64 ", \"expected\": %" PRIu64
			", \"received\": %" PRIu64 ", \"verified\": %" PRIu64 ", \"decrypt_failures\": %"
			PRIu64 ", \"mismatches\": %" PRIu64 ", \"misdelivered\": %" PRIu64 "}",
			j ? "," : "", v->id, v->stream_id, lg_expected(r, v), v->received, v->verified,
			v->decrypt_fail, v->mismatch, v->misdelivered);
	}
	fprintf(f, "]}\n");
	rc = ferror(f) ? -1 : 0;
	if (!to_stdout && fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "srtpgw-loadgen: %s: write failed\n", path);
	return rc;
}
