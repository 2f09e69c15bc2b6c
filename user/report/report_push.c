// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --push: a profile in pprof form, sent to a Pyroscope-compatible ingest
 * endpoint (POST /ingest?name=...&from=...&until=...&format=pprof, the
 * gzipped profile as the multipart form field "profile"): how a fleet of
 * hosts feeds one continuous-profiling server. Plain HTTP/1.1 over TCP,
 * every wait bounded. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "bytes.h"
#include "report_profile.h"
#include "report_push.h"
#include "util.h"

#define PUSH_TIMEOUT_S 3
#define BOUNDARY "uscope-pprof-9f3c2a"

struct url {
	char host[256], port[16], path[1024];
};

static int parse_url(const char *text, struct url *u, char *err, size_t errlen)
{
	const char *rest, *slash, *colon;
	size_t host_len;

	if (strncmp(text, "http://", 7) != 0) {
		snprintf(err, errlen, "--push takes an http:// URL, not '%s' (https is not supported: "
			 "push through a local proxy)", text);
		return -1;
	}
	rest = text + 7;
	slash = strchr(rest, '/');
	colon = memchr(rest, ':', slash ? (size_t)(slash - rest) : strlen(rest));
	host_len = colon ? (size_t)(colon - rest) : slash ? (size_t)(slash - rest) : strlen(rest);
	if (!host_len || host_len >= sizeof(u->host)) {
		snprintf(err, errlen, "--push: no host in '%s'", text);
		return -1;
	}
	memcpy(u->host, rest, host_len);
	u->host[host_len] = '\0';
	if (colon) {
		const char *end = slash ? slash : colon + strlen(colon);

		snprintf(u->port, sizeof(u->port), "%.*s", (int)(end - colon - 1), colon + 1);
	} else {
		snprintf(u->port, sizeof(u->port), "80");
	}
	snprintf(u->path, sizeof(u->path), "%s", slash && slash[1] ? slash : "/ingest");
	return 0;
}

int us_push_url_check(const char *url, char *err, size_t errlen)
{
	struct url u;

	return parse_url(url, &u, err, errlen);
}

static int connect_to(const struct url *u, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *a;
	struct timeval timeout = { PUSH_TIMEOUT_S, 0 };
	int fd = -1, rc = getaddrinfo(u->host, u->port, &hints, &res);

	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			snprintf(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port,
				 strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A query value: letters, digits and -._~ as they are, the rest %XX. */
static void put_escaped(struct us_bytes *b, const char *s)
{
	for (; *s; s++) {
		char hex[4];

		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~", *s)) {
			us_bytes_put(b, s, 1);
		} else {
			snprintf(hex, sizeof(hex), "%%%02X", (unsigned char)*s);
			us_bytes_put(b, hex, 3);
		}
	}
}

static void put_text(struct us_bytes *b, const char *s)
{
	us_bytes_put(b, s, strlen(s));
}

int us_push_pprof(const struct us_push *push, uint64_t from_s, uint64_t until_s,
		  const struct us_recording *rec, const struct us_profile *p, char *err,
		  size_t errlen)
{
	struct us_bytes pprof = { 0 }, request = { 0 }, body = { 0 };
	char line[512], status[128] = "";
	struct url u;
	ssize_t got;
	int fd, ok = -1;

	if (parse_url(push->url, &u, err, errlen) || us_profile_pprof_bytes(rec, p, &pprof))
		goto out;
	put_text(&body, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"profile\"; "
		 "filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n");
	us_bytes_put(&body, pprof.data, pprof.len);
	put_text(&body, "\r\n--" BOUNDARY "--\r\n");
	put_text(&request, "POST ");
	put_text(&request, u.path);
	put_text(&request, strchr(u.path, '?') ? "&name=" : "?name=");
	put_escaped(&request, push->app_name);
	snprintf(line, sizeof(line), "&from=%llu&until=%llu&format=pprof&spyName=uscope"
		 "&sampleRate=%u HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: uscope/" USCOPE_VERSION
		 "\r\nContent-Type: multipart/form-data; boundary=" BOUNDARY
		 "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		 (unsigned long long)from_s, (unsigned long long)until_s, push->frequency_hz, u.host,
		 u.port, body.len);
	put_text(&request, line);
	us_bytes_put(&request, body.data, body.len);
	fd = connect_to(&u, err, errlen);
	if (fd < 0)
		goto out;
	if (send_all(fd, request.data, request.len)) {
		snprintf(err, errlen, "sending to %s:%s failed: %s", u.host, u.port, strerror(errno));
	} else if ((got = recv(fd, status, sizeof(status) - 1, 0)) <= 0) {
		snprintf(err, errlen, "%s:%s sent no answer within %d s", u.host, u.port,
			 PUSH_TIMEOUT_S);
	} else {
		status[got] = '\0';
		status[strcspn(status, "\r\n")] = '\0';
		if (strncmp(status, "HTTP/1.", 7) == 0 && status[9] == '2')
			ok = 0;
		else
			snprintf(err, errlen, "%s:%s answered '%s'", u.host, u.port, status);
	}
	close(fd);
out:
	us_bytes_free(&pprof);
	us_bytes_free(&request);
	us_bytes_free(&body);
	return ok;
}
