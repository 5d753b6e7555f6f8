/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fleet's commands (docs/fleet.md, "Commands"): fleet.status, the
 * gateways, leases and placements; stream.move, a planned move of a
 * stream to another gateway. Admin only: where a stream is forwarded is
 * the operator's business, not an owner's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/daemon/cmds.h"
#include "control/daemon/fleet.h"
#include "control/daemon/placement.h"

/* A failure whose message is in err already (etcd's): its code too. */
static int fail_as(char *err, size_t errlen, int rc)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", err);
	return cmd_fail(err, errlen, -rc, "%s", msg);
}

static json_object *lease_hex(int64_t lease)
{
	char id[24];

	if (lease == 0)
		return NULL;
	snprintf(id, sizeof(id), "%llx", (unsigned long long)lease);
	return json_object_new_string(id);
}

/* Every gateway etcd has now, with the streams the view places on it. */
struct gw_ctx {
	struct ctl_daemon *d;
	json_object *arr;
};

static int add_gateway(void *arg, const char *name, int64_t lease)
{
	struct gw_ctx *x = arg;
	const struct fleet_placement *ps;
	size_t n = fleet_placement_list(x->d->fleet, &ps);
	json_object *g = json_object_new_object();
	int64_t streams = 0;

	for (size_t i = 0; i < n; i++)
		if (ps[i].lease == lease && strcmp(ps[i].gw, name) == 0)
			streams++;
	json_object_object_add(g, "name", json_object_new_string(name));
	json_object_object_add(g, "lease", lease_hex(lease));
	json_object_object_add(g, "streams", json_object_new_int64(streams));
	json_object_array_add(x->arr, g);
	return 0;
}

static int add_placement(void *arg, const struct store_stream *st)
{
	struct gw_ctx *x = arg;
	const struct fleet_placement *p = fleet_placement_of(x->d->fleet, st->id);
	json_object *j = json_object_new_object();

	json_object_object_add(j, "stream", json_object_new_string(st->name));
	json_object_object_add(j, "gateway", p != NULL ? json_object_new_string(p->gw) : NULL);
	json_object_object_add(j, "fence", p != NULL ? json_object_new_int64(p->token) : NULL);
	json_object_array_add(x->arr, j);
	return 0;
}

static int fleet_status(struct ctl_daemon *d, json_object *res, char *err, size_t errlen)
{
	struct gw_ctx gws = { d, json_object_new_array() }, pls = { d, json_object_new_array() };
	int rc;

	json_object_object_add(res, "gateway", json_object_new_string(d->cfg.fleet_gateway));
	json_object_object_add(res, "revision", json_object_new_int64(fleet_revision(d->fleet)));
	json_object_object_add(res, "conflicts", json_object_new_int64((int64_t)fleet_conflicts(d->fleet)));
	json_object_object_add(res, "lease", lease_hex(fleet_lease_id(d->lease)));
	json_object_object_add(res, "lease_ttl", json_object_new_int64(d->cfg.fleet_lease_ttl_s));
	json_object_object_add(res, "renewals", json_object_new_int64((int64_t)fleet_lease_renewals(d->lease)));
	json_object_object_add(res, "placements_taken", json_object_new_int64((int64_t)d->place.taken));
	rc = store_stream_foreach(d->store, 0, add_placement, &pls);
	json_object_object_add(res, "placements", pls.arr);
	if (rc != 0)
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	rc = fleet_gateways(d->fleet, add_gateway, &gws, err, errlen);
	json_object_object_add(res, "gateways", gws.arr);
	return rc < 0 ? fail_as(err, errlen, rc) : 0;
}

/* stream.move name=STREAM to=GW: placement/<id> = GW under GW's lease, if
 * the placement is still the one read. The old gateway's controller sees
 * it leave and pushes its state without it; GW's sees it come and pushes
 * it with the new token and its address (docs/fleet.md, "Moving a
 * stream"). */
static int stream_move(struct ctl_daemon *d, struct cmd_ctx *c, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "to", NULL };
	const struct fleet_placement *p;
	const struct fleet_gw *g;
	struct store_stream_info st;
	const char *name, *to;
	char from[FLEET_NAME_MAX] = "";
	int rc;

	if ((rc = check_args(&c->a, strs, NULL)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = need_name(&c->a, "to", &to)) != 0 ||
	    (rc = cmd_need_admin(c, err, errlen, "move streams")) != 0 ||
	    (rc = cmd_stream_info(d, name, &st, err, errlen)) != 0)
		return rc;
	g = fleet_gw_of(d->fleet, to);
	if (g == NULL)
		return cmd_fail(err, errlen, EHOSTUNREACH, "gateway \"%s\" holds no lease in the fleet now", to);
	p = fleet_placement_of(d->fleet, st.id);
	if (p != NULL)
		snprintf(from, sizeof(from), "%s", p->gw);
	if (p != NULL && p->lease == g->lease && strcmp(p->gw, to) == 0)
		return cmd_fail(err, errlen, EALREADY, "stream %s is on gateway %s already", name, to);
	rc = fleet_place_put(d->fleet, st.id, to, g->lease, p != NULL ? p->token : 0, err, errlen);
	if (rc == -EAGAIN)
		return cmd_fail(err, errlen, EAGAIN, "the stream's placement changed meanwhile: try again");
	if (rc < 0)
		return fail_as(err, errlen, rc);
	json_object_object_add(c->result, "name", json_object_new_string(name));
	json_object_object_add(c->result, "from", from[0] ? json_object_new_string(from) : NULL);
	json_object_object_add(c->result, "to", json_object_new_string(to));
	return 0;
}

int cmd_fleet(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen)
{
	int rc = 0;

	if (d->fleet == NULL)
		return cmd_fail(err, errlen, EINVAL, "this srtpgw-control is not in a fleet (store = \"sqlite\")");
	if (strcmp(cmd, "stream.move") == 0)
		return stream_move(d, c, err, errlen);
	rc = check_args(&c->a, NULL, NULL);
	if (rc == 0)
		rc = cmd_need_admin(c, err, errlen, "see the fleet");
	if (rc == 0)
		rc = fleet_status(d, c->result, err, errlen);
	return rc;
}
