#!/usr/bin/env python3
"""The main contacts flow, driven the way the official Python client drives it.

SendGrid's Python library (`sendgrid`, on top of `python_http_client`) is not in any
registry this project may use, so this test makes the HTTP requests that library makes,
with Python's standard library only:
  - every request carries `Authorization: Bearer <key>`, `Accept: application/json` and
    a `User-Agent` of `sendgrid/<version>;python`; a JSON body is `json.dumps(body)` with
    `Content-Type: application/json`, and a call without `request_body` sends no body at
    all (so `exports.post()` sends none);
  - `query_params` go through `urllib.parse.urlencode`, so a Python `True` arrives as the
    string `True`;
  - a download URL (export file, errors_url) is fetched without the key, and the export
    file is gunzipped, as users' code does.

It starts its own contactd (CONTACTD_BIN, else build/contactd) on a fresh database: a temp
SQLite file, or a fresh database of the PostgreSQL cluster in CONTACTD_TEST_PG. The key
comes from `contactd key create`. Every check prints `ok` or `FAIL`; the last line is
`N passed, M failed`, and the exit status is non-zero when anything failed.
"""
import csv
import gzip
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CONTACTD_BIN") or os.path.join(REPO, "build", "contactd")
USER_AGENT = "sendgrid/6.11.0;python"
C = "/v3/marketing/contacts"


# ---------------------------------------------------------------- the server

def fresh_database(tmp):
    """A SQLite path in tmp, or a new database of the CONTACTD_TEST_PG cluster."""
    pg = os.environ.get("CONTACTD_TEST_PG")
    if not pg:
        return os.path.join(tmp, "contactd.db")
    name = "py_" + secrets.token_hex(8)
    subprocess.run(["psql", pg, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                   check=True, stdout=subprocess.DEVNULL)
    u = urllib.parse.urlsplit(pg)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


class Server:
    def __init__(self, db):
        self.db = db
        self.proc = None
        self.url = None
        self.log = []

    def create_key(self, account):
        out = subprocess.run([BIN, "key", "create", "--account", account, "--db", self.db],
                             check=True, capture_output=True, text=True).stdout
        key = next((w for w in out.split() if w.startswith("SG.")), None)
        if not key:
            raise RuntimeError(f"key create printed no key: {out!r}")
        return key

    def start(self):
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db, "--threads", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        found = threading.Event()

        def read_stdout():
            for line in self.proc.stdout:
                self.log.append(line.rstrip())
                if not found.is_set() and "listening on " in line:
                    self.url = line.split("listening on ", 1)[1].strip()
                    found.set()
        threading.Thread(target=read_stdout, daemon=True).start()
        if not found.wait(10):
            self.proc.kill()
            raise RuntimeError("contactd did not start:\n" + "\n".join(self.log[-50:]))

    def _drain(self, stream):
        for line in stream:
            self.log.append(line.rstrip())
            del self.log[:-200]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        if code != 0:
            raise RuntimeError(f"contactd exited {code}:\n" + "\n".join(self.log[-50:]))


# ---------------------------------------------------------------- the client

class Response:
    def __init__(self, status, headers, body):
        self.status_code = status
        self.headers = headers
        self.body = body            # bytes

    def json(self):
        return json.loads(self.body) if self.body else None


class Client:
    """What python_http_client.Client sends for client.<path>.<verb>(...)."""

    def __init__(self, host, api_key):
        self.host = host
        self.headers = {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT,
                        "Accept": "application/json"}

    def request(self, method, path, query_params=None, request_body=None):
        url = self.host + path
        if query_params:
            url += "?" + urllib.parse.urlencode(sorted(query_params.items()), True)
        headers = dict(self.headers)
        data = None
        if request_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(request_body).encode("utf-8")
        return fetch(urllib.request.Request(url, data=data, headers=headers, method=method))


def fetch(req):
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def get_without_key(url):
    return fetch(urllib.request.Request(url, headers={"User-Agent": "Python-urllib"}))


# ---------------------------------------------------------------- the checks

class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def expect_status(res, status, what):
    expect(res.status_code == status,
           f"{what}: expected {status}, got {res.status_code}: {res.body[:300]!r}")
    return res.json()


def poll(client, path, stamp, timeout=30):
    """GET path until its status is no longer pending; a pending one has no stamp field
    (finished_at of a job, completed_at of an export)."""
    deadline = time.time() + timeout
    while True:
        body = expect_status(client.request("GET", path), 200, path)
        if body["status"] != "pending":
            return body
        expect(stamp not in body, f"a pending {path} has no {stamp}: {body}")
        expect(time.time() < deadline, f"{path} still pending")
        time.sleep(0.02)


def poll_job(client, job_id):
    return poll(client, f"{C}/imports/{job_id}", "finished_at")


def poll_export(client, export_id):
    return poll(client, f"{C}/exports/{export_id}", "completed_at")


def find_email(client, email):
    res = client.request("POST", f"{C}/search/identifiers/email",
                         request_body={"identifiers": [email]})
    if res.status_code == 404:
        return None
    body = expect_status(res, 200, f"search {email}")
    return body["result"][email]["contact"]


class Flow:
    """The steps share what they made (ids) through self."""

    def __init__(self, client):
        self.c = client

    def upsert_and_poll(self):
        field = expect_status(self.c.request("POST", "/v3/marketing/field_definitions",
                                             request_body={"name": "tier", "field_type": "Text"}),
                              200, "create field")
        self.field_id = field["id"]
        res = self.c.request("PUT", C, request_body={"contacts": [
            {"email": "ann@example.com", "first_name": "Ann", "custom_fields": {"tier": "gold"}},
            {"email": "bob@example.com", "external_id": "bob-ext", "phone_number_id": "15555555555"},
            {"email": "cy@example.com", "last_name": "Cy"},
        ]})
        job = poll_job(self.c, expect_status(res, 202, "upsert")["job_id"])
        expect(job["status"] == "completed" and job["results"]["created_count"] == 3, f"upsert job: {job}")
        expect(isinstance(job["finished_at"], str), "finished_at once finished")

    def get_contact(self):
        ann = find_email(self.c, "ann@example.com")
        expect(ann is not None, "ann found")
        self.ann_id = ann["id"]
        got = expect_status(self.c.request("GET", f"{C}/{self.ann_id}"), 200, "GET contact")
        expect(got["first_name"] == "Ann" and got["custom_fields"] == {"tier": "gold"}, f"contact: {got}")
        count = expect_status(self.c.request("GET", f"{C}/count"), 200, "count")
        expect(count == {"contact_count": 3, "billable_count": 3}, f"count: {count}")

    def search(self):
        res = self.c.request("POST", f"{C}/search/emails",
                             request_body={"emails": ["ann@example.com", "", "nobody@example.com"]})
        body = expect_status(res, 200, "search/emails")
        expect(set(body["result"]) == {"ann@example.com", "nobody@example.com"}, f"emails: {body}")
        res = self.c.request("POST", f"{C}/search/identifiers/phone_number_id",
                             request_body={"identifiers": ["15555555555"]})
        body = expect_status(res, 200, "search by phone without +")
        expect(body["result"]["+15555555555"]["contact"]["email"] == "bob@example.com", f"phone: {body}")

    def sgql(self):
        for query, want in [("email LIKE 'ann%'", {"ann@example.com"}),
                            ("created_at >= (NOW() - interval 10 day) AND last_name = 'Cy'", {"cy@example.com"}),
                            ("CONTAINS(list_ids, 'nope') OR email = 'bob@example.com'", {"bob@example.com"})]:
            res = self.c.request("POST", f"{C}/search", request_body={"query": query})
            body = expect_status(res, 200, f"SGQL {query}")
            expect({r["email"] for r in body["result"]} == want, f"{query}: {body}")

    def lists(self):
        lst = expect_status(self.c.request("POST", "/v3/marketing/lists", request_body={"name": "Py"}),
                            201, "create list")
        self.list_id = lst["id"]
        res = self.c.request("PUT", C, request_body={"list_ids": [self.list_id], "contacts": [
            {"email": "ann@example.com"}, {"email": "cy@example.com"}]})
        poll_job(self.c, expect_status(res, 202, "upsert to list")["job_id"])
        got = expect_status(self.c.request("GET", f"/v3/marketing/lists/{self.list_id}",
                                           query_params={"contact_sample": True}), 200, "list sample")
        expect(len(got["contact_sample"]) == 2 and got["contact_count"] == 2, f"sample: {got}")
        cy = find_email(self.c, "cy@example.com")
        res = self.c.request("DELETE", f"/v3/marketing/lists/{self.list_id}/contacts",
                             query_params={"contact_ids": cy["id"]})
        poll_job(self.c, expect_status(res, 202, "remove from list")["job_id"])
        cnt = expect_status(self.c.request("GET", f"/v3/marketing/lists/{self.list_id}/contacts/count"),
                            200, "list count")
        expect(cnt["contact_count"] == 1, f"list count: {cnt}")
        all_lists = expect_status(self.c.request("GET", "/v3/marketing/lists",
                                                 query_params={"page_size": 100}), 200, "all lists")
        expect([l["name"] for l in all_lists["result"]] == ["Py"], f"lists: {all_lists}")

    def fields(self):
        defs = expect_status(self.c.request("GET", "/v3/marketing/field_definitions"), 200, "fields")
        expect([f["name"] for f in defs["custom_fields"]] == ["tier"], f"custom fields: {defs}")
        expect(any(f["id"] == "_rf2_T" and f["name"] == "email" for f in defs["reserved_fields"]), "reserved")
        res = self.c.request("PATCH", f"/v3/marketing/field_definitions/{self.field_id}",
                             request_body={"name": "level"})
        expect_status(res, 200, "rename field")

    def delete_identifier(self):
        bob = find_email(self.c, "bob@example.com")
        res = self.c.request("DELETE", f"{C}/{bob['id']}/identifiers",
                             request_body={"identifier_type": "EXTERNALID", "identifier_value": "bob-ext"})
        job = poll_job(self.c, expect_status(res, 202, "delete identifier")["job_id"])
        expect(job["results"]["deleted_count"] == 1, f"delete identifier job: {job}")
        after = expect_status(self.c.request("GET", f"{C}/{bob['id']}"), 200, "bob after")
        expect(after["external_id"] == "", f"external_id removed: {after}")

    def export_and_download(self):
        res = self.c.request("POST", f"{C}/exports")     # exports.post(): no body at all
        export_id = expect_status(res, 202, "export without a body")["id"]
        e = poll_export(self.c, export_id)
        expect(e["status"] == "ready" and e["urls"], f"export: {e}")
        listing = expect_status(self.c.request("GET", f"{C}/exports"), 200, "list exports")
        expect(listing["result"][-1]["id"] == export_id, "the last listed export is the newest")
        dl = get_without_key(e["urls"][0])
        expect(dl.status_code == 200, f"download: {dl.status_code}")
        rows = list(csv.DictReader(io.StringIO(gzip.decompress(dl.body).decode("utf-8"))))
        expect(sorted(r["EMAIL"] for r in rows) == ["ann@example.com", "bob@example.com", "cy@example.com"],
               f"exported rows: {rows}")
        res = self.c.request("POST", f"{C}/exports", request_body={"file_type": "json"})
        e = poll_export(self.c, expect_status(res, 202, "JSON export")["id"])
        lines = [json.loads(l) for l in gzip.decompress(get_without_key(e["urls"][0]).body).splitlines()]
        expect(all("contact_id" in l and "id" not in l for l in lines), f"JSON lines: {lines}")

    def import_and_upload(self):
        res = self.c.request("PUT", f"{C}/imports", request_body={
            "file_type": "csv", "field_mappings": ["_rf2", "_rf0_T"], "list_ids": [self.list_id]})
        body = expect_status(res, 200, "import")
        headers = {h["header"]: h["value"] for h in body["upload_headers"]}
        headers["Content-Encoding"] = "gzip"
        data = gzip.compress(b"email,first_name\ndee@example.com,Dee\nnot-an-email,Bad\n")
        up = fetch(urllib.request.Request(body["upload_uri"], data=data, headers=headers, method="PUT"))
        expect(up.status_code == 200, f"upload: {up.status_code} {up.body!r}")
        job = poll_job(self.c, body["job_id"])
        expect(job["status"] == "errored" and job["results"]["created_count"] == 1, f"import job: {job}")
        errs = get_without_key(job["results"]["errors_url"])
        expect(errs.status_code == 200, f"errors_url without the key: {errs.status_code}")
        expect(len(errs.json()["errors"]) == 1, f"errors: {errs.body!r}")
        expect(find_email(self.c, "dee@example.com")["list_ids"] == [self.list_id], "imported into the list")

    def delete_contacts(self):
        dee = find_email(self.c, "dee@example.com")
        res = self.c.request("DELETE", C, query_params={"ids": dee["id"]})
        poll_job(self.c, expect_status(res, 202, "delete by ids")["job_id"])
        res = self.c.request("DELETE", C, query_params={"delete_all_contacts": True})
        job = poll_job(self.c, expect_status(res, 202, "delete all (True)")["job_id"])
        expect(job["results"]["deleted_count"] == 3, f"delete all: {job}")
        count = expect_status(self.c.request("GET", f"{C}/count"), 200, "count")
        expect(count == {"contact_count": 0, "billable_count": 4}, f"billable stays this month: {count}")

    def errors_shape(self):
        res = self.c.request("POST", f"{C}/search/identifiers/email", request_body={"identifiers": ["x@example.com"]})
        body = expect_status(res, 404, "search nothing")
        expect(body["errors"][0]["help"] is None and body["message"] == body["errors"][0]["message"],
               f"error body: {body}")

    STEPS = ["upsert_and_poll", "get_contact", "search", "sgql", "lists", "fields", "delete_identifier",
             "export_and_download", "import_and_upload", "delete_contacts", "errors_shape"]


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="contactd-py-") as tmp:
        server = Server(fresh_database(tmp))
        key = server.create_key("python-flow")
        server.start()
        try:
            flow = Flow(Client(server.url, key))
            for name in Flow.STEPS:
                try:
                    getattr(flow, name)()
                    passed += 1
                    print(f"ok {name}")
                except Exception as e:          # a failed step is reported, the flow goes on
                    failed += 1
                    print(f"FAIL {name}: {type(e).__name__}: {e}")
        finally:
            try:
                server.stop()
            except Exception as e:
                failed += 1
                print(f"FAIL stop: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
