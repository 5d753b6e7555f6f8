/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports with no media yet (SGW_OP_PORT_ADD, SGW_OP_PORT_DEL): a WebRTC
 * session's port while srtpgw-control runs ICE and DTLS on it. Their entry
 * punts STUN and DTLS and drops the rest (drop_port_not_ready).
 *
 * Undo: a transaction keeps a log of the ports it added and removed; abort
 * takes the added out and puts the removed back, commit places the entries
 * of those still there, and the slots of those gone are cleared like a
 * deleted stream's. A port record is the agent's alone; its entry's state
 * is retired after the grace period like a stream's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "api/addr.h"
#include "gateway/agent_txn.h"

/* Is (aidx, port) taken: a stream's listen port or RTCP port, a viewer's
 * port, or a port of SGW_OP_PORT_ADD? What takes it is said in err. */
bool txn_port_in_use(struct sgw_agent *a, unsigned aidx, uint16_t port, char *err, size_t errlen)
{
	uint64_t key = txn_listen_key(aidx, port);
	const struct stream_rec *s = idmap_get(&a->listen, key);
	const struct viewer_rec *v = idmap_get(&a->vports, key);
	/* port - 1's stream takes its RTCP on this port */
	const struct stream_rec *below = port > 0 ? idmap_get(&a->listen, txn_listen_key(aidx, port - 1)) : NULL;

	if (below != NULL && (below->flags & SGW_STREAM_RTCP_PORT)) {
		txn_fail(err, errlen, EADDRINUSE, "port %u is stream %llu's RTCP port", port,
			 (unsigned long long)below->id);
		return true;
	}
	if (s != NULL)
		txn_fail(err, errlen, EADDRINUSE, "port %u is stream %llu's", port,
			 (unsigned long long)s->id);
	else if (v != NULL)
		txn_fail(err, errlen, EADDRINUSE, "port %u is viewer %llu's", port,
			 (unsigned long long)v->id);
	else if (idmap_get(&a->ports, key) != NULL)
		txn_fail(err, errlen, EADDRINUSE, "port %u is taken (a session being set up)", port);
	return s != NULL || v != NULL || idmap_get(&a->ports, key) != NULL;
}

static int port_log(struct sgw_agent *a, bool added, uint64_t key, struct port_rec *p)
{
	struct txn_port lg = { .added = added, .key = key, .rec = p };

	return VEC_PUSH(a->txn.port_log, lg);
}

static int port_args(struct sgw_agent *a, const struct sgw_op_port *op, int *aidx,
		     char *err, size_t errlen)
{
	char buf[SGW_ADDR_STRLEN];

	if ((op->local.addr.family != SGW_AF_INET && op->local.addr.family != SGW_AF_INET6) ||
	    op->local.port == 0)
		return txn_fail(err, errlen, EINVAL, "a port needs a gateway address and a port number");
	if (op->flags & ~SGW_PORT_PUNT)
		return txn_fail(err, errlen, EINVAL, "unknown port flags 0x%x", op->flags);
	*aidx = txn_addr_find(a, &op->local.addr);
	if (*aidx < 0)
		return txn_fail(err, errlen, EADDRNOTAVAIL, "%s is not a gateway address",
				sgw_addr_format(&op->local.addr, buf, sizeof(buf)));
	return 0;
}

int op_port(struct sgw_agent *a, unsigned type, const struct sgw_op_port *op, char *err,
	    size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct port_rec *p;
	uint64_t key;
	int aidx = -1, rc = port_args(a, op, &aidx, err, errlen);

	if (rc != 0)
		return rc;
	key = txn_listen_key((unsigned)aidx, op->local.port);
	p = idmap_get(&a->ports, key);
	if (type == SGW_OP_PORT_DEL) {
		struct txn_slot slot = { (unsigned)aidx, op->local.port };

		if (p == NULL)
			return txn_fail(err, errlen, ENOENT, "no port %u of a session being set up",
					op->local.port);
		if (port_log(a, false, key, p) != 0 || VEC_PUSH(t->cleared, slot) != 0 ||
		    txn_res_dropped(t, p->st, free) != 0)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		idmap_del(&a->ports, key);
		return 0;
	}
	if (p != NULL && (t->flags & SGW_TXN_REPLACE_ALL) && p->flags == op->flags)
		return idmap_put(&t->seen_ports, key, (void *)1) == 0 ? 0 :
			txn_fail(err, errlen, ENOMEM, "out of memory");
	if (p != NULL) {
		if (!(t->flags & SGW_TXN_REPLACE_ALL))
			return txn_fail(err, errlen, EEXIST, "port %u is taken (a session being set up)",
					op->local.port);
		struct sgw_op_port del = *op;
		rc = op_port(a, SGW_OP_PORT_DEL, &del, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (txn_port_in_use(a, (unsigned)aidx, op->local.port, err, errlen))
		return -EADDRINUSE;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	p->local = op->local;
	p->aidx = (unsigned)aidx;
	p->flags = op->flags;
	p->created_gen = t->gen;
	p->st = txn_state_alloc(sizeof(*p->st));
	if (p->st == NULL || txn_res_created(t, p->st, free) != 0) {
		free(p->st);
		free(p);
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	p->st->home = SGW_NO_WORKER;
	if (idmap_put(&a->ports, key, p) != 0 || port_log(a, true, key, p) != 0 ||
	    ((t->flags & SGW_TXN_REPLACE_ALL) && idmap_put(&t->seen_ports, key, (void *)1) != 0)) {
		if (idmap_get(&a->ports, key) == p)
			idmap_del(&a->ports, key);
		free(p);
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	return 0;
}

/* REPLACE_ALL: the ports the transaction did not name go. */
int txn_ports_delete_unseen(struct sgw_agent *a, char *err, size_t errlen)
{
	size_t pos = 0, n = 0;
	uint64_t key, keys[64];
	void *val;
	int rc = 0;

	do { /* in rounds: deleting changes the map being walked */
		n = 0;
		for (pos = 0; n < RTE_DIM(keys) && idmap_next(&a->ports, &pos, &key, &val);)
			if (idmap_get(&a->txn.seen_ports, key) == NULL)
				keys[n++] = key;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			const struct port_rec *p = idmap_get(&a->ports, keys[i]);
			struct sgw_op_port op = { .local = p->local, .flags = p->flags };

			rc = op_port(a, SGW_OP_PORT_DEL, &op, err, errlen);
		}
	} while (rc == 0 && n == RTE_DIM(keys));
	return rc;
}

static struct sgw_flow_entry *port_entry(const struct port_rec *p)
{
	struct sgw_flow_entry *e = aligned_alloc(RTE_CACHE_LINE_SIZE,
						 RTE_ALIGN_CEIL(sizeof(*e), RTE_CACHE_LINE_SIZE));

	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->kind = SGW_ENTRY_PORT;
	e->punt = (p->flags & SGW_PORT_PUNT) != 0;
	e->st = p->st;
	return e;
}

/* Commit: the entries of the ports added and still there. */
int txn_ports_commit(struct sgw_agent *a)
{
	struct sgw_txn *t = &a->txn;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->port_log.n; i++) {
		const struct txn_port *lg = &t->port_log.v[i];
		struct sgw_flow_entry *e;

		if (!lg->added || idmap_get(&a->ports, lg->key) != lg->rec)
			continue;
		e = port_entry(lg->rec);
		rc = e == NULL ? -ENOMEM : ft_set(&a->dp->ft, lg->rec->aidx, lg->rec->local.port, e,
						  txn_entry_free);
		if (rc != 0)
			free(e);
	}
	return rc;
}

/* After publish: the removed records are the agent's alone. */
void txn_ports_committed(struct sgw_agent *a)
{
	struct sgw_txn *t = &a->txn;

	for (size_t i = 0; i < t->port_log.n; i++) {
		const struct txn_port *lg = &t->port_log.v[i];

		if (!lg->added)
			free(lg->rec);
	}
}

/* Abort: newest first, each change undone. */
void txn_ports_abort(struct sgw_agent *a)
{
	struct sgw_txn *t = &a->txn;

	for (size_t i = t->port_log.n; i-- > 0;) {
		const struct txn_port *lg = &t->port_log.v[i];

		if (lg->added) {
			idmap_del(&a->ports, lg->key);
			free(lg->rec); /* its state is in created: freed there */
		} else {
			idmap_put(&a->ports, lg->key, lg->rec); /* was there: has room */
		}
	}
}

void txn_ports_fini(struct sgw_agent *a)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while (idmap_next(&a->ports, &pos, &key, &val)) {
		struct port_rec *p = val;

		free(p->st);
		free(p);
	}
	idmap_fini(&a->ports);
}
