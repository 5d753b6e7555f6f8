/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys: range (get), put, deleterange and compaction, one request each.
 */
#include <errno.h>
#include <string.h>

#include "control/daemon/etcd_priv.h"

int etcd_get(struct etcd *e, const char *key, size_t key_len, bool prefix, int64_t rev,
	     struct etcd_range *out)
{
	memset(out, 0, sizeof *out);
	json_object *req = etcd_new_body(e), *reply;
	if (!req)
		return -ENOMEM;
	if (etcd_json_add_key(req, key, key_len, prefix) || (rev && etcd_json_add_int64(req, "revision", rev)))
		return etcd_nomem(e, req);
	int rc = etcd_call(e, "/v3/kv/range", req, true, &reply);
	if (rc)
		return rc;
	const char *why;
	rc = etcd_json_range(reply, out, &why);
	json_object_put(reply);
	return rc == -EIO ? etcd_bad_reply(e, "range", why) : rc;
}

int etcd_put(struct etcd *e, const char *key, size_t key_len, const void *val, size_t val_len,
	     int64_t lease, int64_t *revision)
{
	json_object *req = etcd_new_body(e), *reply;
	if (!req)
		return -ENOMEM;
	if (etcd_json_add_bytes(req, "key", key, key_len) || etcd_json_add_bytes(req, "value", val, val_len) ||
	    (lease && etcd_json_add_int64(req, "lease", lease)))
		return etcd_nomem(e, req);
	int rc = etcd_call(e, "/v3/kv/put", req, false, &reply);
	if (rc)
		return rc;
	const char *why;
	int64_t rev;
	rc = etcd_json_header_rev(reply, &rev, &why);
	json_object_put(reply);
	if (rc)
		return etcd_bad_reply(e, "put", why);
	if (revision)
		*revision = rev;
	return 0;
}

int etcd_delete(struct etcd *e, const char *key, size_t key_len, bool prefix, int64_t *deleted,
		int64_t *revision)
{
	json_object *req = etcd_new_body(e), *reply;
	if (!req)
		return -ENOMEM;
	if (etcd_json_add_key(req, key, key_len, prefix))
		return etcd_nomem(e, req);
	int rc = etcd_call(e, "/v3/kv/deleterange", req, false, &reply);
	if (rc)
		return rc;
	const char *why;
	int64_t rev, n;
	rc = etcd_json_header_rev(reply, &rev, &why);
	if (!rc)
		rc = etcd_json_int64(reply, "deleted", &n, &why);
	json_object_put(reply);
	if (rc)
		return etcd_bad_reply(e, "deleterange", why);
	if (deleted)
		*deleted = n;
	if (revision)
		*revision = rev;
	return 0;
}

int etcd_compact(struct etcd *e, int64_t rev)
{
	json_object *req = etcd_new_body(e), *reply;
	if (!req)
		return -ENOMEM;
	if (etcd_json_add_int64(req, "revision", rev) ||
	    json_object_object_add(req, "physical", json_object_new_boolean(1)))
		return etcd_nomem(e, req);
	/* Compacting twice is harmless: read_only for failover. */
	int rc = etcd_call(e, "/v3/kv/compaction", req, true, &reply);
	if (rc)
		return rc;
	const char *why;
	int64_t hrev;
	rc = etcd_json_header_rev(reply, &hrev, &why);
	json_object_put(reply);
	return rc ? etcd_bad_reply(e, "compaction", why) : 0;
}
