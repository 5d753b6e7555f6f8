/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-agentctl: a direct client of the gateway's agent socket, for
 * tests, debugging and scripts. Operators use srtpgwctl (the control
 * plane); this tool talks to the gateway itself. See docs/agentctl.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/addr.h"
#include "api/agent_wire.h"
#include "api/ops_text.h"
#include "api/srtpgw_counters.h"

#define DEFAULT_SOCKET "/run/srtpgw/agent.sock"

static const char *socket_path = DEFAULT_SOCKET;
static int json;
static uint32_t seq;
static uint8_t rbuf[SGW_AGENT_MAX_PAYLOAD];

static const char *counter_names[] = {
#define SGW_COUNTER_NAME(e, name, help) name,
	SGW_FOREACH_COUNTER(SGW_COUNTER_NAME)
#undef SGW_COUNTER_NAME
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: srtpgw-agentctl [-s SOCKET] [--json] COMMAND\n"
		"\n"
		"Talks to srtpgw's agent socket directly (tests, debugging).\n"
		"\n"
		"commands:\n"
		"  status                 version, streams, viewers, workers, lease deadline\n"
		"  apply [--replace-all] [--ctl-seq N]\n"
		"                         read ops from standard input, one per line, and\n"
		"                         apply them as one transaction (docs/agentctl.md)\n"
		"  stats workers          per-worker counters (the last entry is the agent thread)\n"
		"  stats streams          per-stream counters\n"
		"  stats viewers          per-viewer counters\n"
		"  stats lanes            per-lane SSRC, next index and reservation (viewers with lanes)\n"
		"  addrs                  the gateway's addresses: config file and service (addr add)\n"
		"  lease TTL_MS           fenced streams forward for TTL_MS more ms (0: no deadline)\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH      agent socket (default " DEFAULT_SOCKET ")\n"
		"  -j, --json             JSON output\n"
		"  -h, --help             this text\n");
}

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fputs("srtpgw-agentctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int connect_agent(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", socket_path);
	strcpy(sa.sun_path, socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("cannot connect to %s: %s", socket_path, strerror(errno));
	return fd;
}

/* Send a request and wait for its reply; exits on ERROR unless the caller
 * passes err_out. Returns the reply type. */
static uint16_t request(int fd, uint16_t type, const void *p, uint32_t len,
			struct sgw_msg_hdr *hdr)
{
	int rc = sgw_wire_send(fd, type, ++seq, p, len), rrc = rc;

	/* a connection the gateway refused (peer not allowed, too many
	 * clients) holds one ERROR with seq 0, and may be closed before our
	 * request went out: read it all the same */
	if (rc == 0 || rc == -EPIPE || rc == -ECONNRESET)
		rrc = sgw_wire_recv(fd, hdr, rbuf, sizeof(rbuf));
	if (rrc == 0 && hdr->type == SGW_MSG_ERROR && hdr->seq == 0) {
		hdr->seq = seq;
		rc = 0;
	} else if (rc == 0) {
		rc = rrc;
	}
	if (rc != 0)
		die("agent %s: %s", socket_path, strerror(-rc));
	if (hdr->seq != seq)
		die("agent answered request %u, expected %u", hdr->seq, seq);
	if (hdr->type == SGW_MSG_ERROR) {
		struct sgw_error e;
		memcpy(&e, rbuf, sizeof(e));
		e.msg[sizeof(e.msg) - 1] = '\0';
		die("gateway refused: %s (%s)", e.msg, strerror(e.code));
	}
	return hdr->type;
}

static int cmd_status(void)
{
	struct sgw_msg_hdr h;
	struct sgw_status st;
	int fd = connect_agent();

	if (request(fd, SGW_MSG_HELLO, NULL, 0, &h) != SGW_MSG_STATUS || h.len != sizeof(st))
		die("unexpected reply to HELLO");
	memcpy(&st, rbuf, sizeof(st));
	/* the lease deadline: none, expired, or ms left */
	const char *lease = st.lease_ms == SGW_LEASE_NONE ? "none" :
			    st.lease_ms == SGW_LEASE_EXPIRED ? "expired" : "armed";
	uint32_t left = strcmp(lease, "armed") == 0 ? st.lease_ms : 0;
	if (json)
		printf("{\"version\": %" PRIu64 ", \"ctl_seq\": %" PRIu64 ", \"boot_id\": \"%016" PRIx64
		       "\", \"streams\": %u, \"viewers\": %u, \"workers\": %u, \"lease\": \"%s\""
		       ", \"lease_ms\": %u}\n",
		       st.version, st.ctl_seq, st.boot_id, st.n_streams, st.n_viewers, st.n_workers, lease,
		       left);
	else if (left != 0)
		printf("version %" PRIu64 "\nctl_seq %" PRIu64 "\nboot_id %016" PRIx64
		       "\nstreams %u\nviewers %u\nworkers %u\nlease %u ms left\n",
		       st.version, st.ctl_seq, st.boot_id, st.n_streams, st.n_viewers, st.n_workers, left);
	else
		printf("version %" PRIu64 "\nctl_seq %" PRIu64 "\nboot_id %016" PRIx64
		       "\nstreams %u\nviewers %u\nworkers %u\nlease %s\n",
		       st.version, st.ctl_seq, st.boot_id, st.n_streams, st.n_viewers, st.n_workers, lease);
	close(fd);
	return 0;
}

/* ---- lease: the deadline of fenced streams ------------------------------ */

static int cmd_lease(int argc, char **argv)
{
	struct sgw_lease l = { 0 };
	struct sgw_msg_hdr h;
	unsigned long long v;
	char *end;
	int fd;

	if (argc != 2)
		die("lease needs TTL_MS (0: no deadline)");
	errno = 0;
	v = strtoull(argv[1], &end, 10);
	if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' || errno != 0 || v >= UINT32_MAX)
		die("lease: TTL_MS must be 0..%u", UINT32_MAX - 1);
	l.ttl_ms = (uint32_t)v;
	fd = connect_agent();
	if (request(fd, SGW_MSG_LEASE, &l, sizeof(l), &h) != SGW_MSG_OK)
		die("unexpected reply to LEASE");
	if (json)
		printf("{\"lease_ms\": %u}\n", l.ttl_ms);
	else if (l.ttl_ms == 0)
		printf("lease none\n");
	else
		printf("lease %u ms\n", l.ttl_ms);
	close(fd);
	return 0;
}

/* ---- apply: the op language (api/ops_text.c) ---------------------------- */

static void flush_ops(struct sgw_ops_buf *b, int fd)
{
	struct sgw_msg_hdr h;

	if (b->len == 0)
		return;
	request(fd, SGW_MSG_TXN_OPS, b->data, b->len, &h);
	sgw_ops_buf_reset(b);
}

struct apply_ctx {
	struct sgw_ops_buf *b;
	int fd;
};

/* sgw_ops_text_read callback: queue the op, sending a full payload first. */
static int add_op(const struct sgw_text_op *op, int line_no, void *arg)
{
	struct apply_ctx *c = arg;
	int rc = sgw_ops_buf_add(c->b, op->type, &op->body, op->len);

	(void)line_no;
	if (rc == -EMSGSIZE) {
		flush_ops(c->b, c->fd);
		rc = sgw_ops_buf_add(c->b, op->type, &op->body, op->len);
	}
	if (rc != 0)
		die("cannot queue op: %s", strerror(-rc));
	return 0;
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "replace-all", no_argument, NULL, 'r' },
		{ "ctl-seq", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct sgw_txn_begin begin = { 0 };
	struct sgw_ops_buf b;
	struct sgw_msg_hdr h;
	struct sgw_applied ap;
	struct sgw_ops_text_err err;
	struct apply_ctx ctx;
	int opt, fd;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'r')
			begin.flags |= SGW_TXN_REPLACE_ALL;
		else if (opt == 'q')
			begin.ctl_seq = strtoull(optarg, NULL, 10);
		else
			die("apply: unknown option (see --help)");
	}
	fd = connect_agent();
	request(fd, SGW_MSG_TXN_BEGIN, &begin, sizeof(begin), &h);
	sgw_ops_buf_init(&b);
	ctx.b = &b;
	ctx.fd = fd;
	if (sgw_ops_text_read(stdin, add_op, &ctx, &err) != 0) {
		sgw_ops_buf_free(&b);
		if (err.line > 0)
			die("line %d: %s", err.line, err.msg);
		die("standard input: %s", err.msg);
	}
	flush_ops(&b, fd);
	sgw_ops_buf_free(&b);
	if (request(fd, SGW_MSG_TXN_COMMIT, NULL, 0, &h) != SGW_MSG_APPLIED || h.len != sizeof(ap))
		die("unexpected reply to COMMIT");
	memcpy(&ap, rbuf, sizeof(ap));
	if (json)
		printf("{\"version\": %" PRIu64 ", \"ctl_seq\": %" PRIu64 "}\n", ap.version, ap.ctl_seq);
	else
		printf("applied %" PRIu64 "\n", ap.version);
	close(fd);
	return 0;
}

/* ---- stats -------------------------------------------------------------- */

static int stats_workers(int fd)
{
	struct sgw_msg_hdr h;
	struct sgw_worker_stats_hdr wh;
	size_t off = sizeof(wh), entry;

	request(fd, SGW_MSG_STATS_WORKERS, NULL, 0, &h);
	memcpy(&wh, rbuf, sizeof(wh));
	entry = 8 + (size_t)wh.n_counters * 8;
	if (h.len < sizeof(wh) + wh.n_workers * entry)
		die("short WORKER_STATS reply");
	printf(json ? "[" : "");
	for (uint32_t w = 0; w < wh.n_workers; w++, off += entry) {
		uint32_t lcore;
		bool agent = w == wh.n_workers - 1;
		memcpy(&lcore, rbuf + off, 4);
		if (json && agent)
			printf("%s{\"worker\": \"agent\", \"lcore\": %u", w ? ", " : "", lcore);
		else if (json)
			printf("%s{\"worker\": %u, \"lcore\": %u", w ? ", " : "", w, lcore);
		else
			printf("%s (lcore %u)\n", agent ? "agent" : "worker", lcore);
		for (uint32_t c = 0; c < wh.n_counters; c++) {
			uint64_t v;
			const char *name = c < SGW_CTR_MAX ? counter_names[c] : "unknown";
			memcpy(&v, rbuf + off + 8 + c * 8, 8);
			if (json)
				printf(", \"%s\": %" PRIu64, name, v);
			else if (v != 0)
				printf("  %-24s %" PRIu64 "\n", name, v);
		}
		printf(json ? "}" : "");
	}
	printf(json ? "]\n" : "");
	return 0;
}

/* "ssrc/roc/seq" (ssrc in hex), "-" for none; JSON an object or null. */
static const char *pos_str(const struct sgw_pos *p, char *buf, size_t len)
{
	if (!(p->flags & SGW_POS_VALID))
		snprintf(buf, len, json ? "null" : "-");
	else if (json)
		snprintf(buf, len, "{\"ssrc\": %u, \"roc\": %u, \"seq\": %u}", p->ssrc, p->roc, p->seq);
	else
		snprintf(buf, len, "%08x/%u/%u", p->ssrc, p->roc, p->seq);
	return buf;
}

static int stats_pages(int fd, bool streams)
{
	char pos[80];
	struct sgw_flow_stats_req req = { .after_id = 0, .max = 0 };
	struct sgw_msg_hdr h;
	struct sgw_stats_page pg;
	bool first = true;

	if (json)
		printf("[");
	else if (streams)
		printf("%-10s %-6s %-6s %12s %14s %8s %8s %8s %10s  %-24s %s\n", "id", "owner", "worker",
		       "packets", "bytes", "auth", "replay", "other", "idle_ms", "position", "fence");
	else
		printf("%-10s %-10s %-6s %12s %14s %8s  %s\n", "id", "stream", "owner", "packets",
		       "bytes", "drops", "position");
	do {
		size_t esz = streams ? sizeof(struct sgw_flow_stats) : sizeof(struct sgw_viewer_stats);
		request(fd, streams ? SGW_MSG_STATS_FLOWS : SGW_MSG_STATS_VIEWERS, &req, sizeof(req), &h);
		memcpy(&pg, rbuf, sizeof(pg));
		if (h.len < sizeof(pg) + pg.n * esz)
			die("short stats reply");
		for (uint32_t i = 0; i < pg.n; i++) {
			const uint8_t *p = rbuf + sizeof(pg) + i * esz;
			if (streams) {
				struct sgw_flow_stats f;
				memcpy(&f, p, sizeof(f));
				req.after_id = f.stream_id;
				if (json)
					printf("%s{\"stream\": %" PRIu64 ", \"owner\": %u, \"worker\": %d, "
					       "\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
					       ", \"auth_fail\": %" PRIu64 ", \"replay_fail\": %" PRIu64
					       ", \"other_fail\": %" PRIu64 ", \"idle_ms\": %" PRId64
					       ", \"position\": %s, \"fence\": %" PRIu64 "}",
					       first ? "" : ", ", f.stream_id, f.owner,
					       f.worker == UINT32_MAX ? -1 : (int)f.worker, f.packets, f.bytes,
					       f.auth_fail, f.replay_fail, f.other_fail,
					       f.idle_ms == UINT64_MAX ? (int64_t)-1 : (int64_t)f.idle_ms,
					       pos_str(&f.pos, pos, sizeof(pos)), f.fence);
				else
					printf("%-10" PRIu64 " %-6u %-6d %12" PRIu64 " %14" PRIu64 " %8" PRIu64
					       " %8" PRIu64 " %8" PRIu64 " %10" PRId64 "  %-24s %" PRIu64 "\n",
					       f.stream_id, f.owner, f.worker == UINT32_MAX ? -1 : (int)f.worker,
					       f.packets, f.bytes, f.auth_fail, f.replay_fail, f.other_fail,
					       f.idle_ms == UINT64_MAX ? (int64_t)-1 : (int64_t)f.idle_ms,
					       pos_str(&f.pos, pos, sizeof(pos)), f.fence);
			} else {
				struct sgw_viewer_stats v;
				memcpy(&v, p, sizeof(v));
				req.after_id = v.viewer_id;
				if (json)
					printf("%s{\"viewer\": %" PRIu64 ", \"stream\": %" PRIu64
					       ", \"owner\": %u, \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
					       ", \"drops\": %" PRIu64 ", \"position\": %s, \"rtcp_in\": %" PRIu64
					       ", \"rtcp_bad\": %" PRIu64 ", \"rr\": %" PRIu64 ", \"pli\": %" PRIu64
					       ", \"fir\": %" PRIu64 ", \"nack\": %" PRIu64 ", \"fraction_lost\": %u"
					       ", \"cumulative_lost\": %d, \"jitter\": %u, \"rtt_us\": %u"
					       ", \"last_rr_ms\": %" PRId64 ", \"nack_resent\": %" PRIu64
					       ", \"nack_missed\": %" PRIu64 "}",
					       first ? "" : ", ", v.viewer_id, v.stream_id, v.owner,
					       v.packets, v.bytes, v.drops, pos_str(&v.pos, pos, sizeof(pos)),
					       v.rtcp_in, v.rtcp_bad, v.rr, v.pli, v.fir, v.nack, v.fraction_lost,
					       v.cumulative_lost, v.jitter, v.rtt_us,
					       v.last_rr_ms == UINT64_MAX ? (int64_t)-1 : (int64_t)v.last_rr_ms,
					       v.nack_resent, v.nack_missed);
				else
					printf("%-10" PRIu64 " %-10" PRIu64 " %-6u %12" PRIu64 " %14" PRIu64
					       " %8" PRIu64 "  %s\n", v.viewer_id, v.stream_id, v.owner,
					       v.packets, v.bytes, v.drops, pos_str(&v.pos, pos, sizeof(pos)));
			}
			first = false;
		}
	} while (pg.more);
	printf(json ? "]\n" : "");
	return 0;
}

/* The lanes of every viewer that has them (docs/agent-protocol.md, "Lanes"). */
static int stats_lanes(int fd)
{
	struct sgw_lanes_req req = { .after_id = 0, .max = 0 };
	struct sgw_msg_hdr h;
	struct sgw_stats_page pg;
	bool first = true;

	if (json)
		printf("[");
	else
		printf("%-10s %-4s %-8s %14s %14s %10s %10s  %s\n", "viewer", "lane", "ssrc", "next", "limit",
		       "rtcp_next", "rtcp_limit", "source");
	do {
		request(fd, SGW_MSG_STATS_LANES, &req, sizeof(req), &h);
		memcpy(&pg, rbuf, sizeof(pg));
		if (h.len < sizeof(pg) + pg.n * sizeof(struct sgw_lane_stats))
			die("short stats reply");
		for (uint32_t i = 0; i < pg.n; i++) {
			struct sgw_lane_stats l;
			char src[16] = "-";

			memcpy(&l, rbuf + sizeof(pg) + i * sizeof(l), sizeof(l));
			req.after_id = l.viewer_id;
			if (l.flags & SGW_LANE_MAPPED)
				snprintf(src, sizeof(src), "%08x", l.in_ssrc);
			if (json) {
				char jsrc[16] = "null";
				if (l.flags & SGW_LANE_MAPPED)
					snprintf(jsrc, sizeof(jsrc), "%u", l.in_ssrc);
				printf("%s{\"viewer\": %" PRIu64 ", \"lane\": %u, \"ssrc\": %u, \"next\": %" PRIu64
				       ", \"limit\": %" PRIu64 ", \"rtcp_next\": %u, \"rtcp_limit\": %u, "
				       "\"source\": %s}",
				       first ? "" : ", ", l.viewer_id, l.lane, l.ssrc, l.next, l.limit, l.rtcp_next,
				       l.rtcp_limit, jsrc);
			} else {
				printf("%-10" PRIu64 " %-4u %08x %14" PRIu64 " %14" PRIu64 " %10u %10u  %s\n",
				       l.viewer_id, l.lane, l.ssrc, l.next, l.limit, l.rtcp_next, l.rtcp_limit, src);
			}
			first = false;
		}
	} while (pg.more);
	printf(json ? "]\n" : "");
	return 0;
}

/* The published version's addresses (docs/agent-protocol.md, "Service addresses"). */
static int cmd_addrs(void)
{
	struct sgw_msg_hdr h;
	struct sgw_stats_page pg;
	int fd = connect_agent();

	if (request(fd, SGW_MSG_STATS_ADDRS, NULL, 0, &h) != SGW_MSG_ADDR_STATS || h.len < sizeof(pg))
		die("unexpected reply to STATS_ADDRS");
	memcpy(&pg, rbuf, sizeof(pg));
	if (h.len < sizeof(pg) + pg.n * sizeof(struct sgw_addr_stats))
		die("short ADDR_STATS reply");
	if (json)
		printf("[");
	else
		printf("%-40s %-8s %-4s %-12s %-8s %s\n", "address", "origin", "port", "name", "flags",
		       "announce");
	for (uint32_t i = 0; i < pg.n; i++) {
		struct sgw_addr_stats st;
		char ip[SGW_ADDR_STRLEN], cidr[SGW_ADDR_STRLEN + 8];
		const char *origin;

		memcpy(&st, rbuf + sizeof(pg) + i * sizeof(st), sizeof(st));
		st.port_name[sizeof(st.port_name) - 1] = '\0';
		origin = st.origin == SGW_ADDR_CONFIG ? "config" : st.origin == SGW_ADDR_SERVICE ? "service" : "?";
		snprintf(cidr, sizeof(cidr), "%s/%u", sgw_addr_format(&st.ip, ip, sizeof(ip)), st.prefix_len);
		if (json)
			printf("%s{\"address\": \"%s\", \"prefix_len\": %u, \"origin\": \"%s\", \"port_idx\": %u, "
			       "\"port\": \"%s\", \"leased\": %s, \"flags\": %u, \"index\": %u, "
			       "\"announce_left\": %u}",
			       i ? ", " : "", ip, st.prefix_len, origin, st.port_idx, st.port_name,
			       (st.flags & SGW_ADDR_LEASED) ? "true" : "false", st.flags, st.aidx,
			       st.announce_left);
		else
			printf("%-40s %-8s %-4u %-12s %-8s %u\n", cidr, origin, st.port_idx, st.port_name,
			       (st.flags & SGW_ADDR_LEASED) ? "leased" : "-", st.announce_left);
	}
	printf(json ? "]\n" : "");
	close(fd);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	int fd, rc;

	if (argc != 2)
		die("stats needs one of: workers, streams, viewers, lanes");
	fd = connect_agent();
	if (strcmp(argv[1], "workers") == 0)
		rc = stats_workers(fd);
	else if (strcmp(argv[1], "streams") == 0)
		rc = stats_pages(fd, true);
	else if (strcmp(argv[1], "viewers") == 0)
		rc = stats_pages(fd, false);
	else if (strcmp(argv[1], "lanes") == 0)
		rc = stats_lanes(fd);
	else
		die("stats: unknown table \"%s\" (workers, streams, viewers, lanes)", argv[1]);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	signal(SIGPIPE, SIG_IGN); /* a closed connection is an error to report, not a signal */
	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "status") == 0 && argc == 1)
		return cmd_status();
	if (strcmp(argv[0], "apply") == 0)
		return cmd_apply(argc, argv);
	if (strcmp(argv[0], "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(argv[0], "addrs") == 0 && argc == 1)
		return cmd_addrs();
	if (strcmp(argv[0], "lease") == 0)
		return cmd_lease(argc, argv);
	fprintf(stderr, "srtpgw-agentctl: unknown command \"%s\" (see --help)\n", argv[0]);
	return 2;
}
