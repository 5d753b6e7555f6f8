/* SPDX-License-Identifier: BSD-3-Clause */
/* srtpgw-loadgen's own options (after the EAL's and "--"). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/addr.h"
#include "tools/loadgen/lg.h"

void lg_usage(FILE *f)
{
	fprintf(f,
		"usage: srtpgw-loadgen [EAL options] -- --ops FILE [options]\n"
		"\n"
		"Sends valid SRTP (plain RTP for plain streams) for every stream of a gateway\n"
		"description, the op file given to `srtpgw-agentctl apply`, and counts, checks\n"
		"and times what the gateway sends to the viewers (docs/loadgen.md).\n"
		"\n"
		"  --ops FILE            the description: stream add / viewer add ... lines\n"
		"  --port DEVICE         DPDK device to send on, and receive on unless --rx-port\n"
		"                        (default: the only port the EAL has)\n"
		"  --rx-port DEVICE      receive the viewers' packets on another port\n"
		"  --rate PPS            packets per second over all streams (default 1000;\n"
		"                        0 = as fast as the port takes them)\n"
		"  --duration SEC        measured time after the warm-up (default 10)\n"
		"  --warmup SEC          sending before the measured window (default 1)\n"
		"  --drain SEC           wait at most this long for stragglers (default 1)\n"
		"  --size BYTES          RTP payload bytes, %u..%u (default 160)\n"
		"  --burst N             packets per TX/RX burst, 1..%u (default 32)\n"
		"  --rx-queues N         RX queues to poll, 1..16 (default 1). On memif, one per\n"
		"                        TX queue of the peer: srtpgw has workers + 1\n"
		"  --max-packets N       most packets to pre-encrypt, over all streams\n"
		"                        (default 1000000)\n"
		"  --streams-limit N     send only the first N streams of the description\n"
		"  --source ADDR[:PORT]  source of streams whose description has none\n"
		"  --dst-mac MAC         Ethernet destination (default: ask the gateway by ARP/ND)\n"
		"  --src-mac MAC         Ethernet source (default: the port's MAC)\n"
		"  --no-arp              neither announce our addresses nor ask (needs --dst-mac)\n"
		"  --link-timeout SEC    wait this long for the port to come up (default 10)\n"
		"  --idle-sleep-us N     sleep up to N us when idle (default 100; 0 = busy poll)\n"
		"  --json FILE           write the report as JSON to FILE too ('-': JSON on\n"
		"                        standard output instead of the text)\n"
		"  --verify-first N      decrypt and compare each viewer's first N packets\n"
		"                        (default 64), then every 1024th\n"
		"  --strict              exit 3 unless every viewer got exactly its packets,\n"
		"                        none failed to decrypt and none went elsewhere\n"
		"  --quiet               no text report\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 done, 1 error, 2 usage, 3 --strict check failed.\n"
		"Example (one host, srtpgw with one worker as memif server):\n"
		"  srtpgw-loadgen --no-huge -m 512 --no-pci --file-prefix lg --lcores '0@0' \\\n"
		"    --vdev net_memif0,role=client,socket=/run/memif.sock -- \\\n"
		"    --ops streams.ops --rx-queues 2 --rate 100000 --duration 10 --json out.json\n",
		LG_PAYLOAD_MIN, LG_PAYLOAD_MAX, LG_MAX_BURST);
}

static int bad(const char *opt, const char *why)
{
	fprintf(stderr, "srtpgw-loadgen: %s: %s (see --help)\n", opt, why);
	return -1;
}

static int num_d(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		char why[96];
		snprintf(why, sizeof(why), "must be a number from %g to %g", lo, hi);
		return bad(opt, why);
	}
	*out = v;
	return 0;
}

static int num_u(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		char why[96];
		snprintf(why, sizeof(why), "must be an integer from %llu to %llu",
			 (unsigned long long)lo, (unsigned long long)hi);
		return bad(opt, why);
	}
	*out = v;
	return 0;
}

static int mac(const char *opt, const char *s, struct rte_ether_addr *out)
{
	if (rte_ether_unformat_addr(s, out) != 0)
		return bad(opt, "not a MAC address (xx:xx:xx:xx:xx:xx)");
	return 0;
}

int lg_parse_args(int argc, char **argv, struct lg_opts *o)
{
	enum { O_OPS = 256, O_PORT, O_RX_PORT, O_RATE, O_DURATION, O_WARMUP, O_DRAIN, O_SIZE,
	       O_BURST, O_RXQ, O_MAX, O_LIMIT, O_SOURCE, O_DST_MAC, O_SRC_MAC, O_NO_ARP, O_LINK,
	       O_IDLE, O_JSON, O_STRICT, O_QUIET, O_VERIFY_FIRST };
	static const struct option opts[] = {
		{ "ops", required_argument, NULL, O_OPS },
		{ "port", required_argument, NULL, O_PORT },
		{ "rx-port", required_argument, NULL, O_RX_PORT },
		{ "rate", required_argument, NULL, O_RATE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "drain", required_argument, NULL, O_DRAIN },
		{ "size", required_argument, NULL, O_SIZE },
		{ "burst", required_argument, NULL, O_BURST },
		{ "rx-queues", required_argument, NULL, O_RXQ },
		{ "max-packets", required_argument, NULL, O_MAX },
		{ "streams-limit", required_argument, NULL, O_LIMIT },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "dst-mac", required_argument, NULL, O_DST_MAC },
		{ "src-mac", required_argument, NULL, O_SRC_MAC },
		{ "no-arp", no_argument, NULL, O_NO_ARP },
		{ "link-timeout", required_argument, NULL, O_LINK },
		{ "idle-sleep-us", required_argument, NULL, O_IDLE },
		{ "json", required_argument, NULL, O_JSON },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "verify-first", required_argument, NULL, O_VERIFY_FIRST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t u;
	int opt, rc = 0;

	memset(o, 0, sizeof(*o));
	o->rate = 1000;
	o->duration = 10;
	o->warmup = 1;
	o->drain = 1;
	o->size = 160;
	o->burst = 32;
	o->rx_queues = 1;
	o->max_packets = 1000000;
	o->link_timeout = 10;
	o->idle_sleep_us = 100;
	o->verify_first = 64;
	optind = 1;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_OPS: o->ops_path = optarg; break;
		case O_PORT: o->port = optarg; break;
		case O_RX_PORT: o->rx_port = optarg; break;
		case O_RATE: rc = num_d("--rate", optarg, 0, 1e9, &o->rate); break;
		case O_DURATION: rc = num_d("--duration", optarg, 0.001, 1e6, &o->duration); break;
		case O_WARMUP: rc = num_d("--warmup", optarg, 0, 1e6, &o->warmup); break;
		case O_DRAIN: rc = num_d("--drain", optarg, 0, 3600, &o->drain); break;
		case O_SIZE:
			rc = num_u("--size", optarg, LG_PAYLOAD_MIN, LG_PAYLOAD_MAX, &u);
			o->size = (unsigned)u;
			break;
		case O_BURST:
			rc = num_u("--burst", optarg, 1, LG_MAX_BURST, &u);
			o->burst = (unsigned)u;
			break;
		case O_RXQ:
			rc = num_u("--rx-queues", optarg, 1, 16, &u);
			o->rx_queues = (unsigned)u;
			break;
		case O_MAX: rc = num_u("--max-packets", optarg, 1, 1ull << 36, &o->max_packets); break;
		case O_LIMIT:
			rc = num_u("--streams-limit", optarg, 1, 1u << 24, &u);
			o->streams_limit = (unsigned)u;
			break;
		case O_SOURCE:
			if (sgw_endpoint_parse(optarg, &o->source, true) != 0)
				rc = bad("--source", "not ADDR or ADDR:PORT ([v6]:PORT)");
			break;
		case O_DST_MAC: rc = mac("--dst-mac", optarg, &o->dst_mac); o->have_dst_mac = true; break;
		case O_SRC_MAC: rc = mac("--src-mac", optarg, &o->src_mac); o->have_src_mac = true; break;
		case O_NO_ARP: o->no_arp = true; break;
		case O_LINK: rc = num_d("--link-timeout", optarg, 0, 3600, &o->link_timeout); break;
		case O_IDLE:
			rc = num_u("--idle-sleep-us", optarg, 0, 100000, &u);
			o->idle_sleep_us = (unsigned)u;
			break;
		case O_JSON: o->json_path = optarg; break;
		case O_STRICT: o->strict = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_VERIFY_FIRST:
			rc = num_u("--verify-first", optarg, 0, UINT32_MAX, &u);
			o->verify_first = (uint32_t)u;
			break;
		case 'h':
			lg_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "srtpgw-loadgen: unknown option or missing value: %s (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (rc != 0)
		return -1;
	if (optind != argc) {
		fprintf(stderr, "srtpgw-loadgen: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		return -1;
	}
	if (o->ops_path == NULL) {
		fprintf(stderr, "srtpgw-loadgen: --ops FILE is required (see --help)\n");
		return -1;
	}
	if (o->no_arp && !o->have_dst_mac)
		return bad("--no-arp", "needs --dst-mac");
	return 0;
}
