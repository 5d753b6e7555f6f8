/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The op language shared by srtpgw-agentctl and srtpgw-loadgen
 * (api/ops_text.c, docs/agentctl.md): every op into its exact wire body,
 * every error with its message and line, and no error message that echoes
 * a value (a value may be a key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ops_text.h"
#include "check.h"

/* 16 bytes of key and 14 of salt: 0x00..0x1d */
static const char KEY30[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
/* 16 + 12 for AES-128-GCM: 0x00..0x1b */
static const char KEY28[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==";

/* Parse one line (copied: the parser tokenises in place). */
static int parse(const char *text, struct sgw_text_op *op, struct sgw_ops_text_err *err)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", text);
	return sgw_ops_text_parse_line(buf, 7, op, err);
}

static int is_counting(const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != i)
			return 0;
	return 1;
}

static void stream_add(void)
{
	struct sgw_text_op op;
	struct sgw_ops_text_err err;
	char line[256];

	snprintf(line, sizeof(line),
		 "stream add 42 owner=7 listen=10.0.0.1:5000 source=10.0.0.9 "
		 "suite=AES_CM_128_HMAC_SHA1_80 key=%s replay-window=256", KEY30);
	CHECK_EQ(parse(line, &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_STREAM_ADD);
	CHECK_EQ(op.len, sizeof(struct sgw_op_stream_add));
	CHECK_EQ(op.body.stream_add.stream_id, 42);
	CHECK_EQ(op.body.stream_add.owner, 7);
	CHECK_EQ(op.body.stream_add.listen.addr.family, SGW_AF_INET);
	CHECK_MEM(op.body.stream_add.listen.addr.a, "\x0a\x00\x00\x01", 4);
	CHECK_EQ(op.body.stream_add.listen.port, 5000);
	CHECK_EQ(op.body.stream_add.source.addr.family, SGW_AF_INET);
	CHECK_EQ(op.body.stream_add.source.port, 0);
	CHECK_EQ(op.body.stream_add.replay_window, 256);
	CHECK_EQ(op.body.stream_add.key.suite, SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(op.body.stream_add.key.len, 30);
	CHECK(is_counting(op.body.stream_add.key.material, 30));

	/* plain, IPv6, any source; a comment ends the line */
	CHECK_EQ(parse("stream add 1 owner=1 listen=[fd00::1]:6000 source=any plain # cam",
		       &op, &err), 1);
	CHECK_EQ(op.body.stream_add.key.suite, SGW_SUITE_PLAIN);
	CHECK_EQ(op.body.stream_add.key.len, 0);
	CHECK_EQ(op.body.stream_add.listen.addr.family, SGW_AF_INET6);
	CHECK_EQ(op.body.stream_add.listen.port, 6000);
	CHECK_EQ(op.body.stream_add.source.addr.family, SGW_AF_NONE);
	CHECK_EQ(op.body.stream_add.replay_window, 0);
	CHECK_EQ(op.body.stream_add.resume.flags, 0);

	/* a position to go on from: SSRC in hex */
	CHECK_EQ(parse("stream add 2 owner=1 listen=10.0.0.1:6002 plain resume=0cA11ab1/1/464", &op, &err), 1);
	CHECK_EQ(op.len, sizeof(struct sgw_op_stream_add));
	CHECK_EQ(op.body.stream_add.resume.flags, SGW_POS_VALID);
	CHECK_EQ(op.body.stream_add.resume.ssrc, 0x0ca11ab1);
	CHECK_EQ(op.body.stream_add.resume.roc, 1);
	CHECK_EQ(op.body.stream_add.resume.seq, 464);
}

static void other_ops(void)
{
	struct sgw_text_op op;
	struct sgw_ops_text_err err;
	char line[256];

	snprintf(line, sizeof(line), "stream rekey 5 suite=AEAD_AES_128_GCM key=%s keep-old", KEY28);
	CHECK_EQ(parse(line, &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_STREAM_REKEY);
	CHECK_EQ(op.body.rekey.id, 5);
	CHECK_EQ(op.body.rekey.flags, SGW_REKEY_KEEP_OLD);
	CHECK_EQ(op.body.rekey.key.suite, SGW_SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(op.body.rekey.key.len, 28);
	CHECK(is_counting(op.body.rekey.key.material, 28));

	CHECK_EQ(parse("stream source 5 source=[fd00::2]:99", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_STREAM_SET_SOURCE);
	CHECK_EQ(op.body.stream_source.source.addr.family, SGW_AF_INET6);
	CHECK_EQ(op.body.stream_source.source.port, 99);
	CHECK_EQ(parse("stream source 5 source=any", &op, &err), 1);
	CHECK_EQ(op.body.stream_source.source.addr.family, SGW_AF_NONE);

	CHECK_EQ(parse("stream del 9", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_STREAM_DEL);
	CHECK_EQ(op.len, sizeof(struct sgw_op_id));
	CHECK_EQ(op.body.id.id, 9);
	CHECK_EQ(parse("stream end-overlap 9", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_STREAM_END_OVERLAP);

	CHECK_EQ(parse("stream fence 9 token=18446744073709551615", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_STREAM_FENCE);
	CHECK_EQ(op.len, sizeof(struct sgw_op_fence));
	CHECK_EQ(op.body.fence.stream_id, 9);
	CHECK(op.body.fence.token == UINT64_MAX);

	CHECK_EQ(parse("grant add 9 owner=3", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_GRANT_ADD);
	CHECK_EQ(op.body.grant.stream_id, 9);
	CHECK_EQ(op.body.grant.owner, 3);
	CHECK_EQ(parse("grant del 9 owner=3", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_GRANT_DEL);

	snprintf(line, sizeof(line),
		 "viewer add 100 stream=9 owner=3 to=192.0.2.1:7000 suite=AES_CM_128_HMAC_SHA1_32 key=%s",
		 KEY30);
	CHECK_EQ(parse(line, &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_VIEWER_ADD);
	CHECK_EQ(op.body.viewer_add.viewer_id, 100);
	CHECK_EQ(op.body.viewer_add.stream_id, 9);
	CHECK_EQ(op.body.viewer_add.owner, 3);
	CHECK_EQ(op.body.viewer_add.dest.port, 7000);
	CHECK_EQ(op.body.viewer_add.key.suite, SGW_SUITE_AES_CM_128_HMAC_SHA1_32);
	CHECK_EQ(op.body.viewer_add.resume.flags, 0);
	CHECK_EQ(parse("viewer add 101 stream=9 owner=3 to=192.0.2.1:7002 plain resume=ffffffff/4294967295/0",
		       &op, &err), 1);
	CHECK_EQ(op.body.viewer_add.resume.flags, SGW_POS_VALID);
	CHECK_EQ(op.body.viewer_add.resume.ssrc, 0xffffffffu);
	CHECK_EQ(op.body.viewer_add.resume.roc, 4294967295u);
	CHECK_EQ(op.body.viewer_add.resume.seq, 0);
	CHECK_EQ(op.body.viewer_add.lanes.n, 0);
	CHECK_EQ(parse("viewer add 102 stream=9 owner=3 to=192.0.2.1:7004 plain lanes=5ca1ab1e,2", &op, &err), 1);
	CHECK_EQ(op.body.viewer_add.lanes.n, 2);
	CHECK_EQ(op.body.viewer_add.lanes.lane[0].ssrc, 0x5ca1ab1eu);
	CHECK_EQ(op.body.viewer_add.lanes.lane[1].ssrc, 2);
	CHECK_EQ(op.body.viewer_add.lanes.lane[1].next, 1);
	CHECK_EQ(op.body.viewer_add.lanes.lane[1].limit, (1ull << 48) - 1);
	CHECK_EQ(op.body.viewer_add.lanes.lane[1].rtcp_next, 1);
	CHECK_EQ(op.body.viewer_add.lanes.lane[1].rtcp_limit, 0x7fffffff);

	CHECK_EQ(parse("viewer rekey 100 plain", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_VIEWER_REKEY);
	CHECK_EQ(op.body.rekey.key.suite, SGW_SUITE_PLAIN);
	CHECK_EQ(parse("viewer dest 100 to=192.0.2.2:7001", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_VIEWER_SET_DEST);
	CHECK_EQ(op.body.viewer_dest.dest.port, 7001);
	CHECK_EQ(parse("viewer del 100", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_VIEWER_DEL);
	CHECK_EQ(op.body.id.id, 100);

	CHECK_EQ(parse("", &op, &err), 0);
	CHECK_EQ(parse("   \t # only a comment", &op, &err), 0);
}

/* err_is: the exact message, and the line number it was given */
static void err_is(const char *text, const char *msg)
{
	struct sgw_text_op op;
	struct sgw_ops_text_err err;
	static const uint8_t zero[sizeof(op)];
	int rc = parse(text, &op, &err);

	CHECK_EQ(rc, -1);
	CHECK_EQ(err.line, 7);
	if (rc == -1 && strcmp(err.msg, msg) != 0) {
		fprintf(stderr, "  \"%s\": message \"%s\", wanted \"%s\"\n", text, err.msg, msg);
		check_case_failed = 1;
	}
	CHECK_MEM(&op, zero, sizeof(op)); /* nothing half-parsed (or a key) left */
}

static void errors(void)
{
	char line[256];

	err_is("stream frobnicate 1", "unknown op \"stream frobnicate\"");
	err_is("stream del", "stream id missing");
	err_is("stream del 0", "stream id must be a positive integer");
	err_is("stream del 12x", "stream id must be a positive integer");
	err_is("stream del 1 extra", "unknown argument \"extra\"");
	err_is("grant add 1", "owner= missing");
	err_is("stream fence 1", "token= missing");
	err_is("stream fence 1 token=0", "token= must be a positive integer");
	err_is("stream fence 1 token=18446744073709551616", "token= must be a positive integer");
	err_is("stream fence 1 token=5 owner=2", "unknown argument \"owner\"");
	err_is("stream fence token=5", "stream id must be a positive integer");
	err_is("grant add 1 owner=-3", "owner= must be a positive integer");
	err_is("stream add 1 owner=1 plain", "listen= missing");
	err_is("stream add 1 owner=1 listen=10.0.0.1 plain", "listen: bad address");
	err_is("stream add 1 owner=1 listen=10.0.0.1:5 source=nowhere plain", "source: bad address");
	err_is("stream add 1 owner=1 listen=10.0.0.1:5", "suite= and key= (or plain) needed");
	err_is("stream add 1 owner=1 listen=10.0.0.1:5 plain suite=AEAD_AES_128_GCM",
	       "plain excludes suite= and key=");
	err_is("grant add 1 owner=+3", "owner= must be a positive integer");
	err_is("grant add 1 owner=4294967296", "owner= must be at most 4294967295");
	err_is("stream del 18446744073709551616", "stream id must be a positive integer");
	err_is("stream rekey 1 plain", "unknown argument \"plain\"");
	err_is("stream rekey 1 suite=ROT13 key=AAAA", "unknown suite ROT13");
	err_is("stream rekey 1 suite=AEAD_AES_128_GCM key=AAA", "key: not base64 of a key||salt");
	err_is("stream rekey 1 suite=AEAD_AES_128_GCM key=AAAAAAAA",
	       "key: AEAD_AES_128_GCM needs 28 bytes of key and salt");
	err_is("a b c d e f g h i j k l m n o p q", "too many arguments");
	err_is("viewer add 102 stream=9 owner=3 to=192.0.2.1:7004 plain lanes=1,1", "lanes= names an SSRC twice");
	err_is("viewer add 102 stream=9 owner=3 to=192.0.2.1:7004 plain lanes=1,x",
	       "lanes= must be 1 to 8 SSRCs in hex, separated by commas");
	err_is("viewer add 102 stream=9 owner=3 to=192.0.2.1:7004 plain lanes=1,2,3,4,5,6,7,8,9",
	       "lanes= must be 1 to 8 SSRCs in hex, separated by commas");
	{
		static const char *const bad[] = { "1/2", "1/2/3/4", "x1/2/3", "1//3", "1/2/", "1/-2/3",
						   "1/2/65536", "1/4294967296/0", "123456789/0/0", "" };
		static const char msg[] =
			"resume= must be SSRC/ROC/SEQ (SSRC in hex, ROC below 2^32, SEQ below 65536)";
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(line, sizeof(line), "stream add 1 owner=1 listen=10.0.0.1:5 plain resume=%s",
				 bad[i]);
			err_is(line, msg);
			snprintf(line, sizeof(line), "viewer add 1 stream=1 owner=1 to=10.0.0.1:5 plain resume=%s",
				 bad[i]);
			err_is(line, msg);
		}
	}
	err_is("stream rekey 1 resume=1/2/3", "unknown argument \"resume\"");

	/* the wrong suite's length: the message names the suite, not the key */
	snprintf(line, sizeof(line), "stream rekey 1 suite=AEAD_AES_128_GCM key=%s", KEY30);
	err_is(line, "key: AEAD_AES_128_GCM needs 28 bytes of key and salt");
	/* a key= in the wrong place is named, its value not echoed */
	snprintf(line, sizeof(line), "grant add 1 owner=2 key=%s", KEY30);
	err_is(line, "unknown argument \"key\"");
	snprintf(line, sizeof(line), "key=%s add", KEY30);
	err_is(line, "unknown op \"key add\"");
}

/* WebRTC: a port marked for the punt channel, a viewer with a port of its
 * own, its payload types and SRTCP key, a paused viewer, a WHIP stream */
static void webrtc_ops(void)
{
	struct sgw_text_op op;
	struct sgw_ops_text_err err;
	char line[320];

	CHECK_EQ(parse("port add 10.0.0.1:40000 punt", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_PORT_ADD);
	CHECK_EQ(op.len, sizeof(struct sgw_op_port));
	CHECK_EQ(op.body.port.local.port, 40000);
	CHECK_MEM(op.body.port.local.addr.a, "\x0a\x00\x00\x01", 4);
	CHECK_EQ(op.body.port.flags, SGW_PORT_PUNT);
	CHECK_EQ(parse("port del [fd00::1]:40000", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_PORT_DEL);
	CHECK_EQ(op.body.port.local.addr.family, SGW_AF_INET6);
	CHECK_EQ(op.body.port.flags, 0);

	snprintf(line, sizeof(line),
		 "viewer add 7 stream=9 owner=3 to=192.0.2.1:7000 suite=AEAD_AES_128_GCM key=%s "
		 "port=40000 punt pt=96:102,97:103 rtcp-key=%s", KEY28, KEY28);
	CHECK_EQ(parse(line, &op, &err), 1);
	CHECK_EQ(op.len, sizeof(struct sgw_op_viewer_add));
	CHECK_EQ(op.body.viewer_add.port.local_port, 40000);
	CHECK_EQ(op.body.viewer_add.port.flags, SGW_VIEWER_PUNT);
	CHECK_EQ(op.body.viewer_add.port.n_pt, 2);
	CHECK_EQ(op.body.viewer_add.port.pt_in[0], 96);
	CHECK_EQ(op.body.viewer_add.port.pt_out[0], 102);
	CHECK_EQ(op.body.viewer_add.port.pt_in[1], 97);
	CHECK_EQ(op.body.viewer_add.port.pt_out[1], 103);
	CHECK_EQ(op.body.viewer_add.port.rtcp_key.suite, SGW_SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(op.body.viewer_add.port.rtcp_key.len, 28);
	CHECK(is_counting(op.body.viewer_add.port.rtcp_key.material, 28));

	CHECK_EQ(parse("viewer add 8 stream=9 owner=3 to=192.0.2.9:5000 plain camera", &op, &err), 1);
	CHECK_EQ(op.body.viewer_add.port.flags, SGW_VIEWER_FEEDBACK);
	CHECK_EQ(op.body.viewer_add.port.local_port, 0);
	CHECK_EQ(parse("viewer add 8 stream=9 owner=3 to=none plain", &op, &err), 1);
	CHECK_EQ(op.body.viewer_add.dest.addr.family, SGW_AF_NONE);
	CHECK_EQ(op.body.viewer_add.port.local_port, 0);
	CHECK_EQ(parse("viewer dest 8 to=none", &op, &err), 1);
	CHECK_EQ(op.body.viewer_dest.dest.addr.family, SGW_AF_NONE);

	CHECK_EQ(parse("stream add 1 owner=1 listen=10.0.0.1:5 plain punt", &op, &err), 1);
	CHECK_EQ(op.body.stream_add.flags, SGW_STREAM_PUNT);
	CHECK_EQ(parse("stream add 1 owner=1 listen=10.0.0.1:5 plain rtcp-port", &op, &err), 1);
	CHECK_EQ(op.body.stream_add.flags, SGW_STREAM_RTCP_PORT);
	CHECK_EQ(parse("stream add 1 owner=1 listen=10.0.0.1:5 plain", &op, &err), 1);
	CHECK_EQ(op.body.stream_add.flags, 0);

	err_is("port add 10.0.0.1:40000 nope", "unknown argument \"nope\"");
	err_is("port add", "port add needs ADDRESS:PORT");
	err_is("port del 10.0.0.1", "port del needs ADDRESS:PORT");
	err_is("viewer add 8 stream=9 owner=3 to=192.0.2.1:7000 plain punt", "punt, nack and rtcp-key= need port=");
	err_is("viewer add 8 stream=9 owner=3 to=192.0.2.1:7000 plain port=0", "port= must be 1-65535");
	err_is("viewer add 8 stream=9 owner=3 to=192.0.2.1:7000 plain port=70000", "port= must be 1-65535");
	snprintf(line, sizeof(line), "viewer add 8 stream=9 owner=3 to=192.0.2.1:7000 plain port=5 rtcp-key=%s",
		 KEY28);
	err_is(line, "rtcp-key= needs suite= and key=");
	snprintf(line, sizeof(line),
		 "viewer add 8 stream=9 owner=3 to=192.0.2.1:7000 suite=AEAD_AES_128_GCM key=%s port=5 "
		 "rtcp-key=%s", KEY28, KEY30);
	err_is(line, "rtcp-key: AEAD_AES_128_GCM needs 28 bytes of key and salt");
	{
		static const char *const bad[] = { "96", "96:", ":96", "128:1", "1:128", "1:2,",
						   "1:2,3:4,5:6,7:8,9:10", "a:b" };
		static const char msg[] = "pt= must be IN:OUT[,IN:OUT...] (payload types 0-127, at most 4)";
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(line, sizeof(line), "viewer add 8 stream=9 owner=3 to=192.0.2.1:7000 plain "
				 "port=5 pt=%s", bad[i]);
			err_is(line, msg);
		}
	}
}

struct seen {
	int n;
	int lines[8];
	unsigned types[8];
	int stop_at;
};

static int collect(const struct sgw_text_op *op, int line_no, void *arg)
{
	struct seen *s = arg;

	s->lines[s->n] = line_no;
	s->types[s->n] = op->type;
	s->n++;
	return s->n == s->stop_at ? 9 : 0;
}

static FILE *text_file(const char *text)
{
	FILE *f = tmpfile();

	if (f == NULL) {
		perror("tmpfile");
		exit(2);
	}
	fputs(text, f);
	rewind(f);
	return f;
}

static void read_file(void)
{
	struct ops_case { const char *text; int rc, n, err_line; } cases[] = {
		{ "# header\n\ngrant add 1 owner=2\nviewer del 5\n", 0, 2, 0 },
		{ "grant add 1 owner=2\nviewer del\nviewer del 5\n", -1, 1, 2 },
		{ "grant add 1 owner=2\r\nviewer del 5", 0, 2, 0 }, /* CRLF, no final newline */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seen s = { .stop_at = -1 };
		struct sgw_ops_text_err err = { 0 };
		FILE *f = text_file(cases[i].text);

		CHECK_EQ(sgw_ops_text_read(f, collect, &s, &err), cases[i].rc);
		CHECK_EQ(s.n, cases[i].n);
		if (cases[i].rc < 0)
			CHECK_EQ(err.line, cases[i].err_line);
		fclose(f);
	}

	/* lines are numbered in the file, blank ones included; fn can stop it */
	struct seen s = { .stop_at = 2 };
	struct sgw_ops_text_err err = { 0 };
	FILE *f = text_file("\ngrant add 1 owner=2\n# x\nviewer del 5\nstream del 3\n");
	CHECK_EQ(sgw_ops_text_read(f, collect, &s, &err), 9);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.lines[0], 2);
	CHECK_EQ(s.lines[1], 4);
	CHECK_EQ(s.types[0], SGW_OP_GRANT_ADD);
	CHECK_EQ(s.types[1], SGW_OP_VIEWER_DEL);
	fclose(f);
}

/* Service addresses: addr add ADDRESS[/PREFIX] port-idx=N [leased], addr del ADDRESS */
static void addr_ops(void)
{
	struct sgw_text_op op;
	struct sgw_ops_text_err err;

	CHECK_EQ(parse("addr add 192.0.2.50 port-idx=1", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_ADDR_ADD);
	CHECK_EQ(op.len, sizeof(struct sgw_op_addr));
	CHECK_EQ(op.body.addr.ip.family, SGW_AF_INET);
	CHECK_MEM(op.body.addr.ip.a, "\xc0\x00\x02\x32", 4);
	CHECK_EQ(op.body.addr.prefix_len, 32);
	CHECK_EQ(op.body.addr.port_idx, 1);
	CHECK_EQ(op.body.addr.flags, 0);
	CHECK_EQ(parse("addr add fd00::50/64 port-idx=0 leased", &op, &err), 1);
	CHECK_EQ(op.body.addr.ip.family, SGW_AF_INET6);
	CHECK_EQ(op.body.addr.ip.a[15], 0x50);
	CHECK_EQ(op.body.addr.prefix_len, 64);
	CHECK_EQ(op.body.addr.port_idx, 0);
	CHECK_EQ(op.body.addr.flags, SGW_ADDR_LEASED);
	CHECK_EQ(parse("addr add fd00::50 port-idx=0", &op, &err), 1);
	CHECK_EQ(op.body.addr.prefix_len, 128);
	CHECK_EQ(parse("addr del 192.0.2.50", &op, &err), 1);
	CHECK_EQ(op.type, SGW_OP_ADDR_DEL);
	CHECK_EQ(op.body.addr.ip.family, SGW_AF_INET);
	CHECK_EQ(op.body.addr.port_idx, 0);

	err_is("addr add 192.0.2.50", "addr add needs port-idx=N (the gateway port, 0 = the first)");
	err_is("addr add 192.0.2.50 port-idx=x", "addr add needs port-idx=N (the gateway port, 0 = the first)");
	err_is("addr add", "addr add needs ADDRESS[/PREFIX]");
	err_is("addr add 192.0.2.50/33 port-idx=0", "addr add needs ADDRESS[/PREFIX]");
	err_is("addr add 192.0.2.999 port-idx=0", "addr add needs ADDRESS[/PREFIX]");
	err_is("addr add 192.0.2.50 port-idx=0 sticky", "unknown argument \"sticky\"");
	err_is("addr del 192.0.2.50/32", "addr del needs ADDRESS (no prefix)");
	err_is("addr del 192.0.2.50 port-idx=0", "unknown argument \"port-idx\"");
	err_is("addr move 192.0.2.50", "unknown op \"addr move\"");
}

int main(void)
{
	RUN(stream_add);
	RUN(addr_ops);
	RUN(other_ops);
	RUN(errors);
	RUN(webrtc_ops);
	RUN(read_file);
	return CHECK_DONE();
}
