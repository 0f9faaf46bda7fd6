"""The real Segment Python client against a real `rekindle serve`.

Starts the binary on a free port with a fresh data dir, sends identify + track + alias for one
person across three identifiers with the unmodified `segment-analytics-python` package, flushes,
sends the very same messages again (a client retry) and flushes again, then checks through the
REST API that exactly one person holds all three identifiers and that no event is duplicated.

Usage: python segment_python.py path/to/rekindle
"""

import json
import sys
import urllib.parse

import segment.analytics as analytics

from harness import Checks, api, rekindle

checks = Checks("segment-python")
check = checks.check


def send_all(client):
    client.track(anonymous_id="py-anon-1", event="Live Entered", properties={"session_id": "live-1"}, message_id="py-m1")
    client.identify(user_id="py-42", traits={"phone": "138 0013 8000", "nickname": "小王"}, message_id="py-m2")
    client.alias(previous_id="py-anon-1", user_id="py-42", message_id="py-m3")
    client.track(
        user_id="py-42",
        event="Order Completed",
        properties={"order_id": "o-1", "revenue": 59.9, "currency": "CNY",
                    "products": [{"sku": "oat-1kg", "name": "燕麦片", "price": 39.9, "quantity": 1}]},
        message_id="py-m4",
    )
    client.flush()


def main(binary):
    with rekindle(binary, "python") as (base, key):
        errors = []
        client = analytics.Client(write_key=key, host=base, gzip=True, max_retries=2,
                                  on_error=lambda e, batch: errors.append(str(e)))
        send_all(client)
        send_all(client)  # the same messageIds again: a retry must not double-count
        client.shutdown()
        check("client reported no errors", not errors, "; ".join(errors))

        ids = {}
        for ident in ["user_id:py-42", "anonymous_id:py-anon-1", "phone:13800138000"]:
            ids[ident] = api(base, "/api/v1/people/" + urllib.parse.quote(ident))["id"]
        check("one person holds all three identifiers", len(set(ids.values())) == 1, json.dumps(ids))
        person = api(base, "/api/v1/people/user_id:py-42")
        kinds = {i["kind"] for i in person["identities"]}
        check("identities include user_id, anonymous_id and phone", {"user_id", "anonymous_id", "phone"} <= kinds, str(kinds))
        events = api(base, "/api/v1/people/user_id:py-42/events?limit=100")["events"]
        message_ids = sorted(e["message_id"] for e in events)
        check("every event stored exactly once", message_ids == ["py-m1", "py-m2", "py-m3", "py-m4"], str(message_ids))
        lib = {e["payload"].get("context", {}).get("library", {}).get("name") for e in events}
        check("events came from the real client library", lib == {"analytics-python"}, str(lib))
        orders = api(base, "/api/v1/people/user_id:py-42/orders")
        amounts = [(o["revenue_fen"], [i["price_fen"] for i in o["items"]]) for o in orders]
        check("amounts sent in yuan are stored in fen", amounts == [(5990, [3990])], str(amounts))
        all_events = api(base, "/api/v1/events?limit=100")["events"]
        check("the workspace holds no other events", len(all_events) == 4, str(len(all_events)))
    return checks.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
