#!/usr/bin/env python3
"""Checks a server against the TechEmpower rules the suite follows, before any timing.

Usage: verify.py URL DATABASE_URL [--fast]

URL is the server (http://127.0.0.1:8080); DATABASE_URL the PostgreSQL database it serves from,
seeded (`techempower seed`), which the checks read with `psql` to see that `/db` and `/queries`
return the rows there and that `/updates` really wrote its rows. The server must be alone on that
database while this runs. With --fast, the precomputed routes /fast/json and /fast/plaintext are
checked too (Chopin's). Exits 1 naming every rule broken.
"""

import email.utils
import html.parser
import http.client
import json
import subprocess
import sys
import time
import urllib.parse

FORTUNES = [
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
    (0, "Additional fortune added at request time."),
]

# What a count parameter becomes: missing, empty or not a number is 1; 1 to 500 otherwise.
COUNTS = [(None, 1), ("", 1), ("abc", 1), ("0", 1), ("-3", 1), ("1", 1), ("20", 20),
          ("500", 500), ("501", 500), ("10000", 500)]

failures = []


def fail(rule, detail):
    failures.append(f"{rule}: {detail}")


class Server:
    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)

    def get(self, path):
        """One request on the kept-alive connection: (status, headers, body)."""
        self.conn.request("GET", path)
        res = self.conn.getresponse()
        body = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, body


def worlds_in_db(database_url):
    out = subprocess.run(
        ["psql", database_url, "-At", "-F", " ", "-c", "SELECT id, randomnumber FROM world"],
        check=True, capture_output=True, text=True).stdout
    return {int(i): int(n) for i, n in (line.split() for line in out.splitlines())}


def common(rule, status, headers, content_type):
    """Status 200, the content type, and Server and Date on the response."""
    ok = True
    if status != 200:
        fail(rule, f"status {status}, not 200")
        ok = False
    got = headers.get("content-type", "")
    if got.replace(" ", "").lower() != content_type.replace(" ", "").lower():
        fail(rule, f"content-type {got!r}, not {content_type!r}")
        ok = False
    if not headers.get("server"):
        fail(rule, "no Server header")
        ok = False
    date = headers.get("date")
    parsed = date and email.utils.parsedate_to_datetime(date)
    if not parsed:
        fail(rule, f"no valid Date header ({date!r})")
        ok = False
    elif abs(parsed.timestamp() - time.time()) > 60:
        fail(rule, f"Date {date!r} is more than a minute off")
        ok = False
    return ok


def world_ok(rule, value, db=None):
    """A world object: exactly id and randomNumber, both 1 to 10,000 (and as in the database)."""
    if not isinstance(value, dict) or sorted(value) != ["id", "randomNumber"]:
        fail(rule, f"{value!r} is not an object of id and randomNumber")
        return False
    i, n = value["id"], value["randomNumber"]
    if not all(isinstance(x, int) and 1 <= x <= 10000 for x in (i, n)):
        fail(rule, f"{value!r}: id and randomNumber must be integers from 1 to 10000")
        return False
    if db is not None and db.get(i) != n:
        fail(rule, f"{value!r}: the database has randomNumber {db.get(i)} for id {i}")
        return False
    return True


def check_json(server, path):
    status, headers, body = server.get(path)
    if common(path, status, headers, "application/json") and json.loads(body) != {"message": "Hello, World!"}:
        fail(path, f"body {body!r}")


def check_plaintext(server, path):
    # TechEmpower asks for text/plain; a charset parameter is allowed.
    status, headers, body = server.get(path)
    got = headers.get("content-type", "").lower()
    if not got.startswith("text/plain"):
        fail(path, f"content-type {got!r}, not text/plain")
    common(path, status, headers, headers.get("content-type", ""))
    if body != b"Hello, World!":
        fail(path, f"body {body!r}")


def rows_of(rule, server, path, expected_len, db):
    status, headers, body = server.get(path)
    if not common(rule, status, headers, "application/json"):
        return None
    rows = json.loads(body)
    if not isinstance(rows, list) or len(rows) != expected_len:
        fail(rule, f"{path}: {len(rows) if isinstance(rows, list) else rows!r} rows, not {expected_len}")
        return None
    for row in rows:
        if not world_ok(f"{rule} {path}", row, db):
            return None
    return rows


def query(name, count):
    return "" if count is None else f"?{name}={urllib.parse.quote(count)}"


class Table(html.parser.HTMLParser):
    """The cells of the fortunes table, decoded, and the tags seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.cell, self.tags, self.doctype = [], None, [], None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def check_fortunes(server):
    status, headers, body = server.get("/fortunes")
    if not common("/fortunes", status, headers, "text/html; charset=utf-8"):
        return
    page = body.decode("utf-8")
    if "<script>" in page:
        fail("/fortunes", "the <script> fortune is not escaped")
    table = Table()
    table.feed(page)
    if (table.doctype or "").lower() != "doctype html":
        fail("/fortunes", f"doctype {table.doctype!r}, not html")
    if table.tags[:4] != ["html", "head", "title", "body"] or "table" not in table.tags:
        fail("/fortunes", f"not the page TechEmpower asks for: tags {table.tags[:6]}")
    expected = [["id", "message"]] + [[str(i), m] for i, m in sorted(FORTUNES, key=lambda f: f[1])]
    if table.rows != expected:
        fail("/fortunes", f"the table is {table.rows!r}, not {expected!r}")


def check_updates(server, database_url):
    for count, n in COUNTS:
        path = "/updates" + query("queries", count)
        before = worlds_in_db(database_url)
        rows = rows_of("/updates", server, path, n, None)
        if rows is None:
            continue
        after = worlds_in_db(database_url)
        ids = [r["id"] for r in rows]
        once = [r for r in rows if ids.count(r["id"]) == 1]
        wrong = [r for r in once if after[r["id"]] != r["randomNumber"]]
        if wrong:
            fail("/updates", f"{path}: {len(wrong)} rows differ from the database, as {wrong[0]!r}")
        changed = sum(1 for r in once if after[r["id"]] != before[r["id"]])
        # Each new number is drawn from 10,000: the same one comes back once in 10,000 rows.
        if once and changed < len(once) - max(2, len(once) // 100):
            fail("/updates", f"{path}: only {changed} of {len(once)} rows changed in the database")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, database_url = args
    server = Server(url)
    db = worlds_in_db(database_url)
    if len(db) != 10000 or sorted(db) != list(range(1, 10001)):
        print(f"verify: the database holds {len(db)} worlds, not ids 1 to 10000: run `seed`", file=sys.stderr)
        return 1

    check_json(server, "/json")
    check_plaintext(server, "/plaintext")
    if "--fast" in sys.argv:
        check_json(server, "/fast/json")
        check_plaintext(server, "/fast/plaintext")
    for _ in range(5):
        status, headers, body = server.get("/db")
        if common("/db", status, headers, "application/json"):
            world_ok("/db", json.loads(body), db)
    for count, n in COUNTS:
        rows_of("/queries", server, "/queries" + query("queries", count), n, db)
    check_fortunes(server)
    for count, n in COUNTS:
        rows_of("/cached-queries", server, "/cached-queries" + query("count", count), n, None)
    check_updates(server, database_url)

    if failures:
        print(f"verify: {url} breaks {len(failures)} rules:", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
        return 1
    print(f"verify: {url} follows every rule checked (json, plaintext, db, queries, fortunes, "
          f"updates, cached-queries{', fast routes' if '--fast' in sys.argv else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
