/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd gateway's JSON: keys and values in base64 (standard alphabet,
 * padded), int64 fields as decimal strings left out when zero, and the
 * replies read defensively (etcd_priv.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/etcd_priv.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64_encode(const void *p, size_t n)
{
	const uint8_t *in = p;
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int etcd_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen)
{
	if (slen % 4)
		return -EINVAL;
	size_t pad = 0;
	if (slen && s[slen - 1] == '=')
		pad = slen >= 2 && s[slen - 2] == '=' ? 2 : 1;
	uint8_t *buf = malloc(slen / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < slen; i += 4) {
		bool last = i + 4 == slen;
		int v[4];
		for (size_t j = 0; j < 4; j++) {
			if (last && j >= 4 - pad) {
				v[j] = 0;
				continue;
			}
			v[j] = b64_value(s[i + j]);
			if (v[j] < 0) {
				free(buf);
				return -EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		buf[n++] = w >> 16;
		if (!last || pad < 2)
			buf[n++] = (w >> 8) & 0xff;
		if (!last || pad < 1)
			buf[n++] = w & 0xff;
	}
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return 0;
}

uint8_t *etcd_prefix_end(const char *prefix, size_t len, size_t *end_len)
{
	const uint8_t *p = (const uint8_t *)prefix;
	size_t n = len;
	while (n && p[n - 1] == 0xff)
		n--;
	uint8_t *end = malloc(n ? n : 1);
	if (!end)
		return NULL;
	if (!n) {
		end[0] = 0;
		*end_len = 1;
		return end;
	}
	memcpy(end, p, n);
	end[n - 1]++;
	*end_len = n;
	return end;
}

int etcd_json_add_bytes(json_object *o, const char *field, const void *p, size_t n)
{
	char *b = etcd_b64_encode(p, n);
	if (!b)
		return -ENOMEM;
	json_object *s = json_object_new_string(b);
	free(b);
	if (!s || json_object_object_add(o, field, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

int etcd_json_add_int64(json_object *o, const char *field, int64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%lld", (long long)v);
	json_object *s = json_object_new_string(b);
	if (!s || json_object_object_add(o, field, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

int etcd_json_add_key(json_object *o, const char *key, size_t key_len, bool prefix)
{
	/* Every key: from "\0" (etcd refuses an empty key) to "\0". */
	int rc = prefix && key_len == 0 ? etcd_json_add_bytes(o, "key", "", 1) :
		 etcd_json_add_bytes(o, "key", key, key_len);
	if (rc || !prefix)
		return rc;
	size_t end_len;
	uint8_t *end = etcd_prefix_end(key, key_len, &end_len);
	if (!end)
		return -ENOMEM;
	rc = etcd_json_add_bytes(o, "range_end", end, end_len);
	free(end);
	return rc;
}

static int parse_int64(const char *s, size_t len, int64_t *v)
{
	if (len == 0 || len > 20)
		return -1;
	size_t i = s[0] == '-' ? 1 : 0;
	if (i == len)
		return -1;
	for (size_t j = i; j < len; j++)
		if (s[j] < '0' || s[j] > '9')
			return -1;
	char b[24];
	memcpy(b, s, len);
	b[len] = '\0';
	errno = 0;
	long long x = strtoll(b, NULL, 10);
	if (errno)
		return -1;
	*v = x;
	return 0;
}

int etcd_json_int64(json_object *o, const char *field, int64_t *v, const char **why)
{
	json_object *f;
	*v = 0;
	if (!json_object_object_get_ex(o, field, &f) || !f)
		return 0;
	switch (json_object_get_type(f)) {
	case json_type_string:
		if (parse_int64(json_object_get_string(f), (size_t)json_object_get_string_len(f), v) == 0)
			return 0;
		break;
	case json_type_int:
		errno = 0;
		*v = json_object_get_int64(f);
		if (errno == 0)
			return 0;
		*v = 0;
		break;
	default:
		break;
	}
	*why = "an integer field that is not an int64";
	return -EIO;
}

int etcd_json_bool(json_object *o, const char *field, bool *v, const char **why)
{
	json_object *f;
	*v = false;
	if (!json_object_object_get_ex(o, field, &f) || !f)
		return 0;
	if (json_object_get_type(f) != json_type_boolean) {
		*why = "a boolean field that is not a boolean";
		return -EIO;
	}
	*v = json_object_get_boolean(f);
	return 0;
}

int etcd_json_header_rev(json_object *o, int64_t *rev, const char **why)
{
	json_object *h;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "header", &h) ||
	    !json_object_is_type(h, json_type_object)) {
		*why = "a reply without a header";
		return -EIO;
	}
	int rc = etcd_json_int64(h, "revision", rev, why);
	if (rc)
		return rc;
	if (*rev <= 0) {
		*why = "a header without a revision";
		return -EIO;
	}
	return 0;
}

static int json_bytes(json_object *o, const char *field, uint8_t **p, size_t *n, const char **why)
{
	json_object *f;
	*p = NULL;
	*n = 0;
	if (!json_object_object_get_ex(o, field, &f) || !f)
		return etcd_b64_decode("", 0, p, n) ? -ENOMEM : 0;
	if (!json_object_is_type(f, json_type_string)) {
		*why = "a key or value that is not a string";
		return -EIO;
	}
	int rc = etcd_b64_decode(json_object_get_string(f), (size_t)json_object_get_string_len(f), p, n);
	if (rc == -EINVAL) {
		*why = "a key or value that is not base64";
		return -EIO;
	}
	return rc;
}

void etcd_kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	if (kv->val) {
		/* Values may be sealed key material: not left in freed memory. */
		memset(kv->val, 0, kv->val_len);
		free(kv->val);
	}
	memset(kv, 0, sizeof *kv);
}

int etcd_json_kv(json_object *o, struct etcd_kv *kv, const char **why)
{
	memset(kv, 0, sizeof *kv);
	if (!json_object_is_type(o, json_type_object)) {
		*why = "a key-value that is not an object";
		return -EIO;
	}
	int rc = json_bytes(o, "key", (uint8_t **)&kv->key, &kv->key_len, why);
	if (!rc)
		rc = json_bytes(o, "value", &kv->val, &kv->val_len, why);
	if (!rc)
		rc = etcd_json_int64(o, "create_revision", &kv->create_rev, why);
	if (!rc)
		rc = etcd_json_int64(o, "mod_revision", &kv->mod_rev, why);
	if (!rc)
		rc = etcd_json_int64(o, "version", &kv->version, why);
	if (!rc)
		rc = etcd_json_int64(o, "lease", &kv->lease, why);
	if (rc)
		etcd_kv_free(kv);
	return rc;
}

int etcd_json_range(json_object *o, struct etcd_range *out, const char **why)
{
	memset(out, 0, sizeof *out);
	int rc = etcd_json_header_rev(o, &out->revision, why);
	if (rc)
		return rc;
	return etcd_json_range_kvs(o, out, why);
}

int etcd_json_range_kvs(json_object *o, struct etcd_range *out, const char **why)
{
	json_object *kvs;
	int rc;
	if (!json_object_is_type(o, json_type_object)) {
		*why = "a range reply that is not an object";
		return -EIO;
	}
	if (!json_object_object_get_ex(o, "kvs", &kvs) || !kvs)
		return 0;
	if (!json_object_is_type(kvs, json_type_array)) {
		*why = "kvs that is not an array";
		return -EIO;
	}
	size_t n = json_object_array_length(kvs);
	if (!n)
		return 0;
	out->kvs = calloc(n, sizeof *out->kvs);
	if (!out->kvs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		rc = etcd_json_kv(json_object_array_get_idx(kvs, i), &out->kvs[i], why);
		if (rc) {
			etcd_range_free(out);
			return rc;
		}
		out->n++;
	}
	return 0;
}

void etcd_range_free(struct etcd_range *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		etcd_kv_free(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof *r);
}

bool etcd_json_error(json_object *o, int *code, const char **message)
{
	json_object *err, *c, *m;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "error", &err))
		return false;
	/* LeaseGrantResponse has an "error" string of its own, empty when
	 * all is well (and then left out). */
	if (!json_object_object_get_ex(o, "code", &c) && json_object_is_type(err, json_type_string) &&
	    json_object_get_string_len(err) == 0)
		return false;
	*code = 2; /* gRPC's UNKNOWN */
	*message = "(no message)";
	/* A stream's error (watch) nests them: {"error": {"grpc_code",
	 * "message", ...}}; a unary call's does not. */
	json_object *where = o;
	const char *code_field = "code";
	if (json_object_is_type(err, json_type_object)) {
		where = err;
		code_field = "grpc_code";
	}
	if (json_object_object_get_ex(where, code_field, &c) && json_object_is_type(c, json_type_int)) {
		int64_t v = json_object_get_int64(c);
		*code = v >= 0 && v <= 16 ? (int)v : 2;
	}
	if (json_object_object_get_ex(where, "message", &m) && json_object_is_type(m, json_type_string))
		*message = json_object_get_string(m);
	else if (json_object_is_type(err, json_type_string))
		*message = json_object_get_string(err);
	return true;
}

void etcd_watch_msg_free(struct etcd_watch_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		etcd_kv_free(&m->events[i].kv);
	free(m->events);
	memset(m, 0, sizeof *m);
}

static int watch_event(json_object *o, struct etcd_event *ev, const char **why)
{
	json_object *type, *kv;
	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(o, json_type_object)) {
		*why = "a watch event that is not an object";
		return -EIO;
	}
	if (json_object_object_get_ex(o, "type", &type) && type) {
		const char *t = json_object_is_type(type, json_type_string) ? json_object_get_string(type) : "";
		if (strcmp(t, "DELETE") == 0) {
			ev->deleted = true;
		} else if (strcmp(t, "PUT") != 0) {
			*why = "a watch event of an unknown type";
			return -EIO;
		}
	}
	if (!json_object_object_get_ex(o, "kv", &kv)) {
		*why = "a watch event without a kv";
		return -EIO;
	}
	int rc = etcd_json_kv(kv, &ev->kv, why);
	if (!rc && ev->kv.mod_rev <= 0) {
		etcd_kv_free(&ev->kv);
		*why = "a watch event without a mod_revision";
		rc = -EIO;
	}
	return rc;
}

int etcd_watch_parse(const char *text, size_t len, struct etcd_watch_msg *m, const char **why)
{
	memset(m, 0, sizeof *m);
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_object *o = len <= INT_MAX ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	bool complete = o && json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	int rc = -EIO;
	json_object *res, *evs;
	const char *msg;
	if (!complete) {
		*why = "a watch message that is not one JSON object";
		goto out;
	}
	if (etcd_json_error(o, &m->code, &msg)) {
		m->error = true;
		rc = 0;
		goto out;
	}
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "result", &res) ||
	    !json_object_is_type(res, json_type_object)) {
		*why = "a watch message without a result";
		goto out;
	}
	json_object *h;
	if (json_object_object_get_ex(res, "header", &h) && json_object_is_type(h, json_type_object)) {
		if ((rc = etcd_json_int64(h, "revision", &m->revision, why)))
			goto out;
	}
	rc = etcd_json_bool(res, "created", &m->created, why);
	if (!rc)
		rc = etcd_json_bool(res, "canceled", &m->canceled, why);
	if (!rc)
		rc = etcd_json_int64(res, "compact_revision", &m->compact_rev, why);
	if (rc)
		goto out;
	if (json_object_object_get_ex(res, "events", &evs) && evs) {
		rc = -EIO;
		if (!json_object_is_type(evs, json_type_array)) {
			*why = "watch events that are not an array";
			goto out;
		}
		size_t n = json_object_array_length(evs);
		m->events = n ? calloc(n, sizeof *m->events) : NULL;
		if (n && !m->events) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if ((rc = watch_event(json_object_array_get_idx(evs, i), &m->events[i], why)))
				goto out;
			m->n++;
		}
		rc = 0;
	}
	if (!m->canceled && m->revision <= 0) {
		*why = "a watch message without a header revision";
		rc = -EIO;
	}
out:
	json_object_put(o);
	if (rc)
		etcd_watch_msg_free(m);
	return rc;
}
