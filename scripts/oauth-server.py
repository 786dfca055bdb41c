#!/usr/bin/env python3
"""A small OAuth2 token and introspection server for the mail stack (Python stdlib only).

Started and stopped by scripts/mailstack.sh; Dovecot's oauth2 passdb asks its /introspect
(RFC 7662, introspection_mode = post), and outloud's token sources ask its token endpoint the
way they ask Microsoft Entra, Google or Keycloak. A test stack: tokens live in memory.

  oauth-server.py --port PORT [--clients FILE]    (log lines go to stderr)

Token endpoint: POST /token, or any path ending in /token (Entra's /TENANT/oauth2/v2.0/token),
form-encoded (RFC 6749):
  grant_type=client_credentials   client_secret_basic, client_secret_post, or a signed client
                                  assertion (private_key_jwt, RS256 or PS256, x5t#S256 header,
                                  aud = the URL asked)
  grant_type=refresh_token        refresh_token=..., client authenticated as above
  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
                                  assertion=JWT (RFC 7523, Google's service-account flow):
                                  iss = the client, sub = the mailbox the token is for
Answers {"access_token", "token_type": "Bearer", "expires_in"[, "refresh_token"]}, or RFC 6749
errors: 400/401 {"error", "error_description"}.

POST /introspect   form token=...: {"active": true, "username", "exp", "client_id", "scope"}
                   while the token is valid, else {"active": false}.

Admin (JSON in and out, for the tests):
  POST /admin/clients  {"client_id", "secret", "user", "lifetime", "refresh_token",
                        "rotate_refresh", "cert_file", "token_bytes"}: add or replace a client
                        (token_bytes: random bytes per token, 32; Entra's are ~1,500)
  POST /admin/disable  {"client_id"}: its credentials are refused from now on
  POST /admin/mint     {"user", "lifetime", "token_bytes"}: a token without a client
  POST /admin/revoke   {"token"} or {"client_id"}: those tokens become inactive
  GET  /admin/stats?client_id=ID  {"issued", "refused", "introspected"}
  GET  /admin/tokens?client_id=ID {"tokens": [...]}: every access token issued to it (the
                                  secrets tests look for them in outloud's output)

JWT signatures are checked with the openssl command against the client's certificate.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LOCK = threading.RLock()  # admin calls re-enter it (add_client)
CLIENTS = {}  # client_id -> dict
TOKENS = {}  # access token -> {"user", "client_id", "exp", "scope", "revoked"}
STATS = {}  # client_id -> {"issued", "refused", "introspected"}
SEEN_JTI = set()


class Refused(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def stat(client_id, key):
    STATS.setdefault(client_id or "-", {"issued": 0, "refused": 0, "introspected": 0})[key] += 1


def add_client(spec):
    spec = dict(spec)
    if spec.get("cert_file"):
        pem = open(spec["cert_file"]).read()
        der = ssl.PEM_cert_to_DER_cert(pem)
        spec["x5t#S256"] = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        pub = subprocess.run(
            ["openssl", "x509", "-pubkey", "-noout", "-in", spec["cert_file"]],
            check=True, capture_output=True,
        ).stdout
        spec["public_key"] = pub
    spec.setdefault("lifetime", 3600)
    with LOCK:
        CLIENTS[spec["client_id"]] = spec


def verify_signature(client, alg, signed, signature):
    """RS256 or PS256 against the client's certificate, by `openssl dgst`."""
    if "public_key" not in client:
        raise Refused("invalid_client", "client %s has no certificate" % client["client_id"], 401)
    opts = {"RS256": [], "PS256": ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"]}
    if alg not in opts:
        raise Refused("invalid_client", "unsupported JWT alg %r" % alg, 401)
    with tempfile.TemporaryDirectory() as d:
        paths = {name: os.path.join(d, name) for name in ("pub", "sig", "data")}
        for name, data in (("pub", client["public_key"]), ("sig", signature), ("data", signed)):
            with open(paths[name], "wb") as f:
                f.write(data)
        cmd = ["openssl", "dgst", "-sha256", *opts[alg], "-verify", paths["pub"],
               "-signature", paths["sig"], paths["data"]]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            raise Refused("invalid_client", "JWT signature does not verify with the client's certificate", 401)


def check_jwt(jwt, audience, find_client):
    """The verified claims of `jwt`; `find_client(claims)` names the client whose key signed it."""
    try:
        head_b64, claims_b64, sig_b64 = jwt.split(".")
        header = json.loads(b64url_decode(head_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(sig_b64)
    except (ValueError, json.JSONDecodeError) as e:
        raise Refused("invalid_grant", "malformed JWT: %s" % e)
    client = find_client(claims)
    if header.get("typ") not in (None, "JWT"):
        raise Refused("invalid_grant", "JWT typ %r" % header.get("typ"))
    if "x5t#S256" in header and header["x5t#S256"] != client.get("x5t#S256"):
        raise Refused("invalid_client", "x5t#S256 does not match the registered certificate", 401)
    verify_signature(client, header.get("alg"), ("%s.%s" % (head_b64, claims_b64)).encode(), signature)
    now = time.time()
    if claims.get("aud") != audience:
        raise Refused("invalid_grant", "aud %r is not this endpoint %r" % (claims.get("aud"), audience))
    if not isinstance(claims.get("exp"), int) or claims["exp"] < now - 5:
        raise Refused("invalid_grant", "JWT expired or without exp")
    if claims.get("nbf", 0) > now + 60 or claims.get("iat", 0) > now + 60:
        raise Refused("invalid_grant", "JWT not valid yet")
    if claims["exp"] - claims.get("iat", claims.get("nbf", now)) > 3600:
        raise Refused("invalid_grant", "JWT lifetime over one hour")
    return client, claims


def client_from_request(form, headers, audience):
    """The authenticated client: HTTP Basic, client_secret in the form, or a client assertion."""
    auth = headers.get("Authorization", "")
    if auth.startswith("Basic "):
        cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
        return check_secret(cid, secret)
    if form.get("client_assertion_type") == ASSERTION_TYPE:
        def find(claims):
            if claims.get("iss") != claims.get("sub") or claims.get("iss") != form.get("client_id", claims.get("iss")):
                raise Refused("invalid_client", "assertion iss/sub must both be the client id", 401)
            jti = claims.get("jti")
            if not jti or jti in SEEN_JTI:
                raise Refused("invalid_client", "assertion jti missing or replayed", 401)
            SEEN_JTI.add(jti)
            return known_client(claims["iss"])
        client, _ = check_jwt(form.get("client_assertion", ""), audience, find)
        return client
    if "client_secret" in form:
        return check_secret(form.get("client_id", ""), form["client_secret"])
    # A public client (RFC 6749 section 2.1: no secret registered) only names itself.
    client = known_client(form.get("client_id", ""))
    if client.get("secret") or client.get("cert_file"):
        raise Refused("invalid_client", "no client authentication", 401)
    return client


def known_client(cid):
    client = CLIENTS.get(cid)
    if client is None:
        raise Refused("invalid_client", "unknown client %s" % cid, 401)
    if client.get("disabled"):
        stat(cid, "refused")
        raise Refused("invalid_client", "client %s is disabled" % cid, 401)
    return client


def check_secret(cid, secret):
    client = known_client(cid)
    if not client.get("secret") or not secrets.compare_digest(client["secret"], secret):
        stat(cid, "refused")
        raise Refused("invalid_client", "wrong client secret for %s" % cid, 401)
    return client


def issue(client_id, user, lifetime, scope, size=32):
    # size: random bytes in the token; Entra's and Google's tokens are 1-3 KB (token_bytes).
    token = secrets.token_urlsafe(size)
    TOKENS[token] = {"user": user, "client_id": client_id, "exp": int(time.time()) + lifetime,
                     "scope": scope, "revoked": False}
    stat(client_id, "issued")
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


def grant(form, headers, audience):
    kind = form.get("grant_type")
    if kind == JWT_BEARER:
        def find(claims):
            return known_client(claims.get("iss", ""))
        client, claims = check_jwt(form.get("assertion", ""), audience, find)
        if not claims.get("scope"):
            raise Refused("invalid_scope", "the assertion asks for no scope")
        user = claims.get("sub") or client.get("user")
        return issue(client["client_id"], user, client["lifetime"], claims["scope"],
                     client.get("token_bytes", 32))
    if kind == "client_credentials":
        client = client_from_request(form, headers, audience)
        return issue(client["client_id"], client.get("user"), client["lifetime"], form.get("scope", ""),
                     client.get("token_bytes", 32))
    if kind == "refresh_token":
        client = client_from_request(form, headers, audience)
        if not client.get("refresh_token") or form.get("refresh_token") != client["refresh_token"]:
            stat(client["client_id"], "refused")
            raise Refused("invalid_grant", "refresh token is not valid for %s" % client["client_id"])
        answer = issue(client["client_id"], client.get("user"), client["lifetime"], form.get("scope", ""),
                       client.get("token_bytes", 32))
        if client.get("rotate_refresh"):
            client["refresh_token"] = secrets.token_urlsafe(24)
        answer["refresh_token"] = client["refresh_token"]
        return answer
    raise Refused("unsupported_grant_type", "grant_type %r is not supported" % kind)


def introspect(form):
    info = TOKENS.get(form.get("token", ""))
    if info is None:
        return {"active": False}
    stat(info["client_id"], "introspected")
    if info["revoked"] or info["exp"] <= time.time():
        return {"active": False}
    return {"active": True, "username": info["user"], "exp": info["exp"],
            "client_id": info["client_id"] or "", "scope": info["scope"], "token_type": "Bearer"}


def admin(path, body, query):
    if path == "/admin/clients":
        add_client(body)
        return {"ok": True}
    if path == "/admin/disable":
        known_client(body["client_id"])["disabled"] = True
        return {"ok": True}
    if path == "/admin/mint":
        return issue(None, body["user"], int(body.get("lifetime", 3600)), body.get("scope", ""),
                     int(body.get("token_bytes", 32)))
    if path == "/admin/revoke":
        n = 0
        for token, info in TOKENS.items():
            if token == body.get("token") or (body.get("client_id") and info["client_id"] == body["client_id"]):
                info["revoked"] = True
                n += 1
        return {"revoked": n}
    if path == "/admin/tokens":
        cid = query.get("client_id", ["-"])[0]
        return {"tokens": [t for t, info in TOKENS.items() if info["client_id"] == cid]}
    if path == "/admin/stats":
        cid = query.get("client_id", ["-"])[0]
        return STATS.get(cid, {"issued": 0, "refused": 0, "introspected": 0})
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "outloud-test-oauth/1"

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - the stdlib's name
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/health":
            return self.answer(200, {"ok": True})
        with LOCK:
            out = admin(url.path, {}, urllib.parse.parse_qs(url.query))
        self.answer(200 if out is not None else 404, out or {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        audience = "http://%s%s" % (self.headers.get("Host", ""), url.path)
        try:
            with LOCK:
                if url.path.startswith("/admin/"):
                    out = admin(url.path, json.loads(raw or b"{}"), {})
                    return self.answer(200 if out is not None else 404, out or {"error": "not_found"})
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}
                if url.path == "/introspect":
                    return self.answer(200, introspect(form))
                if url.path.endswith("/token"):
                    return self.answer(200, grant(form, self.headers, audience))
            self.answer(404, {"error": "not_found"})
        except Refused as e:
            self.log_message("refused: %s: %s", e.error, e.description)
            self.answer(e.status, {"error": e.error, "error_description": e.description})
        except (KeyError, ValueError) as e:
            self.answer(400, {"error": "invalid_request", "error_description": "bad request: %r" % e})

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), fmt % args))
        sys.stderr.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--clients", help="JSON list of clients to register at start")
    a = p.parse_args()
    if a.clients:
        for spec in json.load(open(a.clients)):
            add_client(spec)
    server = ThreadingHTTPServer((a.host, a.port), Handler)
    server.daemon_threads = True
    sys.stderr.write("oauth-server listening on %s:%d\n" % (a.host, a.port))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
