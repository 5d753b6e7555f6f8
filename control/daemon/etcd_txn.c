/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transactions (/v3/kv/txn): compares, and the ops of each branch, built
 * as the request's JSON as they are added; the ranges of the branch that
 * ran are kept for etcd_txn_result().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/etcd_priv.h"

struct etcd_txn {
	json_object *compare, *ops[2]; /* ops[1]: success, ops[0]: failure */
	size_t gets[2];
	bool writes;                   /* a put or delete in either branch */
	int bad;                       /* an adder failed: its errno */
	struct etcd_range *results;
	size_t nresults;
};

struct etcd_txn *etcd_txn_new(void)
{
	struct etcd_txn *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->compare = json_object_new_array();
	t->ops[0] = json_object_new_array();
	t->ops[1] = json_object_new_array();
	if (!t->compare || !t->ops[0] || !t->ops[1]) {
		etcd_txn_free(t);
		return NULL;
	}
	return t;
}

static void results_free(struct etcd_txn *t)
{
	for (size_t i = 0; i < t->nresults; i++)
		etcd_range_free(&t->results[i]);
	free(t->results);
	t->results = NULL;
	t->nresults = 0;
}

void etcd_txn_free(struct etcd_txn *t)
{
	if (!t)
		return;
	json_object_put(t->compare);
	json_object_put(t->ops[0]);
	json_object_put(t->ops[1]);
	results_free(t);
	free(t);
}

static int failed(struct etcd_txn *t, json_object *o, int err)
{
	json_object_put(o);
	if (!t->bad)
		t->bad = err;
	return err;
}

static int add(struct etcd_txn *t, json_object *array, json_object *o)
{
	if (json_object_array_add(array, o))
		return failed(t, o, -ENOMEM);
	return 0;
}

static const char *const target_names[] = {
	[ETCD_MOD] = "MOD", [ETCD_CREATE] = "CREATE", [ETCD_VERSION] = "VERSION",
	[ETCD_VALUE] = "VALUE", [ETCD_LEASE] = "LEASE",
};
static const char *const target_fields[] = {
	[ETCD_MOD] = "mod_revision", [ETCD_CREATE] = "create_revision", [ETCD_VERSION] = "version",
	[ETCD_VALUE] = "value", [ETCD_LEASE] = "lease",
};
static const char *const result_names[] = {
	[ETCD_EQUAL] = "EQUAL", [ETCD_NOT_EQUAL] = "NOT_EQUAL", [ETCD_LESS] = "LESS",
	[ETCD_GREATER] = "GREATER",
};

static json_object *new_cmp(struct etcd_txn *t, const char *key, size_t key_len, enum etcd_target target,
			    enum etcd_result result)
{
	if ((unsigned)target > ETCD_LEASE || (unsigned)result > ETCD_GREATER) {
		failed(t, NULL, -EINVAL);
		return NULL;
	}
	json_object *c = json_object_new_object();
	if (!c || etcd_json_add_bytes(c, "key", key, key_len) ||
	    json_object_object_add(c, "target", json_object_new_string(target_names[target])) ||
	    json_object_object_add(c, "result", json_object_new_string(result_names[result]))) {
		failed(t, c, -ENOMEM);
		return NULL;
	}
	return c;
}

int etcd_txn_cmp(struct etcd_txn *t, const char *key, size_t key_len, enum etcd_target target,
		 enum etcd_result result, int64_t v)
{
	if (target == ETCD_VALUE)
		return failed(t, NULL, -EINVAL);
	json_object *c = new_cmp(t, key, key_len, target, result);
	if (!c)
		return t->bad;
	if (etcd_json_add_int64(c, target_fields[target], v))
		return failed(t, c, -ENOMEM);
	return add(t, t->compare, c);
}

int etcd_txn_cmp_value(struct etcd_txn *t, const char *key, size_t key_len, enum etcd_result result,
		       const void *val, size_t val_len)
{
	json_object *c = new_cmp(t, key, key_len, ETCD_VALUE, result);
	if (!c)
		return t->bad;
	if (etcd_json_add_bytes(c, "value", val, val_len))
		return failed(t, c, -ENOMEM);
	return add(t, t->compare, c);
}

/* {name: inner} into the branch. */
static int add_op(struct etcd_txn *t, bool on_success, const char *name, json_object *inner)
{
	json_object *op = json_object_new_object();
	if (!op || json_object_object_add(op, name, inner)) {
		json_object_put(op);
		return failed(t, inner, -ENOMEM);
	}
	return add(t, t->ops[on_success], op);
}

int etcd_txn_put(struct etcd_txn *t, bool on_success, const char *key, size_t key_len,
		 const void *val, size_t val_len, int64_t lease)
{
	json_object *p = json_object_new_object();
	if (!p || etcd_json_add_bytes(p, "key", key, key_len) || etcd_json_add_bytes(p, "value", val, val_len) ||
	    (lease && etcd_json_add_int64(p, "lease", lease)))
		return failed(t, p, -ENOMEM);
	t->writes = true;
	return add_op(t, on_success, "request_put", p);
}

int etcd_txn_del(struct etcd_txn *t, bool on_success, const char *key, size_t key_len, bool prefix)
{
	json_object *d = json_object_new_object();
	if (!d || etcd_json_add_key(d, key, key_len, prefix))
		return failed(t, d, -ENOMEM);
	t->writes = true;
	return add_op(t, on_success, "request_delete_range", d);
}

int etcd_txn_get(struct etcd_txn *t, bool on_success, const char *key, size_t key_len, bool prefix)
{
	json_object *g = json_object_new_object();
	if (!g || etcd_json_add_key(g, key, key_len, prefix))
		return failed(t, g, -ENOMEM);
	int rc = add_op(t, on_success, "request_range", g);
	if (!rc)
		t->gets[on_success]++;
	return rc;
}

const struct etcd_range *etcd_txn_result(const struct etcd_txn *t, size_t i)
{
	return i < t->nresults ? &t->results[i] : NULL;
}

/* The ranges among the responses of the branch that ran. */
static int read_results(struct etcd_txn *t, json_object *reply, bool succeeded, int64_t rev, const char **why)
{
	json_object *resps;
	size_t nops = json_object_array_length(t->ops[succeeded]), n = 0;
	if (!json_object_object_get_ex(reply, "responses", &resps) || !resps)
		n = 0;
	else if (!json_object_is_type(resps, json_type_array)) {
		*why = "txn responses that are not an array";
		return -EIO;
	} else
		n = json_object_array_length(resps);
	if (n != nops) {
		*why = "a txn reply with another number of responses than ops";
		return -EIO;
	}
	size_t want = t->gets[succeeded];
	t->results = want ? calloc(want, sizeof *t->results) : NULL;
	if (want && !t->results)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(resps, i), *range;
		if (!json_object_is_type(r, json_type_object)) {
			*why = "a txn response that is not an object";
			return -EIO;
		}
		json_object *op = json_object_array_get_idx(t->ops[succeeded], i);
		bool is_get = json_object_object_get_ex(op, "request_range", NULL);
		bool got = json_object_object_get_ex(r, "response_range", &range);
		if (is_get != got) {
			*why = "a txn response that does not match its op";
			return -EIO;
		}
		if (!got)
			continue;
		struct etcd_range *out = &t->results[t->nresults];
		memset(out, 0, sizeof *out);
		int rc = etcd_json_range_kvs(range, out, why);
		if (rc)
			return rc;
		out->revision = rev;
		t->nresults++;
	}
	return 0;
}

int etcd_txn_run(struct etcd *e, struct etcd_txn *t, bool *succeeded, int64_t *revision)
{
	results_free(t);
	if (t->bad) {
		etcd_seterr(e, "etcd txn: an op could not be added (%s)", t->bad == -EINVAL ? "invalid" : "no memory");
		return -EINVAL;
	}
	json_object *req = etcd_new_body(e), *reply;
	if (!req)
		return -ENOMEM;
	if (json_object_object_add(req, "compare", json_object_get(t->compare)) ||
	    json_object_object_add(req, "success", json_object_get(t->ops[1])) ||
	    json_object_object_add(req, "failure", json_object_get(t->ops[0])))
		return etcd_nomem(e, req);
	int rc = etcd_call(e, "/v3/kv/txn", req, !t->writes, &reply);
	if (rc)
		return rc;
	const char *why;
	int64_t rev;
	bool ok;
	rc = etcd_json_header_rev(reply, &rev, &why);
	if (!rc)
		rc = etcd_json_bool(reply, "succeeded", &ok, &why);
	if (!rc)
		rc = read_results(t, reply, ok, rev, &why);
	json_object_put(reply);
	if (rc) {
		results_free(t);
		return rc == -EIO ? etcd_bad_reply(e, "txn", why) : rc;
	}
	*succeeded = ok;
	if (revision)
		*revision = rev;
	return 0;
}
