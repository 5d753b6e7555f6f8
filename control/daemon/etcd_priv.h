/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the etcd client (etcd.h): the transport's state, and the JSON and
 * base64 helpers every request and reply goes through. The parsers take a
 * reply as json-c built it and check every field they read (type, range,
 * size): a reply they cannot read is -EIO with *why set to a constant
 * string that names the field, never a key or a value. The unit test
 * (tests/unit/test_etcd_json.c) feeds them broken replies.
 */
#ifndef SRTPGW_ETCD_PRIV_H
#define SRTPGW_ETCD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "control/daemon/etcd.h"

/* A reply larger than this is refused (-EIO): etcd's own limit for a
 * request is 1.5 MiB; a range of many keys may be larger. */
#define ETCD_REPLY_MAX (64u << 20)

/* How requests are written: compact, "/" as it is. */
#define ETCD_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct etcd_buf {
	char *p;
	size_t len, cap, max;
	bool overflow;
};

struct etcd {
	char *urls[ETCD_MEMBERS_MAX];
	size_t n, cur;             /* cur: the member asked first */
	unsigned timeout_ms;
	CURL *curl;
	struct curl_slist *headers;
	struct etcd_buf reply;
	char errmsg[256];
};

/* Transport (etcd_http.c). */
void etcd_curl_init_once(void);
int etcd_endpoints_parse(const char *s, char **urls, size_t *n, char *err, size_t errlen);
void etcd_endpoints_free(char **urls, size_t n);
/* The headers of every request: JSON, and etcd's "require a leader". */
struct curl_slist *etcd_headers(void);
void etcd_seterr(struct etcd *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* POSTs body (consumed) to path on a member, with failover (etcd.h).
 * read_only: may be sent again to another member after a timeout.
 * 0 and *reply (put it), or a negative errno with etcd_errmsg() set. */
int etcd_call(struct etcd *e, const char *path, json_object *body, bool read_only, json_object **reply);
/* A reply that could not be read: -EIO, etcd_errmsg() says which request
 * and what was wrong with it (why: a constant, never a key or value). */
int etcd_bad_reply(struct etcd *e, const char *what, const char *why);
/* A new request object (NULL: out of memory, errmsg set). */
json_object *etcd_new_body(struct etcd *e);
/* Puts o, says out of memory: -ENOMEM. */
int etcd_nomem(struct etcd *e, json_object *o);
size_t etcd_buf_write(char *data, size_t size, size_t nmemb, void *arg);

/* JSON and base64 (etcd_json.c). */
char *etcd_b64_encode(const void *p, size_t n);
/* Decodes (padding required, no whitespace); *out is malloc'd and
 * NUL-terminated (not counted). 0, -EINVAL or -ENOMEM. */
int etcd_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen);
/* The end of the range of keys starting with prefix (etcd's range_end):
 * prefix with its last byte below 0xff incremented and what follows it cut;
 * "\0" (one NUL byte, every key) if there is no such byte. malloc'd. */
uint8_t *etcd_prefix_end(const char *prefix, size_t len, size_t *end_len);
int etcd_json_add_bytes(json_object *o, const char *field, const void *p, size_t n);
int etcd_json_add_int64(json_object *o, const char *field, int64_t v);
/* A key (and its range_end when prefix) into o. */
int etcd_json_add_key(json_object *o, const char *key, size_t key_len, bool prefix);
/* An int64 field: absent or null is 0 (etcd leaves out zeros); a JSON
 * string of decimal digits or a JSON integer; else -EIO. */
int etcd_json_int64(json_object *o, const char *field, int64_t *v, const char **why);
int etcd_json_bool(json_object *o, const char *field, bool *v, const char **why);
/* header.revision of a reply (required, > 0). */
int etcd_json_header_rev(json_object *o, int64_t *rev, const char **why);
int etcd_json_kv(json_object *o, struct etcd_kv *kv, const char **why);
void etcd_kv_free(struct etcd_kv *kv);
/* A RangeResponse (kvs, header); _kvs: its kvs only, into out whose
 * revision is left as it is. */
int etcd_json_range(json_object *o, struct etcd_range *out, const char **why);
int etcd_json_range_kvs(json_object *o, struct etcd_range *out, const char **why);
/* An error reply of the gateway ({"error", "code", "message"}): true and
 * its gRPC code and message, or false if o is no error. */
bool etcd_json_error(json_object *o, int *code, const char **message);

/* One message of the watch stream: {"result": WatchResponse} or
 * {"error": ...}. The events are malloc'd (etcd_watch_msg_free). */
struct etcd_watch_msg {
	bool created, canceled;
	int64_t revision;          /* header revision (0 if absent) */
	int64_t compact_rev;
	struct etcd_event *events;
	size_t n;
	bool error;                /* an {"error": ...} message */
	int code;
};
int etcd_watch_parse(const char *text, size_t len, struct etcd_watch_msg *m, const char **why);
void etcd_watch_msg_free(struct etcd_watch_msg *m);

#endif
