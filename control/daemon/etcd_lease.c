/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Leases: grant, keepalive (one message on the gateway's stream, which
 * answers it and ends) and revoke (/v3/lease/revoke; 3.4 serves the older
 * /v3/kv/lease/revoke too).
 */
#include <errno.h>

#include "control/daemon/etcd_priv.h"

static json_object *lease_body(struct etcd *e, int64_t id)
{
	json_object *req = etcd_new_body(e);
	if (req && etcd_json_add_int64(req, "ID", id)) {
		etcd_nomem(e, req);
		return NULL;
	}
	return req;
}

int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *id, int64_t *granted_ttl_s)
{
	if (ttl_s <= 0) {
		etcd_seterr(e, "etcd lease grant: a TTL of %lld s", (long long)ttl_s);
		return -EINVAL;
	}
	json_object *req = etcd_new_body(e), *reply;
	if (!req)
		return -ENOMEM;
	if (etcd_json_add_int64(req, "TTL", ttl_s))
		return etcd_nomem(e, req);
	/* A grant sent twice leaves a lease nobody keeps alive, which
	 * expires: harmless, so it may go to another member. */
	int rc = etcd_call(e, "/v3/lease/grant", req, true, &reply);
	if (rc)
		return rc;
	const char *why;
	int64_t rev, lid, ttl;
	rc = etcd_json_header_rev(reply, &rev, &why);
	if (!rc)
		rc = etcd_json_int64(reply, "ID", &lid, &why);
	if (!rc)
		rc = etcd_json_int64(reply, "TTL", &ttl, &why);
	json_object_put(reply);
	if (!rc && (lid == 0 || ttl <= 0)) {
		why = "a lease without an ID or TTL";
		rc = -EIO;
	}
	if (rc)
		return etcd_bad_reply(e, "lease grant", why);
	*id = lid;
	if (granted_ttl_s)
		*granted_ttl_s = ttl;
	return 0;
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl_s)
{
	json_object *req = lease_body(e, id), *reply, *res;
	if (!req)
		return -ENOMEM;
	int rc = etcd_call(e, "/v3/lease/keepalive", req, true, &reply);
	if (rc)
		return rc;
	const char *why = "a keepalive reply without a result";
	int64_t rev, lid = 0, ttl = 0;
	rc = -EIO;
	if (json_object_object_get_ex(reply, "result", &res)) {
		rc = etcd_json_header_rev(res, &rev, &why);
		if (!rc)
			rc = etcd_json_int64(res, "ID", &lid, &why);
		if (!rc)
			rc = etcd_json_int64(res, "TTL", &ttl, &why);
		if (!rc && lid != id) {
			why = "a keepalive reply for another lease";
			rc = -EIO;
		}
	}
	json_object_put(reply);
	if (rc)
		return etcd_bad_reply(e, "lease keepalive", why);
	if (ttl <= 0) {
		etcd_seterr(e, "etcd lease keepalive: lease %llx expired or unknown", (unsigned long long)id);
		return -ENOENT;
	}
	if (ttl_s)
		*ttl_s = ttl;
	return 0;
}

int etcd_lease_revoke(struct etcd *e, int64_t id)
{
	json_object *req = lease_body(e, id), *reply;
	if (!req)
		return -ENOMEM;
	int rc = etcd_call(e, "/v3/lease/revoke", req, true, &reply);
	if (rc)
		return rc;
	const char *why;
	int64_t rev;
	rc = etcd_json_header_rev(reply, &rev, &why);
	json_object_put(reply);
	return rc ? etcd_bad_reply(e, "lease revoke", why) : 0;
}
