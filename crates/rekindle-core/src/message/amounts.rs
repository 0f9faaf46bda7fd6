//! The amounts of e-commerce events, parsed at ingestion into fen (see [`crate::money`]).
//!
//! Only the events Rekindle reads money from are checked; an unknown event keeps whatever
//! properties it has. Each amount is refused with the path of the property when it is not a
//! non-negative amount in yuan within [`crate::money::MAX_FEN`]. What was parsed is kept beside
//! the sender's properties, so the store has both what was sent and what it meant.

use serde_json::{Map, Value};

use super::MAX_NAME_LEN;
use super::fields::scalar_string;
use crate::FieldError;
use crate::events;
use crate::money::Fen;

/// An event that carries money: which properties hold amounts and whether it names an order.
struct MoneyEvent {
    name: &'static str,
    amounts: &'static [&'static str],
    /// Whether `products[].price` holds amounts.
    products: bool,
    /// Whether `order_id` is required: an order without one can be neither de-duplicated nor
    /// refunded.
    order_id: bool,
}

const ORDER_AMOUNTS: &[&str] = &["revenue", "total", "subtotal", "discount", "shipping", "tax"];
const COUPON_AMOUNTS: &[&str] = &["value", "discount"];

const EVENTS: &[MoneyEvent] = &[
    MoneyEvent { name: events::ORDER_COMPLETED, amounts: ORDER_AMOUNTS, products: true, order_id: true },
    MoneyEvent { name: events::ORDER_REFUNDED, amounts: &["amount", "total"], products: true, order_id: true },
    MoneyEvent { name: events::COUPON_ISSUED, amounts: COUPON_AMOUNTS, products: false, order_id: false },
    MoneyEvent { name: events::COUPON_APPLIED, amounts: COUPON_AMOUNTS, products: false, order_id: false },
    MoneyEvent { name: events::COUPON_REDEEMED, amounts: COUPON_AMOUNTS, products: false, order_id: false },
    // A subscription's unit price (docs/subscriptions.md); the fold reads it with the same
    // `Fen::from_yuan`, so what was accepted is what is folded.
    MoneyEvent { name: events::SUBSCRIPTION_STARTED, amounts: &["price"], products: false, order_id: false },
    MoneyEvent { name: events::SUBSCRIPTION_CHANGED, amounts: &["price"], products: false, order_id: false },
];

/// The amounts of a track event in fen by property path, or `None` when the event carries
/// no money. `payload.properties` is known to be an object or absent.
pub(super) fn parse(name: &str, payload: &Map<String, Value>) -> Result<Option<Map<String, Value>>, FieldError> {
    let Some(event) = EVENTS.iter().find(|e| e.name == name) else { return Ok(None) };
    let empty = Map::new();
    let properties = payload.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let mut fen = Map::new();
    if event.order_id {
        let field = "properties.order_id";
        match scalar_string(properties.get("order_id"), field)? {
            None => return Err(FieldError::new(field, format!("{name} needs the order's id"))),
            Some(id) if id.len() > MAX_NAME_LEN => {
                return Err(FieldError::new(field, format!("longer than {MAX_NAME_LEN} bytes")));
            }
            Some(_) => {}
        }
    }
    for key in event.amounts {
        amount(properties, key, key, &mut fen)?;
    }
    if event.products {
        match properties.get("products") {
            None | Some(Value::Null) => {}
            Some(Value::Array(products)) => {
                for (i, product) in products.iter().enumerate() {
                    let path = format!("products[{i}]");
                    let Value::Object(product) = product else {
                        return Err(FieldError::new(format!("properties.{path}"), "must be an object"));
                    };
                    amount(product, "price", &format!("{path}.price"), &mut fen)?;
                }
            }
            Some(_) => return Err(FieldError::new("properties.products", "must be a list of objects")),
        }
    }
    Ok(Some(fen))
}

/// Parse `object[key]` when present (null means absent) into `fen[path]`.
fn amount(object: &Map<String, Value>, key: &str, path: &str, fen: &mut Map<String, Value>) -> Result<(), FieldError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => {
            let parsed = Fen::from_yuan(v).map_err(|e| FieldError::new(format!("properties.{path}"), e.to_string()))?;
            fen.insert(path.to_string(), parsed.get().into());
            Ok(())
        }
    }
}
