"""The real Sensors Data (神策) Python SDK against a real `rekindle serve`.

Starts the binary on a free port with a fresh data dir and points the unmodified
`SensorsAnalyticsSDK` package at `/sa?token=<write key>`. Its batch consumer (gzip, as it always
sends) sends an anonymous live-room visit, a sign-up, an order by the signed-in person, a lookup by phone,
profile changes and an item; the debug consumer's dry run then sends one more event that must
not be stored. Sensors SDKs only take event names that are variable names: `OrderCompleted`
is stored as Rekindle's `Order Completed`. Checks through the REST API that one person holds every identifier, each event
is stored once, the profile changes applied, and the item is a product of the catalogue.

Usage: python sensors_python.py path/to/rekindle
"""

import json
import sys
import urllib.parse

import sensorsanalytics as sa
from sensorsanalytics.sdk import SensorsAnalyticsIdentity as Identity

from harness import Checks, api, rekindle

checks = Checks("sensors-python")
check = checks.check


def send_all(url):
    sdk = sa.SensorsAnalytics(sa.BatchConsumer(url, max_size=50), project_name="default")
    sdk.track("py-cookie-1", "LiveEntered", {"session_id": "live-1"}, is_login_id=False)
    sdk.track_signup("py-sa-42", "py-cookie-1", {"channel": "小程序"})
    sdk.track("py-sa-42", "OrderCompleted",
              {"order_id": "sa-o-1", "revenue": 59.9, "currency": "CNY",
               # Sensors properties hold no objects: an order's lines travel as a JSON string.
               "products": json.dumps([{"sku": "oat-1kg", "name": "燕麦片", "price": 39.9, "quantity": 1}],
                                      ensure_ascii=False)},
              is_login_id=True)
    # ID-Mapping 3: a login id and a phone together link the phone to the person.
    sdk.track_by_id("CouponReceived", {"coupon": "满50减5"},
                    Identity(Identity.LOGIN_ID, "py-sa-42"), Identity(Identity.MOBILE, "13800138001"))
    sdk.profile_set("py-sa-42", {"nickname": "小神", "tags": ["鲜果"]}, is_login_id=True)
    sdk.profile_increment("py-sa-42", {"visits": 3}, is_login_id=True)
    sdk.profile_append("py-sa-42", {"tags": ["粮油"]}, is_login_id=True)
    sdk.item_set("product", "oat-1kg", {"name": "澳洲燕麦片 1kg", "category": "谷物", "price": 39.9})
    sdk.close()


def main(binary):
    with rekindle(binary, "sensors") as (base, key):
        url = f"{base}/sa?project=default&token={key}"
        try:
            send_all(url)
            check("the SDK reported no errors", True)
        except Exception as e:  # the SDK raises on any non-2xx answer
            check("the SDK reported no errors", False, repr(e))
        # The debug consumer derives /debug from the URL; Dry-Run: true checks without storing.
        debug = sa.SensorsAnalytics(sa.DebugConsumer(url, write_data=False))
        try:
            debug.track("py-sa-42", "DryRun", {}, is_login_id=True)
            check("the debug consumer's dry run is accepted", True)
        except Exception as e:
            check("the debug consumer's dry run is accepted", False, repr(e))
        debug.close()

        ids = {}
        for ident in ["user_id:py-sa-42", "anonymous_id:py-cookie-1", "phone:13800138001"]:
            ids[ident] = api(base, "/api/v1/people/" + urllib.parse.quote(ident))["id"]
        check("one person holds the login id, the cookie id and the phone", len(set(ids.values())) == 1, json.dumps(ids))
        person = api(base, "/api/v1/people/user_id:py-sa-42")
        traits = person["traits"]
        check("profile_set, profile_increment and profile_append applied",
              traits.get("nickname") == "小神" and traits.get("visits") == 3 and traits.get("tags") == ["鲜果", "粮油"],
              json.dumps(traits, ensure_ascii=False))
        events = api(base, "/api/v1/people/user_id:py-sa-42/events?limit=100")["events"]
        names = sorted((e["type"], e.get("name") or "") for e in events)
        expected = sorted([("track", "Live Entered"), ("alias", ""), ("track", "Order Completed"),
                           ("track", "CouponReceived"), ("identify", ""), ("identify", ""), ("identify", "")])
        check("every record stored exactly once, the dry run not at all", names == expected, str(names))
        lib = {e["payload"].get("context", {}).get("library", {}).get("name") for e in events}
        check("events came from the real SDK", lib == {"sensors-python"}, str(lib))
        orders = api(base, "/api/v1/people/user_id:py-sa-42/orders")
        amounts = [(o["revenue_fen"], [i["price_fen"] for i in o["items"]]) for o in orders]
        check("amounts sent in yuan are stored in fen", amounts == [(5990, [3990])], str(amounts))
        products = api(base, "/api/v1/products")
        check("the item is a product priced in fen",
              [(p["sku"], p["name"], p["price"]) for p in products] == [("oat-1kg", "澳洲燕麦片 1kg", 3990)],
              json.dumps(products, ensure_ascii=False))
    return checks.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
