/* SPDX-License-Identifier: BSD-3-Clause */
/* srtpgwctl's usage texts, made from the command table (ctl_parse.c). */
#include <string.h>

#include "control/ctl/ctl.h"

#define WIDTH 79

static const char global_opts[] =
	"options (anywhere on the line):\n"
	"  -s, --socket PATH      the control socket (default: $" CTL_SOCKET_ENV ",\n"
	"                         else " CTL_DEFAULT_SOCKET ")\n"
	"  -j, --json             print the daemon's result as JSON\n"
	"      --timeout SECONDS  how long to wait for the reply (default 30)\n"
	"      --token TOKEN      act for this token's owner (default: $" CTL_TOKEN_ENV ",\n"
	"                         which keeps it out of ps)\n"
	"      --connect HOST:PORT\n"
	"                         the daemon's TLS listener instead of the socket\n"
	"                         (remote administration), with:\n"
	"      --cert FILE        this client's certificate (PEM)\n"
	"      --cert-key FILE    its private key (PEM)\n"
	"      --ca FILE          the CA that issued the daemon's certificate (PEM)\n"
	"  -h, --help             this text; after command words, their usage\n";

/* text, its lines after the first indented by indent spaces */
static void print_indented(FILE *f, const char *text, int indent)
{
	for (; *text != '\0'; text++) {
		fputc(*text, f);
		if (*text == '\n')
			fprintf(f, "%*s", indent, "");
	}
}

/* text as words wrapped at WIDTH, starting at column col, further lines
 * starting at column indent. */
static void print_wrapped(FILE *f, const char *text, int col, int indent)
{
	while (*text != '\0') {
		int len = (int)strcspn(text, " ");

		if (col > indent && col + 1 + len > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, text);
		col += len;
		text += len;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

static void print_cmd_line(FILE *f, const struct ctl_cmd *c)
{
	fprintf(f, "  %s%s", c->words, c->synopsis[0] ? " " : "");
	print_indented(f, c->synopsis, 2);
	fprintf(f, "\n      %s\n", c->summary);
}

static void print_cmds(FILE *f, const struct ctl_token *level)
{
	for (; level->word != NULL; level++) {
		if (level->cmd != NULL)
			print_cmd_line(f, level->cmd);
		else if (level->next != NULL)
			print_cmds(f, level->next);
		else
			fprintf(f, "  %s [COMMAND ...]\n      %s\n", level->word, level->summary);
	}
}

static void help_top(FILE *f)
{
	fprintf(f,
		"usage: " CTL_PROG " [--socket PATH] [--token TOKEN] [--json] [--timeout SECONDS]\n"
		"                 COMMAND ...\n"
		"       " CTL_PROG " --connect HOST:PORT --cert FILE --cert-key FILE --ca FILE\n"
		"                 [--token TOKEN] [--json] [--timeout SECONDS] COMMAND ...\n"
		"\n"
		"The operators' client of srtpgw-control, the control daemon of the srtpgw\n"
		"SRTP gateway: owners, streams, viewers, grants, counters, tokens.\n"
		"\n"
		"commands:\n");
	print_cmds(f, ctl_top);
	fprintf(f, "\n%s\n", global_opts);
	fprintf(f,
		"Command words may be cut to any unambiguous prefix (\"str sh\" is \"stream\n"
		"show\"), and so may options. Names are 1 to %d of A-Z a-z 0-9 _ . -; a name\n"
		"that starts with - goes after --. Keys and tokens are printed only by the\n"
		"command that made them, once. Exit status: 0 done, 1 refused by the daemon\n"
		"(or a bad reply), 2 usage error (nothing was sent), 3 cannot connect to the\n"
		"daemon, 4 permission denied (the principal may not do that, or is unknown).\n",
		CTL_NAME_MAX);
}

static void help_words(FILE *f, const struct ctl_token *t)
{
	fprintf(f, "usage: " CTL_PROG " [OPTIONS] %s COMMAND ...\n\n%s\n\ncommands:\n", t->word,
		t->summary);
	print_cmds(f, t->next);
	fprintf(f, "\nSee \"" CTL_PROG " %s COMMAND --help\" for a command's options, and\n"
		"\"" CTL_PROG " --help\" for OPTIONS.\n", t->word);
}

static void help_cmd(FILE *f, const struct ctl_cmd *c)
{
	const struct ctl_opt *o;
	char head[64];

	fprintf(f, "usage: " CTL_PROG " [OPTIONS] %s%s", c->words, c->synopsis[0] ? " " : "");
	print_indented(f, c->synopsis, 0);
	fprintf(f, "\n\n%s\n", c->summary);
	if (c->details != NULL)
		fprintf(f, "\n%s\n", c->details);
	if (c->pos != CTL_POS_NONE || c->opts[0].flag != NULL)
		fprintf(f, "\narguments:\n");
	if (c->pos != CTL_POS_NONE)
		fprintf(f, "  %-22s a name: 1 to %d of A-Z a-z 0-9 _ . -%s\n", c->pos_meta,
			CTL_NAME_MAX, c->pos == CTL_POS_OPTIONAL ? " (optional)" : "");
	for (o = c->opts; o->flag != NULL; o++) {
		snprintf(head, sizeof(head), "--%s%s%s", o->flag, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		fprintf(f, "  %-22s", head);
		if ((int)strlen(head) > 22)
			fprintf(f, "\n%*s", 25, "");
		else
			fputc(' ', f);
		print_wrapped(f, o->help, 25, 25);
	}
	fprintf(f, "\n%s", global_opts);
	fprintf(f, "\nSends {\"v\": 1, \"cmd\": \"%s\", \"args\": {...}} to srtpgw-control\n"
		"(docs/control-protocol.md).\n", c->cmd);
}

void ctl_help(FILE *f, const struct ctl_token *node)
{
	if (node == NULL)
		help_top(f);
	else if (node->cmd != NULL)
		help_cmd(f, node->cmd);
	else
		help_words(f, node);
}
