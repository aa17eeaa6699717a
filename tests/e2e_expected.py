#!/usr/bin/env python3
"""The independent side of tests/e2e.sh (issues 7 and 9), Python 3 stdlib only.

It reads a test bucket over S3 (SigV4 signed here, no SDK) and computes the
gold tables from the RAW LANDING objects alone (sink-s3's JSON Lines batches
of transaction_logs under raw/), implementing PIPELINE.md and the plugins'
documented rules directly rather than reusing any of their code:

  bronze   the seed's schema (every field present, not null, of its type;
           malformed JSON, a missing field, a wrong type: quarantine)
  silver   the five shipped expectations, each `on violation drop`
           (valid_email, positive_amount, amount_matches_items,
           known_currency, user_id_present); an ISO 8601 event time; one row
           per transaction_id (the first wins) and per (transaction_id,
           item_id)
  gold     per UTC date: count, revenue, revenue per currency; per user:
           count, spent, average (half away from zero), first/last seen; per
           (name, category): lines, units, revenue = sum(price * quantity);
           money as decimal.Decimal, never binary floating point

  e2e_expected.py check BUCKET DIGEST [--events N] [--summary RUNLOG]
      computes the above, compares it value for value (and to the text of
      every money value: two decimals) with the gold snapshots the lake
      holds (gold/<table>/_latest), checks the counts layer by layer (the
      landing zone, the lake's bronze and silver tables, and the worker's
      summary lines when RUNLOG is given) and writes DIGEST (JSON) for
      `same`. Exit 1 naming the first differences.
  e2e_expected.py same REFERENCE_DIGEST DIGEST
      a run killed and restarted against the uninterrupted one: identical
      gold tables, the same distinct rows in every layer, every landing line
      at least as often and any extra copy a whole re-sent event.
"""
import collections
import concurrent.futures
import datetime
import threading
import decimal
import gzip
import hashlib
import hmac
import http.client
import json
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from decimal import Decimal

CENT = Decimal("0.01")
LATENESS_S = 3600  # connectors.d/50-gold.yaml allowed.lateness
CURRENCIES = ("USD", "EUR", "GBP", "INR")
EMAIL = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}")
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})"
                 r"(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})")
TABLES = ("gold_daily_metrics", "gold_user_summary", "gold_product_summary")
LAKE = ("bronze_transactions", "bronze_quarantine", "silver_transactions",
        "silver_items", "silver_users", "silver_quarantine")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


# ---- S3: ListObjectsV2 and GET, path style, SigV4 ----

class S3:
    local = threading.local()

    def __init__(self):
        u = urllib.parse.urlsplit(os.environ["S3_ENDPOINT"])
        self.host, self.port = u.hostname, u.port or 80
        self.hosthdr = u.netloc
        self.region = os.environ.get("S3_REGION") or "us-east-1"
        self.key = os.environ["AWS_ACCESS_KEY_ID"]
        self.secret = os.environ["AWS_SECRET_ACCESS_KEY"]

    def _sign(self, path, query):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        q = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"),
                                urllib.parse.quote(v, safe="-_.~"))
                     for k, v in sorted(query))
        hdrs = {"host": self.hosthdr, "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                "x-amz-date": amz}
        signed = ";".join(sorted(hdrs))
        creq = "\n".join(["GET", path, q] +
                         ["%s:%s" % (k, hdrs[k]) for k in sorted(hdrs)] +
                         ["", signed, "UNSIGNED-PAYLOAD"])
        scope = "%s/%s/s3/aws4_request" % (day, self.region)
        sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                         hashlib.sha256(creq.encode()).hexdigest()])
        k = ("AWS4" + self.secret).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        hdrs["Authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, "
                                 "SignedHeaders=%s, Signature=%s" %
                                 (self.key, scope, signed, sig))
        return (path + ("?" + q if q else "")), hdrs

    def get(self, bucket, key, query=(), missing_ok=False):
        path = "/" + urllib.parse.quote(bucket + "/" + key, safe="/-_.~")
        url, hdrs = self._sign(path, list(query))
        for attempt in range(3):  # one keep-alive connection per thread
            try:
                if getattr(self.local, "conn", None) is None:
                    self.local.conn = http.client.HTTPConnection(
                        self.host, self.port, timeout=60)
                self.local.conn.request("GET", url, headers=hdrs)
                r = self.local.conn.getresponse()
                body = r.read()
                break
            except (OSError, http.client.HTTPException):
                self.local.conn = None
                if attempt == 2:
                    raise
        if r.status == 404 and missing_ok:
            return None
        if r.status != 200:
            raise SystemExit("S3 GET %s/%s: HTTP %d %s" %
                             (bucket, key, r.status, body[:300]))
        return body

    def list(self, bucket, prefix):
        keys, token = [], None
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        for _ in range(100000):
            q = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if token:
                q.append(("continuation-token", token))
            root = ET.fromstring(self.get(bucket, "", q))
            keys += [c.find(ns + "Key").text for c in root.iter(ns + "Contents")]
            if root.findtext(ns + "IsTruncated") != "true":
                return keys
            token = root.findtext(ns + "NextContinuationToken")
        raise SystemExit("listing %s/%s never ended" % (bucket, prefix))

    def many(self, bucket, keys):
        """The lines of each object, in the order of keys, 6 at a time."""
        with concurrent.futures.ThreadPoolExecutor(6) as ex:
            return list(ex.map(lambda k: self.lines(bucket, k), keys))

    def lines(self, bucket, key):
        body = self.get(bucket, key)
        if key.endswith(".gz"):
            body = gzip.decompress(body)
        return body.split(b"\n")[:-1] if body.endswith(b"\n") else body.split(b"\n")


# ---- the layers, from PIPELINE.md ----

def no_dup_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate field")
    return dict(pairs)


def bad_constant(name):
    raise ValueError("not JSON: " + name)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63


def is_num(v):
    return (isinstance(v, (int, Decimal)) and not isinstance(v, bool))


def is_str(v):
    return isinstance(v, str)


USER = {"user_id": is_int, "name": is_str, "email": is_str, "country": is_str,
        "city": is_str, "address": is_str, "age": is_int,
        "payment_method": is_str, "device_type": is_str, "ip_address": is_str}
ITEM = {"item_id": is_str, "name": is_str, "price": is_num, "quantity": is_int}


def bronze(raw):
    """The event as a dict, or None: what bronze quarantines."""
    try:
        ev = json.loads(raw.decode("utf-8"), object_pairs_hook=no_dup_keys,
                        parse_float=Decimal, parse_constant=bad_constant)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(ev, dict):
        return None
    top = {"transaction_id": is_str, "amount": is_num, "currency": is_str,
           "timestamp": is_str, "category": is_str}
    for f, ok in top.items():
        if f not in ev or not ok(ev[f]):
            return None
    u = ev.get("user")
    if not isinstance(u, dict) or any(f not in u or not ok(u[f])
                                      for f, ok in USER.items()):
        return None
    items = ev.get("items")
    if not isinstance(items, list):
        return None
    for it in items:
        if not isinstance(it, dict) or any(f not in it or not ok(it[f])
                                           for f, ok in ITEM.items()):
            return None
    return ev


def event_us(ts):
    """Microseconds since the epoch of an ISO 8601 time, or None."""
    m = ISO.fullmatch(ts)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "").ljust(9, "0")[:6]
    try:
        t = datetime.datetime(y, mo, d, h, mi, s, int(frac),
                              tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    z = m.group(8)
    if z != "Z":
        sign = 1 if z[0] == "+" else -1
        z = z[1:].replace(":", "")
        t -= sign * datetime.timedelta(hours=int(z[:2]), minutes=int(z[2:]))
    return (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) \
        // datetime.timedelta(microseconds=1)


def silver_ok(ev):
    """True when silver keeps the bronze event (expectations and checks)."""
    if not EMAIL.fullmatch(ev["user"]["email"]):
        return False
    amount = Decimal(ev["amount"])
    if not amount > 0:
        return False
    items_sum = sum((Decimal(it["price"]) * it["quantity"] for it in ev["items"]),
                    Decimal(0))
    if items_sum.quantize(CENT, rounding=decimal.ROUND_HALF_UP) != amount:
        return False
    if ev["currency"] not in CURRENCIES:
        return False
    tid = ev["transaction_id"]
    if not 1 <= len(tid.encode()) <= 1000:
        return False
    return event_us(ev["timestamp"]) is not None


def money(d):
    return format(Decimal(d).quantize(CENT, rounding=decimal.ROUND_HALF_UP), "f")


def iso_us(us):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def landing(s3, bucket):
    """Every landing line, per partition in offset order, with the object
    ranges (partition -> [(start, lines, key)])."""
    objs = collections.defaultdict(list)
    for key in s3.list(bucket, "raw/transaction_logs/"):
        name = key.rsplit("/", 1)[1]
        m = re.fullmatch(r"transaction_logs\+(\d+)\+(\d{20})\.jsonl(\.gz)?", name)
        if not m:
            fail("unexpected landing object " + key)
            continue
        objs[int(m.group(1))].append((int(m.group(2)), key))
    lines, ranges = [], collections.defaultdict(list)
    order = [(p, start, key) for p in sorted(objs) for start, key in sorted(objs[p])]
    for (p, start, key), ls in zip(order, s3.many(bucket, [k for _, _, k in order])):
        ranges[p].append((start, len(ls), key))
        lines += ls
    return lines, ranges


def compute(lines):
    n_good = 0
    dropped = 0
    dropped_lines = set()
    seen_tx = {}
    items = {}
    for raw in lines:
        ev = bronze(raw)
        if ev is None:
            continue
        n_good += 1
        if not silver_ok(ev):
            dropped += 1
            dropped_lines.add(raw)
            continue
        tid = ev["transaction_id"]
        if tid in seen_tx:
            continue
        seen_tx[tid] = ev
        for it in ev["items"]:
            items.setdefault((tid, it["item_id"]), (it, ev["category"]))
    times = [event_us(ev["timestamp"]) for ev in seen_tx.values()]
    daily, users, products = {}, {}, {}
    for ev in seen_tx.values():
        us = event_us(ev["timestamp"])
        amount = Decimal(ev["amount"])
        day = iso_us(us)[:10]
        d = daily.setdefault(day, [0, Decimal(0), collections.Counter()])
        d[0] += 1
        d[1] += amount
        d[2][ev["currency"]] += amount
        uid = ev["user"]["user_id"]
        u = users.setdefault(uid, [0, Decimal(0), us, us])
        u[0] += 1
        u[1] += amount
        u[2] = min(u[2], us)
        u[3] = max(u[3], us)
    for it, cat in items.values():
        p = products.setdefault((it["name"], cat), [0, 0, Decimal(0)])
        p[0] += 1
        p[1] += it["quantity"]
        p[2] += Decimal(it["price"]) * it["quantity"]
    gold = {
        "gold_daily_metrics": {
            day: {"date": day, "daily_transactions": n,
                  "daily_revenue": money(rev),
                  "revenue_by_currency": {c: money(v) for c, v in sorted(cur.items())}}
            for day, (n, rev, cur) in daily.items()},
        "gold_user_summary": {
            str(uid): {"user_id": uid, "total_transactions": n,
                       "total_spent": money(spent),
                       "avg_transaction_value": money(
                           (spent / n).quantize(CENT, rounding=decimal.ROUND_HALF_UP)
                           if spent >= 0 else
                           -((-spent) / n).quantize(CENT, rounding=decimal.ROUND_HALF_UP)),
                       "first_seen": iso_us(lo), "last_seen": iso_us(hi)}
            for uid, (n, spent, lo, hi) in users.items()},
        "gold_product_summary": {
            json.dumps([name, cat]): {"name": name, "category": cat,
                                      "times_purchased": n, "units_sold": units,
                                      "total_revenue": money(rev)}
            for (name, cat), (n, units, rev) in products.items()},
    }
    counts = {"landing_lines": len(lines), "bronze_good": n_good,
              "bronze_quarantine_landed": len(lines) - n_good,
              "silver_dropped": dropped, "silver_dropped_distinct": len(dropped_lines),
              "silver_transactions": len(seen_tx), "silver_items": len(items),
              "silver_duplicates": n_good - dropped - len(seen_tx),
              "users": len(users), "days": len(daily), "products": len(products)}
    span = (max(times) - min(times)) / 1e6 if times else 0
    if span >= LATENESS_S:
        fail("the counted event times span %.0f s, not less than allowed.lateness "
             "(%d s): gold's late events would depend on the order it reads its "
             "partitions; shorten FAKER_CLOCK_STEP or FAKER_ANOMALY_LATE_MAX" %
             (span, LATENESS_S))
    return gold, counts


def read_gold(s3, bucket):
    """table -> {key: row} from the snapshots gold/<table>/_latest names,
    money kept as the text written."""
    out = {}
    for t in TABLES:
        latest = s3.get(bucket, "gold/%s/_latest" % t, missing_ok=True)
        if latest is None:
            fail("no gold/%s/_latest" % t)
            out[t] = {}
            continue
        name = latest.decode().strip()
        rows = {}
        for line in s3.lines(bucket, name):
            row = json.loads(line, parse_float=str)
            if t == "gold_daily_metrics":
                k = row["date"]
            elif t == "gold_user_summary":
                k = str(row["user_id"])
            else:
                k = json.dumps([row["name"], row["category"]])
            if k in rows:
                fail("%s: key %s twice in the snapshot" % (t, k))
            rows[k] = row
        out[t] = rows
    return out


def diff_tables(what, want, got):
    ok = True
    for t in TABLES:
        w, g = want.get(t, {}), got.get(t, {})
        bad = []
        for k in sorted(set(w) | set(g)):
            if w.get(k) != g.get(k):
                bad.append("  key %s\n    %s: %s\n    %s: %s" %
                           (k, what[0], json.dumps(w.get(k), sort_keys=True),
                            what[1], json.dumps(g.get(k), sort_keys=True)))
        if bad:
            ok = False
            fail("%s: %d of %d rows differ (%s against %s); the first:\n%s" %
                 (t, len(bad), len(set(w) | set(g)), what[1], what[0],
                  "\n".join(bad[:5])))
    return ok


def read_lake(s3, bucket):
    """Per lake table: the lines (batch objects under lake/<table>/)."""
    out = {}
    for t in LAKE:
        out[t] = [x for ls in s3.many(bucket, sorted(s3.list(bucket, "lake/%s/" % t)))
                  for x in ls]
    return out


def summary(path):
    """connector -> {word: number} from a triggered run's summary lines."""
    out = {}
    for line in open(path, errors="replace"):
        m = re.search(r"\[([\w.-]+)\] summary: (.*)", line)
        if not m:
            continue
        words = {}
        for part in re.split(r"[,()]", m.group(2)):
            f = part.split()
            if len(f) == 2 and re.fullmatch(r"\d+", f[1]):
                words.setdefault(f[0], int(f[1]))
        out[m.group(1)] = words
    return out


def expect_eq(what, got, want):
    if got != want:
        fail("%s is %s, expected %s" % (what, got, want))


def check(bucket, digest, events, runlog):
    s3 = S3()
    lines, ranges = landing(s3, bucket)
    gold_want, c = compute(lines)
    gold_got = read_gold(s3, bucket)
    same_gold = diff_tables(("computed from the landing zone", "gold snapshots in S3"),
                            gold_want, gold_got)
    lake = read_lake(s3, bucket)

    # Bronze: every record of transaction_logs once, by its position
    # (_source); so bronze also gives each partition's record count.
    srcs = collections.Counter()
    not_json = set()
    quarantine_rows = set()
    for t in ("bronze_transactions", "bronze_quarantine"):
        for line in lake[t]:
            r = json.loads(line)
            pos = (r["_source"]["partition"], r["_source"]["offset"])
            srcs[pos] += 1
            if t == "bronze_quarantine":
                quarantine_rows.add(pos)
                if any(e.startswith("not valid JSON") for e in r["_errors"]):
                    not_json.add(pos)
    not_json = len(not_json)
    bronze_distinct = len(srcs)
    per_part = collections.defaultdict(set)
    for p, o in srcs:
        per_part[p].add(o)
    for p, offs in sorted(per_part.items()):
        if min(offs) != 0 or max(offs) + 1 != len(offs):
            fail("lake bronze: partition %d of transaction_logs has offsets %d..%d "
                 "but %d of them: records missing" % (p, min(offs), max(offs), len(offs)))
    topic_records = sum(max(offs) + 1 for offs in per_part.values())
    # The landing zone: a record is in one object at most (objects of a
    # partition never overlap); what is in none are the records sink-s3
    # refused (not JSON: to landing-dlq).
    for p, rs in sorted(ranges.items()):
        end = 0
        for start, n, key in rs:
            if start < end:
                fail("landing: %s starts at offset %d, inside the object before "
                     "(which ends at %d): records twice" % (key, start, end))
            end = start + n
        if p not in per_part or end > max(per_part[p]) + 1:
            fail("landing: partition %d has objects up to offset %d, beyond what "
                 "bronze read" % (p, end))
    holes = topic_records - len(lines)
    silver_tx = set(lake["silver_transactions"])
    silver_tx_ids = {json.loads(x)["transaction_id"] for x in silver_tx}
    silver_items = {(json.loads(x)["transaction_id"], json.loads(x)["item_id"])
                    for x in lake["silver_items"]}
    c.update({
        "landing_holes": holes,
        "bronze_distinct_records": bronze_distinct,
        "bronze_quarantine_distinct": len(quarantine_rows),
        "bronze_not_json": not_json,
        "lake_silver_transactions_distinct": len(silver_tx_ids),
        "lake_silver_items_distinct": len(silver_items),
    })
    print("landing: %d lines in %d objects, %d refused as not JSON; computed: bronze "
          "%d good + %d quarantined, silver drops %d, %d duplicates, %d transactions, "
          "%d items; gold %d days, %d users, %d products" %
          (len(lines), sum(len(r) for r in ranges.values()), holes, c["bronze_good"],
           c["bronze_quarantine_landed"] + holes, c["silver_dropped"],
           c["silver_duplicates"], c["silver_transactions"], c["silver_items"],
           c["days"], c["users"], c["products"]))

    # Counts that hold for every run, killed or not.
    expect_eq("bronze quarantine refused as not JSON (lake)", not_json, holes)
    expect_eq("lake silver_transactions distinct ids", len(silver_tx_ids),
              c["silver_transactions"])
    expect_eq("lake silver_items distinct (transaction_id, item_id)", len(silver_items),
              c["silver_items"])
    tx_sum = sum(r["daily_transactions"] for r in gold_got["gold_daily_metrics"].values())
    expect_eq("gold sum(daily_transactions)", tx_sum, c["silver_transactions"])
    user_sum = sum(r["total_transactions"] for r in gold_got["gold_user_summary"].values())
    expect_eq("gold sum(total_transactions)", user_sum, c["silver_transactions"])
    prod_sum = sum(r["times_purchased"] for r in gold_got["gold_product_summary"].values())
    expect_eq("gold sum(times_purchased)", prod_sum, c["silver_items"])

    if events is not None:
        # An uninterrupted run: every layer exactly once.
        expect_eq("events in the landing zone + refused", len(lines) + holes, events)
        expect_eq("lake bronze_transactions lines", len(lake["bronze_transactions"]),
                  c["bronze_good"])
        expect_eq("lake bronze_quarantine lines", len(lake["bronze_quarantine"]),
                  c["bronze_quarantine_landed"] + holes)
        expect_eq("events = bronze + quarantine",
                  len(lake["bronze_transactions"]) + len(lake["bronze_quarantine"]),
                  events)
        expect_eq("lake silver_transactions lines", len(lake["silver_transactions"]),
                  c["silver_transactions"])
        expect_eq("lake silver_items lines", len(lake["silver_items"]), c["silver_items"])
        expect_eq("lake silver_quarantine lines", len(lake["silver_quarantine"]),
                  c["silver_dropped"])
        expect_eq("lake silver_users lines", len(lake["silver_users"]), c["users"])
    if runlog:
        s = summary(runlog)
        for conn in ("faker", "landing", "bronze", "silver", "gold", "lake", "lake-gold"):
            if conn not in s:
                fail("no summary line of %s in %s" % (conn, runlog))
                s[conn] = {}
        g = lambda conn, w: s[conn].get(w)  # noqa: E731
        expect_eq("faker out", g("faker", "out"), events)
        expect_eq("landing in", g("landing", "in"), events)
        expect_eq("landing dead-lettered", g("landing", "dead-lettered"), holes)
        expect_eq("bronze in", g("bronze", "in"), events)
        expect_eq("bronze quarantine", g("bronze", "quarantine"),
                  c["bronze_quarantine_landed"] + holes)
        expect_eq("silver in", g("silver", "in"), c["bronze_good"])
        expect_eq("silver transactions", g("silver", "transactions"),
                  c["silver_transactions"])
        expect_eq("silver items", g("silver", "items"), c["silver_items"])
        expect_eq("silver quarantine", g("silver", "quarantine"), c["silver_dropped"])
        expect_eq("gold in", g("gold", "in"), c["silver_transactions"] + c["silver_items"])
        expect_eq("gold late", g("gold", "late"), 0)
        for conn in s:  # sink-s3 counts what it refuses as failed
            expect_eq(conn + " failed", s[conn].get("failed"),
                      holes if conn == "landing" else 0)

    landing_count = collections.Counter(hashlib.sha1(x).hexdigest() for x in lines)
    with open(digest, "w") as f:
        json.dump({"gold": gold_got, "counts": c, "landing": landing_count,
                   "silver_transactions": sorted(x.decode() for x in silver_tx),
                   "silver_items": sorted(set(x.decode() for x in lake["silver_items"])),
                   "bronze_good": c["bronze_good"]}, f)
    if same_gold:
        print("gold: %d daily, %d user, %d product rows equal the computation, value "
              "for value" % tuple(len(gold_got[t]) for t in TABLES))


def same(ref_path, path):
    ref, got = json.load(open(ref_path)), json.load(open(path))
    diff_tables(("uninterrupted run", "killed and restarted run"), ref["gold"], got["gold"])
    for k in ("silver_transactions", "silver_items"):
        a, b = set(ref[k]), set(got[k])
        if a != b:
            fail("lake %s: %d rows only in the uninterrupted run (first %s), %d only in "
                 "the killed one (first %s)" % (k, len(a - b), sorted(a - b)[:1],
                                                len(b - a), sorted(b - a)[:1]))
    # Distinct counts: a kill makes the source send some events again
    # (byte for byte), which bronze passes on and silver drops again.
    for k in ("silver_transactions", "silver_items", "silver_dropped_distinct", "users",
              "days",
              "products", "lake_silver_transactions_distinct",
              "lake_silver_items_distinct"):
        expect_eq("killed run: " + k, got["counts"][k], ref["counts"][k])
    ra, rb = ref["landing"], got["landing"]
    missing = [h for h in ra if rb.get(h, 0) < ra[h]]
    extra = sum(rb[h] - ra.get(h, 0) for h in rb if rb[h] > ra.get(h, 0))
    new = [h for h in rb if h not in ra]
    if missing:
        fail("landing: %d events fewer times than in the uninterrupted run" % len(missing))
    if new:
        fail("landing: %d lines the uninterrupted run does not have" % len(new))
    if failures:
        return extra
    print("killed run: gold identical; silver %d transactions, %d items as uninterrupted; "
          "landing holds every event at least as often, %d extra copies (events the "
          "source sent again after a kill)" % (got["counts"]["silver_transactions"],
                                               got["counts"]["silver_items"], extra))
    return extra


def main(argv):
    if len(argv) >= 3 and argv[0] == "check":
        events = runlog = None
        rest = argv[3:]
        while rest:
            if rest[0] == "--events":
                events = int(rest[1])
            elif rest[0] == "--summary":
                runlog = rest[1]
            else:
                raise SystemExit("unknown argument " + rest[0])
            rest = rest[2:]
        check(argv[1], argv[2], events, runlog)
    elif len(argv) == 3 and argv[0] == "same":
        same(argv[1], argv[2])
    else:
        raise SystemExit(__doc__)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
