/* SPDX-License-Identifier: BSD-3-Clause */
/* Keys at rest: the key-encryption key file and the sealing of keys (AES-256-GCM). The contract is store.h,
 * the conventions store_priv.h. */
#include <openssl/hmac.h>

#include "control/daemon/store_priv.h"

/* ---- keys --------------------------------------------------------------- */

int st_check_key(struct store *s, const char *what, const struct sgw_key *k)
{
	const struct sgw_suite_info *si = sgw_suite_info(k->suite);

	if (si == NULL)
		return st_fail(s, -EINVAL, "%s: unknown suite %u", what, k->suite);
	if (k->len != sgw_suite_master_len(k->suite))
		return st_fail(s, -EINVAL, "%s: %u key bytes, %s takes %u", what, k->len, si->name,
			    sgw_suite_master_len(k->suite));
	return 0;
}

void st_key_aad(char aad[AAD_MAX], const char *kind, const char *name, const char *col)
{
	snprintf(aad, AAD_MAX, "srtpgw/%s/%s/%s", kind, name, col);
}

/* Seals k (already checked) for the column named by aad; plain -> NULL. */
int st_key_seal(struct store *s, const struct sgw_key *k, const char *aad,
		    struct sealed_key *out)
{
	uint8_t pt[KEY_PT_MAX];
	int pt_len = 2 + k->len, n = 0, fin = 0, ret = -EIO;
	EVP_CIPHER_CTX *c = NULL;

	out->len = 0;
	if (k->len == 0)
		return 0;
	pt[0] = k->suite;
	pt[1] = k->len;
	memcpy(pt + 2, k->material, k->len);
	if (RAND_bytes(out->blob, NONCE_LEN) != 1) {
		st_fail(s, -EIO, "no random bytes for a key nonce");
		goto out;
	}
	c = EVP_CIPHER_CTX_new();
	if (c == NULL ||
	    EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), s->kek, out->blob, NULL) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(c, out->blob + NONCE_LEN, &n, pt, pt_len) != 1 ||
	    EVP_EncryptFinal_ex(c, out->blob + NONCE_LEN + n, &fin) != 1 ||
	    n + fin != pt_len ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
				out->blob + NONCE_LEN + pt_len) != 1) {
		st_fail(s, -EIO, "cannot encrypt a key (OpenSSL failure)");
		goto out;
	}
	out->len = NONCE_LEN + pt_len + TAG_LEN;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(pt, sizeof(pt));
	return ret;
}

/* Opens the sealed key in column col (NULL -> len 0, suite PLAIN). what
 * names the row for errors. */
int st_key_open(struct store *s, sqlite3_stmt *q, int col, const char *aad,
		    const char *what, struct sgw_key *k)
{
	const uint8_t *b = sqlite3_column_blob(q, col);
	int blen = sqlite3_column_bytes(q, col);
	uint8_t pt[KEY_PT_MAX], tag[TAG_LEN];
	int pt_len = blen - NONCE_LEN - TAG_LEN, n = 0, fin = 0, ret = -EIO;
	EVP_CIPHER_CTX *c = NULL;

	memset(k, 0, sizeof(*k));
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return 0;
	if (b == NULL || blen < KEY_BLOB_MIN || blen > KEY_BLOB_MAX)
		return st_fail(s, -EIO, "%s: the stored key is malformed", what);
	memcpy(tag, b + blen - TAG_LEN, TAG_LEN);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL ||
	    EVP_DecryptInit_ex2(c, EVP_aes_256_gcm(), s->kek, b, NULL) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(c, pt, &n, b + NONCE_LEN, pt_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) != 1) {
		st_fail(s, -EIO, "%s: cannot decrypt the stored key (OpenSSL failure)", what);
		goto out;
	}
	if (EVP_DecryptFinal_ex(c, pt + n, &fin) != 1) {
		st_fail(s, -EIO,
		     "%s: cannot decrypt the stored key: the key-encryption key does not "
		     "match the one it was stored with (or the row was altered)", what);
		goto out;
	}
	if (n + fin != pt_len || pt[1] != pt_len - 2 || pt[0] >= SGW_SUITE_MAX ||
	    pt[0] == SGW_SUITE_PLAIN || pt[1] != sgw_suite_master_len(pt[0])) {
		st_fail(s, -EIO, "%s: the stored key is malformed", what);
		goto out;
	}
	k->suite = pt[0];
	k->len = pt[1];
	memcpy(k->material, pt + 2, k->len);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(pt, sizeof(pt));
	return ret;
}

/* The row's main key: the suite column must agree with the sealed suite. */
int st_key_open_main(struct store *s, sqlite3_stmt *q, int suite_col, int key_col,
			 const char *aad, const char *what, struct sgw_key *k)
{
	int64_t suite = sqlite3_column_int64(q, suite_col);
	int ret = st_key_open(s, q, key_col, aad, what, k);

	if (ret < 0)
		return ret;
	if (suite != k->suite) {
		OPENSSL_cleanse(k, sizeof(*k));
		return st_fail(s, -EIO, "%s: the stored suite does not match its key", what);
	}
	return 0;
}

/* ---- the key-encryption key ---------------------------------------------- */

static int kek_create(const char *path, uint8_t kek[KEK_LEN], char *err, size_t errlen)
{
	uint8_t buf[KEK_LEN];
	size_t done = 0;
	char *dir_copy;
	int fd, dfd, ret = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1; /* made by someone else meanwhile: read it */
		st_errf(err, errlen, "%s: cannot create the key-encryption key: %s", path,
		     strerror(errno));
		return -1;
	}
	if (RAND_bytes(buf, sizeof(buf)) != 1) {
		st_errf(err, errlen, "%s: no random bytes for a new key-encryption key", path);
		goto fail;
	}
	while (done < sizeof(buf)) {
		ssize_t w = write(fd, buf + done, sizeof(buf) - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			st_errf(err, errlen, "%s: cannot write the key-encryption key: %s", path,
			     w < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		st_errf(err, errlen, "%s: cannot sync the key-encryption key: %s", path,
		     strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	/* the new name must survive a crash too */
	dir_copy = strdup(path);
	if (dir_copy != NULL) {
		dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir_copy);
	}
	memcpy(kek, buf, KEK_LEN);
	ret = 0;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

int store_kek_load(const char *path, uint8_t kek[32], char *err, size_t errlen)
{
	uint8_t buf[KEK_LEN];
	struct stat st;
	size_t done = 0;
	int fd, ret = -1;

	for (int attempt = 0;; attempt++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != ENOENT || attempt > 0) {
			st_errf(err, errlen, "%s: cannot open the key-encryption key: %s", path,
			     strerror(errno));
			return -1;
		}
		ret = kek_create(path, kek, err, errlen);
		if (ret <= 0)
			return ret;
	}
	ret = -1;
	if (fstat(fd, &st) != 0) {
		st_errf(err, errlen, "%s: cannot stat the key-encryption key: %s", path,
		     strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		st_errf(err, errlen, "%s: the key-encryption key is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		st_errf(err, errlen,
		     "%s: the key-encryption key has mode %04o, group or others may access "
		     "it; it must be 0600 or stricter",
		     path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size != KEK_LEN) {
		st_errf(err, errlen, "%s: the key-encryption key is %jd bytes, it must be %d", path,
		     (intmax_t)st.st_size, KEK_LEN);
		goto out;
	}
	while (done < sizeof(buf)) {
		ssize_t r = read(fd, buf + done, sizeof(buf) - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			st_errf(err, errlen, "%s: cannot read the key-encryption key: %s", path,
			     r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		done += (size_t)r;
	}
	memcpy(kek, buf, KEK_LEN);
	ret = 0;
out:
	close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

/* ---- keys ever used ------------------------------------------------------- */

/* A key's fingerprint: HMAC-SHA256 under a key derived from the KEK, so
 * that the table tells nothing about keys to whoever reads the database
 * without the KEK (an unkeyed hash of a 128-bit key would still not give
 * it away, but would let one test a guessed key). */
int st_fp_key_init(struct store *s)
{
	static const char label[] = "srtpgw/key-fingerprint/v1";
	unsigned int n = sizeof(s->fp_key);

	if (HMAC(EVP_sha256(), s->kek, KEK_LEN, (const uint8_t *)label, sizeof(label) - 1,
		 s->fp_key, &n) == NULL || n != sizeof(s->fp_key))
		return st_fail(s, -EIO, "cannot derive the fingerprint key (OpenSSL failure)");
	return 0;
}

static int key_fp(struct store *s, const struct sgw_key *k, uint8_t fp[32])
{
	uint8_t buf[2 + SGW_KEY_MAX];
	unsigned int n = 32;
	int ok;

	buf[0] = k->suite;
	buf[1] = k->len;
	memcpy(buf + 2, k->material, k->len);
	ok = HMAC(EVP_sha256(), s->fp_key, sizeof(s->fp_key), buf, 2u + k->len, fp, &n) != NULL;
	OPENSSL_cleanse(buf, sizeof(buf));
	return ok && n == 32 ? 0 : st_fail(s, -EIO, "cannot fingerprint a key (OpenSSL failure)");
}

int store_key_claim(struct store *s, const struct sgw_key *k)
{
	uint8_t fp[32];
	int ret = st_need_txn(s);

	if (ret < 0 || k->len == 0)
		return ret;
	ret = key_fp(s, k, fp);
	if (ret == 0)
		ret = st_run(s, NULL, "INSERT INTO key_uses(fp) VALUES (?1)", "b", fp, (int)sizeof(fp));
	if (ret == -EEXIST)
		st_fail(s, -EEXIST, "this key was used before");
	OPENSSL_cleanse(fp, sizeof(fp));
	return ret;
}

static int claim_stream(void *arg, const struct store_stream *st)
{
	struct store *s = arg;
	int ret = store_key_claim(s, &st->key);

	if (ret == -EEXIST)
		ret = 0; /* two objects with one key in an old store: keep it */
	if (ret == 0 && st->old_key.len != 0) {
		ret = store_key_claim(s, &st->old_key);
		ret = ret == -EEXIST ? 0 : ret;
	}
	return ret;
}

static int claim_viewer(void *arg, const struct store_viewer *v)
{
	int ret = store_key_claim(arg, &v->key);

	return ret == -EEXIST ? 0 : ret;
}

int st_claim_stored_keys(struct store *s)
{
	int64_t done = 0;
	int ret = st_query_int(s, &done, "SELECT value FROM meta WHERE key = 'keys_claimed'", "");

	if (ret < 0 || done != 0)
		return ret;
	ret = store_begin(s);
	if (ret == 0)
		ret = store_stream_foreach(s, 0, claim_stream, s);
	if (ret == 0)
		ret = store_viewer_foreach(s, 0, claim_viewer, s);
	if (ret == 0)
		ret = st_run(s, NULL, "UPDATE meta SET value = 1 WHERE key = 'keys_claimed'", "");
	if (ret == 0)
		return store_commit(s);
	store_rollback(s);
	return ret;
}
