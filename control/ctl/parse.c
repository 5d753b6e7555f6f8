/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl's command table and command-line parser. Command words and
 * long options are matched like OpenBSD's ospfctl: a word may be cut to
 * any prefix that names one entry only; an exact match always wins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/ctl/ctl.h"
#include "control/daemon/expires.h"

#define SUITE_HELP "AES_CM_128_HMAC_SHA1_80 (the default), AES_CM_128_HMAC_SHA1_32, " \
	"AEAD_AES_128_GCM or AEAD_AES_256_GCM"
#define KEY_HELP "master key and salt in base64; - reads it from standard input; " \
	"without --key the daemon generates one and prints it once"

/* ---- the command table -------------------------------------------------- */

static const struct ctl_opt no_opts[] = {
	{ .flag = NULL },
};

static const struct ctl_opt stream_add_opts[] = {
	{ "owner", "owner", CTL_VAL_NAME, true, "OWNER", "the owner of the stream" },
	{ "listen", "listen", CTL_VAL_HOST, false, "ADDR[:PORT]",
	  "where the gateway receives the stream (default: the daemon chooses; "
	  "without a port, the daemon chooses the port)" },
	{ "source", "source", CTL_VAL_HOST, false, "ADDR[:PORT]",
	  "accept packets from this sender only (default: any sender)" },
	{ "suite", "suite", CTL_VAL_SUITE, false, "SUITE", SUITE_HELP },
	{ "plain", "plain", CTL_VAL_FLAG, false, NULL, "plain RTP, no SRTP (excludes --suite and --key)" },
	{ "key", "key", CTL_VAL_KEY, false, "B64", KEY_HELP },
	{ "idle-timeout", "idle_timeout", CTL_VAL_SECONDS, false, "SECONDS",
	  "report the stream idle after this many seconds without a packet" },
	{ "codec", "codec", CTL_VAL_CODEC, false, "CODEC",
	  "what the camera sends, for WebRTC viewers (WHEP): H264, VP8, VP9, AV1, OPUS or JPEG "
	  "(which browsers do not decode over WebRTC: WHEP refuses it)" },
	{ "pt", "pt", CTL_VAL_PT, false, "PT",
	  "the RTP payload type the camera sends it as (default 96; with --codec)" },
	{ "whip", "whip", CTL_VAL_FLAG, false, NULL,
	  "the camera publishes over WHIP (a WebRTC camera): its key is set by its session "
	  "(excludes --key, --plain, --codec)" },
	{ "gateway", "gateway", CTL_VAL_NAME, false, "GW",
	  "a fleet: forward it on this gateway (default: the least loaded); admin only" },
	{ .flag = NULL },
};

static const struct ctl_opt move_opts[] = {
	{ "to", "to", CTL_VAL_NAME, true, "GW", "the gateway to forward it on" },
	{ .flag = NULL },
};

static const struct ctl_opt rekey_opts[] = {
	{ "key", "key", CTL_VAL_KEY, false, "B64", KEY_HELP },
	{ .flag = NULL },
};

static const struct ctl_opt viewer_add_opts[] = {
	{ "stream", "stream", CTL_VAL_NAME, true, "STREAM", "the stream to watch" },
	{ "to", "to", CTL_VAL_ENDPOINT, true, "ADDR:PORT",
	  "where the gateway sends it ([ADDR6]:PORT for IPv6)" },
	{ "owner", "owner", CTL_VAL_NAME, false, "OWNER",
	  "the owner of the viewer (default: the stream's owner); another owner needs a grant "
	  "on the stream" },
	{ "suite", "suite", CTL_VAL_SUITE, false, "SUITE", SUITE_HELP },
	{ "plain", "plain", CTL_VAL_FLAG, false, NULL, "plain RTP, no SRTP (excludes --suite and --key)" },
	{ "key", "key", CTL_VAL_KEY, false, "B64", KEY_HELP },
	{ .flag = NULL },
};

static const struct ctl_opt viewer_show_opts[] = {
	{ "stream", "stream", CTL_VAL_NAME, false, "STREAM", "only the viewers of this stream" },
	{ .flag = NULL },
};

static const struct ctl_opt grant_opts[] = {
	{ "to", "to", CTL_VAL_NAME, true, "OWNER", "the owner the grant is for" },
	{ .flag = NULL },
};

static const struct ctl_opt stats_opts[] = {
	{ "stream", "stream", CTL_VAL_NAME, false, "STREAM", "only this stream's counters" },
	{ .flag = NULL },
};

static const struct ctl_opt token_add_opts[] = {
	{ "owner", "owner", CTL_VAL_NAME, false, "OWNER",
	  "the owner the token acts for: required for admin; an owner makes its own" },
	{ "name", "name", CTL_VAL_NAME, false, "NAME",
	  "its name, to list and delete it by (default: tok and a number)" },
	{ "expires", "expires", CTL_VAL_EXPIRES, false, "WHEN",
	  "a duration (90s, 45m, 12h, 30d, 2w) or a UTC date (2025-12-31 is 00:00 UTC that day, "
	  "2025-12-31T18:00:00Z); default: never" },
	{ .flag = NULL },
};

static const struct ctl_opt token_list_opts[] = {
	{ "owner", "owner", CTL_VAL_NAME, false, "OWNER", "only this owner's tokens" },
	{ .flag = NULL },
};

/* every option table fits struct ctl_req (its terminator not counted) */
#define OPTS_FIT(a) _Static_assert(sizeof(a) / sizeof(a[0]) - 1 <= CTL_MAX_OPTS, #a " has too many options")
OPTS_FIT(no_opts);
OPTS_FIT(stream_add_opts);
OPTS_FIT(rekey_opts);
OPTS_FIT(move_opts);
OPTS_FIT(viewer_add_opts);
OPTS_FIT(viewer_show_opts);
OPTS_FIT(grant_opts);
OPTS_FIT(stats_opts);
OPTS_FIT(token_add_opts);
OPTS_FIT(token_list_opts);

static const struct ctl_cmd cmd_owner_add = {
	"owner add", "owner.add", CTL_POS_REQUIRED, "name", "NAME", no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"NAME", "create an owner (an account)", NULL,
};

static const struct ctl_cmd cmd_owner_del = {
	"owner del", "owner.del", CTL_POS_REQUIRED, "name", "NAME", no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"NAME", "delete an owner and everything that is its",
	"In one transaction: its streams with all their viewers, its viewers on other\n"
	"owners' streams, and the grants given to it. Prints how many streams and\n"
	"viewers went with it.",
};

static const struct ctl_cmd cmd_owner_list = {
	"owner list", "owner.list", CTL_POS_NONE, NULL, NULL, no_opts, CTL_OUT_OWNERS, CTL_SECRET_NONE,
	"", "list the owners with their numbers of streams and viewers", NULL,
};

static const struct ctl_cmd cmd_stream_add = {
	"stream add", "stream.add", CTL_POS_REQUIRED, "name", "NAME", stream_add_opts,
	CTL_OUT_FIELDS, CTL_SECRET_KEYS,
	"NAME --owner OWNER [--listen ADDR[:PORT]]\n"
	"        [--source ADDR[:PORT]] [--suite SUITE | --plain] [--key B64|-]\n"
	"        [--idle-timeout SECONDS] [--codec CODEC [--pt PT] | --whip]\n"
	"        [--gateway GW]",
	"create a stream: media sent to the gateway",
	"Prints the stream's listen address and suite; when the daemon generated the\n"
	"key, also key: and sdp: lines, shown this once only. A stream WebRTC viewers\n"
	"watch (WHEP) says what it carries (--codec); a WHIP stream's camera publishes\n"
	"over WebRTC and its codec is what the camera's offer chose.",
};

static const struct ctl_cmd cmd_stream_del = {
	"stream del", "stream.del", CTL_POS_REQUIRED, "name", "NAME", no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"NAME", "delete a stream with all its viewers", NULL,
};

static const struct ctl_cmd cmd_stream_rekey = {
	"stream rekey", "stream.rekey", CTL_POS_REQUIRED, "name", "NAME", rekey_opts,
	CTL_OUT_FIELDS, CTL_SECRET_KEYS,
	"NAME [--key B64|-]", "give a stream a new key",
	"The old key stays accepted for the overlap the daemon reports. When the daemon\n"
	"generated the new key, it is printed (key: and sdp:) this once only.",
};

static const struct ctl_cmd cmd_stream_show = {
	"stream show", "stream.show", CTL_POS_OPTIONAL, "name", "NAME", no_opts, CTL_OUT_STREAMS,
	CTL_SECRET_NONE,
	"[NAME]", "show streams (a table), or one stream (key: value lines)",
	"Never shows keys.",
};

static const struct ctl_cmd cmd_viewer_add = {
	"viewer add", "viewer.add", CTL_POS_REQUIRED, "name", "NAME", viewer_add_opts,
	CTL_OUT_FIELDS, CTL_SECRET_KEYS,
	"NAME --stream STREAM --to ADDR:PORT\n"
	"        [--owner OWNER] [--suite SUITE | --plain] [--key B64|-]",
	"create a viewer: a destination of a stream with its own key",
	"When the daemon generated the key, it is printed (key: and sdp:) this once only.",
};

static const struct ctl_cmd cmd_viewer_del = {
	"viewer del", "viewer.del", CTL_POS_REQUIRED, "name", "NAME", no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"NAME", "delete a viewer", NULL,
};

static const struct ctl_cmd cmd_viewer_rekey = {
	"viewer rekey", "viewer.rekey", CTL_POS_REQUIRED, "name", "NAME", rekey_opts,
	CTL_OUT_FIELDS, CTL_SECRET_KEYS,
	"NAME [--key B64|-]", "give a viewer a new key",
	"When the daemon generated the new key, it is printed (key: and sdp:) this once only.",
};

static const struct ctl_cmd cmd_viewer_show = {
	"viewer show", "viewer.show", CTL_POS_OPTIONAL, "name", "NAME", viewer_show_opts,
	CTL_OUT_VIEWERS, CTL_SECRET_NONE,
	"[NAME] [--stream STREAM]", "show viewers (a table), or one viewer (key: value lines)",
	"Never shows keys.",
};

static const struct ctl_cmd cmd_grant_add = {
	"grant add", "grant.add", CTL_POS_REQUIRED, "stream", "STREAM", grant_opts, CTL_OUT_FIELDS,
	CTL_SECRET_NONE,
	"STREAM --to OWNER", "let another owner add viewers to a stream", NULL,
};

static const struct ctl_cmd cmd_grant_del = {
	"grant del", "grant.del", CTL_POS_REQUIRED, "stream", "STREAM", grant_opts, CTL_OUT_FIELDS,
	CTL_SECRET_NONE,
	"STREAM --to OWNER", "withdraw a grant",
	"That owner's viewers on the stream are deleted in the same transaction.",
};

static const struct ctl_cmd cmd_stats = {
	"stats", "stats", CTL_POS_NONE, NULL, NULL, stats_opts, CTL_OUT_STATS, CTL_SECRET_NONE,
	"[--stream STREAM]", "packet counters per stream and per worker, and drops",
	"Per stream: packets and bytes received, authentication, replay and other\n"
	"failures, the time since the last packet, and whether the stream is idle\n"
	"(no packet for its idle timeout). Per worker: packets received, sent and\n"
	"dropped. Then every drop reason with a non-zero count.",
};

static const struct ctl_cmd cmd_status = {
	"status", "status", CTL_POS_NONE, NULL, NULL, no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"", "the daemon's view: gateway connected, versions, numbers of objects",
	"ctl_seq counts committed changes; applied_seq is the last one the gateway\n"
	"applied. They are equal when the gateway has everything.",
};

static const struct ctl_cmd cmd_stream_move = {
	"stream move", "stream.move", CTL_POS_REQUIRED, "name", "NAME", move_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"NAME --to GW", "a fleet: move a stream to another gateway",
	"Places the stream on gateway GW (one whose lease is alive), if its placement\n"
	"did not change meanwhile: GW's controller pushes it to its data plane with\n"
	"a new fencing token and takes over its listen address; the old gateway's\n"
	"controller lets go of both. Prints where it was and where it goes. Admin\n"
	"only (docs/fleet.md).",
};

static const struct ctl_cmd cmd_fleet_status = {
	"fleet status", "fleet.status", CTL_POS_NONE, NULL, NULL, no_opts, CTL_OUT_FLEET, CTL_SECRET_NONE,
	"", "a fleet's gateways (store = \"etcd\"): this one, its lease, and all that hold one",
	"This gateway's name, the etcd revision its controller's copy of the state\n"
	"is at, the changes it lost to another controller and ran again, its lease\n"
	"(none while its srtpgw is away) and keep-alives; then every gateway of the\n"
	"fleet whose lease is alive, as etcd has them now, with the number of streams\n"
	"placed on each; then every stream with the gateway it is placed on and its\n"
	"fencing token, FENCE (none: not placed, for example while its gateway's lease\n"
	"ends). Admin only.",
};

static const struct ctl_cmd cmd_token_add = {
	"token add", "token.add", CTL_POS_NONE, NULL, NULL, token_add_opts, CTL_OUT_FIELDS, CTL_SECRET_TOKEN,
	"[--owner OWNER] [--name NAME] [--expires WHEN]", "make a bearer token that acts for an owner",
	"Prints the token (token:) this once only: the daemon keeps only its hash.\n"
	"Give it to an application with --token or $" CTL_TOKEN_ENV ". A request made\n"
	"with a token cannot make tokens.",
};

static const struct ctl_cmd cmd_token_list = {
	"token list", "token.list", CTL_POS_NONE, NULL, NULL, token_list_opts, CTL_OUT_TOKENS, CTL_SECRET_NONE,
	"[--owner OWNER]", "list tokens: name, owner, when made, when they expire (never the token)",
	NULL,
};

static const struct ctl_cmd cmd_token_del = {
	"token del", "token.del", CTL_POS_REQUIRED, "name", "NAME", no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"NAME", "delete a token: it stops working at once", NULL,
};

static const struct ctl_cmd cmd_whoami = {
	"whoami", "whoami", CTL_POS_NONE, NULL, NULL, no_opts, CTL_OUT_FIELDS, CTL_SECRET_NONE,
	"", "the principal the daemon sees: admin or an owner, and how it knows",
	NULL,
};

static const struct ctl_token owner_words[] = {
	{ "add", NULL, &cmd_owner_add, NULL },
	{ "del", NULL, &cmd_owner_del, NULL },
	{ "list", NULL, &cmd_owner_list, NULL },
	{ .word = NULL },
};

static const struct ctl_token stream_words[] = {
	{ "add", NULL, &cmd_stream_add, NULL },
	{ "del", NULL, &cmd_stream_del, NULL },
	{ "rekey", NULL, &cmd_stream_rekey, NULL },
	{ "show", NULL, &cmd_stream_show, NULL },
	{ "move", NULL, &cmd_stream_move, NULL },
	{ .word = NULL },
};

static const struct ctl_token viewer_words[] = {
	{ "add", NULL, &cmd_viewer_add, NULL },
	{ "del", NULL, &cmd_viewer_del, NULL },
	{ "rekey", NULL, &cmd_viewer_rekey, NULL },
	{ "show", NULL, &cmd_viewer_show, NULL },
	{ .word = NULL },
};

static const struct ctl_token grant_words[] = {
	{ "add", NULL, &cmd_grant_add, NULL },
	{ "del", NULL, &cmd_grant_del, NULL },
	{ .word = NULL },
};

static const struct ctl_token fleet_words[] = {
	{ "status", NULL, &cmd_fleet_status, NULL },
	{ .word = NULL },
};

static const struct ctl_token token_words[] = {
	{ "add", NULL, &cmd_token_add, NULL },
	{ "list", NULL, &cmd_token_list, NULL },
	{ "del", NULL, &cmd_token_del, NULL },
	{ .word = NULL },
};

/* "help" is the one word with neither more words nor a command. */
const struct ctl_token ctl_top[] = {
	{ "owner", owner_words, NULL, "owners: the accounts streams and viewers belong to" },
	{ "stream", stream_words, NULL, "streams: media sent to the gateway" },
	{ "viewer", viewer_words, NULL, "viewers: where a stream is sent, each with its own key" },
	{ "grant", grant_words, NULL, "grants: another owner may watch a stream" },
	{ "fleet", fleet_words, NULL, "a fleet of gateways on etcd (docs/fleet.md)" },
	{ "stats", NULL, &cmd_stats, NULL },
	{ "status", NULL, &cmd_status, NULL },
	{ "token", token_words, NULL, "tokens: what applications act for an owner with" },
	{ "whoami", NULL, &cmd_whoami, NULL },
	{ "help", NULL, NULL, "usage of srtpgwctl or of a command" },
	{ .word = NULL },
};

/* ---- matching ----------------------------------------------------------- */

#define MATCH_UNKNOWN (-1)
#define MATCH_AMBIGUOUS (-2)

/* Names that only their exact spelling selects: a mistyped or shortened
 * option never turns into --token and sends its value as a token. */
static bool exact_only(const char *name)
{
	return strcmp(name, "token") == 0;
}

/* The entry of names[0..n) that word[0..len) equals, or else the only one
 * it is a prefix of. */
static int match_prefix(const char *word, size_t len, const char *const *names, int n)
{
	int found = MATCH_UNKNOWN;

	if (len == 0)
		return MATCH_UNKNOWN;
	for (int i = 0; i < n; i++) {
		if (strlen(names[i]) == len && strncmp(names[i], word, len) == 0)
			return i;
		if (strncmp(names[i], word, len) == 0 && !exact_only(names[i]))
			found = found == MATCH_UNKNOWN ? i : MATCH_AMBIGUOUS;
	}
	return found;
}

/* names[] joined by ", ", each after prefix; with word, only those it
 * is a prefix of. */
static void candidates(char *buf, size_t size, const char *prefix, const char *word, size_t len,
		       const char *const *names, int n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < size; i++) {
		if (word != NULL && (strncmp(names[i], word, len) != 0 || exact_only(names[i])))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s%s", used ? ", " : "",
					 prefix, names[i]);
	}
}

static void usage_error(const char *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void usage_error(const char *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx != NULL && ctx[0] != '\0')
		ctl_fail(CTL_EXIT_USAGE, "%s: %s", ctx, msg);
	ctl_fail(CTL_EXIT_USAGE, "%s", msg);
}

/* The word of level[] that a names. */
static const struct ctl_token *match_word(const struct ctl_token *level, const char *a,
					  const char *ctx)
{
	const char *names[16];
	char list[512];
	int n = 0, i;

	while (level[n].word != NULL && n < 16) {
		names[n] = level[n].word;
		n++;
	}
	i = match_prefix(a, strlen(a), names, n);
	if (i == MATCH_AMBIGUOUS) {
		candidates(list, sizeof(list), "", a, strlen(a), names, n);
		usage_error(ctx, "ambiguous command \"%s\" (could be: %s)", a, list);
	}
	if (i == MATCH_UNKNOWN) {
		candidates(list, sizeof(list), "", NULL, 0, names, n);
		usage_error(ctx, "unknown command \"%s\" (one of: %s)", a, list);
	}
	return &level[i];
}

/* ---- options ------------------------------------------------------------ */

/* Global options, accepted anywhere; ids below 0. */
enum {
	G_SOCKET = -1, G_JSON = -2, G_TIMEOUT = -3, G_HELP = -4, G_TOKEN = -5, G_CONNECT = -6, G_CERT = -7,
	G_CERT_KEY = -8, G_CA = -9,
};
static const char *const global_names[] = { "socket", "json", "timeout", "help", "token", "connect", "cert",
					    "cert-key", "ca" };
#define N_GLOBAL 9

static bool global_takes_value(int id)
{
	return id != G_JSON && id != G_HELP;
}

static unsigned parse_timeout(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = (s[0] >= '0' && s[0] <= '9') ? strtoul(s, &end, 10) : 0;
	if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v < 1 || v > CTL_MAX_TIMEOUT)
		usage_error(NULL, "--timeout: \"%s\" is not a number of seconds from 1 to %d",
			    s, CTL_MAX_TIMEOUT);
	return (unsigned)v;
}

static void set_global(struct ctl_global *g, struct ctl_req *r, int id, const char *value)
{
	switch (id) {
	case G_SOCKET:
		if (value[0] == '\0')
			usage_error(NULL, "--socket: empty path");
		g->socket_path = value;
		g->socket_given = true;
		break;
	case G_TOKEN:
		/* never repeated in a message */
		if (value[0] == '\0')
			usage_error(NULL, "--token: empty token");
		g->token = value;
		break;
	case G_CONNECT:
	case G_CERT:
	case G_CERT_KEY:
	case G_CA:
		if (value[0] == '\0')
			usage_error(NULL, "--%s: empty", global_names[G_SOCKET - id]);
		*(id == G_CONNECT ? &g->connect : id == G_CERT ? &g->cert : id == G_CERT_KEY ? &g->cert_key :
		  &g->ca) = value;
		break;
	case G_JSON:
		g->json = true;
		break;
	case G_TIMEOUT:
		g->timeout_s = parse_timeout(value);
		break;
	default:
		r->help = true;
		break;
	}
}

/* The option at argv[i]; returns the index of the last argument used. */
static int parse_opt(int argc, char **argv, int i, struct ctl_global *g, struct ctl_req *r,
		     const char *ctx)
{
	const char *a = argv[i], *name, *eq, *value = NULL;
	const char *names[N_GLOBAL + CTL_MAX_OPTS];
	const struct ctl_opt *opts = r->cmd != NULL ? r->cmd->opts : no_opts;
	char list[1024], flag[80];
	int n = 0, k, id;
	bool takes_value;
	size_t len;

	if (a[1] != '-') {
		/* short options: -h, -j, -s PATH */
		if (strcmp(a, "-h") == 0) {
			r->help = true;
			return i;
		}
		if (strcmp(a, "-j") == 0) {
			g->json = true;
			return i;
		}
		if (strcmp(a, "-s") == 0) {
			if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
				usage_error(ctx, "option -s needs a value");
			set_global(g, r, G_SOCKET, argv[i + 1]);
			return i + 1;
		}
		usage_error(ctx, "unknown option \"%s\" (see --help)", a);
	}
	for (k = 0; opts[k].flag != NULL; k++)
		names[n++] = opts[k].flag;
	for (k = 0; k < N_GLOBAL; k++)
		names[n++] = global_names[k];
	name = a + 2;
	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	k = match_prefix(name, len, names, n);
	if (k == MATCH_AMBIGUOUS || k == MATCH_UNKNOWN) {
		snprintf(flag, sizeof(flag), "--%.*s", (int)(len < 64 ? len : 64), name);
		candidates(list, sizeof(list), "--", k == MATCH_AMBIGUOUS ? name : NULL, len, names, n);
		if (k == MATCH_AMBIGUOUS)
			usage_error(ctx, "ambiguous option \"%s\" (could be: %s)", flag, list);
		usage_error(ctx, "unknown option \"%s\" (one of: %s)", flag, list);
	}
	id = k < n - N_GLOBAL ? k : G_SOCKET - (k - (n - N_GLOBAL));
	takes_value = id >= 0 ? opts[id].val != CTL_VAL_FLAG : global_takes_value(id);
	if (eq != NULL) {
		if (!takes_value)
			usage_error(ctx, "option --%s takes no value", names[k]);
		value = eq + 1;
	} else if (takes_value) {
		/* a value may start with "-" ("--key -"), not with "--" */
		if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
			usage_error(ctx, "option --%s needs a value", names[k]);
		value = argv[++i];
	}
	if (id < 0) {
		set_global(g, r, id, value);
		return i;
	}
	if (r->val[id] != NULL)
		usage_error(ctx, "option --%s given twice", names[k]);
	r->val[id] = value != NULL ? value : "";
	return i;
}

/* ---- the command line --------------------------------------------------- */

void ctl_parse(int argc, char **argv, struct ctl_global *g, struct ctl_req *r)
{
	const struct ctl_token *level = ctl_top, *t;
	char ctx[64] = "", list[512];
	bool end_opts = false, help_word = false;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!end_opts && strcmp(a, "--") == 0) {
			end_opts = true;
			continue;
		}
		if (!end_opts && a[0] == '-' && a[1] != '\0') {
			i = parse_opt(argc, argv, i, g, r, ctx);
			if (r->help && !help_word)
				return;
			continue;
		}
		if (r->cmd == NULL) {
			t = match_word(level, a, ctx);
			if (t->next == NULL && t->cmd == NULL) {
				/* help [WORDS]: usage of what the words name */
				if (level != ctl_top)
					usage_error(ctx, "unexpected argument \"%s\"", a);
				help_word = true;
				continue;
			}
			snprintf(ctx + strlen(ctx), sizeof(ctx) - strlen(ctx), "%s%s",
				 ctx[0] ? " " : "", t->word);
			r->node = t;
			if (t->cmd != NULL)
				r->cmd = t->cmd;
			else
				level = t->next;
			continue;
		}
		if (r->cmd->pos == CTL_POS_NONE || r->pos != NULL)
			usage_error(ctx, "unexpected argument \"%s\"", a);
		r->pos = a;
	}
	if (help_word) {
		r->help = true;
		return;
	}
	if (r->cmd == NULL) {
		const char *names[16];
		int n = 0;

		while (level[n].word != NULL && n < 16) {
			names[n] = level[n].word;
			n++;
		}
		candidates(list, sizeof(list), "", NULL, 0, names, n);
		usage_error(ctx, "missing command (one of: %s; see %s%s%s --help)", list, CTL_PROG,
			    ctx[0] ? " " : "", ctx);
	}
}

/* ---- checks before sending ---------------------------------------------- */

bool ctl_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= CTL_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static void check_seconds(const char *ctx, const char *flag, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = (s[0] >= '0' && s[0] <= '9') ? strtoull(s, &end, 10) : 0;
	if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v > UINT32_MAX)
		usage_error(ctx, "--%s: \"%s\" is not a number of seconds from 0 to %u", flag,
			    s, UINT32_MAX);
}

static void check_value(const char *ctx, const struct ctl_opt *o, const char *v)
{
	struct sgw_endpoint ep;
	enum sgw_suite suite;

	switch (o->val) {
	case CTL_VAL_NAME:
		if (!ctl_name_valid(v))
			usage_error(ctx, "--%s: bad name \"%s\" (1 to %d of A-Z a-z 0-9 _ . -)", o->flag,
				    v, CTL_NAME_MAX);
		break;
	case CTL_VAL_ENDPOINT:
	case CTL_VAL_HOST:
		if (sgw_endpoint_parse(v, &ep, o->val == CTL_VAL_HOST) != 0)
			usage_error(ctx, "--%s: bad address \"%s\" (%s)", o->flag, v,
				    o->val == CTL_VAL_HOST ? "ADDR, ADDR:PORT, [ADDR6] or [ADDR6]:PORT"
							   : "ADDR:PORT or [ADDR6]:PORT");
		break;
	case CTL_VAL_SUITE:
		if (sgw_suite_by_name(v, &suite) != 0 || suite == SGW_SUITE_PLAIN)
			usage_error(ctx, "--%s: unknown suite \"%s\" (one of: AES_CM_128_HMAC_SHA1_80, "
				    "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM)",
				    o->flag, v);
		break;
	case CTL_VAL_KEY:
		/* the daemon checks the length; keys are never echoed */
		if (v[0] == '\0')
			usage_error(ctx, "--%s: empty key", o->flag);
		break;
	case CTL_VAL_SECONDS:
		check_seconds(ctx, o->flag, v);
		break;
	case CTL_VAL_EXPIRES: {
		char err[160];
		int64_t at;
		/* the daemon's clock decides; this one only checks the form */
		if (ctl_expires_parse(v, (int64_t)time(NULL), &at, err, sizeof(err)) != 0)
			usage_error(ctx, "--%s", err); /* err begins "expires: " */
		break;
	}
	case CTL_VAL_CODEC:
		if (strcmp(v, "H264") != 0 && strcmp(v, "VP8") != 0 && strcmp(v, "VP9") != 0 &&
		    strcmp(v, "AV1") != 0 && strcmp(v, "OPUS") != 0 && strcmp(v, "JPEG") != 0)
			usage_error(ctx, "--%s: unknown codec \"%s\" (one of: H264, VP8, VP9, AV1, OPUS, JPEG)",
				    o->flag, v);
		break;
	case CTL_VAL_PT: {
		char *end;
		long pt = (v[0] >= '0' && v[0] <= '9') ? strtol(v, &end, 10) : -1;
		if (pt < 0 || pt > 127 || *end != '\0')
			usage_error(ctx, "--%s: \"%s\" is not a payload type from 0 to 127", o->flag, v);
		break;
	}
	case CTL_VAL_FLAG:
		break;
	}
}

static const char *val_of(const struct ctl_req *r, const char *flag)
{
	for (int k = 0; r->cmd->opts[k].flag != NULL; k++)
		if (strcmp(r->cmd->opts[k].flag, flag) == 0)
			return r->val[k];
	return NULL;
}

void ctl_check(const struct ctl_req *r)
{
	const struct ctl_cmd *c = r->cmd;
	const char *ctx = c->words;

	if (c->pos == CTL_POS_REQUIRED && r->pos == NULL)
		usage_error(ctx, "missing %s", c->pos_meta);
	if (r->pos != NULL && !ctl_name_valid(r->pos))
		usage_error(ctx, "bad %s \"%s\" (1 to %d of A-Z a-z 0-9 _ . -)", c->pos_meta,
			    r->pos, CTL_NAME_MAX);
	for (int k = 0; c->opts[k].flag != NULL; k++) {
		const struct ctl_opt *o = &c->opts[k];

		if (r->val[k] == NULL && o->required)
			usage_error(ctx, "missing --%s %s", o->flag, o->metavar);
		if (r->val[k] != NULL)
			check_value(ctx, o, r->val[k]);
	}
	if (val_of(r, "whip") != NULL &&
	    (val_of(r, "key") != NULL || val_of(r, "plain") != NULL || val_of(r, "codec") != NULL))
		usage_error(ctx, "--whip excludes --key, --plain and --codec (its session sets them)");
	if (val_of(r, "pt") != NULL && val_of(r, "codec") == NULL)
		usage_error(ctx, "--pt goes with --codec");
	if (val_of(r, "plain") != NULL && val_of(r, "suite") != NULL)
		usage_error(ctx, "--suite and --plain exclude each other");
	if (val_of(r, "plain") != NULL && val_of(r, "key") != NULL)
		usage_error(ctx, "--key and --plain exclude each other");
}
