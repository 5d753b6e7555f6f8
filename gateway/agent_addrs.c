/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's addresses: the config file's, and the service addresses
 * (SGW_OP_ADDR_ADD, SGW_OP_ADDR_DEL) that come and go at run time.
 *
 * Versions (dataplane/addr_set.h): the addresses are part of the flow
 * table's version. The first ADDR op of a transaction copies the published
 * set; the ops change the copy; commit drops the directories of the slots
 * that lost their address, hands the copy to the new root and publishes
 * it with the rest. A packet's burst sees an address, and its streams,
 * wholly or not at all. Abort throws the copy away.
 *
 * Slots: an address keeps its slot (its address index) while it exists.
 * A slot never goes to another address before the grace period that
 * followed the version without it: not in the transaction that emptied it
 * (the published set still has it), not between that publish and the
 * reclaim (waiting[]).
 *
 * After publish, each address added is announced on its port
 * (agent_announce.c); one removed is no longer answered (ARP/ND look at
 * the published set).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/addr.h"
#include "gateway/agent_txn.h"

enum { ADDR_ADDED = 1, ADDR_REMOVED = 2 };

int agent_addrs_init(struct sgw_agent *a)
{
	const struct sgw_dp *dp = a->dp;
	struct sgw_addr_set *s = sgw_addr_set_new();

	if (s == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < dp->n_laddrs && i < SGW_FT_MAX_ADDRS; i++) {
		s->slot[i] = dp->laddrs[i];
		s->slot[i].origin = SGW_ADDR_CONFIG;
		s->slot[i].flags = 0;
	}
	sgw_addr_set_index(s);
	ft_init_addrs(&a->dp->ft, s);
	return 0;
}

void agent_addrs_fini(struct sgw_agent *a)
{
	txn_addrs_abort(a);
}

const struct sgw_addr_set *agent_addrs_pub(const struct sgw_agent *a)
{
	return a->dp->ft.root->addrs;
}

const struct sgw_addr_set *agent_addrs_txn(const struct sgw_agent *a)
{
	return a->addrs.next != NULL ? a->addrs.next : agent_addrs_pub(a);
}

int txn_addr_find(const struct sgw_agent *a, const struct sgw_addr *ip)
{
	return sgw_addr_set_find(agent_addrs_txn(a), ip->family, ip->a);
}

void agent_addrs_reclaimed(struct sgw_agent *a)
{
	memset(a->addrs.waiting, 0, sizeof(a->addrs.waiting));
}

/* The transaction's own copy, made on first use. NULL: out of memory. */
static struct sgw_addr_set *writable(struct sgw_agent *a)
{
	if (a->addrs.next == NULL)
		a->addrs.next = sgw_addr_set_dup(agent_addrs_pub(a));
	return a->addrs.next;
}

/* An address a host may have: not unspecified, loopback, multicast or a
 * broadcast address (of the prefix it comes with, for IPv4). */
static bool unicast(const struct sgw_addr *ip, unsigned plen)
{
	static const uint8_t zero[16];
	const uint8_t *b = ip->a;

	if (ip->family == SGW_AF_INET) {
		uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		uint32_t host = plen >= 32 ? 0 : 0xffffffffu >> plen;

		if (b[0] == 0 || b[0] == 127 || b[0] >= 224)
			return false;
		/* the subnet's network and broadcast addresses (not on /31, /32) */
		return plen >= 31 || ((v & host) != 0 && (v & host) != host);
	}
	if (memcmp(b, zero, 16) == 0 || b[0] == 0xff)
		return false;
	return !(memcmp(b, zero, 15) == 0 && b[15] == 1); /* ::1 */
}

/* The op's address, prefix, port and flags make sense. */
static int addr_args(struct sgw_agent *a, const struct sgw_op_addr *op, bool add, char *err,
		     size_t errlen)
{
	const struct sgw_dp *dp = a->dp;
	char buf[SGW_ADDR_STRLEN];
	unsigned host = op->ip.family == SGW_AF_INET ? 32 : 128;

	if (op->ip.family != SGW_AF_INET && op->ip.family != SGW_AF_INET6)
		return txn_fail(err, errlen, EINVAL, "bad address family %u", op->ip.family);
	if (!add)
		return 0;
	if (op->flags & ~SGW_ADDR_LEASED)
		return txn_fail(err, errlen, EINVAL, "unknown address flags 0x%x", op->flags);
	if (op->port_idx >= dp->n_ports)
		return txn_fail(err, errlen, EINVAL, "no port %u (the gateway has %u)", op->port_idx,
				dp->n_ports);
	sgw_addr_format(&op->ip, buf, sizeof(buf));
	if (op->prefix_len > host || !unicast(&op->ip, op->prefix_len))
		return txn_fail(err, errlen, EINVAL, "%s/%u is not a unicast host address", buf,
				op->prefix_len);
	if (op->prefix_len == host)
		return 0;
	/* another address on a subnet the port is on already: no new route */
	for (unsigned i = 0; i < dp->n_laddrs; i++) {
		const struct sgw_local_addr *l = &dp->laddrs[i];

		if (l->port_idx == op->port_idx && l->prefix_len == op->prefix_len &&
		    sgw_addr_in_prefix(&op->ip, &l->ip, l->prefix_len))
			return 0;
	}
	return txn_fail(err, errlen, EINVAL,
			"%s/%u: a service address is /%u, or has the prefix of a config address of "
			"its port that holds it (it adds no route)", buf, op->prefix_len, host);
}

/* Does a stream, viewer port or port listen on slot aidx? What does, in err. */
static bool addr_in_use(struct sgw_agent *a, unsigned aidx, char *err, size_t errlen)
{
	struct idmap *maps[3] = { &a->listen, &a->vports, &a->ports };
	size_t pos;
	uint64_t key;
	void *val;

	for (unsigned m = 0; m < 3; m++)
		for (pos = 0; idmap_next(maps[m], &pos, &key, &val);) {
			if ((key >> 16) != aidx + 1)
				continue;
			if (m == 0)
				txn_fail(err, errlen, EBUSY, "stream %llu listens on it (port %u)",
					 (unsigned long long)((const struct stream_rec *)val)->id,
					 (unsigned)(key & 0xffff));
			else if (m == 1)
				txn_fail(err, errlen, EBUSY, "viewer %llu has its port %u on it",
					 (unsigned long long)((const struct viewer_rec *)val)->id,
					 (unsigned)(key & 0xffff));
			else
				txn_fail(err, errlen, EBUSY, "port %u is on it (a session being set up)",
					 (unsigned)(key & 0xffff));
			return true;
		}
	return false;
}

/* A free slot: free in the transaction's set and in the published one (a
 * slot emptied by this transaction is still read), not waiting for a grace
 * period. -1 if none. */
static int free_slot(struct sgw_agent *a)
{
	const struct sgw_addr_set *pub = agent_addrs_pub(a), *next = a->addrs.next;

	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++)
		if (next->slot[i].ip.family == SGW_AF_NONE && pub->slot[i].ip.family == SGW_AF_NONE &&
		    !a->addrs.waiting[i])
			return (int)i;
	return -1;
}

static int addr_add(struct sgw_agent *a, const struct sgw_op_addr *op, char *err, size_t errlen)
{
	bool replace_all = a->txn.flags & SGW_TXN_REPLACE_ALL;
	const struct sgw_local_addr *l;
	struct sgw_addr_set *next;
	char buf[SGW_ADDR_STRLEN];
	int aidx = txn_addr_find(a, &op->ip);

	sgw_addr_format(&op->ip, buf, sizeof(buf));
	l = sgw_addr_set_get(agent_addrs_txn(a), aidx);
	if (l != NULL && l->origin == SGW_ADDR_CONFIG)
		return txn_fail(err, errlen, EEXIST, "%s is a config-file address of port %u", buf,
				l->port_idx);
	if (l != NULL && (!replace_all || l->port_idx != op->port_idx))
		return txn_fail(err, errlen, EEXIST, "%s is a service address already (port %u)", buf,
				l->port_idx);
	if (l != NULL) {
		/* REPLACE_ALL restates it: it stays where it is, as said now */
		if (l->prefix_len != op->prefix_len || l->flags != op->flags) {
			next = writable(a);
			if (next == NULL)
				return txn_fail(err, errlen, ENOMEM, "out of memory");
			next->slot[aidx].prefix_len = op->prefix_len;
			next->slot[aidx].flags = op->flags;
		}
		a->addrs.seen[aidx] = 1;
		return 0;
	}
	next = writable(a);
	if (next == NULL)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	aidx = free_slot(a);
	if (aidx < 0)
		return txn_fail(err, errlen, ENOSPC, "no room for %s: the gateway has %u addresses "
				"(some may wait for a grace period)", buf, SGW_FT_MAX_ADDRS);
	next->slot[aidx] = (struct sgw_local_addr){
		.ip = op->ip, .prefix_len = op->prefix_len, .origin = SGW_ADDR_SERVICE,
		.port_idx = op->port_idx, .flags = op->flags,
	};
	/* only the address: the rest of the op's bytes are not kept */
	memset(next->slot[aidx].ip.pad, 0, sizeof(next->slot[aidx].ip.pad));
	if (op->ip.family == SGW_AF_INET)
		memset(next->slot[aidx].ip.a + 4, 0, 12);
	sgw_addr_set_index(next);
	if (replace_all)
		a->addrs.seen[aidx] = 1;
	return 0;
}

static int addr_del(struct sgw_agent *a, const struct sgw_op_addr *op, char *err, size_t errlen)
{
	const struct sgw_local_addr *l;
	struct sgw_addr_set *next;
	char buf[SGW_ADDR_STRLEN], why[160];
	int aidx = txn_addr_find(a, &op->ip);

	sgw_addr_format(&op->ip, buf, sizeof(buf));
	l = sgw_addr_set_get(agent_addrs_txn(a), aidx);
	if (l == NULL)
		return txn_fail(err, errlen, ENOENT, "%s is not a service address", buf);
	if (l->origin == SGW_ADDR_CONFIG)
		return txn_fail(err, errlen, EPERM, "%s is a config-file address: it cannot be deleted",
				buf);
	if (addr_in_use(a, (unsigned)aidx, why, sizeof(why)))
		return txn_fail(err, errlen, EBUSY, "%s is in use: %s (delete it first)", buf, why);
	next = writable(a);
	if (next == NULL)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	memset(&next->slot[aidx], 0, sizeof(next->slot[aidx]));
	sgw_addr_set_index(next);
	a->addrs.seen[aidx] = 0;
	return 0;
}

int op_addr(struct sgw_agent *a, unsigned type, const struct sgw_op_addr *op, char *err,
	    size_t errlen)
{
	int rc = addr_args(a, op, type == SGW_OP_ADDR_ADD, err, errlen);

	if (rc != 0)
		return rc;
	return type == SGW_OP_ADDR_ADD ? addr_add(a, op, err, errlen) : addr_del(a, op, err, errlen);
}

/* REPLACE_ALL, after the streams and ports: the service addresses no
 * ADDR_ADD named go. */
int txn_addrs_delete_unseen(struct sgw_agent *a, char *err, size_t errlen)
{
	const struct sgw_addr_set *cur = agent_addrs_txn(a);

	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		const struct sgw_local_addr *l = &cur->slot[i];
		struct sgw_op_addr op;
		int rc;

		if (l->ip.family == SGW_AF_NONE || l->origin != SGW_ADDR_SERVICE || a->addrs.seen[i])
			continue;
		op = (struct sgw_op_addr){ .ip = l->ip };
		rc = addr_del(a, &op, err, errlen);
		if (rc != 0)
			return rc;
		cur = agent_addrs_txn(a); /* the copy, from the first on */
	}
	return 0;
}

static bool same_addr(const struct sgw_local_addr *x, const struct sgw_local_addr *y)
{
	return x->ip.family != SGW_AF_NONE && y->ip.family != SGW_AF_NONE &&
	       sgw_addr_equal(&x->ip, &y->ip) && x->port_idx == y->port_idx;
}

/* Commit, before publish: the new root gets the copy; the slots that lost
 * their address lose their directory (empty: nothing listens there). */
int txn_addrs_commit(struct sgw_agent *a)
{
	struct agent_addrs *ad = &a->addrs;
	const struct sgw_addr_set *pub = agent_addrs_pub(a);
	int rc;

	memset(ad->change, 0, sizeof(ad->change));
	if (ad->next == NULL)
		return 0;
	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		const struct sgw_local_addr *was = &pub->slot[i], *now = &ad->next->slot[i];

		if (was->ip.family != SGW_AF_NONE && !same_addr(was, now)) {
			rc = ft_drop_dir(&a->dp->ft, i);
			if (rc != 0)
				return rc;
			ad->change[i] = ADDR_REMOVED;
		}
		if (now->ip.family != SGW_AF_NONE && !same_addr(was, now))
			ad->change[i] = ADDR_ADDED;
	}
	rc = ft_set_addrs(&a->dp->ft, ad->next);
	if (rc == 0)
		ad->next = NULL; /* the table's now */
	return rc;
}

/* After publish: what went waits for the grace period and is no longer
 * announced; what came is announced. */
void txn_addrs_committed(struct sgw_agent *a)
{
	struct agent_addrs *ad = &a->addrs;

	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		if (ad->change[i] == ADDR_REMOVED) {
			ad->waiting[i] = 1;
			if (ad->announce[i].left > 0)
				ad->n_announcing--;
			ad->announce[i].left = 0;
		} else if (ad->change[i] == ADDR_ADDED) {
			if (ad->announce[i].left == 0)
				ad->n_announcing++;
			ad->announce[i].left = SGW_ADDR_ANNOUNCE_COUNT;
			ad->announce[i].next_ms = 0; /* at once */
		}
	}
	memset(ad->change, 0, sizeof(ad->change));
	memset(ad->seen, 0, sizeof(ad->seen));
}

void txn_addrs_abort(struct sgw_agent *a)
{
	free(a->addrs.next);
	a->addrs.next = NULL;
	memset(a->addrs.seen, 0, sizeof(a->addrs.seen));
	memset(a->addrs.change, 0, sizeof(a->addrs.change));
}

size_t agent_stats_addrs(struct sgw_agent *a, uint8_t *buf, size_t cap)
{
	const struct sgw_addr_set *pub = agent_addrs_pub(a);
	struct sgw_stats_page pg = { 0, 0 };
	size_t off = sizeof(pg);

	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		const struct sgw_local_addr *l = &pub->slot[i];
		struct sgw_addr_stats st;

		if (l->ip.family == SGW_AF_NONE)
			continue;
		if (off + sizeof(st) > cap) {
			pg.more = 1;
			break;
		}
		memset(&st, 0, sizeof(st));
		st.ip = l->ip;
		st.prefix_len = l->prefix_len;
		st.origin = l->origin;
		st.port_idx = l->port_idx;
		st.flags = l->flags;
		st.aidx = i;
		st.announce_left = a->addrs.announce[i].left;
		if (l->port_idx < a->cfg->n_ports)
			snprintf(st.port_name, sizeof(st.port_name), "%s", a->cfg->ports[l->port_idx].name);
		memcpy(buf + off, &st, sizeof(st));
		off += sizeof(st);
		pg.n++;
	}
	memcpy(buf, &pg, sizeof(pg));
	return off;
}
