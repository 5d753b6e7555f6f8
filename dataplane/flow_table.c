/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/flow_table.h"

static int push(struct ft_retired **v, unsigned *n, unsigned *cap, void *obj, ft_free_fn fn)
{
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 64;
		struct ft_retired *nv = realloc(*v, ncap * sizeof(**v));
		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n].obj = obj;
	(*v)[*n].free_fn = fn;
	(*n)++;
	return 0;
}

int ft_init(struct flow_table *ft, struct rte_rcu_qsbr *qs)
{
	memset(ft, 0, sizeof(*ft));
	ft->qs = qs;
	ft->root = aligned_alloc(RTE_CACHE_LINE_SIZE,
				 RTE_ALIGN_CEIL(sizeof(struct ft_root), RTE_CACHE_LINE_SIZE));
	if (ft->root == NULL)
		return -ENOMEM;
	memset(ft->root, 0, sizeof(*ft->root));
	ft->root->addrs = sgw_addr_set_new();
	if (ft->root->addrs == NULL) {
		free(ft->root);
		ft->root = NULL;
		return -ENOMEM;
	}
	return 0;
}

void ft_init_addrs(struct flow_table *ft, struct sgw_addr_set *s)
{
	free((void *)(uintptr_t)ft->root->addrs);
	ft->root->addrs = s;
}

void ft_fini(struct flow_table *ft, ft_free_fn free_entry)
{
	struct ft_root *r = ft->root;

	if (ft->next != NULL)
		ft_abort(ft);
	for (unsigned i = 0; r != NULL && i < SGW_FT_MAX_ADDRS; i++) {
		struct ft_dir *d = r->dir[i];
		if (d == NULL)
			continue;
		for (unsigned j = 0; j < 256; j++) {
			struct ft_page *p = d->page[j];
			if (p == NULL)
				continue;
			for (unsigned k = 0; k < 256; k++)
				if (p->e[k] != NULL && free_entry != NULL)
					free_entry(p->e[k]);
			free(p);
		}
		free(d);
	}
	if (r != NULL)
		free((void *)(uintptr_t)r->addrs);
	free(r);
	for (unsigned i = 0; i < ft->n_retired; i++)
		ft->retired[i].free_fn(ft->retired[i].obj);
	free(ft->retired);
	free(ft->created);
	memset(ft, 0, sizeof(*ft));
}

static void *node_alloc(size_t size)
{
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

int ft_begin(struct flow_table *ft)
{
	struct ft_root *r;

	if (ft->next != NULL)
		return -EBUSY;
	r = node_alloc(sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	memcpy(r, ft->root, sizeof(*r));
	r->version = ft->root->version + 1;
	ft->n_created = 0;
	if (push(&ft->created, &ft->n_created, &ft->cap_created, r, free) != 0) {
		free(r);
		return -ENOMEM;
	}
	ft->retired_at_begin = ft->n_retired;
	ft->next = r;
	return 0;
}

/* The writable copy of dir[addr_idx] in the open transaction. */
static struct ft_dir *dir_for_write(struct flow_table *ft, unsigned addr_idx)
{
	struct ft_root *r = ft->next;
	struct ft_dir *old = r->dir[addr_idx], *d;

	if (old != NULL && old->gen == r->version)
		return old;
	d = node_alloc(sizeof(*d));
	if (d == NULL)
		return NULL;
	if (old != NULL)
		memcpy(d, old, sizeof(*d));
	d->gen = r->version;
	if (push(&ft->created, &ft->n_created, &ft->cap_created, d, free) != 0) {
		free(d);
		return NULL;
	}
	if (old != NULL && ft_retire(ft, old, free) != 0)
		return NULL; /* d is freed by ft_abort */
	r->dir[addr_idx] = d;
	ft->nodes += old == NULL;
	return d;
}

static struct ft_page *page_for_write(struct flow_table *ft, struct ft_dir *d, unsigned idx)
{
	struct ft_page *old = d->page[idx], *p;

	if (old != NULL && old->gen == d->gen)
		return old;
	p = node_alloc(sizeof(*p));
	if (p == NULL)
		return NULL;
	if (old != NULL)
		memcpy(p, old, sizeof(*p));
	p->gen = d->gen;
	if (push(&ft->created, &ft->n_created, &ft->cap_created, p, free) != 0) {
		free(p);
		return NULL;
	}
	if (old != NULL && ft_retire(ft, old, free) != 0)
		return NULL; /* p is freed by ft_abort */
	d->page[idx] = p;
	ft->nodes += old == NULL;
	return p;
}

int ft_set(struct flow_table *ft, unsigned addr_idx, uint16_t port,
	   struct sgw_flow_entry *e, ft_free_fn free_old)
{
	struct ft_dir *d;
	struct ft_page *p;
	struct sgw_flow_entry *old;

	if (ft->next == NULL || addr_idx >= SGW_FT_MAX_ADDRS)
		return -EINVAL;
	if (e == NULL && ft_get(ft, addr_idx, port) == NULL)
		return 0;
	d = dir_for_write(ft, addr_idx);
	if (d == NULL)
		return -ENOMEM;
	p = page_for_write(ft, d, port >> 8);
	if (p == NULL)
		return -ENOMEM;
	old = p->e[port & 0xff];
	if (e != NULL && push(&ft->created, &ft->n_created, &ft->cap_created, e, free_old) != 0)
		return -ENOMEM;
	if (old != NULL && free_old != NULL && ft_retire(ft, old, free_old) != 0) {
		if (e != NULL)
			ft->n_created--;
		return -ENOMEM;
	}
	p->e[port & 0xff] = e;
	/* Empty pages and directories stay: they are reused by the next stream
	 * on nearby ports, and a table holds at most 256 x 256 of them. */
	return 0;
}

struct sgw_flow_entry *ft_get(const struct flow_table *ft, unsigned addr_idx, uint16_t port)
{
	const struct ft_root *r = ft->next != NULL ? ft->next : ft->root;

	if (addr_idx >= SGW_FT_MAX_ADDRS)
		return NULL;
	return ft_lookup(r, addr_idx, port);
}

int ft_set_addrs(struct flow_table *ft, struct sgw_addr_set *s)
{
	struct ft_root *r = ft->next;
	void *old;

	if (r == NULL)
		return -EINVAL;
	old = (void *)(uintptr_t)r->addrs;
	if (push(&ft->created, &ft->n_created, &ft->cap_created, s, free) != 0)
		return -ENOMEM;
	if (ft_retire(ft, old, free) != 0) {
		ft->n_created--;
		return -ENOMEM;
	}
	r->addrs = s;
	return 0;
}

int ft_drop_dir(struct flow_table *ft, unsigned addr_idx)
{
	struct ft_root *r = ft->next;
	struct ft_dir *d;
	unsigned n_pages = 0;

	if (r == NULL || addr_idx >= SGW_FT_MAX_ADDRS)
		return -EINVAL;
	d = r->dir[addr_idx];
	if (d == NULL)
		return 0;
	for (unsigned j = 0; j < 256; j++) {
		const struct ft_page *p = d->page[j];
		if (p == NULL)
			continue;
		for (unsigned k = 0; k < 256; k++)
			if (p->e[k] != NULL)
				return -EBUSY;
		n_pages++;
	}
	/* Whether created by this transaction (then freed once, by abort or
	 * after the grace period) or shared with older versions (read by
	 * their readers until the grace period), each goes to retired. */
	for (unsigned j = 0; j < 256; j++)
		if (d->page[j] != NULL && ft_retire(ft, d->page[j], free) != 0)
			return -ENOMEM;
	if (ft_retire(ft, d, free) != 0)
		return -ENOMEM;
	r->dir[addr_idx] = NULL;
	ft->nodes -= n_pages + 1;
	return 0;
}

int ft_retire(struct flow_table *ft, void *obj, ft_free_fn free_fn)
{
	return push(&ft->retired, &ft->n_retired, &ft->cap_retired, obj, free_fn);
}

void ft_abort(struct flow_table *ft)
{
	if (ft->next == NULL)
		return;
	/* Everything the transaction created, newest first; entries were
	 * pushed with the caller's free function. */
	for (unsigned i = ft->n_created; i-- > 0;) {
		if (ft->created[i].free_fn != NULL)
			ft->created[i].free_fn(ft->created[i].obj);
	}
	ft->n_created = 0;
	ft->n_retired = ft->retired_at_begin;
	ft->next = NULL;
}

uint64_t ft_publish(struct flow_table *ft)
{
	struct ft_root *old = ft->root, *r = ft->next;

	if (r == NULL)
		return old->version;
#ifdef SGW_BROKEN_NO_GRACE
	/* Deliberately broken build: the old root is freed without waiting. */
	__atomic_store_n(&ft->root, r, __ATOMIC_RELEASE);
	free(old);
#else
	__atomic_store_n(&ft->root, r, __ATOMIC_RELEASE);
	/* The old root is always retired; if that allocation fails it leaks
	 * rather than being freed under a reader. */
	(void)ft_retire(ft, old, free);
#endif
	ft->next = NULL;
	ft->n_created = 0;
	return r->version;
}

void ft_reclaim(struct flow_table *ft)
{
	if (ft->n_retired == 0)
		return;
#ifndef SGW_BROKEN_NO_GRACE
	rte_rcu_qsbr_synchronize(ft->qs, RTE_QSBR_THRID_INVALID);
#endif
	for (unsigned i = 0; i < ft->n_retired; i++)
		ft->retired[i].free_fn(ft->retired[i].obj);
	ft->n_retired = 0;
}
