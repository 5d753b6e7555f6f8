/* SPDX-License-Identifier: BSD-3-Clause */
/* Keys at rest: the key-encryption key file and the sealing of keys (AES-256-GCM). The contract is store.h,
 * the conventions store_priv.h. */
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
